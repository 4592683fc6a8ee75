"""The medication record as FHIR: allergies (AllergyIntolerance), the formulary's protocols
(Medication), prescribers' orders (MedicationRequest), and what happened to each dose
(MedicationAdministration), under the action the medication pages read them with.

What is not part of the record is not served: an order the hard stops refused (an OrderStop) was
never an order, so it is no MedicationRequest (the prescribers' page lists it, not the record);
a "no known allergies" statement an allergy recorded since has made stale is not served either,
as no page shows it. A dose the hard stops refused (a DoseStop) is part of the record: the
portal and the resident's own copy show it beside the doses given, so it is a
MedicationAdministration that was not done, with the stops as its reason."""

from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Now
from django.utils import timezone

from homecoming.access.policy import Action
from homecoming.medications import allergies
from homecoming.medications.doses import Unit, plain
from homecoming.medications.models import (
    LIQUID_FORMS,
    Administration,
    AdministrationStatus,
    Allergy,
    AllergyKind,
    AllergyStatus,
    DoseStop,
    Frequency,
    NoKnownAllergies,
    Order,
    Protocol,
    Route,
)
from homecoming.medications.schedule import TIMES

from .resources import concept, instant, patient_ref, practitioner_ref, ref, without_empty
from .sources import Source, register

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
PERFORMER_FUNCTION = "http://terminology.hl7.org/CodeSystem/med-admin-perform-function"
MEDICATIONS = "medications"  # the part of the record a look names, as the pages say it

# --- shapes the medication types share -----------------------------------------------------

UCUM_CODES = {Unit.G: "g", Unit.MG: "mg", Unit.MCG: "ug", Unit.ML: "mL"}
# SNOMED CT's route qualifiers, for the routes an order may name.
ROUTE_CODES = {
    Route.ORAL: ("26643006", "Oral route"),
    Route.SUBLINGUAL: ("37839007", "Sublingual route"),
    Route.INTRAMUSCULAR: ("78421000", "Intramuscular route"),
    Route.SUBCUTANEOUS: ("34206005", "Subcutaneous route"),
    Route.INTRAVENOUS: ("47625008", "Intravenous route"),
}


def number(amount: Decimal) -> int | float:
    """A dose field as a JSON number (FHIR decimals are numbers, not strings)."""
    text = plain(amount)
    return int(text) if text.lstrip("-").isdigit() else float(text)


def quantity(amount, unit: str) -> dict:
    """An amount in our unit, with its UCUM code when the unit is one we know (a stopped dose
    keeps its unit as typed, which may be none of them)."""
    found = {"value": number(amount), "unit": unit}
    if unit in UCUM_CODES:
        found |= {"system": UCUM, "code": UCUM_CODES[unit]}
    return without_empty(found)


def route(value: str) -> dict:
    code, display = ROUTE_CODES[value]
    return concept(Route(value).label, SNOMED, code, display)


# --- allergies ----------------------------------------------------------------------------

CLINICAL_STATUS = {AllergyStatus.ACTIVE: "active", AllergyStatus.REFUTED: "inactive"}
# FHIR's invariants: clinicalStatus SHALL be present unless the verification status is
# entered-in-error (ait-1), and SHALL NOT be then (ait-2). An allergy ruled out as disproved
# is refuted and no longer active (inactive); one entered in error has no clinical status.
ALLERGY_STATUSES = {
    "active": Q(status=AllergyStatus.ACTIVE),
    "inactive": Q(status=AllergyStatus.REFUTED),
}


def _status_concept(system: str, code: str) -> dict:
    return {"coding": [{"system": system, "code": code}]}


def _verification(allergy: Allergy) -> str:
    if allergy.status == AllergyStatus.REFUTED:
        return "refuted"
    if allergy.status == AllergyStatus.ENTERED_IN_ERROR:
        return "entered-in-error"
    return "confirmed" if allergy.verified_at else "unconfirmed"


def allergy_intolerance(allergy: Allergy) -> dict:
    """The severity we record is the reaction's (mild, moderate, severe: FHIR's reaction
    severity, code for code), not FHIR's criticality (the risk of a future life-threatening
    reaction), which nobody here assesses: criticality is left out rather than guessed."""
    clinical = CLINICAL_STATUS.get(allergy.status)
    ruled_out = allergy.status_reason and (
        f"{allergy.get_status_display()} by {allergy.status_changed_by}: {allergy.status_reason}"
    )
    return without_empty(
        {
            "clinicalStatus": clinical and _status_concept(CLINICAL, clinical),
            "verificationStatus": _status_concept(VERIFICATION, _verification(allergy)),
            "type": "allergy" if allergy.kind == AllergyKind.ALLERGY else "intolerance",
            # Linked to the formulary's ingredient: a medication, surely; else not said.
            "category": ["medication"] if allergy.ingredient_id else None,
            "code": concept(allergy.substance),
            "patient": patient_ref(allergy.resident_id),
            "recordedDate": instant(allergy.recorded_at),
            "recorder": practitioner_ref(allergy.recorded_by),
            "reaction": [
                {
                    "manifestation": [concept(allergy.reaction)],
                    "severity": allergy.severity,
                }
            ],
            "note": [{"text": ruled_out}] if ruled_out else None,
        }
    )


