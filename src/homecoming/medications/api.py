"""Medications over JSON: the formulary, orders, the administration record and the shift's round.

The same services and selectors as the pages, so the same permissions, hard stops and ledger
entries. Amounts travel as strings both ways ("2.5", never 2.5): a float would round a dose, and
the services parse exactly what was typed. A dose the hard stops refuse is a 409 (the record as
it stands refuses it; 422 is only for a request not as described) that names every rule it
broke, whether a co-signed override could pass it, and the id of the stopped attempt the record
now keeps.
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.paging import Shaped
from homecoming.core.schemas import Day, Error, Moment, Pages, problem
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import allergies, formulary, ingredient_limits, orders, schedule, selectors
from .administering import DoseStopped, Override, Witness, give, not_given
from .doses import Unit, plain
from .guard import OVERRIDABLE, Rule
from .models import (
    Administration,
    Allergy,
    AllergyKind,
    AllergySeverity,
    AllergyStatus,
    DoseStop,
    Form,
    Frequency,
    Order,
    Protocol,
    Route,
)

router = Router(tags=["medications"])


# --- schemas ------------------------------------------------------------------------------


class ProtocolOut(Schema):
    id: int
    name: str  # drug, strength and form in words, e.g. "Sertraline 50 mg tablet"
    drug: str
    form: Form
    strength_amount: str
    strength_unit: Unit
    strength_per_ml: str | None  # a liquid: strength_amount per this many mL
    limit_unit: Unit
    max_single_dose: str
    max_daily_dose: str  # in any rolling 24 hours
    min_interval_minutes: int
    controlled: bool
    investigational: bool
    consent_code: str
    ingredient: str  # the active ingredient whose ceilings hold across every order of it
    added_at: dt.datetime
    added_by: str
    retired_at: dt.datetime | None
    retired_by: str | None


class ProtocolIn(Schema):
    drug: str
    form: Form
    strength_amount: str
    strength_unit: Unit
    strength_per_ml: str | None = None
    limit_unit: Unit
    max_single_dose: str
    max_daily_dose: str
    min_interval_minutes: int
    controlled: bool = False
    investigational: bool = False
    consent_code: str
    ingredient: str | None = None  # empty: the drug's name
    drug_class: str | None = None  # for a new ingredient only

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "drug": "Sertraline",
                    "form": "tablet",
                    "strength_amount": "50",
                    "strength_unit": "mg",
                    "limit_unit": "mg",
                    "max_single_dose": "100",
                    "max_daily_dose": "200",
                    "min_interval_minutes": 360,
                    "controlled": False,
                    "investigational": False,
                    "consent_code": "medication-sertraline",
                    "ingredient": "sertraline",
                    "drug_class": "SSRI",
                }
            ]
        }
    }


class IngredientOut(Schema):
    id: int
    name: str
    drug_class: str
    limit_unit: Unit
    max_single_dose: str  # across every order of it, for each resident
    max_daily_dose: str  # in any rolling 24 hours, across every order of it
    added_at: dt.datetime
    added_by: str


class InteractionOut(Schema):
    id: int
    first: str
    second: str
    description: str
    added_at: dt.datetime
    added_by: str


class IngredientsOut(Schema):
    ingredients: list[IngredientOut]
    interactions: list[InteractionOut]


class InteractionIn(Schema):
    first: str
    second: str
    description: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "first": "sertraline",
                    "second": "tramadol",
                    "description": "Serotonin syndrome: agitation, tremor, fever.",
                }
            ]
        }
    }


class OrderOut(Schema):
    id: int
    resident_id: int
    protocol_id: int
    protocol: str
    dose_amount: str
    dose_unit: Unit
    route: Route
    frequency: Frequency
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    instructions: str
    prescribed_by: str
    prescribed_at: dt.datetime
    discontinued_at: dt.datetime | None
    discontinued_by: str | None
    discontinue_reason: str


class OrderLineOut(OrderOut):
    active: bool
    last_given_at: dt.datetime | None
    # When the minimum interval since the last dose ends, while it has not yet.
    next_allowed: dt.datetime | None
    # Given in the last 24 hours, exactly, in the protocol's limit unit ("5/3" if not decimal).
    given_last_24h: str | None
    limit_unit: Unit


class OverrideIn(Schema):
    cosigner_username: str
    secret: str  # the co-signer's own password or a current authenticator code
    reason: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "cosigner_username": "dr.haddad",
                    "secret": "731904",
                    "reason": "Breakthrough pain after the fall; reviewed together at 14:10.",
                }
            ]
        }
    }


class PrescriptionIn(Schema):
    protocol_id: int
    dose_amount: str
    dose_unit: Unit
    route: Route
    frequency: Frequency
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    instructions: str = ""
    # Duplicate therapy (another running order of the ingredient or its class) acknowledged.
    acknowledge_duplicates: bool = False
    # A second clinician co-signs past an interacting pair the formulary lists, or past an
    # allergy the resident has recorded.
    override: OverrideIn | None = None
    # The same, by its first name (when only interactions could be overridden); kept for v1.
    interaction_override: OverrideIn | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "protocol_id": 4,
                    "dose_amount": "50",
                    "dose_unit": "mg",
                    "route": "oral",
                    "frequency": "daily",
                    "starts_at": "2026-03-02T08:00:00",
                    "instructions": "With breakfast.",
                    "acknowledge_duplicates": False,
                }
            ]
        }
    }


class DiscontinueIn(Schema):
    reason: str

    model_config = {
        "json_schema_extra": {
            "examples": [{"reason": "Nausea since the dose went up; switching to another SSRI."}]
        }
    }


class OrderStopOut(Schema):
    id: int
    protocol_id: int
    drug: str
    ordered: str  # the order as written, in words
    attempted_by: str
    attempted_at: dt.datetime
    # Each stop: "allergy", "interaction", "dose_amount" (a ceiling in one dose) or "frequency"
    # (a ceiling in 24 hours), with its words.
    stops: list[dict[str, str]]


class AllergyOut(Schema):
    id: int
    resident_id: int
    substance: str
    # The formulary's ingredient when the substance is one (every product of it is stopped).
    ingredient_id: int | None
    kind: AllergyKind
    reaction: str
    severity: AllergySeverity
    recorded_by: str
    recorded_at: dt.datetime
    verified_by: str | None
    verified_at: dt.datetime | None
    status: AllergyStatus
    status_changed_by: str | None
    status_changed_at: dt.datetime | None
    status_reason: str


class NoKnownAllergiesOut(Schema):
    id: int
    resident_id: int
    recorded_by: str
    recorded_at: dt.datetime


class AllergiesOut(Schema):
    resident_id: int
    # Asked and answered: an active allergy, or "no known allergies" said since the last one.
    recorded: bool
    active: list[AllergyOut]
    no_known_allergies: NoKnownAllergiesOut | None
    ruled_out: list[AllergyOut]


class AllergyIn(Schema):
    substance: str  # an ingredient of the formulary, a drug class, or anything else in words
    kind: AllergyKind = AllergyKind.ALLERGY
    reaction: str
    severity: AllergySeverity
    verified: bool = False  # a clinician only

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "substance": "penicillin",
                    "kind": "allergy",
                    "reaction": "Hives and swollen lips within an hour (2019, field hospital).",
                    "severity": "severe",
                    "verified": False,
                }
            ]
        }
    }


class RuleOutIn(Schema):
    status: Literal["refuted", "entered_in_error"]
    reason: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "status": "refuted",
                    "reason": "Given amoxicillin on 4 March under observation: no reaction.",
                }
            ]
        }
    }


class AdministrationOut(Schema):
    id: int
    resident_id: int
    order_id: int
    drug: str
    status: str
    scheduled_for: dt.datetime | None
    at: dt.datetime
    dose_amount: str | None
    dose_unit: str
    reason: str
    recorded_by: str
    recorded_at: dt.datetime
    witness: str | None
    override_cosigner: str | None
    override_reason: str


class StopOut(Schema):
    rule: Rule
    message: str
    overridable: bool


class DoseStopOut(Schema):
    id: int
    order_id: int
    drug: str
    scheduled_for: dt.datetime | None
    at: dt.datetime
    dose_amount: str | None
    dose_unit: str
    attempted_by: str
    attempted_at: dt.datetime
    stops: list[StopOut]
    override_requested: bool


class MedicationRecordOut(Schema):
    resident_id: int
    display_name: str
    since: dt.datetime  # administrations and stopped doses are shown from here on
    orders: list[OrderLineOut]
    administrations: list[AdministrationOut]
    stops: list[DoseStopOut]
    order_stops: list[OrderStopOut]  # orders the hard stops refused, since the same time


class WitnessIn(Schema):
    username: str
    secret: str  # the witness's own password or a current authenticator code

    model_config = {
        "json_schema_extra": {"examples": [{"username": "nurse.okafor", "secret": "492817"}]}
    }


class DoseIn(Schema):
    dose_amount: str
    dose_unit: str  # as typed: a unit the protocol cannot take is a hard stop, not a 422
    at: Moment | None = None
    scheduled_for: Moment | None = None
    witness: WitnessIn | None = None
    override: OverrideIn | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "dose_amount": "50",
                    "dose_unit": "mg",
                    "at": "2026-03-02T08:05:00",
                    "scheduled_for": "2026-03-02T08:00:00",
                }
            ]
        }
    }


class DoseStoppedOut(Error):
    detail: str
    stops: list[StopOut]
    stop_id: int | None
    overridable: bool


class NotGivenIn(Schema):
    status: Literal["refused", "held", "missed"]
    scheduled_for: Moment
    reason: str = Field("", max_length=2000)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "status": "held",
                    "scheduled_for": "2026-03-02T20:00:00",
                    "reason": "Systolic 88 at 19:50; held as the order says, prescriber told.",
                }
            ]
        }
    }


class ShiftOut(Schema):
    key: str
    name: str


class SlotOut(Schema):
    due: dt.datetime
    state: str  # given, refused, held, missed, due, overdue or later
    administration_id: int | None


class RoundLineOut(Schema):
    order: OrderOut
    as_needed: bool
    slots: list[SlotOut]
    last_given_at: dt.datetime | None
    next_allowed: dt.datetime | None


class RoundResidentOut(Schema):
    resident_id: int
    display_name: str
    lines: list[RoundLineOut]


class RoundWingOut(Schema):
    wing: str = Field(description='The wing\'s name; "" for the residents not in a bed.')
    residents: int


class RoundOut(Schema):
    day: dt.date
    shift: ShiftOut
    start: dt.datetime
    end: dt.datetime
    columns: list[dt.datetime]
    residents: list[RoundResidentOut]
    wing: str | None = Field(None, description='The wing shown ("": not in a bed); null: all.')
    wings: list[RoundWingOut]
    page: int
    pages: int
    total: int = Field(description="Residents on the round in the wing (or the center) shown.")


# --- shaping ------------------------------------------------------------------------------


def _amount(value) -> str | None:
    return None if value is None else plain(value)


def _exact(quantity: Fraction | None) -> str | None:
    """A sum of doses as an exact string: a decimal when it has one, else "numerator/denominator"
    (1 mL of 5 mg in 3 mL is 5/3 mg, which no decimal holds)."""
    if quantity is None:
        return None
    rest = quantity.denominator
    for factor in (2, 5):
        while rest % factor == 0:
            rest //= factor
    if rest != 1:
        return f"{quantity.numerator}/{quantity.denominator}"
    return plain(Decimal(quantity.numerator) / Decimal(quantity.denominator))


def _name(user) -> str | None:
    return None if user is None else str(user)


def _protocol(p: Protocol) -> dict:
    return {
        "id": p.pk,
        "name": str(p),
        "drug": p.drug,
        "form": p.form,
        "strength_amount": plain(p.strength_amount),
        "strength_unit": p.strength_unit,
        "strength_per_ml": _amount(p.strength_per_ml),
        "limit_unit": p.limit_unit,
        "max_single_dose": plain(p.max_single_dose),
        "max_daily_dose": plain(p.max_daily_dose),
        "min_interval_minutes": p.min_interval_minutes,
        "controlled": p.controlled,
        "investigational": p.investigational,
        "consent_code": p.consent_code,
        "ingredient": ingredient_limits.ceiling_of(p).name,
        "added_at": p.added_at,
        "added_by": _name(p.added_by),
        "retired_at": p.retired_at,
        "retired_by": _name(p.retired_by),
    }


def _order(o: Order) -> dict:
    return {
        "id": o.pk,
        "resident_id": o.resident_id,
        "protocol_id": o.protocol_id,
        "protocol": str(o.protocol),
        "dose_amount": plain(o.dose_amount),
        "dose_unit": o.dose_unit,
        "route": o.route,
        "frequency": o.frequency,
        "starts_at": o.starts_at,
        "ends_at": o.ends_at,
        "instructions": o.instructions,
        "prescribed_by": _name(o.prescribed_by),
        "prescribed_at": o.prescribed_at,
        "discontinued_at": o.discontinued_at,
        "discontinued_by": _name(o.discontinued_by),
        "discontinue_reason": o.discontinue_reason,
    }


def _order_line(line: selectors.OrderLine) -> dict:
    return {
        **_order(line.order),
        "active": line.active,
        "last_given_at": line.last_given.at if line.last_given else None,
        "next_allowed": line.next_allowed,
        "given_last_24h": _exact(line.given_last_24h),
        "limit_unit": line.order.protocol.limit_unit,
    }


def _administration(a: Administration) -> dict:
    return {
        "id": a.pk,
        "resident_id": a.resident_id,
        "order_id": a.order_id,
        "drug": a.order.protocol.drug,
        "status": a.status,
        "scheduled_for": a.scheduled_for,
        "at": a.at,
        "dose_amount": _amount(a.dose_amount),
        "dose_unit": a.dose_unit,
        "reason": a.reason,
        "recorded_by": _name(a.recorded_by),
        "recorded_at": a.recorded_at,
        "witness": _name(a.witness),
        "override_cosigner": _name(a.override_cosigner),
        "override_reason": a.override_reason,
    }


def _allergy(a: Allergy) -> dict:
    return {
        "id": a.pk,
        "resident_id": a.resident_id,
        "substance": a.substance,
        "ingredient_id": a.ingredient_id,
        "kind": a.kind,
        "reaction": a.reaction,
        "severity": a.severity,
        "recorded_by": _name(a.recorded_by),
        "recorded_at": a.recorded_at,
        "verified_by": _name(a.verified_by),
        "verified_at": a.verified_at,
        "status": a.status,
        "status_changed_by": _name(a.status_changed_by),
        "status_changed_at": a.status_changed_at,
        "status_reason": a.status_reason,
    }


def _none_known(row) -> dict:
    return {
        "id": row.pk,
        "resident_id": row.resident_id,
        "recorded_by": _name(row.recorded_by),
        "recorded_at": row.recorded_at,
    }


def _stop(rule: str, message: str) -> dict:
    return {"rule": rule, "message": message, "overridable": Rule(rule) in OVERRIDABLE}


def _dose_stop(s: DoseStop) -> dict:
    return {
        "id": s.pk,
        "order_id": s.order_id,
        "drug": s.order.protocol.drug,
        "scheduled_for": s.scheduled_for,
        "at": s.at,
        "dose_amount": _amount(s.dose_amount),
        "dose_unit": s.dose_unit,
        "attempted_by": _name(s.attempted_by),
        "attempted_at": s.attempted_at,
        "stops": [_stop(item["rule"], item["message"]) for item in s.stops],
        "override_requested": s.override_requested,
    }


def _stopped(exc: DoseStopped) -> dict:
    return {
        "detail": " ".join(s.message for s in exc.stops),
        "code": "dose_stopped",
        "stops": [_stop(s.rule, s.message) for s in exc.stops],
        "stop_id": exc.record.pk if exc.record is not None else None,
        "overridable": exc.overridable,
    }


# --- parsing ------------------------------------------------------------------------------


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A time sent without an offset is the center's local time, as on the pages."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment)


def _person(username: str, field: str):
    """The account named in a witness or co-signature, or None; whether it may sign is the
    service's to say."""
    # None for a log-in that matches nobody: the service then answers exactly as for a wrong
    # secret, so this field never tells who has an account (issue 13).
    return get_user_model().objects.filter(username=username).first()


