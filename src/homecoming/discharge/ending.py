"""What a discharge ends, inside its one transaction: the stay, the bed, the active orders, the
resident's future sessions and the alerts asking for work about them. Each change is saved with
its version and ledger entry, so a failure later in the transaction leaves none of them."""

from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.encounters.models import Attendance, SessionAttendee, SessionKind, SessionStatus
from homecoming.encounters.scheduling import CANCEL as SESSION_CANCEL
from homecoming.ledger import services as ledger
from homecoming.medications.models import Order
from homecoming.medications.orders import DISCONTINUE
from homecoming.residents.models import StayStatus

DISCHARGED = "Discharged"
SESSION_REASON = "The resident was discharged."
STAY_END = "stay.discharge"
BED_RELEASE = "bed.assign"  # the bed-board's own action: a release is a change of bed
RETURN_TO_DUTY_ALERT = "discharge_return_to_duty"


def _write(actor, action, row, resident_id, purpose):
    ledger.record_write(actor, action, row, resident_id=resident_id, purpose=purpose)


def end_stay(actor, plan, stay, purpose, *, now, left_on) -> dict:
    """End everything the stay held; returns what was ended, in words, for the summary."""
    resident = plan.resident
    stay.status = StayStatus.DISCHARGED
    stay.discharged_on = left_on
    stay.save(update_fields=["status", "discharged_on"])
    _write(actor, STAY_END, stay, resident.pk, purpose)

    beds = []
    for assignment in stay.bed_assignments.select_for_update().filter(released_at__isnull=True):
        assignment.released_at = now
        assignment.save(update_fields=["released_at"])
        _write(actor, BED_RELEASE, assignment, resident.pk, purpose)
        beds.append(str(assignment.bed))

    orders = []
    running = (
        Order.objects.select_for_update()
        .select_related("protocol")
        .filter(resident=resident, discontinued_at__isnull=True)
        .exclude(ends_at__lte=now)
    )
    for order in running:
        order.discontinued_at = now
        order.discontinued_by = actor
        order.discontinue_reason = DISCHARGED
        order.save(update_fields=["discontinued_at", "discontinued_by", "discontinue_reason"])
        _write(actor, DISCONTINUE, order, resident.pk, purpose)
        alerts.close_for(order, actor, "the resident was discharged", purpose=purpose)
        orders.append({"id": order.pk, "text": f"{order} {order.get_frequency_display()}"})

    sessions = []
    places = (
        SessionAttendee.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(
            resident=resident,
            session__status=SessionStatus.SCHEDULED,
            session__starts_at__gt=now,
        )
        .exclude(attendance=Attendance.CANCELLED)
    )
    for place in places:
        session = place.session
        if session.kind == SessionKind.INDIVIDUAL:
            # The session was for this resident alone: it goes off the calendar.
            session.status = SessionStatus.CANCELLED
            session.cancelled_at = now
            session.cancellation_reason = SESSION_REASON
            session.save(update_fields=["status", "cancelled_at", "cancellation_reason"])
            _write(actor, SESSION_CANCEL, session, resident.pk, purpose)
            alerts.close_for(session, actor, "the resident was discharged", purpose=purpose)
        # A group meets without them: only their place is cancelled.
        place.attendance = Attendance.CANCELLED
        place.save(update_fields=["attendance"])
        _write(actor, SESSION_CANCEL, place, resident.pk, purpose)
        when = timezone.localtime(session.starts_at)
        sessions.append(
            {
                "id": session.pk,
                "text": f"{session} on {dates.moment(when)}"
                + (" (their place)" if session.kind == SessionKind.GROUP else ""),
            }
        )
    return {"orders": orders, "sessions": sessions, "beds": beds}


def alert(plan):
    """A return to duty tells the oversight body and the program director at once."""
    if not plan.returns_to_duty:
        return
    message = (
        f"Resident #{plan.resident_id} was discharged to return to duty on "
        f"{dates.day(plan.stay.discharged_on)}; fitness assessed by "
        f"{plan.fitness_assessed_by}."
    )
    for role in (Role.OVERSIGHT, Role.PROGRAM_DIRECTOR):
        alerts.notify_role(
            role, kind=RETURN_TO_DUTY_ALERT, message=message, resident=plan.resident, about=plan
        )
