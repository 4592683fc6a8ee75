"""The medication record as FHIR (map_medications.py): allergies and "no known allergies" as
AllergyIntolerance, the formulary as Medication, orders as MedicationRequest, doses (and doses
the hard stops refused) as MedicationAdministration; searched and read under the medication
pages' policy, with the portal's rules for a resident's own, and the refusals on the ledger."""

import datetime as dt

import pytest
from django.utils import timezone

from homecoming.ledger.models import Entry
from homecoming.medications import administering, allergies, formulary, orders, schedule
from homecoming.medications.administering import DoseStopped, Override, Witness
from homecoming.medications.allergies import AllergyEntry
from homecoming.medications.ingredient_limits import OrderStopped
from homecoming.medications.models import AllergyStatus, OrderStop
from homecoming.medications.orders import Prescription
from tests.conftest import PASSWORD
from tests.medications import conftest as medications
from tests.medications.conftest import LORAZEPAM_LIQUID, MNEMOSYNE, SERTRALINE
from tests.medications.test_ingredient_limits import IBUPROFEN_400

from .conftest import bundle_of, fhir_json, matches, outcome, valid

SNOMED = "http://snomed.info/sct"
CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"

# The medication fixtures (a medical lead, a prescriber on the resident's care team, protocols,
# consent, orders, the nurse on the round), as the medication tests make them.
medical_lead = medications.medical_lead
prescriber = medications.prescriber
add_protocol = medications.add_protocol
consent_to = medications.consent_to
prescribe = medications.prescribe
nurse = medications.nurse

MIRTAZAPINE = {
    **SERTRALINE,
    "drug": "Mirtazapine",
    "strength_amount": "15",
    "max_single_dose": "45",
    "max_daily_dose": "45",
    "consent_code": "medication-mirtazapine",
}
TYPES = ("AllergyIntolerance", "MedicationRequest", "MedicationAdministration")


def coded(concept) -> str | None:
    return concept["coding"][0]["code"] if concept else None


def by_text(resources) -> dict:
    return {r["code"]["text"]: r for r in resources}


def search(fhir_get, user, type_name, resident, **query) -> list[dict]:
    return matches(bundle_of(fhir_get(user, type_name, patient=resident.pk, **query)))


def total(fhir_get, user, type_name, resident, **query) -> int:
    return bundle_of(fhir_get(user, type_name, patient=resident.pk, **query))["total"]


def denied(actor, resident) -> int:
    return Entry.objects.filter(actor=actor, resident=resident, outcome="denied").count()


@pytest.fixture
def ibuprofen(resident, add_protocol, consent_to):
    protocol = add_protocol(IBUPROFEN_400)  # ingredient Ibuprofen, class NSAID
    consent_to(resident, protocol)
    return protocol


@pytest.fixture
def allergy_list(resident, staff, prescriber, ibuprofen):
    """Penicillin (severe, confirmed), ibuprofen (an intolerance, not confirmed), latex ruled
    out as disproved, codeine ruled out as entered in error."""

    def record(substance, **fields):
        entry = AllergyEntry(substance, reaction=fields.pop("reaction", "hives"), **fields)
        return allergies.record(staff["caseworker"], resident, entry)

    penicillin = record("Penicillin", reaction="hives and swelling", severity="severe")
    allergies.verify(prescriber, penicillin)
    record("ibuprofen", kind="intolerance", reaction="stomach pain", severity="mild")
    latex = record("Latex", reaction="rash", severity="moderate")
    allergies.rule_out(prescriber, latex, AllergyStatus.REFUTED, "Patch test negative.")
    codeine = record("Codeine", reaction="nausea", severity="mild")
    allergies.rule_out(prescriber, codeine, AllergyStatus.ENTERED_IN_ERROR, "Another resident's.")
    return {"penicillin": penicillin, "latex": latex, "codeine": codeine}


# --- AllergyIntolerance -------------------------------------------------------------------


