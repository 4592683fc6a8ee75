"""Ceilings per active ingredient and resident, across every order, protocol and as-needed order.

A protocol's limits hold for one protocol; a prescriber who writes a second ibuprofen protocol
beside the first would double the drug unseen. So each protocol is an ingredient (`Ingredient`,
linked by `ProtocolIngredient` when the protocol is added), and the ingredient's ceilings hold:

- at ordering: the new order's dose within the ingredient's single ceiling, and the 24-hour
  maxima of every order of the ingredient running at the same time, the new one included, summed
  within its daily ceiling. A refusal is a denied ledger entry and alerts the medical lead.
- at giving: the dose within the single ceiling, and every dose of the ingredient given in any
  24 hours around it, whatever the order, within the daily ceiling. Ceilings never yield.
- duplicate therapy (another running order of the same ingredient or class) is a warning the
  prescriber acknowledges; the acknowledgement is an `OrderCheck` row on the ledger.
- an interacting pair the formulary lists stops the order unless a second clinician co-signs an
  override with a reason (the dose override's rule), which alerts the director and oversight.

A protocol added before ingredients existed has no link: it is the ingredient of its drug's name
when the formulary has one, else an ingredient of its own whose ceilings are the tightest limits
among the protocols of that name.
"""

import contextlib
import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts import reauth
from homecoming.accounts.models import Role, User
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Outcome

from . import guard, schedule
from .doses import UnitMismatch, describe, parse_amount, to_unit
from .guard import Dose, Rule, Stop
from .models import (
    Administration,
    AdministrationStatus,
    Frequency,
    Ingredient,
    Interaction,
    Order,
    OrderCheck,
    OrderStop,
    Protocol,
    ProtocolIngredient,
)

ADD_INGREDIENT = "medication.ingredient_add"
ADD_INTERACTION = "medication.interaction_add"
ORDER_CHECK = "medication.order_check"
# The co-signer of an interaction override confirms with their own password or code; a wrong
# one counts towards their lock-out with the other confirmations (accounts/reauth.py).
OVERRIDE = "medication.interaction_override"


def key_of(name: str) -> str:
    return " ".join((name or "").split()).casefold()


# --- which ingredient a protocol is -------------------------------------------------------


@dataclass(frozen=True)
class Ceiling:
    """An ingredient's ceilings, exact, in its unit; `ingredient` is None for an old protocol
    that has no ingredient in the formulary."""

    key: str
    name: str
    drug_class: str
    unit: str
    max_single: Fraction
    max_daily: Fraction
    ingredient: Ingredient | None = None

    @classmethod
    def of_ingredient(cls, i: Ingredient) -> "Ceiling":
        unit = i.limit_unit
        return cls(
            i.key,
            i.name,
            i.drug_class,
            unit,
            to_unit(i.max_single_dose, unit, unit),
            to_unit(i.max_daily_dose, unit, unit),
            i,
        )

    @classmethod
    def of_protocols(cls, protocols) -> "Ceiling":
        """The tightest limits among old protocols of one drug name, in the first one's unit."""
        first = protocols[0]
        unit = first.limit_unit
        return cls(
            key_of(first.drug),
            first.drug,
            "",
            unit,
            min(to_unit(p.max_single_dose, p.limit_unit, unit) for p in protocols),
            min(to_unit(p.max_daily_dose, p.limit_unit, unit) for p in protocols),
        )


def ceiling_of(protocol: Protocol) -> Ceiling:
    link = ProtocolIngredient.objects.select_related("ingredient").filter(protocol=protocol).first()
    if link is not None:
        return Ceiling.of_ingredient(link.ingredient)
    key = key_of(protocol.drug)
    named = Ingredient.objects.filter(key=key).first()
    if named is not None:
        return Ceiling.of_ingredient(named)
    same_name = [
        p for p in Protocol.objects.filter(ingredient_link__isnull=True) if key_of(p.drug) == key
    ]
    return Ceiling.of_protocols(same_name or [protocol])


def _in(quantity, unit, protocol, target) -> Fraction:
    return to_unit(quantity, unit, target, protocol.strength)


# --- at ordering --------------------------------------------------------------------------


