"""Medications over the API: the formulary, orders, doses behind the hard stops (a stopped dose is
a 409 naming every rule), the round, and the pages' permissions with their denials on the ledger."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from homecoming.accounts import tokens
from homecoming.consents.models import Consent
from homecoming.ledger.models import Entry
from homecoming.medications import administering, schedule
from homecoming.medications.models import Administration, DoseStop, Protocol
from tests.conftest import PASSWORD
from tests.consents.helpers import portal_login
from tests.medications import conftest as medications
from tests.medications.conftest import LORAZEPAM_LIQUID, SERTRALINE, consent_document

# The medication fixtures (a medical lead, a prescriber on the resident's care team, protocols,
# consent, orders, the nurse on the round), shared with the service tests.
medical_lead = medications.medical_lead
prescriber = medications.prescriber
add_protocol = medications.add_protocol
consent_to = medications.consent_to
prescribe = medications.prescribe
nurse = medications.nurse


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def denied(actor, action, **fields):
    return Entry.objects.filter(actor=actor, action=action, outcome="denied", **fields).exists()


@pytest.fixture
def prn(resident, add_protocol, consent_to, prescribe):
    """Sertraline 50 mg as needed (single 100, 24 h 200, 6 h apart), consented."""
    protocol = add_protocol()
    consent_to(resident, protocol)
    return prescribe(resident, protocol, frequency="as_needed")


def protocol_body(**overrides):
    body = {**SERTRALINE, "min_interval_minutes": 360}
    return body | overrides


# --- the formulary ------------------------------------------------------------------------


def test_the_medical_lead_adds_a_protocol_and_amounts_stay_exact(staff, medical_lead, api_for):
    consent_document(staff["program_director"], "medication-sertraline")
    body = protocol_body(strength_amount="12.5", max_single_dose="37.5", max_daily_dose="150.125")
    response = post(api_for(medical_lead), "/api/v1/formulary", body)
    assert response.status_code == 201, response.content
    added = response.json()
    assert (added["strength_amount"], added["max_single_dose"], added["max_daily_dose"]) == (
        "12.5",
        "37.5",
        "150.125",
    )
    assert added["name"] == "Sertraline 12.5 mg tablet" and added["retired_at"] is None
    listed = api_for(staff["clinician"]).get("/api/v1/formulary").json()["items"]
    assert [p["id"] for p in listed] == [added["id"]]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"strength_amount": "fifty"}, "strength_amount"),
        ({"max_daily_dose": "50"}, "max_daily_dose"),
        ({"consent_code": "no-such-document"}, "consent_code"),
        ({"limit_unit": "mL"}, "limit_unit"),
        ({"min_interval_minutes": -5}, "min_interval_minutes"),
    ],
)
def test_a_refused_protocol_is_a_400_naming_the_field(
    staff, medical_lead, api_for, overrides, field
):
    consent_document(staff["program_director"], "medication-sertraline")
    response = post(api_for(medical_lead), "/api/v1/formulary", protocol_body(**overrides))
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Protocol.objects.exists()


def test_only_the_medical_lead_keeps_the_formulary(staff, add_protocol, nurse, api_for):
    protocol = add_protocol()
    consent_document(staff["program_director"], "medication-other")
    body = protocol_body(drug="Other", consent_code="medication-other")
    refused = post(api_for(nurse), "/api/v1/formulary", body)
    assert refused.status_code == 403 and "medical lead" in refused.json()["detail"]
    assert denied(nurse, "medication.manage_formulary")
    retire = post(api_for(nurse), f"/api/v1/formulary/{protocol.pk}/retire")
    assert retire.status_code == 403
    assert Protocol.objects.get(pk=protocol.pk).retired_at is None
    # Who may not even read it.
    contractor = api_for(staff["contractor"]).get("/api/v1/formulary")
    assert contractor.status_code == 403
    assert denied(staff["contractor"], "medication.formulary")


def test_retiring_a_protocol(add_protocol, medical_lead, api_for):
    protocol = add_protocol()
    client = api_for(medical_lead)
    response = post(client, f"/api/v1/formulary/{protocol.pk}/retire")
    assert response.status_code == 200 and response.json()["retired_by"] == str(medical_lead)
    assert client.get("/api/v1/formulary").json()["items"] == []
    everything = client.get("/api/v1/formulary?include_retired=true").json()["items"]
    assert [p["id"] for p in everything] == [protocol.pk]
    again = post(client, f"/api/v1/formulary/{protocol.pk}/retire")
    assert again.status_code == 400 and "already retired" in again.json()["detail"]
    assert post(client, "/api/v1/formulary/99999/retire").status_code == 404


# --- orders -------------------------------------------------------------------------------


def order_body(protocol, **overrides):
    body = {
        "protocol_id": protocol.pk,
        "dose_amount": "50",
        "dose_unit": "mg",
        "route": "oral",
        "frequency": "twice_daily",
        "instructions": "With food.",
    }
    return body | overrides


def test_a_prescriber_orders_and_discontinues(
    resident, add_protocol, consent_to, prescriber, api_for
):
    protocol = add_protocol()
    consent_to(resident, protocol)
    client = api_for(prescriber)
    ends = (timezone.now() + dt.timedelta(days=14)).isoformat()
    response = post(
        client, f"/api/v1/residents/{resident.pk}/orders", order_body(protocol, ends_at=ends)
    )
    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["dose_amount"], order["dose_unit"], order["frequency"]) == (
        "50",
        "mg",
        "twice_daily",
    )
    assert order["prescribed_by"] == str(prescriber) and order["ends_at"] is not None
    url = f"/api/v1/orders/{order['id']}/discontinue"
    no_reason = post(client, url, {"reason": "  "})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    stopped = post(client, url, {"reason": "Side effects."})
    assert stopped.status_code == 200
    assert stopped.json()["discontinue_reason"] == "Side effects."
    assert stopped.json()["discontinued_by"] == str(prescriber)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"dose_amount": "fifty"}, "dose_amount"),
        ({"dose_amount": "150"}, "dose_amount"),  # above the protocol's single maximum
        ({"dose_amount": "100", "frequency": "four_times_daily"}, "frequency"),
        ({"route": "intravenous"}, "route"),  # not how a tablet is given
        ({"dose_unit": "mL"}, "dose_unit"),  # a tablet has no concentration
        ({"protocol_id": 99999}, "protocol_id"),
    ],
)
def test_an_order_beyond_the_protocol_is_a_400_naming_the_field(
    resident, add_protocol, consent_to, prescriber, api_for, overrides, field
):
    protocol = add_protocol()
    consent_to(resident, protocol)
    response = post(
        api_for(prescriber),
        f"/api/v1/residents/{resident.pk}/orders",
        order_body(protocol, **overrides),
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_a_nurse_may_not_prescribe(resident, add_protocol, consent_to, nurse, staff, api_for):
    protocol = add_protocol()
    consent_to(resident, protocol)
    for who in (nurse, staff["clinician"]):  # not a prescriber, on the care team or not
        response = post(
            api_for(who), f"/api/v1/residents/{resident.pk}/orders", order_body(protocol)
        )
        assert response.status_code == 403 and "prescriber" in response.json()["detail"]
        assert denied(who, "medication.prescribe", resident_id=resident.pk)


def test_a_nurse_may_not_discontinue(prn, nurse, api_for):
    response = post(api_for(nurse), f"/api/v1/orders/{prn.pk}/discontinue", {"reason": "No."})
    assert response.status_code == 403
    assert denied(nurse, "medication.prescribe", resident_id=prn.resident_id)


def test_unknown_residents_and_orders_are_404_and_the_probe_is_kept(
    prescriber, add_protocol, nurse, api_for
):
    protocol = add_protocol()
    response = post(api_for(prescriber), "/api/v1/residents/99999/orders", order_body(protocol))
    assert response.status_code == 404
    assert denied(prescriber, "medication.prescribe", object_id="99999")
    for url in ("/api/v1/orders/99999/administrations", "/api/v1/orders/99999/not-given"):
        body = {"dose_amount": "1", "dose_unit": "mg", "status": "missed"}
        body["scheduled_for"] = timezone.now().isoformat()
        assert post(api_for(nurse), url, body).status_code == 404
    assert denied(nurse, "medication.administer", object_type="medications.order")
    assert api_for(nurse).get("/api/v1/residents/99999/medications").status_code == 404
    assert denied(nurse, "medication.view", object_id="99999")


# --- giving doses -------------------------------------------------------------------------


def test_a_dose_given_then_one_inside_the_interval_is_a_409_with_every_stop(prn, nurse, api_for):
    client = api_for(nurse)
    url = f"/api/v1/orders/{prn.pk}/administrations"
    given = post(client, url, {"dose_amount": "50", "dose_unit": "mg"})
    assert given.status_code == 201, given.content
    row = given.json()
    assert (row["status"], row["dose_amount"], row["recorded_by"]) == ("given", "50", str(nurse))
    stopped = post(client, url, {"dose_amount": "50", "dose_unit": "mg"})
    assert stopped.status_code == 409
    body = stopped.json()
    assert [s["rule"] for s in body["stops"]] == ["interval"]
    assert body["overridable"] is True and body["stops"][0]["overridable"] is True
    assert body["stops"][0]["message"] in body["detail"]
    record = DoseStop.objects.get()
    assert body["stop_id"] == record.pk and not record.override_requested
    assert Administration.objects.filter(order=prn).count() == 1


def test_a_ceiling_refuses_an_override(prn, nurse, staff, api_for):
    override = {"cosigner_username": "clinician", "secret": PASSWORD, "reason": "In pain."}
    response = post(
        api_for(nurse),
        f"/api/v1/orders/{prn.pk}/administrations",
        {"dose_amount": "0.15", "dose_unit": "g", "override": override},
    )
    assert response.status_code == 409
    body = response.json()
    assert [s["rule"] for s in body["stops"]] == ["above_order", "above_single_maximum"]
    assert body["overridable"] is False
    assert not any(s["overridable"] for s in body["stops"])
    assert "150 mg is more than the ordered dose of 50 mg" in body["detail"]
    assert DoseStop.objects.get(pk=body["stop_id"]).override_requested
    assert not Administration.objects.exists()


def test_the_interval_yields_to_a_cosigned_override(prn, nurse, staff, api_for):
    client = api_for(nurse)
    url = f"/api/v1/orders/{prn.pk}/administrations"
    assert post(client, url, {"dose_amount": "50", "dose_unit": "mg"}).status_code == 201
    override = {"cosigner_username": "clinician", "secret": PASSWORD, "reason": "Panic attack."}
    response = post(client, url, {"dose_amount": "50", "dose_unit": "mg", "override": override})
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["override_cosigner"] == str(staff["clinician"])
    assert row["override_reason"] == "Panic attack."


@pytest.mark.parametrize(
    "extra, field",
    [
        # An unknown log-in is answered like a wrong secret, beside the secret (issue 13).
        ({"witness": {"username": "nobody", "secret": PASSWORD}}, "witness_secret"),
        ({"witness": {"username": "clinician", "secret": "not the password"}}, "witness_secret"),
        (
            {"override": {"cosigner_username": "nobody", "secret": "x", "reason": "y"}},
            "cosigner_secret",
        ),
        ({"dose_amount": "0.0001"}, "dose_amount"),
        ({"at": "2020-01-01T08:00:00"}, "at"),
        ({"scheduled_for": "2020-01-01T08:00:00"}, "scheduled_for"),
    ],
)
def test_a_bad_dose_request_is_a_400_naming_the_field(prn, nurse, api_for, extra, field):
    body = {"dose_amount": "50", "dose_unit": "mg"} | extra
    response = post(api_for(nurse), f"/api/v1/orders/{prn.pk}/administrations", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Administration.objects.exists()


def test_a_controlled_dose_in_ml_with_a_witness(
    resident, add_protocol, consent_to, prescribe, nurse, staff, api_for
):
    protocol = add_protocol(LORAZEPAM_LIQUID)  # 2 mg per mL; limits in mg
    consent_to(resident, protocol)
    order = prescribe(resident, protocol, dose="1", unit="mg", frequency="as_needed")
    client = api_for(nurse)
    url = f"/api/v1/orders/{order.pk}/administrations"
    unwitnessed = post(client, url, {"dose_amount": "0.5", "dose_unit": "mL"})
    assert unwitnessed.status_code == 409
    assert [s["rule"] for s in unwitnessed.json()["stops"]] == ["no_witness"]
    witness = {"username": "clinician", "secret": PASSWORD}
    response = post(client, url, {"dose_amount": "0.5", "dose_unit": "mL", "witness": witness})
    assert response.status_code == 201, response.content
    assert (response.json()["dose_amount"], response.json()["dose_unit"]) == ("0.5", "mL")
    assert response.json()["witness"] == str(staff["clinician"])
    record = client.get(f"/api/v1/residents/{resident.pk}/medications").json()
    assert record["orders"][0]["given_last_24h"] == "1"  # 0.5 mL of 2 mg/mL, in mg
    assert record["orders"][0]["limit_unit"] == "mg"


def test_a_consent_revoked_through_the_api_stops_the_next_dose(
    prn, resident, nurse, staff, api_for
):
    consent = Consent.objects.get(resident=resident)
    revoked = post(
        api_for(staff["caseworker"]),
        f"/api/v1/consents/{consent.pk}/revoke",
        {"reason": "The resident told me they want to stop."},
    )
    assert revoked.status_code == 200
    response = post(
        api_for(nurse),
        f"/api/v1/orders/{prn.pk}/administrations",
        {"dose_amount": "50", "dose_unit": "mg"},
    )
    assert response.status_code == 409
    assert [s["rule"] for s in response.json()["stops"]] == ["no_consent"]
    assert "has no active consent" in response.json()["detail"]


def test_who_may_give_a_dose(prn, staff, api_for):
    body = {"dose_amount": "50", "dose_unit": "mg"}
    for who in ("caseworker", "caseworker_other", "contractor", "supervisor"):
        response = post(api_for(staff[who]), f"/api/v1/orders/{prn.pk}/administrations", body)
        assert response.status_code == 403, who
        assert denied(staff[who], "medication.administer", resident_id=prn.resident_id)
    assert not Administration.objects.exists()


def test_a_scheduled_dose_not_given(resident, add_protocol, consent_to, prescribe, nurse, api_for):
    protocol = add_protocol()
    consent_to(resident, protocol)
    order = prescribe(resident, protocol)  # twice a day, started 23 hours ago
    due = schedule.due_times(order, order.starts_at, timezone.now())[-1]
    client = api_for(nurse)
    url = f"/api/v1/orders/{order.pk}/not-given"
    body = {"status": "held", "scheduled_for": due.isoformat()}
    no_reason = post(client, url, body)
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    held = post(client, url, body | {"reason": "Asleep; blood pressure low at 07:45."})
    assert held.status_code == 201, held.content
    assert (held.json()["status"], held.json()["dose_amount"]) == ("held", None)
    again = post(client, url, body | {"status": "missed"})
    assert again.status_code == 400 and "scheduled_for" in again.json()["errors"]
    assert post(client, url, body | {"status": "given"}).status_code == 422  # not a choice here


# --- reading ------------------------------------------------------------------------------


def test_the_medication_record(prn, resident, nurse, staff, api_for, client_for):
    administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    with pytest.raises(administering.DoseStopped):
        administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    # A nurse on the round, through a logged-in browser session.
    response = client_for(nurse).get(f"/api/v1/residents/{resident.pk}/medications")
    assert response.status_code == 200
    record = response.json()
    line = record["orders"][0]
    assert line["id"] == prn.pk and line["active"] and line["frequency"] == "as_needed"
    assert line["given_last_24h"] == "50" and line["next_allowed"] is not None
    assert [a["dose_amount"] for a in record["administrations"]] == ["50"]
    assert record["stops"][0]["stops"] == [
        {
            "rule": "interval",
            "message": record["stops"][0]["stops"][0]["message"],
            "overridable": True,
        }
    ]
    assert Entry.objects.filter(
        actor=nurse, action="medication.view", purpose="medication_round", resident_id=resident.pk
    ).exists()


def test_who_may_read_a_medication_record(prn, resident, admit, staff, make_user, client_for):
    url = f"/api/v1/residents/{resident.pk}/medications"
    for who in ("caseworker_other", "contractor", "oversight", "sysadmin"):
        _, clear = tokens.issue(staff[who], "test")
        response = Client(HTTP_AUTHORIZATION=f"Bearer {clear}").get(url)
        assert response.status_code == 403, who
        assert denied(staff[who], "medication.view", resident_id=resident.pk)
    own = portal_login(make_user, resident)
    assert client_for(own.user).get(url).status_code == 200
    other = portal_login(make_user, admit(given_name="Jo", family_name="Other"))
    response = client_for(other.user).get(url)
    assert response.status_code == 403
    assert denied(other.user, "medication.view", resident_id=resident.pk)


def test_the_medication_round(prn, resident, nurse, staff, api_for):
    administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    client = api_for(nurse)
    now = client.get("/api/v1/medication-round")
    assert now.status_code == 200, now.content
    day, shift = schedule.current_shift()
    assert (now.json()["day"], now.json()["shift"]["key"]) == (day.isoformat(), shift.key)
    [row] = now.json()["residents"]
    assert row["resident_id"] == resident.pk
    assert row["lines"][0]["as_needed"] and row["lines"][0]["next_allowed"] is not None
    chosen = client.get(f"/api/v1/medication-round?day={day.isoformat()}&shift=night")
    assert chosen.status_code == 200 and chosen.json()["shift"]["name"] == "Night shift"
    assert client.get("/api/v1/medication-round?shift=noon").status_code == 422
    refused = api_for(staff["caseworker"]).get("/api/v1/medication-round")
    assert refused.status_code == 403
    assert denied(staff["caseworker"], "center.mar")


def test_the_schema_still_builds(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/formulary",
        "/api/v1/orders/{order_id}/administrations",
        "/api/v1/medication-round",
        "/api/v1/residents/{resident_id}/consents",
    ):
        assert path in paths