def test_allergies_are_allergy_intolerances_with_fhirs_statuses(
    resident, staff, prescriber, allergy_list, fhir_get
):
    found = by_text(search(fhir_get, staff["caseworker"], "AllergyIntolerance", resident))
    assert set(found) == {"Penicillin", "Ibuprofen", "Latex", "Codeine"}
    penicillin, ibuprofen = found["Penicillin"], found["Ibuprofen"]
    assert penicillin["id"] == f"allergy-{allergy_list['penicillin'].pk}"
    assert penicillin["clinicalStatus"]["coding"] == [{"system": CLINICAL, "code": "active"}]
    assert penicillin["verificationStatus"]["coding"] == [
        {"system": VERIFICATION, "code": "confirmed"}
    ]
    assert penicillin["type"] == "allergy" and "category" not in penicillin
    assert penicillin["patient"] == {"reference": f"Patient/{resident.pk}"}
    assert penicillin["recorder"]["reference"] == f"Practitioner/{staff['caseworker'].pk}"
    assert penicillin["reaction"] == [
        {"manifestation": [{"text": "hives and swelling"}], "severity": "severe"}
    ]
    # Our severity is the reaction's; nobody here assesses FHIR's criticality.
    assert "criticality" not in penicillin
    assert coded(ibuprofen["verificationStatus"]) == "unconfirmed"
    assert ibuprofen["type"] == "intolerance"
    assert ibuprofen["category"] == ["medication"]  # the formulary's ingredient
    # ait-1: a refuted allergy keeps a clinical status (inactive); ait-2: one entered in
    # error has none.
    latex, codeine = found["Latex"], found["Codeine"]
    assert (coded(latex["clinicalStatus"]), coded(latex["verificationStatus"])) == (
        "inactive",
        "refuted",
    )
    assert latex["note"][0]["text"].endswith("Patch test negative.")
    assert "clinicalStatus" not in codeine
    assert coded(codeine["verificationStatus"]) == "entered-in-error"


def test_allergies_are_searched_by_clinical_status_and_date(
    resident, staff, allergy_list, fhir_get
):
    today = timezone.localdate()
    reader = staff["caseworker"]
    cases = {
        (("status", "active"),): 2,
        (("status", "inactive"),): 1,
        (("status", "active,inactive"),): 3,
        (("status", "resolved"),): 0,
        (("date", today.isoformat()),): 4,
        (("date", f"lt{today.isoformat()}"),): 0,
    }
    for asked, count in cases.items():
        assert total(fhir_get, reader, "AllergyIntolerance", resident, **dict(asked)) == count


def test_a_look_at_the_allergies_is_one_entry_naming_them(resident, staff, allergy_list, fhir_get):
    before = Entry.objects.count()
    search(fhir_get, staff["caseworker"], "AllergyIntolerance", resident)
    (look,) = Entry.objects.filter(seq__gt=before).exclude(action__startswith="token.")
    assert look.action == "medication.view" and look.resident_id == resident.pk
    assert look.details["sections"] == ["allergies"]


def test_no_known_allergies_is_snomeds_no_known_allergy_while_it_stands(resident, staff, fhir_get):
    statement = allergies.record_none(staff["caseworker"], resident)
    reader = staff["caseworker"]
    (said,) = search(fhir_get, reader, "AllergyIntolerance", resident)
    assert said["id"] == f"none-known-{statement.pk}"
    assert said["code"] == {
        "coding": [{"system": SNOMED, "code": "716186003", "display": "No known allergy"}],
        "text": "No known allergies",
    }
    assert coded(said["clinicalStatus"]) == "active" and "verificationStatus" not in said
    for code in ("716186003", f"{SNOMED}|716186003"):
        assert total(fhir_get, reader, "AllergyIntolerance", resident, code=code) == 1
    assert total(fhir_get, reader, "AllergyIntolerance", resident, status="active") == 1
    # An allergy recorded since makes it stale: no page shows it, nor does FHIR.
    allergies.record(reader, resident, AllergyEntry("Latex", reaction="rash", severity="mild"))
    (only,) = search(fhir_get, reader, "AllergyIntolerance", resident)
    assert only["code"]["text"] == "Latex"
    outcome(fhir_get(reader, f"AllergyIntolerance/{said['id']}"), 404, "not-found")


def test_a_resident_reads_their_active_allergies_not_those_ruled_out(
    resident, other_resident, portal_user, allergy_list, staff, fhir_get
):
    own = matches(bundle_of(fhir_get(portal_user, "AllergyIntolerance")))
    assert set(by_text(own)) == {"Penicillin", "Ibuprofen"}  # as the portal shows them
    latex = allergy_list["latex"]
    outcome(fhir_get(portal_user, f"AllergyIntolerance/allergy-{latex.pk}"), 404, "not-found")
    penicillin = allergy_list["penicillin"]
    path = f"AllergyIntolerance/allergy-{penicillin.pk}"
    assert valid(fhir_json(fhir_get(portal_user, path)))["code"]["text"] == "Penicillin"
    theirs = allergies.record(
        staff["caseworker_other"],
        other_resident,
        AllergyEntry("Peanuts", reaction="swelling", severity="severe"),
    )
    outcome(
        fhir_get(portal_user, "AllergyIntolerance", patient=other_resident.pk), 403, "forbidden"
    )
    outcome(fhir_get(portal_user, f"AllergyIntolerance/allergy-{theirs.pk}"), 403, "forbidden")


