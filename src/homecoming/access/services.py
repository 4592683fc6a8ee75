"""Break-glass: open a reasoned, time-boxed, flagged access to a resident outside one's caseload."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.alerts.services import notify_role
from homecoming.ledger import services as ledger

from . import policy
from .models import BreakGlass

MIN_REASON_LENGTH = 15


def break_glass_duration() -> timedelta:
    return timedelta(minutes=getattr(settings, "HOMECOMING_BREAK_GLASS_MINUTES", 240))


def open_break_glass(actor, resident, reason: str) -> BreakGlass:
    # The policy first: an attempt by someone who may never break glass is recorded whatever
    # reason they typed.
    decision = policy.require(actor, policy.Action.BREAK_GLASS, resident)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {"reason": f"Say why you need this record (at least {MIN_REASON_LENGTH} characters)."}
        )
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlass.objects.create(
            actor=actor,
            resident=resident,
            reason=reason,
            opened_at=now,
            expires_at=now + break_glass_duration(),
        )
        ledger.record_write(
            actor,
            policy.Action.BREAK_GLASS,
            grant,
            resident_id=resident.pk,
            purpose=decision.purpose,
        )
        notify_role(
            Role.SUPERVISOR,
            kind="break_glass",
            message=(
                f"{actor} ({actor.get_role_display()}) opened the record of resident "
                f"#{resident.pk} outside their care team. Reason: {reason}"
            ),
            resident=resident,
        )
    return grant


def break_glass_references(actor, resident_ids) -> dict[int, str]:
    """The break-glass each look under that purpose went through (ledger/looks.py names it in
    the entry, and the resident's "who looked" shows its reason)."""
    now = timezone.now()
    rows = BreakGlass.objects.filter(
        actor=actor, resident_id__in=resident_ids, expires_at__gt=now
    ).order_by("expires_at")
    return {row.resident_id: f"access.breakglass#{row.pk}" for row in rows}


def give_break_glass_reasons(entries):
    """Set `because` on each look through a break-glass: the reason its opener typed, which
    the ledger keeps only by reference (an entry holds no text)."""
    wanted = {}
    for entry in entries:
        via = entry.details.get("via", "") if entry.detail else ""
        if via.startswith("access.breakglass#"):
            wanted.setdefault(int(via.split("#")[1]), []).append(entry)
    for grant in BreakGlass.objects.filter(pk__in=wanted):
        for entry in wanted[grant.pk]:
            entry.because = grant.reason
    return entries