def order_daily_maximum(protocol, dose_amount, dose_unit, frequency, unit) -> Fraction:
    """The most an order lets be given in any 24 hours, in `unit`: its doses a day, or for an
    as-needed order as many doses as the minimum interval lets into 24 hours; never more than
    its protocol's daily maximum."""
    dose = _in(dose_amount, dose_unit, protocol, unit)
    protocol_daily = _in(protocol.max_daily_dose, protocol.limit_unit, protocol, unit)
    per_day = schedule.doses_per_day(frequency)
    if per_day == 0:  # as needed
        interval = protocol.min_interval_minutes
        if interval == 0:
            return protocol_daily
        per_day = math.ceil(24 * 60 / interval)
    return min(dose * per_day, protocol_daily)


def _overlapping(resident, starts, ends):
    """The resident's orders not discontinued whose time overlaps [starts, ends)."""
    running = Q(ends_at__isnull=True) | Q(ends_at__gt=starts)
    orders = Order.objects.filter(running, resident=resident, discontinued_at__isnull=True)
    if ends is not None:
        orders = orders.filter(starts_at__lt=ends)
    return list(orders.select_related("protocol").order_by("starts_at", "pk"))


@dataclass
class InteractionOverride:
    """A second clinician co-signs an order despite an interacting pair or a recorded allergy,
    and why."""

    cosigner: User
    secret: str
    reason: str


class OrderStopped(ValidationError):
    """An order refused at an ingredient ceiling or an interacting pair: kept on the ledger as a
    refused attempt, and the medical lead is told."""

    def __init__(self, errors: dict, summary: str):
        super().__init__(errors, code="order_stopped")
        self.summary = summary


@dataclass
class Findings:
    duplicates: list
    interactions: list
    override: InteractionOverride | None


def _order_words(order) -> str:
    local = timezone.localtime(order.prescribed_at)
    return (
        f"{order.protocol.drug} {describe(Fraction(order.dose_amount), order.dose_unit)} "
        f"{order.get_frequency_display().lower()} (ordered {dates.day_this_year(local)} by "
        f"{order.prescribed_by})"
    )


def check_order(resident, prescription, now, allergy: str = "") -> Findings:
    """Every ingredient rule the prescription meets, against the resident's other orders. Call
    under the resident's lock, so two prescribers writing at once are taken one after the other.
    Raises OrderStopped (a ceiling, or an interaction or `allergy` - the words of the resident's
    allergies the product meets, allergies.py - without a valid override) or a ValidationError
    asking to acknowledge duplicate therapy. Every stop is named at once."""
    protocol = prescription.protocol
    ceiling = ceiling_of(protocol)
    unit = ceiling.unit
    starts = prescription.starts_at or now
    others = _overlapping(resident, starts, prescription.ends_at)
    ceilings = {o.protocol_id: ceiling_of(o.protocol) for o in others}
    same = [o for o in others if ceilings[o.protocol_id].key == ceiling.key]
    stops = {}
    dose = _in(parse_amount(prescription.dose_amount), prescription.dose_unit, protocol, unit)
    if dose > ceiling.max_single:
        stops["dose_amount"] = (
            f"{describe(dose, unit)} is more than {ceiling.name}'s ceiling of "
            f"{describe(ceiling.max_single, unit)} in one dose, whatever the protocol."
        )
    new_max = order_daily_maximum(
        protocol, prescription.dose_amount, prescription.dose_unit, prescription.frequency, unit
    )
    total = new_max + sum(
        (
            order_daily_maximum(o.protocol, o.dose_amount, o.dose_unit, o.frequency, unit)
            for o in same
        ),
        Fraction(0),
    )
    if same and total > ceiling.max_daily:
        stops["frequency"] = (
            f"With {'; '.join(_order_words(o) for o in same)}, {ceiling.name} could reach "
            f"{describe(total, unit)} in 24 hours, more than its ceiling of "
            f"{describe(ceiling.max_daily, unit)} in any 24 hours across every order. "
            "Discontinue an order first, or order less."
        )
    pairs = _interactions(ceiling, [ceilings[o.protocol_id] for o in others])
    interacting = [
        f"{ceiling.name} interacts with {_order_words(o)}: {pairs[ceilings[o.protocol_id].key]}"
        for o in others
        if ceilings[o.protocol_id].key in pairs
    ]
    override = getattr(prescription, "interaction_override", None)
    if interacting and override is None:
        stops["interaction"] = (
            " ".join(interacting) + " A second clinician may co-sign an override, with the reason."
        )
    if allergy and override is None:
        stops["allergy"] = allergy
    if stops:
        raise OrderStopped(stops, " ".join(stops.values()))
    duplicates = [f"{ceiling.name} is already ordered: {_order_words(o)}." for o in same] + [
        f"{ceilings[o.protocol_id].name} is also a {ceiling.drug_class}: {_order_words(o)}."
        for o in others
        if o not in same
        and ceiling.drug_class
        and key_of(ceilings[o.protocol_id].drug_class) == key_of(ceiling.drug_class)
    ]
    if duplicates and not getattr(prescription, "acknowledge_duplicates", False):
        raise ValidationError(
            {
                "acknowledge_duplicates": [
                    "Duplicate therapy: " + " ".join(duplicates),
                    "Tick to confirm you mean both orders to run together.",
                ]
            },
            code="duplicate_therapy",
        )
    return Findings(duplicates, interacting, override if interacting else None)