def no_known_allergies(statement: NoKnownAllergies) -> dict:
    """The resident said they have none: SNOMED CT's "no known allergy" situation. No
    verification status: it is what the resident said, which nobody confirms."""
    return {
        "clinicalStatus": _status_concept(CLINICAL, "active"),
        "code": concept("No known allergies", SNOMED, "716186003", "No known allergy"),
        "patient": patient_ref(statement.resident_id),
        "recordedDate": instant(statement.recorded_at),
        "recorder": practitioner_ref(statement.recorded_by),
    }


def standing_statements():
    """The "no known allergies" statements that stand (allergies.standing's rule, for every
    resident at once): each resident's latest, with no allergy recorded since."""
    allergy_since = Allergy.objects.filter(
        resident=OuterRef("resident"), recorded_at__gte=OuterRef("recorded_at")
    )
    said_since = NoKnownAllergies.objects.filter(resident=OuterRef("resident")).filter(
        Q(recorded_at__gt=OuterRef("recorded_at"))
        | Q(recorded_at=OuterRef("recorded_at"), pk__gt=OuterRef("pk"))
    )
    return (
        NoKnownAllergies.objects.select_related("recorded_by")
        .exclude(Exists(allergy_since))
        .exclude(Exists(said_since))
    )


# --- the formulary --------------------------------------------------------------------------


def _strength(protocol: Protocol) -> dict:
    """How much drug a tablet or capsule holds, or a liquid per so many mL."""
    per = {"value": 1, "unit": protocol.get_form_display().lower()}
    if protocol.form in LIQUID_FORMS:
        per = quantity(protocol.strength_per_ml, Unit.ML)
    return {
        "numerator": quantity(protocol.strength_amount, protocol.strength_unit),
        "denominator": per,
    }


def medication(protocol: Protocol) -> dict:
    link = getattr(protocol, "ingredient_link", None)
    ingredient = link.ingredient.name if link is not None else protocol.drug
    return {
        "code": concept(str(protocol)),
        "status": "inactive" if protocol.retired_at else "active",
        "form": concept(protocol.get_form_display()),
        "ingredient": [
            {
                "itemCodeableConcept": concept(ingredient),
                "isActive": True,
                "strength": _strength(protocol),
            }
        ],
    }


def _protocols():
    # A protocol without its ingredient's row has none to join (ProtocolIngredient): the
    # reverse one-to-one is read with it, so a page costs one query.
    return Protocol.objects.select_related("ingredient_link__ingredient")


# --- orders ---------------------------------------------------------------------------------

# Where an order stands: discontinued before it began (cancelled), discontinued while it ran
# (stopped), run to its end (completed), or to be given (active: running, or due to start).
# As rows, so `status` searches them; as of the database's clock, like the resource's.
_ENDED = Q(ends_at__lte=Now())
ORDER_STATUSES = {
    "cancelled": Q(discontinued_at__lte=F("starts_at")),
    "stopped": Q(discontinued_at__gt=F("starts_at"))
    & (Q(ends_at__isnull=True) | Q(discontinued_at__lt=F("ends_at"))),
    # Discontinued after its end changes nothing: it had run its course.
    "completed": _ENDED & (Q(discontinued_at__isnull=True) | Q(discontinued_at__gte=F("ends_at"))),
    "active": Q(discontinued_at__isnull=True) & (Q(ends_at__isnull=True) | Q(ends_at__gt=Now())),
}


def order_status(order: Order, now) -> str:
    if order.discontinued_at is not None and order.discontinued_at <= order.starts_at:
        return "cancelled"
    stopped_early = order.ends_at is None or (
        order.discontinued_at is not None and order.discontinued_at < order.ends_at
    )
    if order.discontinued_at is not None and stopped_early:
        return "stopped"
    if order.ends_at is not None and order.ends_at <= now:
        return "completed"
    return "active"


def _timing(order: Order) -> dict:
    """Between the order's start and end, at the center's standard times of its frequency."""
    bounds = {"start": instant(order.starts_at)}
    if order.ends_at:
        bounds["end"] = instant(order.ends_at)
    repeat = {"boundsPeriod": bounds}
    times = TIMES[order.frequency]
    if times:
        repeat |= {
            "frequency": len(times),
            "period": 1,
            "periodUnit": "d",
            "timeOfDay": [t.isoformat(timespec="seconds") for t in times],
        }
    return {"repeat": repeat}


def _dosage_words(order: Order) -> str:
    words = (
        f"{plain(order.dose_amount)} {order.dose_unit} {order.get_route_display().lower()}, "
        f"{order.get_frequency_display().lower()}."
    )
    return f"{words} {order.instructions}" if order.instructions else words


