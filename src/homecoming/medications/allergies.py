"""Allergies and intolerances: recorded, confirmed or ruled out, and a hard stop for medication.

An allergy names a substance: an ingredient of the formulary (linked, so every protocol of it
matches), a drug class ("NSAID"), or anything else in words (a food, latex). While it is active:

- an order of a product containing it is stopped, unless a second clinician co-signs an override
  with the reason (the interaction override's rule: orders.py, ingredient_limits.py); the
  override is a row per allergy (`AllergyOverride`) and alerts the director and oversight;
- a dose of such a product is stopped at the bedside (administering.py), unless the order was
  written past that very allergy with a co-signature, or a second clinician co-signs the dose;
- recording it while such an order runs alerts the order's prescriber and the medical lead, until
  the order is discontinued.

"No known allergies" is a statement of its own, so an empty list is never read as "asked, none".
An allergy is never deleted: a clinician rules it out (disproved, or entered in error) with the
reason, which alerts the medical lead and the program director: ruling an allergy out to get an
order past the stop is never unseen.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role, User
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.core.aggregates import Joined, split
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident

from .ingredient_limits import ceiling_of, key_of
from .models import (
    Allergy,
    AllergyKind,
    AllergyOverride,
    AllergySeverity,
    AllergyStatus,
    Ingredient,
    NoKnownAllergies,
    Order,
)

RECORD = "allergy.record"
NONE_KNOWN = "allergy.none_known"
VERIFY = "allergy.verify"
RULE_OUT = "allergy.rule_out"
OVERRIDE = "allergy.override"
SECTION = "allergies"
# Ruled out: the two ways an allergy stops counting, each with the reason.
RULED_OUT = (AllergyStatus.REFUTED, AllergyStatus.ENTERED_IN_ERROR)


@dataclass
class AllergyEntry:
    """An allergy as the form or the API gives it, every field as typed."""

    substance: str
    kind: str = AllergyKind.ALLERGY
    reaction: str = ""
    severity: str = ""
    verified: bool = False


@dataclass
class Standing:
    """What the record says of a resident's allergies: the active ones, whether the resident
    said they have none (and when), and those ruled out."""

    active: list
    none_known: NoKnownAllergies | None
    ruled_out: list

    @property
    def recorded(self) -> bool:
        """Asked and answered: an allergy, or "no known allergies"."""
        return bool(self.active) or self.none_known is not None

    @property
    def words(self) -> str:
        if self.active:
            return ", ".join(a.substance for a in self.active)
        if self.none_known is not None:
            return "No known allergies"
        return "Allergies not recorded"


def standing(resident_id: int) -> Standing:
    """The resident's allergies as they stand. No policy and no ledger here: the selectors and
    pages that show it check the read and name the "allergies" section in their look."""
    rows = list(
        Allergy.objects.filter(resident_id=resident_id).select_related(
            "recorded_by", "verified_by", "status_changed_by", "ingredient"
        )
    )
    active = [a for a in rows if a.active]
    latest = max((a.recorded_at for a in rows), default=None)
    none_known = None
    if not active:
        statement = (
            NoKnownAllergies.objects.filter(resident_id=resident_id)
            .select_related("recorded_by")
            .order_by("-recorded_at", "-id")
            .first()
        )
        # An allergy recorded after the statement makes it stale, even once ruled out: the
        # resident is asked again.
        if statement is not None and (latest is None or statement.recorded_at > latest):
            none_known = statement
    return Standing(active, none_known, [a for a in rows if not a.active])


@dataclass
class Listed:
    """A resident's allergies as a list of many residents shows them (the round): the active
    substances, or whether "no known allergies" stands."""

    substances: list[str]
    none_known: bool


def listed_with(residents):
    """Annotations for a query of residents, so the list reads their allergies with them: the
    active substances joined, the latest allergy recorded, the latest "none known" said."""
    active = (
        Allergy.objects.filter(resident=OuterRef("pk"), status=AllergyStatus.ACTIVE)
        .order_by()
        .values("resident")
        .annotate(words=Joined("substance"))
        .values("words")
    )
    latest = Allergy.objects.filter(resident=OuterRef("pk")).order_by("-recorded_at")
    said = NoKnownAllergies.objects.filter(resident=OuterRef("pk")).order_by("-recorded_at")
    return residents.annotate(
        allergy_words=Subquery(active[:1]),
        allergy_latest=Subquery(latest.values("recorded_at")[:1]),
        allergy_none_at=Subquery(said.values("recorded_at")[:1]),
    )


def listed_for(resident_id: int) -> Listed:
    """One resident's allergies as a banner shows them, in one query (the chart's budget)."""
    return listed(listed_with(Resident.objects.filter(pk=resident_id)).get())


def listed(resident) -> Listed:
    """From a resident annotated by `listed_with`."""
    substances = split(resident.allergy_words)
    none_at, latest = resident.allergy_none_at, resident.allergy_latest
    none_known = not substances and none_at is not None and (latest is None or none_at > latest)
    return Listed(substances, none_known)


# --- which allergies a product meets ------------------------------------------------------


def _keys_of(protocol) -> tuple[set, Ingredient | None]:
    ceiling = ceiling_of(protocol)
    keys = {ceiling.key, key_of(protocol.drug)}
    if ceiling.drug_class:
        keys.add(key_of(ceiling.drug_class))
    return keys, ceiling.ingredient


def contains(protocol, allergy: Allergy) -> bool:
    """Whether a product of `protocol` contains what `allergy` names: the same test as
    `meeting`, on an allergy already in hand (no query)."""
    keys, ingredient = _keys_of(protocol)
    return allergy.substance_key in keys or (
        ingredient is not None and allergy.ingredient_id == ingredient.pk
    )


def meeting(resident_id: int, protocol) -> list[Allergy]:
    """The resident's active allergies that a product of `protocol` contains: its ingredient
    (linked, or by name), its drug's name, or its ingredient's class."""
    keys, ingredient = _keys_of(protocol)
    match = Q(substance_key__in=keys)
    if ingredient is not None:
        match |= Q(ingredient=ingredient)
    return list(
        Allergy.objects.filter(match, resident_id=resident_id, status=AllergyStatus.ACTIVE)
        .select_related("recorded_by")
        .order_by("recorded_at", "id")
    )


def describe(allergy: Allergy) -> str:
    """ "Allergy to Penicillin (severe, confirmed): hives and swelling"."""
    confirmed = "confirmed" if allergy.verified_at else "not confirmed"
    severity = allergy.get_severity_display().lower()
    return f"{allergy} ({severity}, {confirmed}): {allergy.reaction}"


def _met_words(protocol, allergies) -> str:
    said = "; ".join(
        f"{a.get_kind_display().lower()} to {a.substance} ({a.get_severity_display().lower()}: "
        f"{a.reaction}, recorded {dates.day_this_year(a.recorded_at)} "
        f"by {a.recorded_by})"
        for a in allergies
    )
    return f"{protocol.drug} meets the resident's {said}."


def order_stop_words(protocol, allergies) -> str:
    """The hard stop's words for an order of `protocol` meeting `allergies`."""
    return (
        _met_words(protocol, allergies)
        + " A second clinician may co-sign an override, with the reason."
    )