def _interactions(ceiling, others) -> dict:
    """{other ingredient key: description} for the formulary's pairs of `ceiling` with others."""
    if ceiling.ingredient is None:
        return {}
    ids = {c.ingredient.pk: c.key for c in others if c.ingredient is not None}
    mine = ceiling.ingredient.pk
    rows = Interaction.objects.filter(
        Q(first_id=mine, second_id__in=ids) | Q(second_id=mine, first_id__in=ids)
    )
    return {ids[r.second_id if r.first_id == mine else r.first_id]: r.description for r in rows}


def confirm_override(actor, resident, override: InteractionOverride | None):
    """Before the order's transaction: the co-signer is an active clinician other than the
    prescriber, gives a reason, and confirms with their own password or code."""
    if override is None:
        return
    person = override.cosigner
    if person is None or not person.is_active or person.role != Role.CLINICIAN:
        raise ValidationError({"cosigner": "The co-signer must be an active clinician."})
    if person.pk == actor.pk:
        raise ValidationError({"cosigner": "The co-signer must be someone other than you."})
    if not (override.reason or "").strip():
        raise ValidationError({"override_reason": "Say why the order cannot wait."})
    target = ledger.Target(resident_id=resident.pk)
    wrong = f"That is not {person}'s password, nor a current code from their authenticator app."
    reauth.confirm(
        person,
        override.secret,
        action=OVERRIDE,
        target=target,
        field="cosigner_secret",
        wrong=wrong,
        by=actor,
    )


def record_checks(actor, order, findings: Findings, purpose):
    """Inside the order's transaction: what the prescriber acknowledged and what was overridden,
    as a row on the ledger; an override alerts the program director and the oversight body."""
    if not findings.duplicates and not findings.interactions:
        return None
    override = findings.override
    row = OrderCheck.objects.create(
        order=order,
        duplicates=findings.duplicates,
        interactions=findings.interactions,
        override_cosigner=override.cosigner if override else None,
        override_reason=override.reason.strip() if override else "",
    )
    entry = ledger.record_write(
        actor, ORDER_CHECK, row, resident_id=order.resident_id, purpose=purpose
    )
    if override is not None:
        target = ledger.Target.of(
            row, resident_id=order.resident_id, version_sha256=entry.version_sha256
        )
        ledger.append(override.cosigner, OVERRIDE, target, purpose=purpose)
        people = User.objects.filter(
            is_active=True, role__in=(Role.PROGRAM_DIRECTOR, Role.OVERSIGHT)
        )
        message = (
            f"{actor} ordered {order} for {order.resident.display_name} despite an interaction, "
            f"co-signed by {override.cosigner}: “{row.override_reason}” "
            + " ".join(findings.interactions)
        )
        alerts.notify(people, kind="interaction_override", message=message, resident=order.resident)
    return row


