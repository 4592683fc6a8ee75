"""Staff pass the second factor before they reach anything else.

The log-in view only logs staff in after the second factor, so this is a second line of defence:
a staff session that is somehow authenticated but not verified is sent back to log in."""

from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.shortcuts import redirect
from django.urls import reverse

# Paths a logged-in but not yet verified staff member may reach.
OPEN_PREFIXES = ("/login", "/logout", "/static/", "/api/")


class SecondFactorRequired:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.needs_second_factor
            and not user.is_verified()
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            logout(request)
            return redirect(reverse("accounts:login"))
        return self.get_response(request)


class LoginRequired(LoginRequiredMiddleware):
    """Deny by default: every page needs a log-in unless marked @login_not_required.

    The API is left to its own authentication (tokens or session), which answers 401 in JSON
    instead of redirecting to the log-in page."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