# --- Medication ---------------------------------------------------------------------------


def test_the_formularys_protocols_are_medications(staff, ibuprofen, add_protocol, fhir_get):
    liquid = add_protocol(LORAZEPAM_LIQUID)
    reader = staff["clinician"]
    tablet = valid(fhir_json(fhir_get(reader, f"Medication/{ibuprofen.pk}")))
    assert tablet["code"] == {"text": "Ibuprofen 400 mg tablet"}
    assert tablet["status"] == "active" and tablet["form"] == {"text": "Tablet"}
    (ingredient,) = tablet["ingredient"]
    assert ingredient["itemCodeableConcept"] == {"text": "Ibuprofen"}
    assert ingredient["strength"] == {
        "numerator": {
            "value": 400,
            "unit": "mg",
            "system": "http://unitsofmeasure.org",
            "code": "mg",
        },
        "denominator": {"value": 1, "unit": "tablet"},
    }
    oral = valid(fhir_json(fhir_get(reader, f"Medication/{liquid.pk}")))
    strength = oral["ingredient"][0]["strength"]
    assert strength["numerator"]["value"] == 2 and strength["denominator"]["code"] == "mL"


def test_a_retired_protocol_is_an_inactive_medication(staff, medical_lead, ibuprofen, fhir_get):
    assert bundle_of(fhir_get(staff["clinician"], "Medication", status="inactive"))["total"] == 0
    formulary.retire_protocol(medical_lead, ibuprofen)
    (retired,) = matches(bundle_of(fhir_get(staff["clinician"], "Medication", status="inactive")))
    assert retired["id"] == str(ibuprofen.pk) and retired["status"] == "inactive"


def test_the_formulary_is_for_those_who_care_for_residents(staff, ibuprofen, fhir_get):
    for role in ("contractor", "sysadmin"):
        outcome(fhir_get(staff[role], "Medication"), 403, "forbidden")
        outcome(fhir_get(staff[role], f"Medication/{ibuprofen.pk}"), 403, "forbidden")


# --- MedicationRequest ----------------------------------------------------------------------