def dose_stop_words(order, allergies) -> str:
    return (
        _met_words(order.protocol, allergies)
        + " The order was not written past this allergy: ask the prescriber to review it."
    )


def not_overridden(order: Order, allergies) -> list[Allergy]:
    """Of `allergies`, those the order was not written past with a co-signature."""
    passed = set(
        AllergyOverride.objects.filter(order=order, allergy__in=allergies).values_list(
            "allergy_id", flat=True
        )
    )
    return [a for a in allergies if a.pk not in passed]


def record_overrides(actor, order, allergies, override, purpose, message):
    """Inside the order's transaction: a row per allergy the order was written past, the
    co-signer's own entry on each, and one alert to the program director and oversight."""
    rows = []
    for allergy in allergies:
        row = AllergyOverride.objects.create(
            order=order,
            allergy=allergy,
            message=message,
            cosigner=override.cosigner,
            reason=override.reason.strip(),
        )
        entry = ledger.record_write(
            actor, OVERRIDE, row, resident_id=order.resident_id, purpose=purpose
        )
        target = ledger.Target.of(
            row, resident_id=order.resident_id, version_sha256=entry.version_sha256
        )
        ledger.append(override.cosigner, OVERRIDE, target, purpose=purpose)
        rows.append(row)
    people = User.objects.filter(is_active=True, role__in=(Role.PROGRAM_DIRECTOR, Role.OVERSIGHT))
    alerts.notify(
        people,
        kind="allergy_override",
        message=(
            f"{actor} ordered {order} for {order.resident.display_name} despite a recorded "
            f"allergy, co-signed by {override.cosigner}: “{override.reason.strip()}” {message}"
        ),
        resident=order.resident,
    )
    return rows


