"""Account management: creating staff, (de)activating, resetting a second factor, unlocking.

These are not resident data, but who changed whose account is still accounted for: each change
stores a version of the account (never its password) and a ledger entry."""

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.ledger import services as ledger

from .models import Role, User


def _record(actor, action, user):
    ledger.record_write(actor, action, user, resident_id=None, purpose="operations")


def create_user(
    actor,
    *,
    username,
    full_name,
    role,
    password,
    is_prescriber=False,
    is_medical_lead=False,
    check_policy=True,
) -> User:
    """Create an account. `check_policy=False` is for the operator's own CLI, run on the server."""
    if check_policy:
        policy.require(actor, Action.MANAGE_ACCOUNTS)
    username = (username or "").strip()
    errors = {}
    if not username:
        errors["username"] = "Choose a username."
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = f"The username {username!r} is taken."
    if role not in Role.values:
        errors["role"] = f"Unknown role {role!r}; choose one of: {', '.join(Role.values)}."
    elif role == Role.RESIDENT:
        errors["role"] = "Resident log-ins are given from the resident's chart (portal access)."
    if (is_prescriber or is_medical_lead) and role != Role.CLINICIAN:
        errors["role"] = "Only a clinician can be a prescriber or the medical lead."
    if is_medical_lead and User.objects.filter(is_medical_lead=True).exists():
        errors["is_medical_lead"] = "There is already a medical lead; step them down first."
    if not (full_name or "").strip():
        errors["full_name"] = "Give the person's full name."
    if errors:
        raise ValidationError(errors)
    user = User(
        username=username,
        full_name=full_name.strip(),
        role=role,
        is_prescriber=is_prescriber,
        is_medical_lead=is_medical_lead,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            _record(actor, "account.create", user)
    except IntegrityError as exc:
        raise ValidationError("That account conflicts with one created at the same time.") from exc
    return user


def set_active(actor, user: User, active: bool) -> User:
    policy.require(actor, Action.MANAGE_ACCOUNTS)
    if user.pk == actor.pk and not active:
        raise ValidationError("You cannot deactivate your own account.")
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        _record(actor, "account.activate" if active else "account.deactivate", user)
    return user


def reset_second_factor(actor, user: User):
    """Remove the user's authenticator: they enrol a new one at their next log-in."""
    policy.require(actor, Action.MANAGE_ACCOUNTS)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        _record(actor, "account.reset_second_factor", user)


def unlock(actor, user: User):
    policy.require(actor, Action.MANAGE_ACCOUNTS)
    axes_reset(username=user.username)
    with transaction.atomic():
        _record(actor, "account.unlock", user)
