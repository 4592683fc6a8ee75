"""Correction requests left unanswered, run by the worker (core/worker.py); running it twice does
nothing new.

HIPAA gives the center 60 days to answer a request to amend; one unanswered after 30 is told to
the supervisors, once per request (an alert about the request is the mark: alerts are never
deleted). Answering closes that alert (services.answer)."""

from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.core import dates

from .models import CorrectionRequest
from .selectors import unanswered
from .services import ANSWER_WITHIN, OVERDUE_ALERT, REMIND_AFTER


def _words(request: CorrectionRequest) -> str:
    return (
        f"{request.resident.display_name} asked on "
        f"{dates.day_this_year(request.filed_at)} for a correction of "
        f"{request.entry_label}, and nobody has answered in 30 days. The answer is "
        f"due by {dates.day(request.filed_at + ANSWER_WITHIN)}: see that it is given."
    )


def escalate_unanswered() -> list[CorrectionRequest]:
    late = unanswered().filter(filed_at__lt=timezone.now() - REMIND_AFTER)
    return alerts.notify_role_once_each(
        Role.SUPERVISOR,
        late.select_related("resident").order_by("filed_at", "id"),
        kind=OVERDUE_ALERT,
        message=_words,
    )


def run() -> str | None:
    escalated = escalate_unanswered()
    if escalated:
        return f"{len(escalated)} unanswered correction request(s) told to the supervisors"
    return None
