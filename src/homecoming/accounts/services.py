"""Account management: creating staff, (de)activating, resetting a second factor, unlocking,
changing one's own password.

These are not resident data, but who changed whose account is still accounted for: each change
stores a version of the account (never its password) and a ledger entry. Every account created,
deactivated, reactivated or given a new role, and every reset second factor of a record-reading
account, is told to the program director and the oversight body, inactive ones included
(`overseers.py`: they get it when they return)."""

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.ledger import services as ledger

from . import overseers
from .models import Role, User


def record_account_change(actor, action, user):
    ledger.record_write(actor, action, user, resident_id=None, purpose="operations")


def tell_overseers(actor, message: str, *, operator: str | None = None):
    overseers.tell(actor, message, operator=operator)


def check_new_username(username: str) -> str:
    """A free username of letters, digits and @ . + - _ only (it is shown on many pages)."""
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": "Choose a username."})
    if len(username) > 150:
        raise ValidationError({"username": "Use at most 150 characters."})
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"The username {username!r} is taken."})
    return username


def check_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": f"{email!r} is not an e-mail address."}) from exc
    return email


def check_new_password(password: str, user: User):
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def create_user(
    actor,
    *,
    username,
    full_name,
    role,
    password,
    is_prescriber=False,
    is_medical_lead=False,
    is_trainee=False,
    email="",
    takes_new_residents=True,
    check_policy=True,
    must_change_password=True,
    operator: str | None = None,
    same_name_ok: bool | None = None,
) -> User:
    """Create a staff account. `check_policy=False` is for the operator's own CLI and the demo,
    run on the server. An account made for someone else must change its password first.
    Another account with the same full name is a warning: the page asks once more
    (`same_name_ok=False` refuses until ticked), the command line prints it (None), and the
    oversight body is told either way."""
    if check_policy:
        policy.require(actor, Action.MANAGE_ACCOUNTS)
    errors = {}
    try:
        username = check_new_username(username)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if role not in Role.values:
        errors["role"] = f"Unknown role {role!r}; choose one of: {', '.join(Role.values)}."
    elif role == Role.RESIDENT:
        errors["role"] = "Resident log-ins are given from the resident's chart (portal access)."
    if (is_prescriber or is_medical_lead) and role != Role.CLINICIAN:
        errors["role"] = "Only a clinician can be a prescriber or the medical lead."
    if is_medical_lead and User.objects.filter(is_medical_lead=True).exists():
        errors["is_medical_lead"] = "There is already a medical lead; step them down first."
    if is_trainee and role not in (Role.CASEWORKER, Role.CLINICIAN):
        errors["is_trainee"] = "Only caseworkers and clinicians are trainees."
    if not (full_name or "").strip():
        errors["full_name"] = "Give the person's full name."
    twin = overseers.duplicate_warning(full_name or "")
    if twin and same_name_ok is False:
        errors["same_name_ok"] = f"{twin} Tick this box to create it anyway."
    try:
        email = check_email(email)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    user = User(
        username=username,
        full_name=full_name.strip(),
        role=role,
        email=email,
        is_prescriber=is_prescriber,
        is_medical_lead=is_medical_lead,
        is_trainee=is_trainee,
        takes_new_residents=takes_new_residents,
        must_change_password=must_change_password,
    )
    check_new_password(password, user)
    user.set_password(password)
    # Not refused (two colleagues may share a name), but the watchers are told: a second
    # "Dana Director" is how an insider passes as someone else.
    try:
        with transaction.atomic():
            user.save()
            record_account_change(actor, "account.create", user)
            tell_overseers(
                actor,
                f"created the {user.get_role_display().lower()} account "
                f"{username!r} for {user.full_name}." + (f" {twin}" if twin else ""),
                operator=operator,
            )
    except IntegrityError as exc:
        raise ValidationError("That account conflicts with one created at the same time.") from exc
    return user


def _managed(actor, user: User):
    policy.require(actor, Action.MANAGE_ACCOUNTS)
    if user.role == Role.RESIDENT:
        # Resident accounts belong to the care side; the administrator sees no resident data.
        raise ValidationError("Resident log-ins are managed from the resident's chart.")


# What the account pages (and `homecoming center load`) may change on an existing account. The
# username stays: the ledger and every page name people by it.
EDITABLE = (
    "full_name",
    "email",
    "role",
    "is_prescriber",
    "is_medical_lead",
    "is_trainee",
    "takes_new_residents",
)


