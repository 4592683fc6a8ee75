"""Allergies: recorded (every error at once), confirmed and ruled out by a clinician, "no known
allergies" said explicitly; and a hard stop for orders and doses of a product containing one,
passed only by a second clinician's co-signature, which alerts the director and oversight.

The insiders replayed: a prescriber ordering past an allergy alone, a nurse giving past one, a
staff member ruling an allergy out to get an order through, a caseworker confirming one, a
resident editing their own list, and a database administrator deleting or rewriting a row."""

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from homecoming.access.policy import AccessDenied
from homecoming.alerts.models import Alert
from homecoming.ledger import dbcheck
from homecoming.ledger.models import Entry
from homecoming.medications import administering, allergies, orders
from homecoming.medications.administering import DoseStopped, Override
from homecoming.medications.allergies import AllergyEntry
from homecoming.medications.guard import Rule
from homecoming.medications.ingredient_limits import InteractionOverride, OrderStopped
from homecoming.medications.models import (
    Allergy,
    AllergyOverride,
    AllergyStatus,
    DoseStop,
    NoKnownAllergies,
    Order,
    OrderStop,
)
from homecoming.medications.orders import Prescription
from tests.conftest import PASSWORD

from .test_ingredient_limits import IBUPROFEN_400, post

PENICILLIN = AllergyEntry("Penicillin", reaction="hives and swelling", severity="severe")


def ibuprofen_order(protocol, override=None, frequency="as_needed"):
    return Prescription(
        protocol=protocol,
        dose_amount="400",
        dose_unit="mg",
        route="oral",
        frequency=frequency,
        interaction_override=override,
    )


@pytest.fixture
def ibuprofen(resident, add_protocol, consent_to):
    protocol = add_protocol(IBUPROFEN_400)  # ingredient Ibuprofen, class NSAID
    consent_to(resident, protocol)
    return protocol


def allergic_to(resident, staff, substance="ibuprofen", **fields):
    entry = AllergyEntry(substance, reaction=fields.pop("reaction", "hives"), severity="moderate")
    return allergies.record(staff["caseworker"], resident, entry)


# --- recording ----------------------------------------------------------------------------


def test_an_allergy_is_recorded_on_the_ledger_and_linked_to_the_formulary(
    resident, staff, ibuprofen
):
    allergy = allergic_to(resident, staff, "  IBUPROFEN ")
    assert allergy.substance == "Ibuprofen" and allergy.ingredient.name == "Ibuprofen"
    assert allergy.verified_at is None and allergy.status == AllergyStatus.ACTIVE
    entry = Entry.objects.get(action="allergy.record", object_id=str(allergy.pk))
    assert (entry.actor, entry.resident_id, entry.purpose) == (
        staff["caseworker"],
        resident.pk,
        "care",
    )
    assert allergies.standing(resident.pk).words == "Ibuprofen"


def test_every_problem_is_named_at_once_and_nothing_is_written(resident, staff):
    entry = AllergyEntry(" ", kind="rash", reaction="", severity="deadly", verified=True)
    with pytest.raises(ValidationError) as refused:
        allergies.record(staff["caseworker"], resident, entry)
    assert set(refused.value.message_dict) == {
        "substance",
        "kind",
        "reaction",
        "severity",
        "verified",
    }
    assert not Allergy.objects.exists()


def test_the_same_substance_twice_is_refused(resident, staff):
    allergies.record(staff["caseworker"], resident, PENICILLIN)
    with pytest.raises(ValidationError, match="Already recorded"):
        allergies.record(staff["clinician"], resident, PENICILLIN)


def test_only_a_clinician_records_an_allergy_as_confirmed(resident, staff):
    confirmed = AllergyEntry("Latex", reaction="rash", severity="mild", verified=True)
    with pytest.raises(ValidationError, match="Only a clinician"):
        allergies.record(staff["caseworker"], resident, confirmed)
    allergy = allergies.record(staff["clinician"], resident, confirmed)
    assert allergy.verified_by == staff["clinician"]


def test_no_known_allergies_is_said_explicitly_and_goes_stale(resident, staff):
    assert allergies.standing(resident.pk).words == "Allergies not recorded"
    assert not allergies.standing(resident.pk).recorded
    allergies.record_none(staff["caseworker"], resident)
    assert allergies.standing(resident.pk).words == "No known allergies"
    allergy = allergies.record(staff["caseworker"], resident, PENICILLIN)
    assert allergies.standing(resident.pk).words == "Penicillin"
    with pytest.raises(ValidationError, match="rules each out"):
        allergies.record_none(staff["caseworker"], resident)
    allergies.rule_out(staff["clinician"], allergy, "entered_in_error", "Another resident's.")
    # The old statement predates the allergy: the resident is asked again.
    assert allergies.standing(resident.pk).words == "Allergies not recorded"
    allergies.record_none(staff["caseworker"], resident)
    assert NoKnownAllergies.objects.filter(resident=resident).count() == 2


