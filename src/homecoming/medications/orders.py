"""Orders: a prescriber on the resident's care team orders a protocol, within its limits.

An order beyond the protocol is refused when it is written, not discovered at the bedside: a dose
above the single maximum, a frequency whose daily total passes the 24-hour maximum, or one whose
doses fall closer together than the minimum interval. The resident's consent to the protocol is
checked here too, and again at every dose; an investigational order alerts the oversight body
(investigational.py). An order is never edited: it is discontinued (with a reason) and, if need
be, written anew.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.alerts import services as alerts
from homecoming.consents import services as consents
from homecoming.ledger import services as ledger
from homecoming.residents.models import OPEN_STAY, Resident
from homecoming.safety import decisions

from . import allergies, ingredient_limits, investigational, schedule
from .doses import UnitMismatch, describe, parse_amount, to_unit
from .models import ROUTES_FOR_FORM, Frequency, Order, Protocol, Route

PRESCRIBE = "medication.prescribe"
DISCONTINUE = "medication.discontinue"
# How far back an order may start: a verbal order written up later the same day, no more.
LATEST_BACKDATING = dt.timedelta(hours=24)


@dataclass
class Prescription:
    protocol: Protocol
    dose_amount: str
    dose_unit: str
    route: str
    frequency: str
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    instructions: str = ""
    # Duplicate therapy seen and meant (ingredient_limits.check_order warns of it).
    acknowledge_duplicates: bool = False
    # A second clinician's co-signature past an interacting pair the formulary lists, or past
    # an allergy the resident has recorded.
    interaction_override: "ingredient_limits.InteractionOverride | None" = None


def consent_purpose(protocol):
    from homecoming.consents.models import ConsentPurpose

    if protocol.investigational:
        return ConsentPurpose.INVESTIGATIONAL
    return ConsentPurpose.MEDICATION


def _check(p: Prescription, now) -> dict:
    errors = {}
    protocol = p.protocol
    if protocol.retired_at is not None:
        errors["protocol"] = f"{protocol} is retired from the formulary."
    if p.route not in Route.values:
        errors["route"] = "Choose the route."
    elif p.route not in ROUTES_FOR_FORM[protocol.form]:
        errors["route"] = (
            f"A {protocol.get_form_display().lower()} cannot be given this way "
            f"({Route(p.route).label.lower()})."
        )
    if p.frequency not in Frequency.values:
        errors["frequency"] = "Choose how often."
    try:
        amount = parse_amount(p.dose_amount, "dose_amount")
        dose = to_unit(amount, p.dose_unit, protocol.limit_unit, protocol.strength)
    except UnitMismatch as exc:
        errors["dose_unit"] = exc.messages[0]
        dose = None
    except ValidationError as exc:
        errors.update(exc.message_dict)
        dose = None
    unit = protocol.limit_unit
    if dose is not None:
        single = to_unit(protocol.max_single_dose, unit, unit)
        daily = to_unit(protocol.max_daily_dose, unit, unit)
        if dose > single:
            errors["dose_amount"] = (
                f"{describe(dose, unit)} is more than {protocol}'s maximum single dose of "
                f"{describe(single, unit)}."
            )
        elif p.frequency in Frequency.values:
            per_day = schedule.doses_per_day(p.frequency)
            if dose * per_day > daily:
                errors["frequency"] = (
                    f"{Frequency(p.frequency).label} makes {describe(dose * per_day, unit)} a "
                    f"day, more than the maximum of {describe(daily, unit)} in 24 hours."
                )
    if p.frequency in Frequency.values and "frequency" not in errors:
        gap = schedule.shortest_gap(p.frequency)
        needed = dt.timedelta(minutes=protocol.min_interval_minutes)
        if gap is not None and gap < needed:
            errors["frequency"] = (
                f"{Frequency(p.frequency).label} puts doses {gap.total_seconds() / 3600:g} hours "
                f"apart; {protocol} needs at least {needed.total_seconds() / 3600:g}."
            )
    starts = p.starts_at or now
    if starts < now - LATEST_BACKDATING:
        errors["starts_at"] = "An order cannot start more than a day ago."
    if p.ends_at is not None and p.ends_at <= starts:
        errors["ends_at"] = "The end must come after the start."
    if len(p.instructions or "") > 2000:
        errors["instructions"] = "Instructions have at most 2,000 characters."
    return errors


def prescribe(actor, resident: Resident, prescription: Prescription) -> Order:
    decision = policy.require(actor, Action.PRESCRIBE, resident)
    now = timezone.now()
    errors = _check(prescription, now)
    decisions.refuse_order(errors, actor, resident, prescription.protocol, decision.purpose)
    if errors:
        # Named with the rest, so the prescriber learns of the allergy before fixing the dose
        # (it is asked again under the lock, below, for the order itself).
        allergic = allergies.meeting(resident.pk, prescription.protocol)
        if allergic and prescription.interaction_override is None:
            errors["allergy"] = allergies.order_stop_words(prescription.protocol, allergic)
        raise ValidationError(errors)
    protocol = prescription.protocol
    ingredient_limits.confirm_override(actor, resident, prescription.interaction_override)
    with (
        ingredient_limits.refusals_recorded(actor, resident, decision.purpose, prescription),
        transaction.atomic(),
    ):
        Resident.objects.lock(resident.pk)
        if not resident.stays.filter(OPEN_STAY).exists():
            raise ValidationError(f"{resident.display_name} has no open stay at the center.")
        try:
            consent = consents.require_consent(
                resident, consent_purpose(protocol), code=protocol.consent_code
            )
        except consents.ConsentMissing as exc:
            raise ValidationError(
                {
                    "protocol": f"{exc.messages[0]} Record the resident's consent on their "
                    "consents page first, if they give it; then write the order."
                }
            ) from exc
        investigational.check_order(actor, protocol, consent)
        # Every other order of the same ingredient, class or an interacting one, under the lock.
        # And the resident's allergies the product meets: a hard stop too, with the same override.
        allergic = allergies.meeting(resident.pk, protocol)
        allergy_words = allergies.order_stop_words(protocol, allergic) if allergic else ""
        findings = ingredient_limits.check_order(resident, prescription, now, allergy_words)
        order = Order.objects.create(
            resident=resident,
            protocol=protocol,
            dose_amount=parse_amount(prescription.dose_amount),
            dose_unit=prescription.dose_unit,
            route=prescription.route,
            frequency=prescription.frequency,
            starts_at=prescription.starts_at or now,
            ends_at=prescription.ends_at,
            instructions=(prescription.instructions or "").strip(),
            prescribed_by=actor,
            prescribed_at=now,
        )
        ledger.record_write(
            actor, PRESCRIBE, order, resident_id=resident.pk, purpose=decision.purpose
        )
        investigational.alert_ordered(actor, order)
        ingredient_limits.record_checks(actor, order, findings, decision.purpose)
        if allergic:
            allergies.record_overrides(
                actor,
                order,
                allergic,
                prescription.interaction_override,
                decision.purpose,
                allergy_words,
            )
    return order


def discontinue(actor, order: Order, reason: str) -> Order:
    decision = policy.require(actor, Action.PRESCRIBE, order.resident)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the order is stopped."})
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.discontinued_at is not None:
            raise ValidationError("This order is already discontinued.")
        order.discontinued_at = timezone.now()
        order.discontinued_by = actor
        order.discontinue_reason = reason
        order.save(update_fields=["discontinued_at", "discontinued_by", "discontinue_reason"])
        ledger.record_write(
            actor, DISCONTINUE, order, resident_id=order.resident_id, purpose=decision.purpose
        )
        # The review an allergy recorded since asked for is done.
        alerts.close_for(
            order,
            actor,
            "The order was discontinued.",
            purpose=decision.purpose,
            kind="allergy_order",
        )
    return order
