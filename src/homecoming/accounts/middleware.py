"""What every request passes before a view: a log-in, a verified second factor for staff, and a
password of one's own."""

from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.shortcuts import redirect
from django.urls import reverse

# Paths a logged-in but not yet verified staff member may reach.
OPEN_PREFIXES = ("/login", "/logout", "/static/")


def has_second_factor(user) -> bool:
    """Residents log in with a password; staff only count as logged in once verified."""
    return not user.needs_second_factor or user.is_verified()


class LoginRequired(LoginRequiredMiddleware):
    """Deny by default: every page needs a log-in unless marked @login_not_required.

    The API is left to its own authentication (tokens or session), which answers 401 in JSON
    instead of redirecting to the log-in page."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class SecondFactorRequired:
    """The log-in view only logs staff in after the second factor, so this is a second line of
    defence: a staff session that is authenticated but not verified (say, its device was reset
    by the administrator) is logged out, on pages and API alike."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not has_second_factor(user)
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            logout(request)
            if request.path.startswith("/api/"):
                return self.get_response(request)  # now anonymous: the API answers 401
            return redirect(reverse("accounts:login"))
        return self.get_response(request)


class PasswordChangeRequired:
    """Someone else chose this password: the owner replaces it before anything else."""

    ALLOWED = ("/password/", "/logout", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.must_change_password
            and not request.path.startswith(self.ALLOWED)
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(
                    {"detail": "Change your password in the browser first."}, status=403
                )
            return redirect(reverse("accounts:change_password"))
        return self.get_response(request)
