"""Account changes told to the people who watch the system administrator: the oversight body and
the program director.

The abuse this stops: the sysadmin deactivates the director and the oversight officer, creates
an account for themself, and reactivates both; alerts went only to active accounts, so nobody
heard. Now every account created, (de)activated, given a new role or an API token from the
command line is an alert to every oversight and director account, *active or not*: an inactive
one keeps it, it is e-mailed when the account returns (`deliver_held`), and while it waits
unread the alerts' escalation takes it up the line as an unacknowledged critical alert
(alerts/escalation.py, kinds in `ESCALATES_WHEN_HELD`). And the last active oversight or
director account cannot be deactivated at all (`keeps_one`)."""

from django.core.exceptions import ValidationError

from homecoming.alerts import mail
from homecoming.alerts.models import Alert
from homecoming.alerts.services import notify

from .models import Role, User

KIND = "account"
# Roles a center always keeps one active account of, and who hears of every account change.
WATCHERS = (Role.OVERSIGHT, Role.PROGRAM_DIRECTOR)


def name_of(actor, operator=None) -> str:
    if operator is not None:
        return operator
    if actor is None:
        return "The operator (command line)"
    return f"{actor.full_name or actor.username} ({actor.get_role_display().lower()})"


def tell(actor, message: str, *, operator: str | None = None) -> list[Alert]:
    """One alert event to every oversight officer and program director, inactive ones included
    (they get it when they return). Call inside the change's transaction."""
    watchers = list(User.objects.filter(role__in=WATCHERS).order_by("pk"))
    return notify(watchers, kind=KIND, message=f"{name_of(actor, operator)} {message}")


def keeps_one(user: User, *, losing: bool) -> str:
    """The refusal, if `user` is the last active account of a watching role and is about to stop
    being one (deactivated, or given another role); empty otherwise."""
    if not losing or user.role not in WATCHERS or not user.is_active:
        return ""
    others = User.objects.filter(role=user.role, is_active=True).exclude(pk=user.pk)
    if others.exists():
        return ""
    return (
        f"{user} is the last active {user.get_role_display().lower()}; the center cannot be "
        "left without one."
    )


def require_keeps_one(user: User, *, losing: bool):
    refusal = keeps_one(user, losing=losing)
    if refusal:
        raise ValidationError(refusal)


def deliver_held(user: User):
    """An account back in service: e-mail the alerts that waited for it (on commit). They were
    on its alerts page all along; the e-mail is what an inactive account did not get."""
    held = list(Alert.objects.filter(recipient=user, read_at__isnull=True, emailed_at__isnull=True))
    mail.send_on_commit(held)
    return held


def same_name(full_name: str, *, exclude_pk=None) -> list[User]:
    """Other accounts with this full name (case and spacing aside): a second 'Dana Director' is
    how an insider passes as someone else on every page that names people."""
    wanted = " ".join((full_name or "").split()).casefold()
    if not wanted:
        return []
    candidates = User.objects.exclude(role=Role.RESIDENT).exclude(pk=exclude_pk)
    # Compared in Python: "Dana  Director" and "dana director" are the same name on a page.
    return [u for u in candidates if " ".join(u.full_name.split()).casefold() == wanted]


def duplicate_warning(full_name: str, *, exclude_pk=None) -> str:
    twins = same_name(full_name, exclude_pk=exclude_pk)
    if not twins:
        return ""
    names = ", ".join(f"{u.username} ({u.get_role_display().lower()})" for u in twins)
    return f"Another account already has the full name {full_name.strip()!r}: {names}."