def update_user(
    actor, user: User, changes: dict, *, check_policy=True, operator: str | None = None
) -> bool:
    """Change an account's name, e-mail, role, flags and care-team default. Returns whether
    anything changed. Every change of role is told to the director and the oversight body (a
    new way into the records, or an overseer moved aside), and the last oversight officer or
    program director keeps their role."""
    if check_policy:
        _managed(actor, user)
    elif user.role == Role.RESIDENT:
        raise ValidationError("Resident log-ins are managed from the resident's chart.")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    merged = {k: getattr(user, k) for k in EDITABLE} | changes
    errors = {}
    merged["full_name"] = (merged["full_name"] or "").strip()
    if not merged["full_name"]:
        errors["full_name"] = "Give the person's full name."
    try:
        merged["email"] = check_email(merged["email"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    role = merged["role"]
    if role not in Role.values or role == Role.RESIDENT:
        errors["role"] = f"Unknown staff role {role!r}."
    elif role != user.role and user.pk == getattr(actor, "pk", None):
        errors["role"] = "You cannot change your own role."
    elif role != user.role and overseers.keeps_one(user, losing=True):
        errors["role"] = overseers.keeps_one(user, losing=True)
    if (merged["is_prescriber"] or merged["is_medical_lead"]) and role != Role.CLINICIAN:
        errors["role"] = "Only a clinician can be a prescriber or the medical lead."
    if (
        merged["is_medical_lead"]
        and User.objects.filter(is_medical_lead=True).exclude(pk=user.pk).exists()
    ):
        errors["is_medical_lead"] = "There is already a medical lead; step them down first."
    if merged["is_trainee"] and role not in (Role.CASEWORKER, Role.CLINICIAN):
        errors["is_trainee"] = "Only caseworkers and clinicians are trainees."
    if errors:
        raise ValidationError(errors)
    old_role = user.role
    try:
        with transaction.atomic():
            # NO KEY: the ledger's inserts check their key to the account (see Resident lock).
            user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
            changed = [k for k in EDITABLE if getattr(user, k) != merged[k]]
            if not changed:
                return False
            for key in changed:
                setattr(user, key, merged[key])
            user.save(update_fields=changed)
            record_account_change(actor, "account.update", user)
            if role != old_role:  # who may open records, or oversee them, changed
                tell_overseers(
                    actor,
                    f"changed the role of {user.username!r} ({user.full_name}) from "
                    f"{Role(old_role).label.lower()} to {user.get_role_display().lower()}.",
                    operator=operator,
                )
    except IntegrityError as exc:
        raise ValidationError("That change conflicts with one made at the same time.") from exc
    return True


def set_active(actor, user: User, active: bool) -> User:
    """Deactivate or reactivate an account, told to the watchers either way. The last active
    oversight officer or program director cannot be deactivated; an account coming back gets
    the alerts that waited for it."""
    _managed(actor, user)
    if user.pk == actor.pk and not active:
        raise ValidationError("You cannot deactivate your own account.")
    with transaction.atomic():
        # The role's active rows locked first, in one order, then this one: two administrators
        # deactivating the last two oversight officers at once are taken in turn (not both let
        # through, and no deadlock), and the second sees the first's change.
        list(
            User.objects.select_for_update(no_key=True)
            .filter(role=user.role, is_active=True)
            .order_by("pk")
        )
        user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        if user.is_active == active:
            return user
        overseers.require_keeps_one(user, losing=not active)
        user.is_active = active
        user.save(update_fields=["is_active"])
        record_account_change(actor, "account.activate" if active else "account.deactivate", user)
        tell_overseers(
            actor,
            f"{'reactivated' if active else 'deactivated'} the "
            f"{user.get_role_display().lower()} account {user.username!r} ({user.full_name}).",
        )
        if active:
            overseers.deliver_held(user)
    return user


def reset_second_factor(actor, user: User):
    """Remove the user's authenticator: they enrol a new one at their next log-in."""
    _managed(actor, user)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        record_account_change(actor, "account.reset_second_factor", user)
        if user.role in User.RECORD_ROLES:
            tell_overseers(actor, f"reset the second factor of {user.username!r} ({user}).")


def unlock(actor, user: User):
    _managed(actor, user)
    axes_reset(username=user.username)
    with transaction.atomic():
        record_account_change(actor, "account.unlock", user)


def change_own_password(user: User, new_password: str):
    """The owner replaces their password, and with it any password someone else chose."""
    check_new_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        record_account_change(user, "account.change_password", user)


def set_password_by_operator(user: User, new_password: str, *, operator: str):
    """The operator sets someone's password at the server (a forgotten one). The owner must
    replace it at their next log-in, and the watchers are told: a password someone else knows
    is a way into that person's records in their name."""
    if user.role == Role.RESIDENT:
        raise ValidationError("Resident log-ins are managed from the resident's chart.")
    check_new_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        record_account_change(None, "account.set_password", user)
        tell_overseers(
            None,
            f"set a new password for the {user.get_role_display().lower()} account "
            f"{user.username!r} ({user.full_name}).",
            operator=operator,
        )