# --- who may ------------------------------------------------------------------------------


def test_a_resident_cannot_edit_their_own_allergies(resident, staff):
    from homecoming.residents import services as residents_services

    residents_services.grant_portal_access(
        staff["caseworker"], resident, "thaddeus", "a long enough passphrase", False
    )
    resident.refresh_from_db()
    with pytest.raises(AccessDenied):
        allergies.record(resident.user, resident, PENICILLIN)
    allergy = allergies.record(staff["caseworker"], resident, PENICILLIN)
    with pytest.raises(AccessDenied):
        allergies.rule_out(resident.user, allergy, "refuted", "I am not allergic.")
    assert Entry.objects.filter(
        actor=resident.user, action="allergy.record", outcome="denied"
    ).exists()


@pytest.mark.parametrize("who", ["caseworker", "caseworker_other", "investigator", "sysadmin"])
def test_only_a_clinician_confirms_or_rules_out(resident, staff, who):
    allergy = allergies.record(staff["caseworker"], resident, PENICILLIN)
    with pytest.raises(AccessDenied):
        allergies.verify(staff[who], allergy)
    with pytest.raises(AccessDenied):
        allergies.rule_out(staff[who], allergy, "refuted", "Tolerated amoxicillin.")
    allergy.refresh_from_db()
    assert allergy.active and allergy.verified_at is None
    assert Entry.objects.filter(
        actor=staff[who], action="allergy.review", outcome="denied"
    ).exists()


@pytest.mark.parametrize("who", ["caseworker_other", "investigator", "oversight", "contractor"])
def test_outside_the_care_team_no_one_records_an_allergy(resident, staff, who):
    with pytest.raises(AccessDenied):
        allergies.record(staff[who], resident, PENICILLIN)
    assert not Allergy.objects.exists()


def test_the_nurse_on_the_round_records_a_reaction_seen(resident, staff, nurse, ibuprofen):
    allergy = allergies.record(nurse, resident, PENICILLIN)
    entry = Entry.objects.get(action="allergy.record", object_id=str(allergy.pk))
    assert entry.purpose == "medication_round"


# --- ruling out ---------------------------------------------------------------------------


def test_ruling_out_needs_the_reason_and_tells_the_lead_and_the_director(
    resident, staff, medical_lead
):
    allergy = allergies.record(staff["caseworker"], resident, PENICILLIN)
    with pytest.raises(ValidationError) as refused:
        allergies.rule_out(staff["clinician"], allergy, "gone", "  ")
    assert set(refused.value.message_dict) == {"status", "reason"}
    allergies.rule_out(staff["clinician"], allergy, "refuted", "Took amoxicillin in 2024, fine.")
    allergy.refresh_from_db()
    assert (
        allergy.status == AllergyStatus.REFUTED and allergy.status_changed_by == staff["clinician"]
    )
    for person in (medical_lead, staff["program_director"]):
        alert = Alert.objects.get(recipient=person, kind="allergy_ruled_out")
        assert "Took amoxicillin in 2024" in alert.message
    with pytest.raises(ValidationError, match="already ruled out"):
        allergies.rule_out(staff["clinician"], allergy, "refuted", "Again.")


# --- the hard stop at ordering -------------------------------------------------------------


def test_an_order_of_an_allergen_is_stopped_and_the_lead_told(
    resident, staff, ibuprofen, prescriber, medical_lead
):
    allergic_to(resident, staff)
    with pytest.raises(OrderStopped) as stopped:
        orders.prescribe(prescriber, resident, ibuprofen_order(ibuprofen))
    message = stopped.value.message_dict["allergy"][0]
    assert "Ibuprofen meets the resident's allergy to Ibuprofen (moderate: hives" in message
    assert not Order.objects.exists()
    # Kept in the record as a stopped order, on the ledger as refused, and told to the lead.
    kept = OrderStop.objects.get(resident=resident)
    assert kept.stops == [{"rule": "allergy", "message": message}]
    assert kept.ordered == "400 mg, as needed" and kept.attempted_by == prescriber
    assert Entry.objects.get(
        actor=prescriber, action="medication.prescribe", outcome="denied"
    ).object_id == str(kept.pk)
    assert Alert.objects.filter(recipient=medical_lead, kind="order_stopped").exists()


