"""What every request passes before a view: a log-in, a session not older than its absolute
lifetime, a verified second factor for staff, and a password of one's own."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse

# Paths a logged-in but not yet verified staff member may reach.
OPEN_PREFIXES = ("/login", "/logout", "/static/")
# Paths machines read (the JSON API, FHIR): they authenticate for themselves and answer 401 or
# 403 in their own format, never a redirect to the log-in page.
MACHINE_PREFIXES = ("/api/", "/fhir/")


def has_second_factor(user) -> bool:
    """Residents log in with a password; staff only count as logged in once verified."""
    return not user.needs_second_factor or user.is_verified()


def fully_logged_in(user) -> bool:
    """A session that may act, as a machine request's would: the second factor verified and no
    password change owed."""
    return has_second_factor(user) and not user.must_change_password


class LoginRequired(LoginRequiredMiddleware):
    """Deny by default: every page needs a log-in unless marked @login_not_required.

    The API is left to its own authentication (tokens or session), which answers 401 in JSON
    instead of redirecting to the log-in page."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(MACHINE_PREFIXES):
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
            if request.path.startswith(MACHINE_PREFIXES):
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
            if request.path.startswith(MACHINE_PREFIXES):
                from django.http import JsonResponse

                return JsonResponse(
                    {"detail": "Change your password in the browser first."}, status=403
                )
            return redirect(reverse("accounts:change_password"))
        return self.get_response(request)


# --- absolute session lifetime --------------------------------------------------------------
# The idle timeout (SESSION_COOKIE_AGE, pushed forward by the activity stamp below) ends a
# session nobody uses; this ends one that is used all day, a log-in left open at a shared
# workstation where colleague after colleague clicks on: HOMECOMING_SESSION_HOURS after the
# password was typed, whatever happened since, the session ends and the next person logs in as
# themselves.
LOGGED_IN_AT = "homecoming_logged_in_at"
# When the session last showed activity. The session is saved only when it changes; moving this
# stamp once a minute is the change that pushes its expiry forward, so an active session stays
# open without being written on every request.
ACTIVE_AT = "homecoming_active_at"


@receiver(user_logged_in, dispatch_uid="homecoming.session_started")
def _stamp_log_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LOGGED_IN_AT] = time.time()


class SessionLifetime:
    """Logs out a session whose log-in is older than HOMECOMING_SESSION_HOURS: pages go to the
    log-in page saying why, the API answers 401 (the request goes on anonymous)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(LOGGED_IN_AT)
            now = time.time()
            if started is None:  # a session from before this rule: its clock starts now
                request.session[LOGGED_IN_AT] = now
            elif now - started > settings.HOMECOMING_SESSION_HOURS * 3600:
                logout(request)
                if request.path.startswith(MACHINE_PREFIXES):
                    return self.get_response(request)
                messages.info(
                    request,
                    f"You were logged out: a session lasts at most "
                    f"{settings.HOMECOMING_SESSION_HOURS:g} hours. Log in again to go on.",
                )
                return redirect(reverse("accounts:login"))
            last_active = request.session.get(ACTIVE_AT)
            if (
                last_active is None
                or now - last_active >= settings.HOMECOMING_SESSION_ACTIVITY_SECONDS
            ):
                request.session[ACTIVE_AT] = now
        return self.get_response(request)