def test_an_order_is_a_medication_request(resident, staff, prescriber, ibuprofen, fhir_get):
    order = orders.prescribe(
        prescriber,
        resident,
        Prescription(
            protocol=ibuprofen,
            dose_amount="400",
            dose_unit="mg",
            route="oral",
            frequency="three_times_daily",
            instructions="With food.",
        ),
    )
    (request,) = search(fhir_get, staff["caseworker"], "MedicationRequest", resident)
    assert request["id"] == str(order.pk)
    assert (request["status"], request["intent"]) == ("active", "order")
    assert request["medicationReference"] == {
        "reference": f"Medication/{ibuprofen.pk}",
        "display": "Ibuprofen",
    }
    assert request["subject"] == {"reference": f"Patient/{resident.pk}"}
    assert request["requester"]["reference"] == f"Practitioner/{prescriber.pk}"
    assert request["authoredOn"].endswith("Z")
    (dosage,) = request["dosageInstruction"]
    assert dosage["text"] == "400 mg by mouth, three times a day. With food."
    assert dosage["asNeededBoolean"] is False
    assert dosage["route"]["coding"][0] == {
        "system": SNOMED,
        "code": "26643006",
        "display": "Oral route",
    }
    assert dosage["doseAndRate"] == [
        {
            "doseQuantity": {
                "value": 400,
                "unit": "mg",
                "system": "http://unitsofmeasure.org",
                "code": "mg",
            }
        }
    ]
    repeat = dosage["timing"]["repeat"]
    assert (repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (3, 1, "d")
    assert repeat["timeOfDay"] == ["08:00:00", "14:00:00", "20:00:00"]


def test_an_orders_status_says_where_it_stands_and_is_searched(
    resident, staff, prescriber, add_protocol, consent_to, prescribe, fhir_get
):
    protocol = add_protocol()
    consent_to(resident, protocol)
    now = timezone.now()
    # One ingredient, so each order after the first acknowledges the duplicate therapy, and
    # those running together stay within its 200 mg a day.
    again = {"acknowledge_duplicates": True}
    stopped = prescribe(resident, protocol)
    orders.discontinue(prescriber, stopped, "No longer needed.")
    never = prescribe(resident, protocol, starts_at=now + dt.timedelta(days=2), **again)
    orders.discontinue(prescriber, never, "Written for the wrong week.")
    ended = prescribe(resident, protocol, ends_at=now - dt.timedelta(hours=1), **again)
    running = prescribe(resident, protocol, dose="25", frequency="as_needed", **again)
    reader = staff["caseworker"]
    found = {r["id"]: r for r in search(fhir_get, reader, "MedicationRequest", resident)}
    expected = {running: "active", stopped: "stopped", never: "cancelled", ended: "completed"}
    assert {found[str(o.pk)]["status"] for o in expected} == set(expected.values())
    for order, status in expected.items():
        assert found[str(order.pk)]["status"] == status
        (alone,) = search(fhir_get, reader, "MedicationRequest", resident, status=status)
        assert alone["id"] == str(order.pk)
    assert found[str(stopped.pk)]["statusReason"] == {"text": "No longer needed."}
    assert found[str(running.pk)]["dosageInstruction"][0]["asNeededBoolean"] is True
    assert "timeOfDay" not in found[str(running.pk)]["dosageInstruction"][0]["timing"]["repeat"]
    today = timezone.localdate().isoformat()
    assert total(fhir_get, reader, "MedicationRequest", resident, date=today) == 4
    assert total(fhir_get, reader, "MedicationRequest", resident, date=f"gt{today}") == 0


def test_an_order_the_hard_stops_refused_is_no_medication_request(
    resident, staff, prescriber, ibuprofen, fhir_get
):
    entry = AllergyEntry("ibuprofen", reaction="hives", severity="moderate")
    allergies.record(staff["caseworker"], resident, entry)
    with pytest.raises(OrderStopped):
        orders.prescribe(
            prescriber,
            resident,
            Prescription(ibuprofen, "400", "mg", route="oral", frequency="as_needed"),
        )
    assert OrderStop.objects.filter(resident=resident).exists()
    assert total(fhir_get, staff["caseworker"], "MedicationRequest", resident) == 0


# --- MedicationAdministration ---------------------------------------------------------------


@pytest.fixture
def doses(resident, add_protocol, consent_to, prescribe, nurse):
    """Sertraline: a dose given as needed, a second stopped inside the interval; and a
    scheduled dose of twice-daily mirtazapine the resident refused."""
    protocol = add_protocol()
    consent_to(resident, protocol)
    prn = prescribe(resident, protocol, frequency="as_needed")
    given = administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    with pytest.raises(DoseStopped) as stopped:
        administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    other = add_protocol(MIRTAZAPINE)  # another drug: within its own limits
    consent_to(resident, other)
    twice = prescribe(resident, other, dose="15", frequency="twice_daily")
    slot = schedule.due_times(twice, twice.starts_at, timezone.now())[-1]
    refused = administering.not_given(
        nurse, twice, status="refused", scheduled_for=slot, reason="Felt sick."
    )
    return {"given": given, "stopped": stopped.value.record, "refused": refused, "prn": prn}


def test_doses_are_medication_administrations(resident, staff, nurse, doses, fhir_get):
    found = {
        r["id"]: r
        for r in search(fhir_get, staff["caseworker"], "MedicationAdministration", resident)
    }
    given = found[f"dose-{doses['given'].pk}"]
    assert given["status"] == "completed"
    assert given["medicationReference"]["reference"] == f"Medication/{doses['prn'].protocol_id}"
    assert given["subject"] == {"reference": f"Patient/{resident.pk}"}
    assert given["request"] == {"reference": f"MedicationRequest/{doses['prn'].pk}"}
    assert given["effectiveDateTime"].endswith("Z")
    (performer,) = given["performer"]
    assert performer["actor"]["reference"] == f"Practitioner/{nurse.pk}"
    assert coded(performer["function"]) == "performer"
    assert given["dosage"]["dose"]["value"] == 50 and given["dosage"]["dose"]["code"] == "mg"
    refused = found[f"dose-{doses['refused'].pk}"]
    assert refused["status"] == "not-done" and "dosage" not in refused
    assert refused["statusReason"] == [{"text": "Refused by the resident: Felt sick."}]
    # The stopped attempt is in the record as the portal shows it: not done, and why.
    stopped = found[f"stopped-{doses['stopped'].pk}"]
    assert stopped["status"] == "not-done"
    assert stopped["statusReason"] == [{"text": s["message"]} for s in doses["stopped"].stops]
    assert stopped["dosage"]["dose"]["value"] == 50
    assert stopped["request"] == {"reference": f"MedicationRequest/{doses['prn'].pk}"}


def test_a_witness_and_an_override_are_part_of_the_dose(
    resident, staff, nurse, doses, add_protocol, consent_to, prescribe, fhir_get
):
    trial = add_protocol(MNEMOSYNE)
    consent_to(resident, trial)
    order = prescribe(resident, trial, dose="250", unit="mcg", frequency="as_needed")
    witnessed = administering.give(
        nurse,
        order,
        dose_amount="250",
        dose_unit="mcg",
        witness=Witness(staff["caseworker"], PASSWORD),
    )
    early = administering.give(
        nurse,
        doses["prn"],
        dose_amount="50",
        dose_unit="mg",
        override=Override(staff["clinician"], PASSWORD, "Pain after a fall"),
    )
    reader = staff["caseworker"]
    shown = valid(fhir_json(fhir_get(reader, f"MedicationAdministration/dose-{witnessed.pk}")))
    functions = {coded(p["function"]): p["actor"]["reference"] for p in shown["performer"]}
    assert functions == {
        "performer": f"Practitioner/{nurse.pk}",
        "witness": f"Practitioner/{staff['caseworker'].pk}",
    }
    assert shown["dosage"]["dose"] == {
        "value": 250,
        "unit": "mcg",
        "system": "http://unitsofmeasure.org",
        "code": "ug",
    }
    overridden = valid(fhir_json(fhir_get(reader, f"MedicationAdministration/dose-{early.pk}")))
    (note,) = overridden["note"]
    assert staff["clinician"].full_name in note["text"]
    assert note["text"].endswith("Pain after a fall")


def test_doses_are_searched_by_status_and_date_and_read_by_id(resident, staff, doses, fhir_get):
    reader = staff["caseworker"]
    today = timezone.localdate().isoformat()
    cases = {
        (("status", "completed"),): 1,
        (("status", "not-done"),): 2,
        (("status", "in-progress"),): 0,
        (("date", f"ge{today}"),): 3,
        (("date", "lt2020"),): 0,
    }
    for asked, count in cases.items():
        assert total(fhir_get, reader, "MedicationAdministration", resident, **dict(asked)) == count
    for key, prefix in (("given", "dose"), ("stopped", "stopped")):
        path = f"MedicationAdministration/{prefix}-{doses[key].pk}"
        assert valid(fhir_json(fhir_get(reader, path)))["id"] == f"{prefix}-{doses[key].pk}"
    outcome(fhir_get(reader, "MedicationAdministration/999999"), 404, "not-found")


def test_a_resident_reads_their_orders_and_doses_as_the_portal_shows_them(
    resident, other_resident, portal_user, doses, fhir_get
):
    own = matches(bundle_of(fhir_get(portal_user, "MedicationAdministration")))
    assert {r["id"].split("-")[0] for r in own} == {"dose", "stopped"}  # stopped doses too
    assert len(own) == 3
    requests = matches(bundle_of(fhir_get(portal_user, "MedicationRequest")))
    assert {r["subject"]["reference"] for r in requests} == {f"Patient/{resident.pk}"}
    for type_name in ("MedicationRequest", "MedicationAdministration"):
        outcome(fhir_get(portal_user, type_name, patient=other_resident.pk), 403, "forbidden")


# --- refusals -------------------------------------------------------------------------------


def test_those_off_the_team_are_refused_and_it_is_on_the_ledger(
    resident, staff, allergy_list, doses, fhir_get
):
    reads = {
        "AllergyIntolerance": f"allergy-{allergy_list['penicillin'].pk}",
        "MedicationRequest": str(doses["prn"].pk),
        "MedicationAdministration": f"dose-{doses['given'].pk}",
    }
    other = staff["caseworker_other"]
    for type_name in TYPES:
        before = denied(other, resident)
        outcome(fhir_get(other, type_name, patient=resident.pk), 403, "forbidden")
        outcome(fhir_get(other, f"{type_name}/{reads[type_name]}"), 403, "forbidden")
        assert denied(other, resident) == before + 2
    assert not Entry.objects.filter(actor=other, resident=resident, outcome="allowed").exists()
    for type_name in TYPES:
        outcome(fhir_get(staff["contractor"], type_name, patient=resident.pk), 403, "forbidden")
        path = f"{type_name}/{reads[type_name]}"
        outcome(fhir_get(staff["contractor"], path), 403, "forbidden")
    assert denied(staff["contractor"], resident) == 2 * len(TYPES)


def test_everything_holds_the_medication_record(resident, staff, allergy_list, doses, fhir_get):
    bundle = bundle_of(
        fhir_get(staff["caseworker"], f"Patient/{resident.pk}/$everything", _count=100)
    )
    kinds = {r["resourceType"] for r in matches(bundle)}
    assert set(TYPES) <= kinds and "Medication" not in kinds  # about no resident
