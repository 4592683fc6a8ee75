"""The overdue safety plan review, run by the worker (core/worker.py); running it twice does
nothing new.

A risk flag with no safety plan version signed within REVIEW_WITHIN (24 hours) of it is told to
the supervisors, once per flag (an alert about the flag is the mark: alerts are never deleted).
Signing a version closes those alerts (services.sign)."""

from django.db import transaction
from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.alerts.models import Alert
from homecoming.core import dates

from .models import RiskFlag
from .selectors import unreviewed
from .services import OVERDUE_ALERT, REVIEW_WITHIN


def escalate_overdue() -> list[RiskFlag]:
    told = Alert.objects.filter(kind=OVERDUE_ALERT, about_type="safetyplans.riskflag")
    already = set(told.values_list("about_id", flat=True))
    late = unreviewed().filter(raised_at__lt=timezone.now() - REVIEW_WITHIN)
    escalated = []
    for flag in late.select_related("resident").order_by("raised_at", "id"):
        if str(flag.pk) in already:
            continue
        with transaction.atomic():
            alerts.notify_role(
                Role.SUPERVISOR,
                kind=OVERDUE_ALERT,
                message=(
                    f"No safety plan has been signed with {flag.resident.display_name} since "
                    f"the risk flag of {dates.moment_this_year(flag.raised_at)}: the "
                    "review was due within 24 hours. See that it is done."
                ),
                resident=flag.resident,
                about=flag,
            )
        escalated.append(flag)
    return escalated


def run() -> str | None:
    escalated = escalate_overdue()
    if escalated:
        return f"{len(escalated)} overdue safety plan review(s) told to the supervisors"
    return None
