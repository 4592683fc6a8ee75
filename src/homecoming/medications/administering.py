"""The administration record: a dose given, refused, held or missed, behind hard stops.

Giving a dose passes every stop or none: the resident in residence, the order active, consent to
the protocol in force at that moment, the dose within the order and the protocol's single
maximum, every 24-hour window within the protocol's maximum, the minimum interval kept, and a
witness for a controlled or investigational dose who is neither the nurse giving it nor the
prescriber (second_check.py). Every investigational dose given is told to the oversight body.
The checks run under a lock on the resident, so two nurses recording at once are taken one after
the other and the second sees the first's dose.

A product containing a substance the resident is allergic to is stopped too, unless its order was
written past that allergy with a co-signature (allergies.py).

A stopped dose is kept as a row of its own (DoseStop) with every rule it broke, on the ledger as
a refused attempt. Only the interval and an allergy yield, and only to a second clinician's
co-signature with a reason; that override alerts the program director and the oversight body.
Ceilings never yield.
"""

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts import reauth
from homecoming.accounts.models import Role, User
from homecoming.alerts import services as alerts
from homecoming.consents import services as consents
from homecoming.core import dates
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Outcome
from homecoming.residents.models import Resident, StayStatus
from homecoming.safety import decisions

from . import allergies, guard, ingredient_limits, investigational, schedule, second_check
from .doses import UnitMismatch, describe, parse_amount, to_unit
from .guard import Dose, Limits, Rule, Stop
from .models import Administration, AdministrationStatus, DoseStop, Order
from .orders import consent_purpose

ADMINISTER = "medication.administer"
WITNESS = "medication.witness"
OVERRIDE = "medication.override"
# A dose may be charted a while after it was given, never before.
LATEST_CHARTING = dt.timedelta(hours=12)


@dataclass
class Witness:
    """A second person at the bedside, confirming with their own password or code."""

    user: User
    secret: str


@dataclass
class Override:
    """A second clinician co-signs giving a dose inside the minimum interval, or despite a
    recorded allergy, and why."""

    cosigner: User
    secret: str
    reason: str


class DoseStopped(ValidationError):
    """The dose was not given: `stops` says why, `record` is the DoseStop row kept of it."""

    def __init__(self, stops: list[Stop], record: DoseStop | None):
        super().__init__({"dose": [s.message for s in stops]}, code="dose_stopped")
        self.stops = stops
        self.record = record

    @property
    def overridable(self) -> bool:
        return all(s.overridable for s in self.stops)


@dataclass
class _Attempt:
    order: Order
    amount: object  # Decimal as typed, or None when it was not a number
    unit: str
    at: dt.datetime
    scheduled_for: dt.datetime | None
    witness: User | None
    override: Override | None
    purpose: str


class _Refused(Exception):
    def __init__(self, stops):
        self.stops = stops


def limits_of(protocol) -> Limits:
    unit = protocol.limit_unit
    return Limits(
        unit=unit,
        max_single=to_unit(protocol.max_single_dose, unit, unit),
        max_daily=to_unit(protocol.max_daily_dose, unit, unit),
        min_interval=dt.timedelta(minutes=protocol.min_interval_minutes),
    )


def given_doses(resident_id, protocol, around: dt.datetime, reach: dt.timedelta) -> list[Dose]:
    """Doses of `protocol` given to the resident within `reach` of `around`, in its limit unit."""
    rows = Administration.objects.filter(
        resident_id=resident_id,
        order__protocol=protocol,
        status=AdministrationStatus.GIVEN,
        at__gt=around - reach,
        at__lt=around + reach,
    ).values_list("at", "dose_amount", "dose_unit")
    return [
        Dose(at, to_unit(amount, unit, protocol.limit_unit, protocol.strength))
        for at, amount, unit in rows
    ]


def _check_time(at, now, field_name="at"):
    if at > now:
        raise ValidationError({field_name: "A dose cannot be recorded before it happens."})
    if at < now - LATEST_CHARTING:
        raise ValidationError(
            {field_name: "Doses are charted within 12 hours; tell the medical lead of older ones."}
        )


# A scheduled dose may be given from this long before its time: a round is not to the minute,
# but the 20:00 dose given at five in the afternoon is a different dose, not an early one.
EARLIEST_BEFORE_DUE = dt.timedelta(hours=1)