def test_the_stopped_order_is_in_the_medication_record_page_and_api(
    resident, staff, ibuprofen, prescriber, client_for, api_for
):
    allergic_to(resident, staff)
    with pytest.raises(OrderStopped):
        orders.prescribe(prescriber, resident, ibuprofen_order(ibuprofen))
    text = client_for(staff["clinician"]).get(f"/residents/{resident.pk}/medications/").text
    assert "Orders stopped since" in text and "400 mg, as needed" in text
    assert "Ibuprofen meets the resident&#x27;s allergy to Ibuprofen" in text
    body = api_for(staff["clinician"]).get(f"/api/v1/residents/{resident.pk}/medications").json()
    assert [s["stops"][0]["rule"] for s in body["order_stops"]] == ["allergy"]


@pytest.mark.parametrize("substance", ["NSAID", "ibuprofen", "Ibuprofen "])
def test_an_allergy_to_the_class_or_the_drug_stops_it_too(
    resident, staff, ibuprofen, prescriber, substance
):
    allergic_to(resident, staff, substance)
    with pytest.raises(OrderStopped):
        orders.prescribe(prescriber, resident, ibuprofen_order(ibuprofen))


def test_another_substance_stops_nothing_and_a_ruled_out_allergy_neither(
    resident, staff, ibuprofen, prescriber
):
    allergies.record(staff["caseworker"], resident, PENICILLIN)
    wrong = allergic_to(resident, staff)
    allergies.rule_out(staff["clinician"], wrong, "entered_in_error", "Meant naproxen.")
    assert orders.prescribe(prescriber, resident, ibuprofen_order(ibuprofen))


def test_every_stop_of_an_order_is_named_at_once(resident, staff, ibuprofen, prescriber):
    allergic_to(resident, staff)
    order = Prescription(
        protocol=ibuprofen, dose_amount="4000", dose_unit="mg", route="nasal", frequency="daily"
    )
    with pytest.raises(ValidationError) as refused:
        orders.prescribe(prescriber, resident, order)
    assert set(refused.value.message_dict) == {"dose_amount", "route", "allergy"}
    assert not Order.objects.exists()


def test_a_second_clinician_co_signs_past_an_allergy_and_oversight_is_told(
    resident, staff, ibuprofen, prescriber, nurse
):
    allergy = allergic_to(resident, staff, reaction="mild stomach upset")
    override = InteractionOverride(staff["clinician"], PASSWORD, "Only NSAID that helps; watch.")
    order = orders.prescribe(prescriber, resident, ibuprofen_order(ibuprofen, override))
    row = AllergyOverride.objects.get(order=order)
    assert (row.allergy, row.cosigner) == (allergy, staff["clinician"])
    assert Entry.objects.filter(
        actor=staff["clinician"], action="allergy.override", object_id=str(row.pk)
    ).exists()
    for role in ("program_director", "oversight"):
        alert = Alert.objects.get(recipient=staff[role], kind="allergy_override")
        assert "despite a recorded allergy" in alert.message
    # The order was written past this allergy: its doses are not stopped for it.
    administering.give(nurse, order, dose_amount="400", dose_unit="mg")


@pytest.mark.parametrize("who", ["prescriber", "caseworker", "wrong_password"])
def test_the_allergy_override_needs_another_clinician_who_confirms(
    resident, staff, ibuprofen, prescriber, who
):
    allergic_to(resident, staff)
    cosigner = {"prescriber": prescriber, "caseworker": staff["caseworker"]}.get(
        who, staff["clinician"]
    )
    secret = "not the password" if who == "wrong_password" else PASSWORD
    override = InteractionOverride(cosigner, secret, "Needed.")
    with pytest.raises(ValidationError):
        orders.prescribe(prescriber, resident, ibuprofen_order(ibuprofen, override))
    assert not Order.objects.exists() and not AllergyOverride.objects.exists()


# --- the hard stop at the bedside ----------------------------------------------------------


def test_an_allergy_recorded_after_the_order_stops_its_doses(
    resident, staff, ibuprofen, prescribe, prescriber, nurse, medical_lead
):
    order = prescribe(resident, ibuprofen, dose="400", frequency="as_needed")
    allergic_to(resident, staff, reaction="wheezing")
    # The prescriber and the lead are told at once, the alert about the order itself.
    told = Alert.objects.get(recipient=prescriber, kind="allergy_order")
    assert "wheezing" in told.message and told.about_id == str(order.pk)
    assert Alert.objects.filter(recipient=medical_lead, kind="allergy_order").exists()
    with pytest.raises(DoseStopped) as stopped:
        administering.give(nurse, order, dose_amount="400", dose_unit="mg")
    assert [s.rule for s in stopped.value.stops] == [Rule.ALLERGY]
    assert stopped.value.overridable
    kept = DoseStop.objects.get(order=order)
    assert kept.stops[0]["rule"] == "allergy" and "review" in kept.stops[0]["message"]
    assert Alert.objects.filter(recipient=medical_lead, kind="dose_stopped").exists()
    # Discontinuing the order is the review the alert asked for: it closes.
    orders.discontinue(prescriber, order, "Allergy to ibuprofen recorded.")
    told.refresh_from_db()
    assert told.read_at is not None and told.acknowledged_by == prescriber