# --- recording ----------------------------------------------------------------------------


def _clean(actor, resident, entry: AllergyEntry) -> tuple[dict, dict]:
    errors, clean = {}, {}
    substance = " ".join((entry.substance or "").split())
    if not substance:
        errors["substance"] = "Name the substance: an ingredient, a drug class, a food or other."
    elif len(substance) > 120:
        errors["substance"] = "A substance's name has at most 120 characters."
    if entry.kind not in AllergyKind.values:
        errors["kind"] = "Choose allergy or intolerance."
    reaction = " ".join((entry.reaction or "").split())
    if not reaction:
        errors["reaction"] = "Say what the reaction was (or “not known”)."
    elif len(reaction) > 500:
        errors["reaction"] = "A reaction has at most 500 characters."
    if entry.severity not in AllergySeverity.values:
        errors["severity"] = "Choose mild, moderate or severe."
    if entry.verified and not policy.decide(actor, Action.REVIEW_ALLERGY, resident).allowed:
        errors["verified"] = "Only a clinician may record an allergy as confirmed."
    key = key_of(substance)
    if substance and "substance" not in errors:
        ingredient = Ingredient.objects.filter(key=key).first()
        clean = {
            "substance": ingredient.name if ingredient else substance,
            "substance_key": key,
            "ingredient": ingredient,
            "reaction": reaction,
        }
    return errors, clean


def record(actor, resident: Resident, entry: AllergyEntry) -> Allergy:
    """Record an allergy or intolerance. Every problem with what was typed is named at once."""
    decision = policy.require(actor, Action.RECORD_ALLERGY, resident)
    errors, clean = _clean(actor, resident, entry)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        Resident.objects.lock(resident.pk)
        same = Allergy.objects.filter(
            resident=resident, substance_key=clean["substance_key"], status=AllergyStatus.ACTIVE
        ).first()
        if same is not None:
            raise ValidationError(
                {"substance": f"Already recorded: {same}, on {dates.day(same.recorded_at)}."}
            )
        allergy = Allergy.objects.create(
            resident=resident,
            kind=entry.kind,
            severity=entry.severity,
            recorded_by=actor,
            recorded_at=now,
            verified_by=actor if entry.verified else None,
            verified_at=now if entry.verified else None,
            **clean,
        )
        ledger.record_write(
            actor, RECORD, allergy, resident_id=resident.pk, purpose=decision.purpose
        )
        _alert_running_orders(actor, resident, allergy, now)
    return allergy


def _alert_running_orders(actor, resident, allergy, now):
    """Orders of the substance running (or due to start): their doses are stopped from now on,
    so the prescriber and the medical lead are told, until the order is discontinued."""
    orders = Order.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now),
        resident=resident,
        discontinued_at__isnull=True,
    ).select_related("protocol", "prescribed_by")
    # One look per product, however many orders of it run (a protocol's ingredient is a query).
    products = {order.protocol_id: order.protocol for order in orders}
    containing = {pk for pk, protocol in products.items() if contains(protocol, allergy)}
    meeting_orders = [order for order in orders if order.protocol_id in containing]
    if not meeting_orders:
        return
    leads = list(User.objects.filter(is_medical_lead=True, is_active=True))
    for order in meeting_orders:
        people = {order.prescribed_by, *leads}
        alerts.notify(
            [p for p in people if p.is_active],
            kind="allergy_order",
            message=(
                f"{actor} recorded {allergy.get_kind_display().lower()} to {allergy.substance} "
                f"for {resident.display_name} ({allergy.reaction}). {order} "
                f"{order.get_frequency_display().lower()}, ordered by {order.prescribed_by}, "
                "contains it: its doses are stopped until the order is reviewed."
            ),
            resident=resident,
            about=order,
        )