def _check_scheduled(order, scheduled_for, at=None):
    if scheduled_for is not None and not schedule.is_scheduled(order, scheduled_for):
        raise ValidationError({"scheduled_for": "That is not a dose time of this order."})
    if scheduled_for is not None and at is not None and at < scheduled_for - EARLIEST_BEFORE_DUE:
        due = timezone.localtime(scheduled_for)
        earliest = timezone.localtime(scheduled_for - EARLIEST_BEFORE_DUE)
        raise ValidationError(
            {
                "at": f"The {dates.time_of_day(due)} dose may be given from "
                f"{dates.time_of_day(earliest)}; it is not due yet. A dose needed now is one for "
                "an as-needed order."
            }
        )


WITNESS_ROLES = "a caseworker, clinician, supervisor or the program director"


def _confirm(person, secret, action, target, field, actor):
    """The second person confirms with their own password or code, typed in `actor`'s session:
    a wrong one counts against that session, never against the person named (issue 13), and
    the answer is the same whether the log-in exists or the secret is wrong."""
    wrong = reauth.WRONG_SECOND_PERSON
    reauth.confirm(person, secret, action=action, target=target, field=field, wrong=wrong, by=actor)


def _check_second_person(person, actor, field_name, what, roles, roles_words):
    if person is None or not person.is_active:
        raise ValidationError({field_name: f"{what} must be an active member of the staff."})
    if person.role not in roles:
        role = person.get_role_display().lower()
        raise ValidationError({field_name: f"{what} must be {roles_words}; {person} is a {role}."})
    if person.pk == actor.pk:
        raise ValidationError({field_name: f"{what} must be someone other than you."})


def _stops_needing_the_database(attempt: _Attempt, resident: Resident) -> list[Stop]:
    order = Order.objects.select_related("protocol").get(pk=attempt.order.pk)
    protocol = order.protocol
    stops = []
    if not resident.stays.filter(status=StayStatus.IN_RESIDENCE).exists():
        stops.append(Stop(Rule.NOT_IN_RESIDENCE, f"{resident.display_name} is not in residence."))
    if not order.active_at(attempt.at):
        stops.append(Stop(Rule.ORDER_NOT_ACTIVE, _inactive(order, attempt.at)))
    purpose, code = consent_purpose(protocol), protocol.consent_code
    if consents.active_consent(resident, purpose, code=code, at=attempt.at) is None:
        try:
            consents.require_consent(resident, purpose, code=code)
        except consents.ConsentMissing as exc:
            stops.append(Stop(Rule.NO_CONSENT, exc.messages[0]))
        else:  # in force now, but not yet (or no longer) when the dose was given
            stops.append(
                Stop(Rule.NO_CONSENT, f"{resident.display_name} had no active consent then.")
            )
    met = allergies.not_overridden(order, allergies.meeting(resident.pk, protocol))
    if met:
        stops.append(Stop(Rule.ALLERGY, allergies.dose_stop_words(order, met)))
    if attempt.scheduled_for is not None:
        earlier = Administration.objects.filter(
            order=order, scheduled_for=attempt.scheduled_for
        ).first()
        if earlier is not None:
            stops.append(Stop(Rule.ALREADY_RECORDED, _already(earlier)))
    return stops


def _inactive(order, at) -> str:
    if order.discontinued_at is not None and order.discontinued_at <= at:
        return f"The order was discontinued: {order.discontinue_reason}"
    if at < order.starts_at:
        return "The order has not started yet."
    return "The order has ended."


def _already(row: Administration) -> str:
    local = timezone.localtime(row.recorded_at)
    return (
        f"This dose was already recorded as {row.get_status_display().lower()} by "
        f"{row.recorded_by} at {dates.time_of_day(local)}."
    )


def _dose_stops(attempt: _Attempt, protocol) -> list[Stop]:
    if attempt.amount is None:
        return []
    try:
        amount = to_unit(attempt.amount, attempt.unit, protocol.limit_unit, protocol.strength)
    except UnitMismatch as exc:
        return [Stop(Rule.UNIT, exc.messages[0])]
    limits = limits_of(protocol)
    ordered = to_unit(
        attempt.order.dose_amount, attempt.order.dose_unit, protocol.limit_unit, protocol.strength
    )
    reach = max(guard.WINDOW, limits.min_interval)
    given = given_doses(attempt.order.resident_id, protocol, attempt.at, reach)
    stops = guard.dose_stops(limits, ordered, Dose(attempt.at, amount), given)
    # The ingredient's ceilings across every order of it, not only this protocol's doses.
    return stops + ingredient_limits.dose_stops(
        attempt.order, attempt.amount, attempt.unit, attempt.at, stops
    )