@contextlib.contextmanager
def refusals_recorded(actor, resident, purpose, prescription):
    """Around the order's transaction: an order stopped at a ceiling, an interaction or an
    allergy is kept as a row of its own (OrderStop), on the ledger as refused, in its own
    transaction (the order's was rolled back), and alerts the medical lead."""
    try:
        yield
    except OrderStopped as stopped:
        with transaction.atomic():
            row = OrderStop.objects.create(
                resident=resident,
                protocol=prescription.protocol,
                ordered=(
                    f"{prescription.dose_amount} {prescription.dose_unit}, "
                    f"{Frequency(prescription.frequency).label.lower()}"
                )[:200],
                attempted_by=actor,
                attempted_at=timezone.now(),
                stops=[
                    {"rule": rule, "message": message}
                    for rule, messages in stopped.message_dict.items()
                    for message in messages
                ],
            )
            ledger.record_write(
                actor,
                "medication.prescribe",
                row,
                resident_id=resident.pk,
                purpose=purpose,
                outcome=Outcome.DENIED,
            )
            lead = User.objects.filter(is_medical_lead=True, is_active=True)
            message = f"An order for {resident.display_name} by {actor} was stopped: " + (
                stopped.summary
            )
            alerts.notify(lead, kind="order_stopped", message=message, resident=resident)
        raise


# --- at giving ----------------------------------------------------------------------------


def dose_stops(order, amount, unit, at, already) -> list[Stop]:
    """The ingredient's ceilings for a dose of `order` given at `at`, counting every dose of the
    ingredient given to the resident within 24 hours of it, whatever the order. Doses under
    other orders inside this protocol's minimum interval are one dose with it, for the single
    ceiling. Rules the protocol's own stops (`already`) have reported are not said twice."""
    protocol = order.protocol
    ceiling = ceiling_of(protocol)
    try:
        new = Dose(at, _in(amount, unit, protocol, ceiling.unit))
    except UnitMismatch:
        return []  # the protocol's own stops name the unit
    fired = {s.rule for s in already}
    given = given_of_ingredient(order.resident_id, ceiling, at)
    stops = []
    gap = dt.timedelta(minutes=protocol.min_interval_minutes)
    together = [d for order_id, d in given if order_id != order.pk and abs(d.at - at) < gap]
    at_once = new.amount + sum((d.amount for d in together), Fraction(0))
    if at_once > ceiling.max_single and (together or Rule.ABOVE_SINGLE_MAXIMUM not in fired):
        also = ""
        if together:
            also = (
                f" with {describe(at_once - new.amount, ceiling.unit)} given under another "
                f"order less than {guard._duration(gap)} before or after it"
            )
        stops.append(
            Stop(
                Rule.ABOVE_INGREDIENT_SINGLE,
                f"{describe(new.amount, ceiling.unit)}{also} is more than {ceiling.name}'s "
                f"ceiling of {describe(ceiling.max_single, ceiling.unit)} in one dose.",
            )
        )
    if Rule.ABOVE_DAILY_MAXIMUM in fired:
        return stops
    total, end = guard.heaviest_window([d for _, d in given], new)
    if total > ceiling.max_daily:
        stops.append(
            Stop(
                Rule.ABOVE_INGREDIENT_DAILY,
                f"This dose would make {describe(total, ceiling.unit)} of {ceiling.name} in the "
                f"24 hours up to {guard._clock(end)}, counting every order, more than its "
                f"ceiling of {describe(ceiling.max_daily, ceiling.unit)} in any 24 hours.",
            )
        )
    return stops


def given_of_ingredient(resident_id, ceiling: Ceiling, around: dt.datetime) -> list:
    """Every dose of the ingredient given to the resident within 24 hours of `around`, as
    (order id, dose in the ceiling's unit), whichever order and protocol it was given under."""
    rows = Administration.objects.filter(
        resident_id=resident_id,
        status=AdministrationStatus.GIVEN,
        at__gt=around - guard.WINDOW,
        at__lt=around + guard.WINDOW,
    ).select_related("order__protocol")
    keys = {}
    doses = []
    for row in rows:
        protocol = row.order.protocol
        if protocol.pk not in keys:
            keys[protocol.pk] = ceiling_of(protocol).key
        if keys[protocol.pk] == ceiling.key:
            amount = _in(row.dose_amount, row.dose_unit, protocol, ceiling.unit)
            doses.append((row.order_id, Dose(row.at, amount)))
    return doses


# --- the formulary ------------------------------------------------------------------------