def test_a_dose_past_an_allergy_needs_a_clinicians_co_signature(
    resident, staff, ibuprofen, prescribe, nurse
):
    order = prescribe(resident, ibuprofen, dose="400", frequency="as_needed")
    allergic_to(resident, staff, reaction="mild rash years ago")
    with pytest.raises(ValidationError, match="must be a clinician"):
        administering.give(
            nurse,
            order,
            dose_amount="400",
            dose_unit="mg",
            override=Override(staff["caseworker"], PASSWORD, "Tolerated it last week."),
        )
    row = administering.give(
        nurse,
        order,
        dose_amount="400",
        dose_unit="mg",
        override=Override(staff["clinician"], PASSWORD, "Tolerated it last week."),
    )
    assert row.override_cosigner == staff["clinician"]
    alert = Alert.objects.get(recipient=staff["oversight"], kind="medication_override")
    assert "despite a recorded allergy" in alert.message


# --- the database administrator -----------------------------------------------------------


def _sql(statement, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM medications_allergy",
        "UPDATE medications_allergy SET substance = 'Nothing', substance_key = 'nothing'",
        "DELETE FROM medications_noknownallergies",
    ],
)
def test_the_database_refuses_to_delete_or_rename_an_allergy(
    resident, staff, admit, beds, statement
):
    allergies.record(staff["caseworker"], resident, PENICILLIN)
    allergies.record_none(staff["caseworker"], admit(given_name="Other", bed=beds[1]))
    with pytest.raises(Exception, match="refused"):
        _sql(statement)
    assert Allergy.objects.get().substance == "Penicillin"


def test_an_allergy_ruled_out_behind_the_application_is_named_by_the_database_check(
    resident, staff, ledger_key
):
    allergy = allergies.record(staff["caseworker"], resident, PENICILLIN)
    # The administrator rules it out in SQL, so no alert goes out: the row no longer matches
    # the version the ledger holds.
    _sql(
        "UPDATE medications_allergy SET status = 'refuted', status_changed_by_id = %s, "
        "status_changed_at = recorded_at, status_reason = 'x' WHERE id = %s",
        [staff["sysadmin"].pk, allergy.pk],
    )
    problems = dbcheck.check().problems
    assert any(p.startswith(f"medications.allergy #{allergy.pk}") for p in problems), problems
    # And a ruled-out allergy cannot be brought back, even in SQL.
    with pytest.raises(Exception, match="refused"):
        _sql("UPDATE medications_allergy SET status = 'active', status_reason = ''")


# --- pages and the API --------------------------------------------------------------------


def test_the_chart_says_allergies_not_recorded_in_red_then_lists_them(resident, staff, client_for):
    client = client_for(staff["caseworker"])
    text = client.get(f"/residents/{resident.pk}/").content.decode()
    assert '<strong class="text-danger">Allergies not recorded</strong>' in text
    allergies.record(staff["caseworker"], resident, PENICILLIN)
    text = client.get(f"/residents/{resident.pk}/").content.decode()
    # In the patient banner, beside its "Allergies" label: in red, not under a second label.
    red = r'<dt>Allergies</dt><dd>\s*<strong class="text-danger">Penicillin</strong>'
    assert re.search(red, text)
    assert text.count(">Allergies<") == 2  # the banner's label, and the link to the list
    look = Entry.objects.filter(actor=staff["caseworker"], action="resident.view").latest("seq")
    assert "allergies" in look.sections


