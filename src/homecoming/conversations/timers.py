"""Messages left unanswered, run by the worker (core/worker.py); running it twice does nothing
new.

A resident's message with no answer from their care team two working days after it was sent is
told to the supervisors, once per message (the alert about the message is the mark: alerts are
never deleted), naming the resident and their primary caseworker. A reply closes those alerts
(services.reply)."""

from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.residents.models import CareTeamMember, TeamRole

from .models import Message
from .selectors import UNANSWERED_AFTER_DAYS, first_unanswered
from .services import UNANSWERED_ALERT, working_days_after


def _caseworkers(resident_ids) -> dict:
    rows = CareTeamMember.objects.filter(
        resident_id__in=resident_ids,
        team_role=TeamRole.PRIMARY_CASEWORKER,
        ended_at__isnull=True,
    ).select_related("user")
    return {row.resident_id: row.user for row in rows}


def escalate_unanswered() -> list[Message]:
    now = timezone.now()
    late = [
        m
        for m in first_unanswered().select_related("resident", "thread").order_by("sent_at", "id")
        if working_days_after(m.sent_at, UNANSWERED_AFTER_DAYS) < now
    ]
    caseworkers = _caseworkers({m.resident_id for m in late})

    def words(message: Message) -> str:
        caseworker = caseworkers.get(message.resident_id)
        whose = f" (primary caseworker: {caseworker})" if caseworker else ""
        return (
            f"{message.resident.display_name}{whose} wrote to their care team on "
            f"{dates.moment_this_year(message.sent_at)} "
            f"(“{message.thread.subject}”) and no one has answered in two working "
            "days. See that someone does."
        )

    return alerts.notify_role_once_each(Role.SUPERVISOR, late, kind=UNANSWERED_ALERT, message=words)


def run() -> str | None:
    escalated = escalate_unanswered()
    if escalated:
        return f"{len(escalated)} unanswered message(s) told to the supervisors"
    return None
