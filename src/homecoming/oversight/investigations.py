"""The oversight body's investigations: opened from a complaint or a safety signal, with
read-only grants to investigators for a fixed period, and closed with findings and
recommendations, the outcome told to the complainant.

A grant names the residents whose records the investigator may read, and/or the members of
staff whose ledger entries (everything they did) the investigator may read. Each resident named
is told: the grant is an entry on their record's ledger, read in their "who looked" list.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action, Purpose
from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident

from . import complaints
from .models import (
    ComplaintStatus,
    Grant,
    GrantScope,
    Investigation,
    InvestigationStatus,
)

OPEN = "investigation.open"
GRANT = "investigation.grant"
REVOKE = "investigation.revoke"
CLOSE = "investigation.close"
LONGEST_GRANT = dt.timedelta(days=180)


def _reference(now) -> str:
    year = timezone.localtime(now).year
    prefix = f"INV-{year}-"
    last = Investigation.objects.filter(reference__startswith=prefix).aggregate(
        last=Max("reference")
    )["last"]
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:03d}"


def open_investigation(actor, title: str, *, complaint=None, signal=None) -> Investigation:
    decision = policy.require(actor, Action.INVESTIGATE)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Give the investigation a title."})
    if complaint is None and signal is None:
        raise ValidationError("An investigation is opened from a complaint or a signal.")
    with transaction.atomic():
        now = timezone.now()
        investigation = Investigation.objects.create(
            reference=_reference(now),
            title=title[:200],
            complaint=complaint,
            signal=signal,
            opened_by=actor,
            opened_at=now,
            status=InvestigationStatus.OPEN,
        )
        ledger.record_write(actor, OPEN, investigation, resident_id=None, purpose=decision.purpose)
    if complaint is not None:
        complaint.refresh_from_db()
    if complaint is not None and ComplaintStatus.REFERRED in complaints.MOVES.get(
        ComplaintStatus(complaint.status), ()
    ):
        complaints.move(
            actor,
            complaint,
            ComplaintStatus.REFERRED,
            note=f"The oversight body opened investigation {investigation.reference}.",
        )
    return investigation


def grant_access(
    actor,
    investigation: Investigation,
    *,
    investigator,
    residents=(),
    staff=(),
    starts_at=None,
    expires_at,
    reason: str,
) -> Grant:
    decision = policy.require(actor, Action.INVESTIGATE)
    now = timezone.now()
    starts_at = starts_at or now
    errors = {}
    if investigation.status != InvestigationStatus.OPEN:
        errors["investigation"] = "The investigation is closed."
    if investigator is None or investigator.role != Role.INVESTIGATOR or not investigator.is_active:
        errors["investigator"] = "Choose an active investigator's account."
    residents = list(dict.fromkeys(residents))
    staff = list(dict.fromkeys(staff))
    if not residents and not staff:
        errors["residents"] = "Name at least one resident, or one member of staff."
    if any(s.role in (Role.RESIDENT, Role.INVESTIGATOR) for s in staff):
        errors["staff"] = "Name members of the center's staff only."
    if expires_at is None or expires_at <= starts_at:
        errors["expires_at"] = "A grant ends after it starts."
    elif expires_at - starts_at > LONGEST_GRANT:
        errors["expires_at"] = "A grant lasts at most 180 days; give another when needed."
    elif expires_at <= now:
        errors["expires_at"] = "A grant must end in the future."
    if not (reason or "").strip():
        errors["reason"] = "Say what the investigator needs the access for."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        grant = Grant.objects.create(
            investigation=investigation,
            investigator=investigator,
            granted_by=actor,
            granted_at=now,
            starts_at=starts_at,
            expires_at=expires_at,
            reason=reason.strip(),
        )
        ledger.record_write(actor, GRANT, grant, resident_id=None, purpose=decision.purpose)
        for resident in residents:
            row = GrantScope.objects.create(grant=grant, resident=resident)
            # The resident's disclosure: this entry is on their record's ledger.
            ledger.record_write(
                actor, GRANT, row, resident_id=resident.pk, purpose=Purpose.INVESTIGATION
            )
        for member in staff:
            row = GrantScope.objects.create(grant=grant, staff=member)
            ledger.record_write(actor, GRANT, row, resident_id=None, purpose=decision.purpose)
    until = timezone.localtime(expires_at)
    covered = [
        f"{n} {one if n == 1 else many}"
        for n, one, many in (
            (len(residents), "resident's record", "residents' records"),
            (len(staff), "member of staff's actions", "members of staff's actions"),
        )
        if n
    ]
    alerts.notify(
        [investigator],
        kind="investigation",
        message=f"{actor} gave you read-only access for {investigation.reference} "
        f"({' and '.join(covered)}) until {dates.moment(until)}.",
    )
    return grant


def revoke_grant(actor, grant: Grant, reason: str) -> Grant:
    decision = policy.require(actor, Action.INVESTIGATE)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the access ends early."})
    with transaction.atomic():
        grant = Grant.objects.select_for_update().get(pk=grant.pk)
        if grant.revoked_at is not None or grant.expires_at <= timezone.now():
            raise ValidationError("This grant has already ended.")
        grant.revoked_at, grant.revoked_by = timezone.now(), actor
        grant.save(update_fields=["revoked_at", "revoked_by"])
        ledger.record_write(actor, REVOKE, grant, resident_id=None, purpose=decision.purpose)
        alerts.notify(
            [grant.investigator],
            kind="investigation",
            message=f"{actor} revoked your access for {grant.investigation.reference}: "
            f"{reason.strip()}",
        )
    return grant


def close_investigation(
    actor, investigation: Investigation, *, findings, recommendations="", outcome=""
) -> Investigation:
    """Findings and recommendations recorded; open grants end; the complaint it came from is
    resolved with the outcome told to the complainant."""
    decision = policy.require(actor, Action.INVESTIGATE)
    findings, outcome = (findings or "").strip(), (outcome or "").strip()
    errors = {}
    if len(findings) < 20:
        errors["findings"] = "Record the findings (20 characters at least)."
    if investigation.complaint_id and len(outcome) < 20:
        errors["outcome"] = "Write what the complainant is told of the outcome."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        investigation = Investigation.objects.select_for_update().get(pk=investigation.pk)
        if investigation.status != InvestigationStatus.OPEN:
            raise ValidationError("This investigation is already closed.")
        investigation.status = InvestigationStatus.CLOSED
        investigation.findings = findings
        investigation.recommendations = (recommendations or "").strip()
        investigation.outcome_for_complainant = outcome
        investigation.closed_at, investigation.closed_by = now, actor
        investigation.save()
        ledger.record_write(actor, CLOSE, investigation, resident_id=None, purpose=decision.purpose)
        for grant in investigation.grants.filter(revoked_at__isnull=True, expires_at__gt=now):
            grant.revoked_at, grant.revoked_by = now, actor
            grant.save(update_fields=["revoked_at", "revoked_by"])
            ledger.record_write(actor, REVOKE, grant, resident_id=None, purpose=decision.purpose)
        complaint = investigation.complaint
        if complaint is not None:
            complaint.refresh_from_db()
        if complaint is not None and complaint.status not in (
            ComplaintStatus.RESOLVED,
            ComplaintStatus.CLOSED,
        ):
            if ComplaintStatus.RESOLVED not in complaints.MOVES[ComplaintStatus(complaint.status)]:
                complaints.move(actor, complaint, ComplaintStatus.INVESTIGATING)
                complaint.refresh_from_db()
            complaints.move(
                actor,
                complaint,
                ComplaintStatus.RESOLVED,
                outcome=f"Investigation {investigation.reference} by the oversight body: {outcome}",
            )
    return investigation


def residents_by_number(numbers) -> list[Resident]:
    """Residents named by record number (the oversight body sees no names)."""
    wanted = sorted({int(n) for n in numbers})
    found = {r.pk: r for r in Resident.objects.filter(pk__in=wanted)}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValidationError(
            {"residents": f"No resident record #{', #'.join(str(n) for n in missing)}."}
        )
    return [found[n] for n in wanted]
