"""FHIR R4 (issue 17), first resources: the capability statement, and Patient read and search.
Every resource answered validates against the R4 models of fhir.resources; every error is an
OperationOutcome; reads and refusals are on the ledger as on the pages."""

import datetime as dt
import json

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.patient import Patient

from homecoming.ledger.models import Entry

from .conftest import fhir_json, outcome


def test_the_capability_statement_says_what_is_served(db):
    response = Client().get("/fhir/R4/metadata")
    body = fhir_json(response)
    CapabilityStatement.model_validate(body)
    assert body["fhirVersion"] == "4.0.1"
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    patient = served["Patient"]
    assert {i["code"] for i in patient["interaction"]} == {"read", "search-type"}
    assert {p["name"] for p in patient["searchParam"]} == {"_id", "name", "birthdate", "_count"}
    assert [o["name"] for o in patient["operation"]] == ["everything", "export"]
    assert [o["name"] for o in body["rest"][0]["operation"]] == ["export"]


def test_a_caseworker_reads_her_resident_as_a_patient(resident, staff, api_for):
    response = api_for(staff["caseworker"]).get(f"/fhir/R4/Patient/{resident.pk}")
    body = fhir_json(response)
    Patient.model_validate(body)
    assert body["id"] == str(resident.pk)
    assert body["birthDate"] == "1991-03-14"
    assert body["name"][0] == {"use": "official", "family": "Cruz", "given": ["Walter"]}
    assert body["contact"][0]["telecom"][0]["value"] == "(312) 555-0147"
    look = Entry.objects.filter(actor=staff["caseworker"], resident=resident).latest("seq")
    assert look.action == "resident.view" and look.outcome == "allowed"


def test_a_logged_in_session_reads_too(resident, staff, client_for):
    response = client_for(staff["caseworker"]).get(f"/fhir/R4/Patient/{resident.pk}")
    assert response.status_code == 200
    Patient.model_validate(fhir_json(response))


def test_a_caseworker_off_the_care_team_is_refused_and_the_refusal_recorded(
    resident, staff, api_for
):
    response = api_for(staff["caseworker_other"]).get(f"/fhir/R4/Patient/{resident.pk}")
    outcome(response, 403, "forbidden")
    refused = Entry.objects.filter(actor=staff["caseworker_other"]).latest("seq")
    assert refused.outcome == "denied" and refused.resident_id == resident.pk


@pytest.mark.parametrize("role", ["contractor", "sysadmin"])
def test_roles_without_residents_read_none(resident, staff, api_for, role):
    response = api_for(staff[role]).get(f"/fhir/R4/Patient/{resident.pk}")
    outcome(response, 403, "forbidden")
    search = api_for(staff[role]).get("/fhir/R4/Patient")
    assert search.status_code == 200 and fhir_json(search)["total"] == 0


def test_a_patient_that_does_not_exist_is_404_and_the_probe_recorded(db, staff, api_for):
    response = api_for(staff["caseworker"]).get("/fhir/R4/Patient/999999")
    outcome(response, 404, "not-found")
    probe = Entry.objects.filter(actor=staff["caseworker"]).latest("seq")
    assert probe.outcome == "denied" and probe.object_id == "999999"


def test_no_credentials_is_401_with_a_challenge(resident):
    response = Client().get(f"/fhir/R4/Patient/{resident.pk}")
    outcome(response, 401, "login")
    assert response["WWW-Authenticate"].startswith("Bearer")
    bad = Client(HTTP_AUTHORIZATION="Bearer hc_not-a-token").get("/fhir/R4/Patient")
    outcome(bad, 401, "login")


def test_only_reads_are_served(resident, staff, api_for):
    response = api_for(staff["caseworker"]).delete(f"/fhir/R4/Patient/{resident.pk}")
    assert response.status_code == 405


def test_search_pages_with_next_links_and_records_each_resident_shown(admit, beds, staff, api_for):
    admit(bed=beds[0])
    admit(bed=beds[1], given_name="Dana", family_name="Reyes", date_of_birth=dt.date(1988, 7, 2))
    admit(given_name="Luis", family_name="Ortega", date_of_birth=dt.date(1993, 4, 3))
    client = api_for(staff["caseworker"])
    first = fhir_json(client.get("/fhir/R4/Patient?_count=2"))
    Bundle.model_validate(first)
    assert first["type"] == "searchset" and first["total"] == 3
    assert [e["resource"]["name"][0]["family"] for e in first["entry"]] == ["Cruz", "Ortega"]
    for entry in first["entry"]:
        Patient.model_validate(entry["resource"])
        assert entry["fullUrl"].endswith(f"/fhir/R4/Patient/{entry['resource']['id']}")
    links = {link["relation"]: link["url"] for link in first["link"]}
    second = fhir_json(client.get(links["next"]))
    assert [e["resource"]["name"][0]["family"] for e in second["entry"]] == ["Reyes"]
    assert "next" not in {link["relation"] for link in second["link"]}
    # One list entry per page, naming the residents it showed: all three, each once.
    pages = Entry.objects.filter(actor=staff["caseworker"], action="resident.list")
    named = [r for entry in pages for r in json.loads(entry.detail)["residents"]]
    assert pages.count() == 2 and len(named) == 3 and len(set(named)) == 3


def test_search_by_name_and_birthdate(admit, beds, staff, api_for):
    admit(bed=beds[0])
    admit(bed=beds[1], given_name="Dana", family_name="Reyes", date_of_birth=dt.date(1988, 7, 2))
    client = api_for(staff["caseworker"])
    by_name = fhir_json(client.get("/fhir/R4/Patient?name=rey"))
    assert [e["resource"]["id"] for e in by_name["entry"]] != []
    assert {e["resource"]["name"][0]["family"] for e in by_name["entry"]} == {"Reyes"}
    before = fhir_json(client.get("/fhir/R4/Patient?birthdate=lt1990-01-01"))
    assert {e["resource"]["name"][0]["family"] for e in before["entry"]} == {"Reyes"}
    exact = fhir_json(client.get("/fhir/R4/Patient?birthdate=1991-03-14"))
    assert {e["resource"]["name"][0]["family"] for e in exact["entry"]} == {"Cruz"}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("_count=0", "_count"),
        ("_count=many", "_count"),
        ("_offset=-1", "_offset"),
        ("birthdate=yesterday", "birthdate"),
        ("gender=male", "gender"),
    ],
)
def test_a_bad_search_names_the_parameter(resident, staff, api_for, query, parameter):
    response = api_for(staff["caseworker"]).get(f"/fhir/R4/Patient?{query}")
    issue = outcome(
        response, 400, "not-supported" if parameter == "gender" else "invalid", parameter
    )
    assert parameter in issue["diagnostics"]


def test_only_json_is_served(resident, staff, api_for):
    response = api_for(staff["caseworker"]).get("/fhir/R4/Patient?_format=xml")
    outcome(response, 406, "not-supported", "_format")


def test_a_resident_finds_only_themselves(resident, staff, api_for, admit, beds):
    from homecoming.residents import services

    admit(bed=beds[1], given_name="Dana", family_name="Reyes", date_of_birth=dt.date(1988, 7, 2))
    services.grant_portal_access(
        staff["caseworker"], resident, "walter", "a-long-passphrase-1", must_change_password=False
    )
    resident.refresh_from_db()
    found = fhir_json(api_for(resident.user).get("/fhir/R4/Patient"))
    assert [e["resource"]["id"] for e in found["entry"]] == [str(resident.pk)]
