"""The overdue safety plan review, run by the worker (core/worker.py); running it twice does
nothing new.

A risk flag with no safety plan version signed within REVIEW_WITHIN (24 hours) of it is told to
the supervisors, once per flag (an alert about the flag is the mark: alerts are never deleted).
Signing a version closes those alerts (services.sign)."""

from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.core import dates

from .models import RiskFlag
from .selectors import unreviewed
from .services import OVERDUE_ALERT, REVIEW_WITHIN


def _words(flag: RiskFlag) -> str:
    return (
        f"No safety plan has been signed with {flag.resident.display_name} since "
        f"the risk flag of {dates.moment_this_year(flag.raised_at)}: the "
        "review was due within 24 hours. See that it is done."
    )


def escalate_overdue() -> list[RiskFlag]:
    late = unreviewed().filter(raised_at__lt=timezone.now() - REVIEW_WITHIN)
    return alerts.notify_role_once_each(
        Role.SUPERVISOR,
        late.select_related("resident").order_by("raised_at", "id"),
        kind=OVERDUE_ALERT,
        message=_words,
    )


def run() -> str | None:
    escalated = escalate_overdue()
    if escalated:
        return f"{len(escalated)} overdue safety plan review(s) told to the supervisors"
    return None