def give(
    actor,
    order: Order,
    *,
    dose_amount,
    dose_unit: str,
    at: dt.datetime | None = None,
    scheduled_for: dt.datetime | None = None,
    witness: Witness | None = None,
    override: Override | None = None,
) -> Administration:
    """Record a dose given, or raise DoseStopped (after keeping the stopped attempt)."""
    resident = order.resident
    decision = policy.require(actor, Action.ADMINISTER, resident)
    now = timezone.now()
    at = at or now
    _check_time(at, now)
    _check_scheduled(order, scheduled_for, at)
    amount = parse_amount(dose_amount, "dose_amount")
    protocol = order.protocol
    target = ledger.Target.of(order, resident_id=resident.pk)
    # The secret first: who may witness is said only to someone who knows the person's secret.
    if witness is not None:
        _confirm(witness.user, witness.secret, WITNESS, target, "witness_secret", actor)
        _check_second_person(
            witness.user, actor, "witness", "The witness", User.RECORD_ROLES, WITNESS_ROLES
        )
    if override is not None:
        if not (override.reason or "").strip():
            raise ValidationError({"override_reason": "Say why the dose cannot wait."})
        _confirm(override.cosigner, override.secret, OVERRIDE, target, "cosigner_secret", actor)
        _check_second_person(
            override.cosigner, actor, "cosigner", "The co-signer", (Role.CLINICIAN,), "a clinician"
        )
    attempt = _Attempt(
        order=order,
        amount=amount,
        unit=dose_unit,
        at=at,
        scheduled_for=scheduled_for,
        witness=witness.user if witness else None,
        override=override,
        purpose=decision.purpose,
    )
    try:
        with transaction.atomic():
            # One nurse at a time per resident: the second waits here, then sees the first dose.
            resident = Resident.objects.lock(resident.pk)
            stops = _stops_needing_the_database(attempt, resident)
            stops += _dose_stops(attempt, protocol)
            stops += decisions.dose_stops(protocol)  # a suspended drug: no dose, whoever asks
            if protocol.needs_witness and attempt.witness is None:
                kind = "an investigational" if protocol.investigational else "a controlled"
                stops.append(Stop(Rule.NO_WITNESS, f"{protocol} is {kind} drug: a witness signs."))
            stops += second_check.stops(order, attempt.witness)
            overriding = bool(stops) and override is not None and all(s.overridable for s in stops)
            if stops and not overriding:
                raise _Refused(stops)
            row = Administration.objects.create(
                resident=resident,
                order=order,
                status=AdministrationStatus.GIVEN,
                scheduled_for=scheduled_for,
                at=at,
                dose_amount=amount,
                dose_unit=dose_unit,
                recorded_by=actor,
                recorded_at=now,
                witness=attempt.witness,
                override_cosigner=override.cosigner if overriding else None,
                override_reason=override.reason.strip() if overriding else "",
            )
            entry = ledger.record_write(
                actor, ADMINISTER, row, resident_id=resident.pk, purpose=decision.purpose
            )
            _countersign(row, entry, attempt.witness, override if overriding else None)
            if overriding:
                _alert_override(actor, row, stops, override)
            investigational.alert_given(actor, row)
    except _Refused as refused:
        raise DoseStopped(refused.stops, _keep_stopped(actor, attempt, refused.stops)) from None
    except IntegrityError:  # the same scheduled dose, recorded at the same moment elsewhere
        stop = Stop(Rule.ALREADY_RECORDED, "This dose was recorded by someone else just now.")
        raise DoseStopped([stop], _keep_stopped(actor, attempt, [stop])) from None
    return row


def _countersign(row, entry, witness, override):
    """The witness and the co-signer act in their own names: an entry each, on the same version."""
    target = ledger.Target.of(row, resident_id=row.resident_id, version_sha256=entry.version_sha256)
    for person, action in ((witness, WITNESS), (override and override.cosigner, OVERRIDE)):
        if person is not None:
            ledger.append(person, action, target, purpose=entry.purpose)