def record_none(actor, resident: Resident) -> NoKnownAllergies:
    """The resident was asked and has no allergy anyone knows of."""
    decision = policy.require(actor, Action.RECORD_ALLERGY, resident)
    with transaction.atomic():
        Resident.objects.lock(resident.pk)
        active = list(Allergy.objects.filter(resident=resident, status=AllergyStatus.ACTIVE))
        if active:
            names = ", ".join(a.substance for a in active)
            raise ValidationError(
                f"{resident.display_name} has allergies recorded ({names}): a clinician rules "
                "each out, with the reason, before “no known allergies” can be said."
            )
        row = NoKnownAllergies.objects.create(
            resident=resident, recorded_by=actor, recorded_at=timezone.now()
        )
        ledger.record_write(
            actor, NONE_KNOWN, row, resident_id=resident.pk, purpose=decision.purpose
        )
    return row


def _locked(allergy: Allergy) -> Allergy:
    return Allergy.objects.select_for_update().select_related("resident").get(pk=allergy.pk)


def verify(actor, allergy: Allergy) -> Allergy:
    """A clinician confirms the allergy."""
    decision = policy.require(actor, Action.REVIEW_ALLERGY, allergy.resident)
    with transaction.atomic():
        allergy = _locked(allergy)
        if not allergy.active:
            raise ValidationError(f"This allergy was {allergy.get_status_display().lower()}.")
        if allergy.verified_at is not None:
            raise ValidationError(f"Already confirmed by {allergy.verified_by}.")
        allergy.verified_by, allergy.verified_at = actor, timezone.now()
        allergy.save(update_fields=["verified_by", "verified_at"])
        ledger.record_write(
            actor, VERIFY, allergy, resident_id=allergy.resident_id, purpose=decision.purpose
        )
    return allergy


def rule_out(actor, allergy: Allergy, status: str, reason: str) -> Allergy:
    """A clinician rules the allergy out (disproved, or entered in error), with the reason. It
    stops nothing from then on, so the medical lead and the program director are told."""
    decision = policy.require(actor, Action.REVIEW_ALLERGY, allergy.resident)
    errors = {}
    if status not in RULED_OUT:
        errors["status"] = "Choose ruled out or entered in error."
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Say why the allergy no longer holds."
    elif len(reason) > 2000:
        errors["reason"] = "A reason has at most 2,000 characters."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        allergy = _locked(allergy)
        if not allergy.active:
            raise ValidationError(
                f"This allergy was already {allergy.get_status_display().lower()}."
            )
        allergy.status = status
        allergy.status_changed_by, allergy.status_changed_at = actor, timezone.now()
        allergy.status_reason = reason
        allergy.save(
            update_fields=["status", "status_changed_by", "status_changed_at", "status_reason"]
        )
        ledger.record_write(
            actor, RULE_OUT, allergy, resident_id=allergy.resident_id, purpose=decision.purpose
        )
        people = User.objects.filter(
            Q(is_medical_lead=True) | Q(role=Role.PROGRAM_DIRECTOR), is_active=True
        ).exclude(pk=actor.pk)
        alerts.notify(
            people,
            kind="allergy_ruled_out",
            message=(
                f"{actor} marked {allergy.resident.display_name}'s {allergy} as "
                f"{allergy.get_status_display().lower()}: “{reason}” Orders of it are no longer "
                "stopped."
            ),
            resident=allergy.resident,
        )
    return allergy