def _protocol_by_id(protocol_id: int, field: str | None = None) -> Protocol:
    """A protocol (the center's formulary, no resident data). Unknown: a field error when the id
    was in the body, a 404 when it was in the path."""
    protocol = Protocol.objects.select_related("added_by", "retired_by").filter(pk=protocol_id)
    protocol = protocol.first()
    if protocol is None:
        message = f"No protocol #{protocol_id} in the formulary."
        if field is not None:
            raise ValidationError({field: message})
        raise Http404(message)
    return protocol


def _order_for(request, order_id: int, action: Action) -> Order:
    try:
        return selectors.order_for(request.auth, order_id, action)
    except Order.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _resident(request, resident_id: int, action: Action) -> Resident:
    """The resident to act on, refused callers refused before the body's references are looked
    up (as order_for does for an order); the service checks again as it acts."""
    try:
        resident = existing(request.auth, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    policy.require(request.auth, action, resident)
    return resident


# --- the formulary ------------------------------------------------------------------------


@router.get("/formulary", response={200: list[ProtocolOut], 403: Error})
@paginate(Pages)
def list_formulary(request, include_retired: bool = False):
    """List the protocols orders may be written for (and, on asking, the retired ones). Each
    with its limits: the largest single dose, the most in any rolling 24 hours, the minimum
    interval. Clinicians, supervisors, the program director and the oversight body may read
    it (the center's formulary: no resident data, so no look on the ledger); anyone else is
    refused (403 `forbidden`, on the ledger)."""
    return Shaped(selectors.formulary(request.auth, include_retired), _protocol)


@router.post("/formulary", response={201: ProtocolOut, 400: Error, 403: Error})
def add_protocol(request, payload: ProtocolIn):
    """Add a protocol to the formulary: a drug in one form and strength, and its limits.
    Only the medical lead; a protocol is final once added (retire it and add another to
    change it). Amounts are strings ("12.5"). The protocol is a ledger entry. Errors: 400
    `invalid` (every problem by field: an amount that is not a number, limits that do not
    hold together, a consent code no document has), 403 `forbidden` (not the medical lead,
    on the ledger)."""
    protocol = formulary.add_protocol(request.auth, payload.dict())
    return Status(201, _protocol(protocol))


@router.get("/formulary/ingredients", response={200: IngredientsOut, 403: Error})
def list_ingredients(request):
    """Read the ingredients with their ceilings, and the interacting pairs. A ceiling holds for each
    resident across every order of the ingredient, whatever the product. Whoever may read the
    formulary; anyone else is refused (403 `forbidden`, on the ledger)."""
    found, pairs = ingredient_limits.ingredients(request.auth)
    return {
        "ingredients": [
            {
                "id": i.pk,
                "name": i.name,
                "drug_class": i.drug_class,
                "limit_unit": i.limit_unit,
                "max_single_dose": plain(i.max_single_dose),
                "max_daily_dose": plain(i.max_daily_dose),
                "added_at": i.added_at,
                "added_by": str(i.added_by),
            }
            for i in found
        ],
        "interactions": [_interaction(x) for x in pairs],
    }


def _interaction(x) -> dict:
    return {
        "id": x.pk,
        "first": x.first.name,
        "second": x.second.name,
        "description": x.description,
        "added_at": x.added_at,
        "added_by": str(x.added_by),
    }


@router.post("/formulary/interactions", response={201: InteractionOut, 400: Error, 403: Error})
def add_interaction(request, payload: InteractionIn):
    """List two ingredients as interacting. From then on an order of one while the other runs
    is stopped unless a second clinician co-signs. Only the medical lead; the pair is a ledger
    entry. Errors: 400 `invalid` (an ingredient the formulary does not have, the same one
    twice, a pair already listed, no description), 403 `forbidden` (on the ledger)."""
    row = ingredient_limits.add_interaction(
        request.auth, payload.first, payload.second, payload.description
    )
    return Status(201, _interaction(row))


@router.post(
    "/formulary/{protocol_id}/retire",
    response={200: ProtocolOut, 400: Error, 403: Error, 404: Error},
)
def retire_protocol(request, protocol_id: int):
    """Retire a protocol: no new orders for it. Orders already running keep its limits. Only
    the medical lead; the retirement is a ledger entry. Errors: 400 `invalid` (already
    retired), 403 `forbidden` (on the ledger), 404 `not_found` (no such protocol)."""
    return _protocol(formulary.retire_protocol(request.auth, _protocol_by_id(protocol_id)))


# --- a resident's medication record and orders --------------------------------------------


@router.get(
    "/residents/{resident_id}/medications",
    response={200: MedicationRecordOut, 403: Error, 404: Error},
)
def get_record(request, resident_id: int):
    """Read a resident's medication record: orders, doses given and doses stopped. Orders say
    whether each runs now, when the last dose was and when the next may be given; the
    administrations, stopped doses and refused orders are those since `since`. The care team's
    clinicians and caseworkers, supervisors and the program director may read it; the read is
    a look at the resident on the ledger. Errors: 403 `forbidden` (on the ledger), 404
    `not_found` (no such resident you may know of)."""
    try:
        record = selectors.medication_record(request.auth, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return {
        "resident_id": record.resident.pk,
        "display_name": record.resident.display_name,
        "since": record.since,
        "orders": [_order_line(line) for line in record.orders],
        "administrations": [_administration(a) for a in record.administrations],
        "stops": [_dose_stop(s) for s in record.stops],
        "order_stops": [
            {
                "id": s.pk,
                "protocol_id": s.protocol_id,
                "drug": s.protocol.drug,
                "ordered": s.ordered,
                "attempted_by": _name(s.attempted_by),
                "attempted_at": s.attempted_at,
                "stops": s.stops,
            }
            for s in record.order_stops
        ],
    }


@router.post(
    "/residents/{resident_id}/orders",
    response={201: OrderOut, 400: Error, 403: Error, 404: Error},
)
def prescribe(request, resident_id: int, payload: PrescriptionIn):
    """Order a protocol for a resident, within its limits. A prescriber on the resident's care
    team. Hard stops refuse an order past the protocol's or the ingredient's limits, of a
    product the resident is allergic to, or interacting with a running order (the last two
    may pass with a second clinician's co-signature, `override`); duplicate therapy needs
    `acknowledge_duplicates`. The order, and an order refused by a hard stop, are ledger
    entries. Times without an offset are the center's local time. Errors: 400 `invalid`
    (every problem by field, hard stops included), 403 `forbidden` (not a prescriber on the
    care team, or no consent to an investigational drug: on the ledger), 404 `not_found` (no
    such resident)."""
    resident = _resident(request, resident_id, Action.PRESCRIBE)
    prescription = orders.Prescription(
        protocol=_protocol_by_id(payload.protocol_id, "protocol_id"),
        dose_amount=payload.dose_amount,
        dose_unit=payload.dose_unit,
        route=payload.route,
        frequency=payload.frequency,
        starts_at=_aware(payload.starts_at),
        ends_at=_aware(payload.ends_at),
        instructions=payload.instructions,
        acknowledge_duplicates=payload.acknowledge_duplicates,
    )
    given = payload.override or payload.interaction_override
    if given is not None:
        prescription.interaction_override = ingredient_limits.InteractionOverride(
            _person(given.cosigner_username, "cosigner"), given.secret, given.reason
        )
    order = orders.prescribe(request.auth, resident, prescription)
    return Status(201, _order(order))


@router.post(
    "/orders/{order_id}/discontinue",
    response={200: OrderOut, 400: Error, 403: Error, 404: Error},
)
def discontinue_order(request, order_id: int, payload: DiscontinueIn):
    """Discontinue an order, with the reason: no dose may be given after it. A prescriber on
    the resident's care team; the order stays on the record, marked discontinued, and the
    change is a ledger entry. Errors: 400 `invalid` (no reason, an order already ended), 403
    `forbidden` (on the ledger), 404 `not_found` (no such order you may know of)."""
    order = _order_for(request, order_id, Action.PRESCRIBE)
    return _order(orders.discontinue(request.auth, order, payload.reason))


# --- allergies ----------------------------------------------------------------------------


@router.get(
    "/residents/{resident_id}/allergies",
    response={200: AllergiesOut, 403: Error, 404: Error},
)
def get_allergies(request, resident_id: int):
    """Read a resident's allergies: active, ruled out, and "no known allergies" if said. The
    active ones, "no known allergies" when it was said since the last one, and those ruled out
    (with who ruled each out and why). Whoever may read the resident's medications; the read
    is a look at the resident on the ledger. Errors: 403 `forbidden` (on the ledger), 404
    `not_found` (no such resident you may know of)."""
    resident = _resident(request, resident_id, Action.VIEW_MEDICATIONS)
    standing = selectors.allergies_of(request.auth, resident)
    return {
        "resident_id": resident.pk,
        "recorded": standing.recorded,
        "active": [_allergy(a) for a in standing.active],
        "no_known_allergies": _none_known(standing.none_known) if standing.none_known else None,
        "ruled_out": [_allergy(a) for a in standing.ruled_out],
    }


@router.post(
    "/residents/{resident_id}/allergies",
    response={201: AllergyOut, 400: Error, 403: Error, 404: Error},
)
def record_allergy(request, resident_id: int, payload: AllergyIn):
    """Record an allergy or intolerance of a resident. Someone on the care team doing clinical
    work (only a clinician may mark it `verified`). While it is active, orders and doses of a
    product containing it are stopped; recording it while such an order runs alerts its
    prescriber. The allergy is a ledger entry. Errors: 400 `invalid` (every problem by field),
    403 `forbidden` (on the ledger), 404 `not_found` (no such resident)."""
    resident = _resident(request, resident_id, Action.RECORD_ALLERGY)
    allergy = allergies.record(request.auth, resident, allergies.AllergyEntry(**payload.dict()))
    return Status(201, _allergy(allergy))


@router.post(
    "/residents/{resident_id}/allergies/none-known",
    response={201: NoKnownAllergiesOut, 400: Error, 403: Error, 404: Error},
)
def record_no_known_allergies(request, resident_id: int):
    """Record that the resident was asked and has no allergy anyone knows of. Someone on the
    care team doing clinical work; a ledger entry. Errors: 400 `invalid` (an allergy is
    active), 403 `forbidden` (on the ledger), 404 `not_found` (no such resident)."""
    resident = _resident(request, resident_id, Action.RECORD_ALLERGY)
    return Status(201, _none_known(allergies.record_none(request.auth, resident)))


def _allergy_for(request, allergy_id: int) -> Allergy:
    try:
        return selectors.allergy_for(request.auth, allergy_id)
    except Allergy.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


@router.post(
    "/allergies/{allergy_id}/confirm",
    response={200: AllergyOut, 400: Error, 403: Error, 404: Error},
)
def confirm_allergy(request, allergy_id: int):
    """Confirm (verify) a recorded allergy. A clinician on the resident's care team; a ledger
    entry. Errors: 400 `invalid` (already confirmed, or no longer active), 403 `forbidden` (on
    the ledger), 404 `not_found` (no such allergy you may know of)."""
    return _allergy(allergies.verify(request.auth, _allergy_for(request, allergy_id)))


@router.post(
    "/allergies/{allergy_id}/rule-out",
    response={200: AllergyOut, 400: Error, 403: Error, 404: Error},
)
def rule_out_allergy(request, allergy_id: int, payload: RuleOutIn):
    """Rule an allergy out, or mark it entered in error, with the reason. A clinician on the
    resident's care team; the allergy stays on the record with who ruled it out and why, the
    change is a ledger entry, and the medical lead and the program director are alerted.
    Errors: 400 `invalid` (no reason, already ruled out), 403 `forbidden` (on the ledger), 404
    `not_found` (no such allergy you may know of)."""
    allergy = _allergy_for(request, allergy_id)
    return _allergy(allergies.rule_out(request.auth, allergy, payload.status, payload.reason))


# --- the administration record ------------------------------------------------------------


@router.post(
    "/orders/{order_id}/administrations",
    response={201: AdministrationOut, 400: Error, 403: Error, 404: Error, 409: DoseStoppedOut},
)
def give_dose(request, order_id: int, payload: DoseIn):
    """Record a dose given. A clinician on the resident's care team (the nurse giving it). A
    witness signs for a controlled or investigational drug (`witness`: their log-in and own
    password or code); a dose inside the minimum interval needs a second clinician's
    co-signature and a reason (`override`). The dose is a ledger entry. Times without an
    offset are the center's local time. Errors: 400 `invalid` (an amount that is not a number,
    a time in the future, a wrong witness secret: by field), 403 `forbidden` (on the ledger),
    404 `not_found` (no such order you may know of), 409 `dose_stopped` (a hard stop refused
    it: `stops` names every rule it broke and whether an override could pass it, `stop_id`
    the stopped attempt the record now keeps)."""
    order = _order_for(request, order_id, Action.ADMINISTER)
    witness = override = None
    if payload.witness is not None:
        witness = Witness(_person(payload.witness.username, "witness"), payload.witness.secret)
    if payload.override is not None:
        override = Override(
            _person(payload.override.cosigner_username, "cosigner"),
            payload.override.secret,
            payload.override.reason,
        )
    try:
        row = give(
            request.auth,
            order,
            dose_amount=payload.dose_amount,
            dose_unit=payload.dose_unit,
            at=_aware(payload.at),
            scheduled_for=_aware(payload.scheduled_for),
            witness=witness,
            override=override,
        )
    except DoseStopped as exc:
        return Status(409, _stopped(exc))
    return Status(201, _administration(row))


@router.post(
    "/orders/{order_id}/not-given",
    response={201: AdministrationOut, 400: Error, 403: Error, 404: Error},
)
def record_not_given(request, order_id: int, payload: NotGivenIn):
    """Record a scheduled dose not given: refused by the resident, held, or missed. A
    clinician on the resident's care team; a held dose says why. A ledger entry. Errors: 400
    `invalid` (no reason for a held dose, a time no dose of the order was due, a dose already
    recorded for it), 403 `forbidden` (on the ledger), 404 `not_found` (no such order)."""
    order = _order_for(request, order_id, Action.ADMINISTER)
    row = not_given(
        request.auth,
        order,
        status=payload.status,
        scheduled_for=_aware(payload.scheduled_for),
        reason=payload.reason,
    )
    return Status(201, _administration(row))


@router.get("/medication-round", response={200: RoundOut, 400: Error, 403: Error})
def get_round(
    request,
    day: Day | None = None,
    shift: Literal["day", "evening", "night"] | None = None,
    wing: str | None = None,
    page: int = Query(1, ge=1),
):
    """Read the shift's due list for the nurse on the round, in the order of the rooms. A page
    of residents at a time (`page`, from 1; past the last: the last), optionally one `wing`'s
    ("" for the residents not in a bed). Without `day` or `shift`: those of the shift running
    now (the night shift's day is the evening it starts). Clinicians may read it; each
    resident shown is a look at their medication record on the ledger (those on other pages
    are not). Errors: 400 `unknown_wing` (no wing of that name), 403 `forbidden` (on the
    ledger)."""
    current_day, current = schedule.current_shift()
    chosen = schedule.SHIFT_BY_KEY[shift] if shift else current
    try:
        grid = selectors.medication_round(
            request.auth, day or current_day, chosen, wing=wing, page=page
        )
    except selectors.UnknownWing:
        return problem(400, f"There is no wing “{wing}” in the center.", code="unknown_wing")
    return {
        "wing": grid.wing,
        "wings": [{"wing": name, "residents": count} for name, count in grid.wings],
        "page": grid.page,
        "pages": grid.pages,
        "total": grid.total,
        "day": grid.day,
        "shift": {"key": grid.shift.key, "name": grid.shift.name},
        "start": grid.start,
        "end": grid.end,
        "columns": grid.columns,
        "residents": [
            {
                "resident_id": entry.resident.pk,
                "display_name": entry.resident.display_name,
                "lines": [
                    {
                        "order": _order(line.order),
                        "as_needed": line.as_needed,
                        "slots": [
                            {
                                "due": slot.due,
                                "state": slot.state,
                                "administration_id": slot.record.pk if slot.record else None,
                            }
                            for slot in line.slots
                        ],
                        "last_given_at": line.line.last_given.at if line.line.last_given else None,
                        "next_allowed": line.line.next_allowed,
                    }
                    for line in entry.lines
                ],
            }
            for entry in grid.residents
        ],
    }
