"""Follow-up work: recording contact attempts, marking a former resident lost to follow-up,
closing that only with a reason, and the program director's follow-up days.

Policy first (a denial is committed on its own), then the write, its version and ledger entry,
and any alert, in one transaction. Three failed attempts in a row (across the person's contacts
of one discharge) mark the person lost: nobody has reached them for three tries, and the program
director and the oversight body must know, not only the team that failed to reach them.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.ledger import services as ledger
from homecoming.residents.models import Program

from . import schedule
from .models import Attempt, AttemptOutcome, Contact, ContactStatus, Lost, Method, ProgramSchedule

FAILURES_IN_A_ROW = 3
LOST_ALERT = "follow_up_lost"
LOST_CLOSED_ALERT = "follow_up_lost_closed"
# Attempts go on a contact still open; a missed one too (reaching the person late still counts
# for the record, and lets a supervisor close "lost" with that reason).
OPEN_FOR_ATTEMPTS = {ContactStatus.DUE, ContactStatus.MISSED}


def _lost_message(resident, because: str, *, named: bool) -> str:
    who = resident.display_name if named else f"Former resident #{resident.pk}"
    return f"{who} is lost to follow-up ({because}): find them, or close it with a reason."


def mark_lost(plan, resident, because: str, *, actor, purpose) -> Lost | None:
    """Open "lost to follow-up" for the discharge (once: while one is open, nothing new) and
    alert the program director, the oversight body and the supervisors. In the caller's
    transaction."""
    if Lost.objects.select_for_update().filter(discharge=plan, closed_at__isnull=True).exists():
        return None
    lost = Lost.objects.create(
        discharge=plan, resident=resident, because=because, marked_at=timezone.now()
    )
    ledger.record_write(actor, "followup.lost", lost, resident_id=resident.pk, purpose=purpose)
    for role in (Role.PROGRAM_DIRECTOR, Role.SUPERVISOR):
        alerts.notify_role(
            role,
            kind=LOST_ALERT,
            message=_lost_message(resident, because, named=True),
            resident=resident,
            about=lost,
        )
    # The oversight body does not open resident records: the number tells it someone vanished,
    # and an investigation opens the rest.
    alerts.notify_role(
        Role.OVERSIGHT, kind=LOST_ALERT, message=_lost_message(resident, because, named=False)
    )
    return lost


def _failures_in_a_row(plan) -> int:
    """Failed attempts since the last one that was not a failure, or since "lost" was last
    closed (a closed episode does not count towards the next)."""
    attempts = Attempt.objects.filter(contact__discharge=plan).order_by("-made_at", "-id")
    closed = (
        Lost.objects.filter(discharge=plan, closed_at__isnull=False)
        .order_by("-closed_at")
        .values_list("closed_at", flat=True)
        .first()
    )
    if closed is not None:
        attempts = attempts.filter(made_at__gt=closed)
    count = 0
    for outcome in attempts.values_list("outcome", flat=True)[:FAILURES_IN_A_ROW]:
        if outcome not in AttemptOutcome.failed():
            break
        count += 1
    return count


def record_attempt(actor, contact: Contact, *, method: str, outcome: str, notes: str = ""):
    """One try at a contact. Reached: the contact is made. The third failure in a row: lost."""
    decision = policy.require(actor, Action.RECORD_FOLLOW_UP, contact.resident)
    errors = {}
    if method not in Method.values or method == Method.CHECK_IN:
        # A check-in is recorded by the former resident's own link, never typed in by staff.
        errors["method"] = "Choose how you tried: phone call, message or visit."
    if outcome not in AttemptOutcome.values:
        errors["outcome"] = "Choose what came of it."
    if len(notes) > 5000:
        errors["notes"] = "Notes are at most 5000 characters."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if contact.status not in OPEN_FOR_ATTEMPTS:
            raise ValidationError(
                {"contact": f"This contact is {contact.get_status_display().lower()} already."}
            )
        now = timezone.now()
        attempt = Attempt.objects.create(
            contact=contact,
            resident=contact.resident,
            method=method,
            outcome=outcome,
            notes=notes.strip(),
            made_by=actor,
            made_at=now,
        )
        purpose = decision.purpose
        ledger.record_write(
            actor, "followup.attempt", attempt, resident_id=contact.resident_id, purpose=purpose
        )
        if outcome == AttemptOutcome.REACHED and contact.status == ContactStatus.DUE:
            made(contact, now, actor=actor, purpose=purpose)
        if outcome in AttemptOutcome.failed():
            plan = contact.discharge
            if _failures_in_a_row(plan) >= FAILURES_IN_A_ROW:
                mark_lost(
                    plan,
                    contact.resident,
                    f"{FAILURES_IN_A_ROW} failed attempts in a row",
                    actor=actor,
                    purpose=purpose,
                )
    return attempt


def made(contact: Contact, when, *, actor, purpose):
    """The contact is made (in the caller's transaction, the contact locked)."""
    contact.status = ContactStatus.MADE
    contact.made_at = when
    contact.save(update_fields=["status", "made_at"])
    ledger.record_write(
        actor, "followup.made", contact, resident_id=contact.resident_id, purpose=purpose
    )
    alerts.close_for(contact, actor, "the follow-up contact was made", purpose=purpose)


def close_lost(actor, lost: Lost, reason: str) -> Lost:
    """Close "lost to follow-up": a supervisor or the director, always with a reason (found
    again, moved abroad, died; the database refuses a closing without one too)."""
    decision = policy.require(actor, Action.CLOSE_LOST, lost.resident)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why lost to follow-up is closed."})
    with transaction.atomic():
        lost = Lost.objects.select_for_update().get(pk=lost.pk)
        if lost.closed_at is not None:
            raise ValidationError({"reason": "This was closed already."})
        lost.closed_at = timezone.now()
        lost.closed_by = actor
        lost.closed_reason = reason
        lost.save(update_fields=["closed_at", "closed_by", "closed_reason"])
        ledger.record_write(
            actor,
            "followup.close_lost",
            lost,
            resident_id=lost.resident_id,
            purpose=decision.purpose,
        )
        alerts.close_for(lost, actor, "lost to follow-up closed", purpose=decision.purpose)
        _tell_closed(actor, lost)
    return lost


def _tell_closed(actor, lost: Lost):
    """A supervisor closing "lost" also closes the director's alert about it: so the director is
    told who closed it and why (a supervisor cannot make a vanished person disappear from the
    director's view with a made-up reason). The oversight body is told who closed it and when,
    by number and without the reason (free text that may name the person, whose record it does
    not open; an investigation reads the reason on the record)."""
    resident = lost.resident
    by = f"closed by {actor.full_name} ({actor.get_role_display().lower()})"
    if actor.role != Role.PROGRAM_DIRECTOR:
        alerts.notify_role(
            Role.PROGRAM_DIRECTOR,
            kind=LOST_CLOSED_ALERT,
            message=f"Lost to follow-up of {resident.display_name} {by}: {lost.closed_reason}",
            resident=resident,
        )
    alerts.notify_role(
        Role.OVERSIGHT,
        kind=LOST_CLOSED_ALERT,
        message=f"Lost to follow-up of former resident #{resident.pk} {by}, with a reason.",
    )


def set_program_days(actor, program: Program, days) -> ProgramSchedule:
    """The program director sets a program's follow-up days (for discharges from now on)."""
    decision = policy.require(actor, Action.MANAGE_CENTER)
    try:
        days = schedule.check_days(days)
    except ValueError as exc:
        raise ValidationError({"days": str(exc)}) from None
    with transaction.atomic():
        row = ProgramSchedule.objects.select_for_update().filter(program=program).first()
        if row is None:
            row = ProgramSchedule.objects.create(program=program, days=days)
        else:
            row.days = days
            row.save(update_fields=["days"])
        ledger.record_write(
            actor, "followup.program_days", row, resident_id=None, purpose=decision.purpose
        )
    return row