def test_the_allergies_page_records_with_every_error_at_once(resident, staff, client_for):
    client = client_for(staff["clinician"])
    url = f"/residents/{resident.pk}/allergies/"
    response = client.post(url, {"substance": "Latex", "kind": "allergy", "reaction": ""})
    assert response.status_code == 400
    text = response.content.decode()
    assert "This field is required." in text and 'value="Latex"' in text
    fields = {
        "substance": "Latex",
        "kind": "allergy",
        "reaction": "rash",
        "severity": "mild",
        "verified": "on",
    }
    assert client.post(url, fields).status_code == 302
    allergy = Allergy.objects.get()
    assert allergy.verified_by == staff["clinician"]
    page = client.get(url).content.decode()
    assert "Recorded: Allergy to Latex (rash)." in page
    response = client.post(f"{url}{allergy.pk}/rule-out/", {"status": "refuted", "reason": ""})
    assert response.status_code == 400
    assert "Say why the allergy no longer holds." in response.content.decode()
    response = client.post(
        f"{url}{allergy.pk}/rule-out/", {"status": "refuted", "reason": "Patch test negative."}
    )
    assert response.status_code == 302
    assert client.post(f"{url}none/").status_code == 302
    assert "No known allergies" in client.get(url).content.decode()


def test_the_caseworker_page_offers_no_confirmation(resident, staff, client_for):
    allergies.record(staff["caseworker"], resident, PENICILLIN)
    allergy = Allergy.objects.get()
    client = client_for(staff["caseworker"])
    page = client.get(f"/residents/{resident.pk}/allergies/").content.decode()
    assert "Confirm Penicillin" not in page and "Confirmed (a test" not in page
    url = f"/residents/{resident.pk}/allergies/{allergy.pk}/confirm/"
    assert client.post(url).status_code == 403


def test_the_api_reads_records_and_rules_out(resident, staff, api_for, ibuprofen, prescriber):
    api = api_for(staff["clinician"])
    base = f"/api/v1/residents/{resident.pk}/allergies"
    listed = api.get(base).json()
    assert listed == {
        "resident_id": resident.pk,
        "recorded": False,
        "active": [],
        "no_known_allergies": None,
        "ruled_out": [],
    }
    refused = post(api, base, {"substance": "", "reaction": "", "severity": "mild"})
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"substance", "reaction"}
    created = post(api, base, {"substance": "nsaid", "reaction": "asthma", "severity": "severe"})
    assert created.status_code == 201, created.content
    allergy = created.json()
    assert allergy["substance"] == "nsaid" and allergy["status"] == "active"
    assert post(api, f"/api/v1/allergies/{allergy['id']}/confirm", {}).status_code == 200
    # An order through the API meets the same stop, and the same override passes it.
    order = {
        "protocol_id": ibuprofen.pk,
        "dose_amount": "400",
        "dose_unit": "mg",
        "route": "oral",
        "frequency": "as_needed",
    }
    prescribing = api_for(prescriber)
    stopped = post(prescribing, f"/api/v1/residents/{resident.pk}/orders", order)
    assert stopped.status_code == 400 and "allergy" in stopped.json()["errors"]
    order["override"] = {
        "cosigner_username": "clinician",
        "secret": PASSWORD,
        "reason": "Short course; antihistamine ready.",
    }
    written = post(prescribing, f"/api/v1/residents/{resident.pk}/orders", order)
    assert written.status_code == 201, written.content
    ruled = post(
        api,
        f"/api/v1/allergies/{allergy['id']}/rule-out",
        {"status": "entered_in_error", "reason": "Wrong resident."},
    )
    assert ruled.status_code == 200 and ruled.json()["status"] == "entered_in_error"
    assert api.get(base).json()["ruled_out"][0]["status_reason"] == "Wrong resident."


def test_the_round_card_shows_each_residents_allergies(
    resident, staff, ibuprofen, prescribe, nurse, client_for
):
    from .test_views import round_url

    prescribe(resident, ibuprofen, dose="400", frequency="three_times_daily")
    client = client_for(nurse)
    assert "Allergies not recorded" in client.get(round_url()).content.decode()
    allergies.record(staff["caseworker"], resident, PENICILLIN)
    text = client.get(round_url()).content.decode()
    assert '<span class="badge danger">Allergies</span> <strong>Penicillin</strong>' in text


def test_the_resident_sees_their_allergies(resident, staff, client_for):
    from homecoming.residents import services as residents_services

    residents_services.grant_portal_access(
        staff["caseworker"], resident, "thaddeus", "a long enough passphrase", False
    )
    resident.refresh_from_db()
    allergies.record(staff["caseworker"], resident, PENICILLIN)
    client = client_for(resident.user)
    for url in ("/my-record/", "/my-record/medications/"):
        assert "<strong>Penicillin</strong>: hives and swelling" in client.get(url).content.decode()
    assert client.get(f"/residents/{resident.pk}/allergies/").status_code == 302
    assert client.post(
        f"/api/v1/residents/{resident.pk}/allergies",
        json.dumps({"substance": "x", "reaction": "y", "severity": "mild"}),
        content_type="application/json",
    ).status_code in (401, 403)