def check_protocol(data: dict, errors: dict) -> Ingredient | None:
    """While a protocol is added: its ingredient (the `ingredient` field, else the drug's name)
    and, when that ingredient is in the formulary, limits no looser than its ceilings."""
    name = " ".join(((data.get("ingredient") or data.get("drug")) or "").split())
    if len(name) > 120:
        errors["ingredient"] = "An ingredient's name has at most 120 characters."
        return None
    ingredient = Ingredient.objects.filter(key=key_of(name)).first() if name else None
    drug_class = " ".join((data.get("drug_class") or "").split())
    if ingredient is None:
        if len(drug_class) > 120:
            errors["drug_class"] = "A class's name has at most 120 characters."
        return None
    if drug_class and key_of(drug_class) != key_of(ingredient.drug_class):
        errors["drug_class"] = (
            f"{ingredient.name} is in the formulary as "
            f"{ingredient.drug_class or 'of no class'}; a protocol cannot change that."
        )
    unit = ingredient.limit_unit
    limit_unit = data.get("limit_unit")
    for field, ceiling_value, words in (
        ("max_single_dose", ingredient.max_single_dose, "in one dose"),
        ("max_daily_dose", ingredient.max_daily_dose, "in any 24 hours"),
    ):
        try:
            value = to_unit(parse_amount(data.get(field), field), limit_unit, unit)
        except ValidationError:
            continue  # the formulary names a bad amount or unit itself
        if value > to_unit(ceiling_value, unit, unit):
            errors[field] = (
                f"{ingredient.name}'s ceiling is {describe(Fraction(ceiling_value), unit)} "
                f"{words}, across every protocol of it: a protocol cannot allow more."
            )
    return ingredient


def link_protocol(actor, protocol: Protocol, data: dict, ingredient, purpose):
    """Inside the protocol's transaction: link it to its ingredient, adding the ingredient (with
    the protocol's limits as its ceilings) when the formulary has none of that name yet."""
    if ingredient is None:
        name = " ".join(((data.get("ingredient") or protocol.drug) or "").split())
        ingredient = Ingredient.objects.create(
            name=name,
            key=key_of(name),
            drug_class=" ".join((data.get("drug_class") or "").split()),
            limit_unit=protocol.limit_unit,
            max_single_dose=protocol.max_single_dose,
            max_daily_dose=protocol.max_daily_dose,
            added_at=timezone.now(),
            added_by=actor,
        )
        ledger.record_write(actor, ADD_INGREDIENT, ingredient, resident_id=None, purpose=purpose)
    link = ProtocolIngredient.objects.create(protocol=protocol, ingredient=ingredient)
    ledger.record_write(actor, ADD_INGREDIENT, link, resident_id=None, purpose=purpose)
    return ingredient


def add_interaction(actor, first: str, second: str, description: str) -> Interaction:
    """The medical lead lists two ingredients that must not be ordered together unless a second
    clinician co-signs."""
    decision = policy.require(actor, Action.MANAGE_FORMULARY)
    errors = {}
    found = {}
    for field, name in (("first", first), ("second", second)):
        ingredient = Ingredient.objects.filter(key=key_of(name)).first() if name else None
        if ingredient is None:
            errors[field] = (
                f"No ingredient {name!r} in the formulary." if name else "Name the ingredient."
            )
        found[field] = ingredient
    description = (description or "").strip()
    if not description:
        errors["description"] = "Say what the interaction does."
    elif len(description) > 2000:
        errors["description"] = "A description has at most 2,000 characters."
    if not errors and found["first"].pk == found["second"].pk:
        errors["second"] = "Name two different ingredients."
    if errors:
        raise ValidationError(errors)
    a, b = sorted((found["first"], found["second"]), key=lambda i: i.pk)
    with transaction.atomic():
        if Interaction.objects.filter(first=a, second=b).exists():
            raise ValidationError({"second": f"{a} with {b} is already listed."})
        row = Interaction.objects.create(
            first=a, second=b, description=description, added_at=timezone.now(), added_by=actor
        )
        ledger.record_write(actor, ADD_INTERACTION, row, resident_id=None, purpose=decision.purpose)
    return row


def ingredients(actor):
    """The formulary's ingredients and interacting pairs (no resident data)."""
    policy.require(actor, Action.VIEW_FORMULARY)
    return (
        list(Ingredient.objects.all()),
        list(Interaction.objects.select_related("first", "second")),
    )
