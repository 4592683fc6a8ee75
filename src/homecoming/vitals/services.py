"""Every write of vital signs: record a set, mark one entered in error.

Every problem with what was typed is named at once (a ValidationError keyed by field). A value
past a critical threshold (ranges.py) alerts the resident's care team on commit.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident

from . import words
from .models import VitalSigns
from .ranges import BY_FIELD, FIELDS, LATE_HOURS, MEASURES

RECORD = "vitals.record"
ENTERED_IN_ERROR = "vitals.entered_in_error"
ALERT_KIND = "vitals_critical"


@dataclass
class Reading:
    """A set as the form or the API gives it: each value as typed (None or "" when not taken)."""

    taken_at: dt.datetime | None = None  # None: now
    systolic: object = None
    diastolic: object = None
    pulse: object = None
    temperature: object = None
    respiratory_rate: object = None
    spo2: object = None
    weight: object = None
    pain: object = None
    note: str = ""


def _number(measure, raw):
    """The value as its exact type, or an error's words."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None, f"{measure.label}: type a number."
    if not value.is_finite():
        return None, f"{measure.label}: type a number."
    if measure.decimal:
        if value != value.quantize(Decimal("0.1")):
            return None, f"{measure.label}: one decimal place at most."
        value = value.quantize(Decimal("0.1"))
    else:
        if value != value.to_integral_value():
            return None, f"{measure.label}: a whole number."
        value = int(value)
    low, high = measure.plausible
    if not low <= value <= high:
        return (
            None,
            f"{measure.label} {value} {measure.unit} is not possible: between {low} and {high}.",
        )
    return value, None


def clean(reading: Reading, now: dt.datetime) -> dict:
    """The set's values, checked; every problem named at once."""
    errors, values = {}, {}
    for measure in MEASURES:
        value, error = _number(measure, getattr(reading, measure.field))
        if error:
            errors[measure.field] = error
        elif value is not None:
            values[measure.field] = value
    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    if "systolic" not in errors and "diastolic" not in errors:
        if (systolic is None) != (diastolic is None):
            missing = "diastolic" if systolic is not None else "systolic"
            errors[missing] = "A blood pressure has both numbers, systolic and diastolic."
        elif systolic is not None and diastolic >= systolic:
            errors["diastolic"] = (
                f"The diastolic ({diastolic}) must be below the systolic ({systolic})."
            )
    if not values and not errors:
        errors["__all__"] = "Enter at least one measure."
    taken_at = reading.taken_at or now
    if reading.taken_at is not None and timezone.is_naive(taken_at):
        taken_at = timezone.make_aware(taken_at)
    if taken_at > now + dt.timedelta(minutes=1):
        errors["taken_at"] = "Vital signs cannot be taken in the future."
    elif taken_at < now - dt.timedelta(hours=LATE_HOURS):
        errors["taken_at"] = (
            f"Charted more than {LATE_HOURS} hours late: record it in a note instead, "
            "with when it was taken."
        )
    note = " ".join((reading.note or "").split())
    if len(note) > 500:
        errors["note"] = "A note has at most 500 characters."
    if errors:
        raise ValidationError(errors)
    return {**values, "taken_at": min(taken_at, now), "note": note}


def record(actor, resident: Resident, reading: Reading) -> VitalSigns:
    """Record one set of vital signs taken of the resident."""
    decision = policy.require(actor, Action.RECORD_VITALS, resident)
    now = timezone.now()
    values = clean(reading, now)
    with transaction.atomic():
        row = VitalSigns.objects.create(
            resident=resident, recorded_by=actor, recorded_at=now, **values
        )
        ledger.record_write(actor, RECORD, row, resident_id=resident.pk, purpose=decision.purpose)
        critical = [(m, v, m.flag(v)) for m, v, f in row.readings() if f.startswith("critical")]
        if critical:
            said = ", ".join(f"{m.short} {words.value(m, v)} ({f})" for m, v, f in critical)
            alerts.notify_care_team(
                resident,
                kind=ALERT_KIND,
                message=(
                    f"{actor} recorded vital signs of {resident.display_name} past a critical "
                    f"threshold: {said}, taken {dates.moment_this_year(row.taken_at)}."
                ),
            )
    return row


def mark_entered_in_error(actor, vitals: VitalSigns, reason: str) -> VitalSigns:
    """A wrong set stays on the record, struck through and out of the charts, with the reason."""
    decision = policy.require(actor, Action.RECORD_VITALS, vitals.resident)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this set is wrong."})
    if len(reason) > 2000:
        raise ValidationError({"reason": "A reason has at most 2,000 characters."})
    with transaction.atomic():
        vitals = VitalSigns.objects.select_for_update().select_related("resident").get(pk=vitals.pk)
        if vitals.in_error:
            raise ValidationError(
                {"reason": f"Already marked entered in error by {vitals.error_by}."}
            )
        vitals.error_by, vitals.error_at, vitals.error_reason = actor, timezone.now(), reason
        vitals.save(update_fields=["error_by", "error_at", "error_reason"])
        ledger.record_write(
            actor,
            ENTERED_IN_ERROR,
            vitals,
            resident_id=vitals.resident_id,
            purpose=decision.purpose,
        )
    return vitals


__all__ = ["BY_FIELD", "FIELDS", "Reading", "mark_entered_in_error", "record"]