def _alert_override(actor, row, stops, override):
    resident = row.resident
    reason = row.override_reason.strip()
    reason += "" if reason.endswith((".", "!", "?")) else "."
    past = " and ".join(PASSED[s.rule] for s in stops)
    message = (
        f"{actor} gave {resident.display_name} {row.order.protocol.drug} "
        f"{describe(Fraction(row.dose_amount), row.dose_unit)} {past}, "
        f"co-signed by {override.cosigner}: “{reason}” " + " ".join(s.message for s in stops)
    )
    # One event for both roles: whoever acknowledges first stops its escalation.
    people = User.objects.filter(is_active=True, role__in=(Role.PROGRAM_DIRECTOR, Role.OVERSIGHT))
    alerts.notify(people, kind="medication_override", message=message, resident=resident)


# What an override passed, in the alert's words (every overridable rule).
PASSED = {Rule.INTERVAL: "inside the minimum interval", Rule.ALLERGY: "despite a recorded allergy"}
CEILINGS = {
    Rule.ABOVE_ORDER,
    Rule.ABOVE_SINGLE_MAXIMUM,
    Rule.ABOVE_DAILY_MAXIMUM,
    Rule.ABOVE_INGREDIENT_SINGLE,
    Rule.ABOVE_INGREDIENT_DAILY,
}
# Stopped doses the medical lead hears of: a ceiling reached, or an allergen about to be given.
TOLD_TO_THE_LEAD = CEILINGS | {Rule.ALLERGY}


def _keep_stopped(actor, attempt: _Attempt, stops) -> DoseStop:
    """The stopped attempt, kept and on the ledger as refused, in a transaction of its own (the
    attempt's own was rolled back). A dose stopped at a ceiling also alerts the medical lead."""
    with transaction.atomic():
        record = DoseStop.objects.create(
            resident_id=attempt.order.resident_id,
            order=attempt.order,
            scheduled_for=attempt.scheduled_for,
            at=attempt.at,
            dose_amount=attempt.amount,
            dose_unit=(attempt.unit or "")[:16],
            attempted_by=actor,
            attempted_at=timezone.now(),
            stops=[s.as_json() for s in stops],
            override_requested=attempt.override is not None,
        )
        ledger.record_write(
            actor,
            ADMINISTER,
            record,
            resident_id=record.resident_id,
            purpose=attempt.purpose,
            outcome=Outcome.DENIED,
        )
        if any(s.rule in TOLD_TO_THE_LEAD for s in stops):
            lead = User.objects.filter(is_medical_lead=True, is_active=True)
            resident = attempt.order.resident
            message = (
                f"A dose of {attempt.order.protocol.drug} for {resident.display_name} was "
                f"stopped: " + " ".join(s.message for s in stops if s.rule in TOLD_TO_THE_LEAD)
            )
            alerts.notify(lead, kind="dose_stopped", message=message, resident=resident)
    return record


def not_given(
    actor, order: Order, *, status: str, scheduled_for: dt.datetime, reason: str = ""
) -> Administration:
    """A scheduled dose refused by the resident, held (with the reason), or missed."""
    resident = order.resident
    decision = policy.require(actor, Action.ADMINISTER, resident)
    if status not in (
        AdministrationStatus.REFUSED,
        AdministrationStatus.HELD,
        AdministrationStatus.MISSED,
    ):
        raise ValidationError({"status": "Choose refused, held or missed."})
    reason = (reason or "").strip()
    if status == AdministrationStatus.HELD and not reason:
        raise ValidationError({"reason": "Say why the dose is held."})
    if scheduled_for is None:
        raise ValidationError({"scheduled_for": "Choose the dose time this is about."})
    _check_scheduled(order, scheduled_for)
    now = timezone.now()
    try:
        with transaction.atomic():
            Resident.objects.lock(resident.pk)
            earlier = Administration.objects.filter(order=order, scheduled_for=scheduled_for)
            if earlier.exists():
                raise ValidationError({"scheduled_for": _already(earlier.first())})
            row = Administration.objects.create(
                resident=resident,
                order=order,
                status=status,
                scheduled_for=scheduled_for,
                at=now,
                reason=reason,
                recorded_by=actor,
                recorded_at=now,
            )
            ledger.record_write(
                actor, ADMINISTER, row, resident_id=resident.pk, purpose=decision.purpose
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"scheduled_for": "This dose was recorded by someone else just now."}
        ) from exc
    return row