def medication_request(order: Order) -> dict:
    status = order_status(order, timezone.now())
    return without_empty(
        {
            "status": status,
            "statusReason": concept(order.discontinue_reason) if order.discontinued_at else None,
            "intent": "order",
            "medicationReference": ref(
                "Medication", order.protocol_id, display=order.protocol.drug
            ),
            "subject": patient_ref(order.resident_id),
            "authoredOn": instant(order.prescribed_at),
            "requester": practitioner_ref(order.prescribed_by),
            "dosageInstruction": [
                {
                    "text": _dosage_words(order),
                    "timing": _timing(order),
                    "asNeededBoolean": order.frequency == Frequency.AS_NEEDED,
                    "route": route(order.route),
                    "doseAndRate": [{"doseQuantity": quantity(order.dose_amount, order.dose_unit)}],
                }
            ],
        }
    )


# --- doses ----------------------------------------------------------------------------------

NOT_GIVEN_WORDS = {
    AdministrationStatus.REFUSED: "Refused by the resident",
    AdministrationStatus.HELD: "Held",
    AdministrationStatus.MISSED: "Missed",
}


def _performer(user, function: str) -> dict:
    return {
        "function": concept(function.capitalize(), PERFORMER_FUNCTION, function),
        "actor": practitioner_ref(user),
    }


def _of_order(order: Order) -> dict:
    return {
        "medicationReference": ref("Medication", order.protocol_id, display=order.protocol.drug),
        "subject": patient_ref(order.resident_id),
        "request": ref("MedicationRequest", order.pk),
    }


def medication_administration(row: Administration) -> dict:
    given = row.status == AdministrationStatus.GIVEN
    why = NOT_GIVEN_WORDS.get(row.status, "")
    if why and row.reason:
        why = f"{why}: {row.reason}"
    performers = [_performer(row.recorded_by, "performer")]
    if row.witness_id:
        performers.append(_performer(row.witness, "witness"))
    override = row.override_cosigner_id and (
        f"Given past a hard stop, co-signed by {row.override_cosigner}: {row.override_reason}"
    )
    return without_empty(
        {
            "status": "completed" if given else "not-done",
            "statusReason": [concept(why)] if why else None,
            **_of_order(row.order),
            "effectiveDateTime": instant(row.at),
            "performer": performers,
            "note": [{"text": override}] if override else None,
            # FHIR's mad-1: a dosage has a dose (or a rate); a dose not given has neither.
            "dosage": {
                "route": route(row.order.route),
                "dose": quantity(row.dose_amount, row.dose_unit),
            }
            if given
            else None,
        }
    )


def stopped_dose(row: DoseStop) -> dict:
    """A dose the hard stops refused: not done, each stop's words its reason; the dose as
    typed when one was."""
    typed = row.dose_amount is not None
    dose = {"dose": quantity(row.dose_amount, row.dose_unit)} if typed else None
    return without_empty(
        {
            "status": "not-done",
            "statusReason": [concept(stop["message"]) for stop in row.stops],
            **_of_order(row.order),
            "effectiveDateTime": instant(row.at),
            "performer": [_performer(row.attempted_by, "performer")],
            "dosage": dose,
        }
    )


register(
    Source(
        type="AllergyIntolerance",
        rows=lambda: Allergy.objects.select_related("recorded_by", "status_changed_by"),
        resource=allergy_intolerance,
        action=Action.VIEW_MEDICATIONS,
        section=allergies.SECTION,
        prefix="allergy",
        date="recorded_at",
        statuses=ALLERGY_STATUSES,
        # The portal shows a resident their active allergies only.
        own=lambda qs: qs.filter(status=AllergyStatus.ACTIVE),
    ),
    Source(
        type="AllergyIntolerance",
        rows=standing_statements,
        resource=no_known_allergies,
        action=Action.VIEW_MEDICATIONS,
        section=allergies.SECTION,
        prefix="none-known",
        date="recorded_at",
        statuses={"active": Q()},
        codes={"716186003": Q(), f"{SNOMED}|716186003": Q()},
    ),
    Source(
        type="Medication",
        rows=_protocols,
        resource=medication,
        action=None,
        statuses={"active": Q(retired_at__isnull=True), "inactive": Q(retired_at__isnull=False)},
    ),
    Source(
        type="MedicationRequest",
        rows=lambda: Order.objects.select_related("protocol", "prescribed_by"),
        resource=medication_request,
        action=Action.VIEW_MEDICATIONS,
        section=MEDICATIONS,
        date="prescribed_at",
        statuses=ORDER_STATUSES,
    ),
    Source(
        type="MedicationAdministration",
        rows=lambda: Administration.objects.select_related(
            "order__protocol", "recorded_by", "witness", "override_cosigner"
        ),
        resource=medication_administration,
        action=Action.VIEW_MEDICATIONS,
        section=MEDICATIONS,
        prefix="dose",
        date="at",
        statuses={
            "completed": Q(status=AdministrationStatus.GIVEN),
            "not-done": ~Q(status=AdministrationStatus.GIVEN),
        },
    ),
    Source(
        type="MedicationAdministration",
        rows=lambda: DoseStop.objects.select_related("order__protocol", "attempted_by"),
        resource=stopped_dose,
        action=Action.VIEW_MEDICATIONS,
        section=MEDICATIONS,
        prefix="stopped",
        date="at",
        statuses={"not-done": Q()},
    ),
)
