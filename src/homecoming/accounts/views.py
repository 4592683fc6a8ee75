"""Log-in with lock-out and a TOTP second factor (enrolled at first log-in), log-out, and the
system administrator's account pages."""

import base64
import time

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response as lockout_response
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import apply_errors, form_status
from homecoming.core.urls_safe import safe_next

from . import selectors, services
from .forms import CodeForm, LoginForm, NewStaffForm, StaffDetailsForm
from .models import Role, User

PENDING_KEY = "homecoming_pending_login"
PENDING_SECONDS = 300


@login_not_required
def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if user is None:
            form.add_error(None, "Wrong username or password.")
        elif user.needs_second_factor:
            # Not logged in yet: the session only remembers who passed the password step.
            request.session.cycle_key()
            request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "next": safe_next(request, ""),
            }
            return redirect("accounts:second_factor")
        else:
            login(request, user)
            return redirect(safe_next(request, "core:home"))
    status = form_status(request)
    return render(request, "accounts/login.html", {"form": form}, status=status)


def _pending_user(request):
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    return user, pending


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_not_required
def second_factor(request):
    user, pending = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, confirmed=False, defaults={"name": "Authenticator app"}
        )
    if not AxesProxyHandler.is_allowed(request, {"username": user.username}):
        # Locked out while between the two steps: the lock holds, whatever the code.
        request.session.flush()
        return lockout_response(request, None, {"username": user.username})
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            request.session.pop(PENDING_KEY, None)
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            return redirect(pending.get("next") or "core:home")
        # A wrong code counts towards the lock-out exactly like a wrong password.
        user_login_failed.send(
            sender=__name__, credentials={"username": user.username}, request=request
        )
        if getattr(request, "axes_locked_out", False):
            request.session.flush()
        form.add_error("code", "That code is not right. Check the time on your device and retry.")
    context = {"form": form, "enrolling": enrolling, "staff": user}
    if enrolling:
        context["qr_svg"] = mark_safe(_qr_svg(device.config_url))
        context["secret"] = base64.b32encode(device.bin_key).decode("ascii")
    status = form_status(request)
    return render(request, "accounts/second_factor.html", context, status=status)


def change_password(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(request.user, form.cleaned_data["new_password1"])
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            update_session_auth_hash(request, request.user)
            return redirect("core:home")
    context = {
        "form": form,
        "title": "Choose your own password",
        "submit": "Change password",
        "cancel_url": reverse("core:home"),
        "note": (
            "Someone else set your current password, so replace it with one only you know."
            if request.user.must_change_password
            else ""
        ),
    }
    return render(request, "simple_form.html", context, status=form_status(request))


@login_not_required
@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")


def staff_list(request):
    users = list(selectors.staff_accounts(request.user))
    enrolled = {u.pk for u in users if u.second_factor_enrolled}
    locked = {u.username for u in users if u.locked}
    return render(
        request,
        "accounts/staff_list.html",
        {"users": users, "enrolled": enrolled, "locked": locked},
    )


def staff_new(request):
    policy.require(request.user, Action.MANAGE_ACCOUNTS)
    form = NewStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_user(request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            return redirect("accounts:staff_list")
    status = form_status(request)
    context = {
        "form": form,
        "title": "New staff account",
        "submit": "Create account",
        "cancel_url": reverse("accounts:staff_list"),
        "note": "The new colleague sets up their authenticator app at their first log-in.",
    }
    return render(request, "simple_form.html", context, status=status)


def staff_edit(request, user_id):
    """An account's name, e-mail, role, flags and care-team default (never its username)."""
    policy.require(request.user, Action.MANAGE_ACCOUNTS)
    user = get_object_or_404(User.objects.exclude(role=Role.RESIDENT), pk=user_id)
    initial = {k: getattr(user, k) for k in services.EDITABLE}
    form = StaffDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(request.user, user, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            return redirect("accounts:staff_list")
    context = {
        "form": form,
        "title": f"Account {user.username}",
        "submit": "Save",
        "cancel_url": reverse("accounts:staff_list"),
        "note": "A new role that opens resident records is told to the program director and "
        "the oversight body.",
    }
    return render(request, "simple_form.html", context, status=form_status(request))


ACCOUNT_ACTIONS = {
    "deactivate": lambda actor, user: services.set_active(actor, user, False),
    "activate": lambda actor, user: services.set_active(actor, user, True),
    "reset_second_factor": services.reset_second_factor,
    "unlock": services.unlock,
}


@require_POST
def staff_action(request, user_id, action):
    policy.require(request.user, Action.MANAGE_ACCOUNTS)
    user = get_object_or_404(User, pk=user_id)
    handler = ACCOUNT_ACTIONS.get(action)
    if handler is None:
        return render(request, "400.html", {"message": f"Unknown action {action!r}."}, status=400)
    try:
        handler(request.user, user)
    except ValidationError as exc:
        return render(request, "400.html", {"message": " ".join(exc.messages)}, status=400)
    return redirect("accounts:staff_list")
