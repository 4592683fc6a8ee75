"""Intake from another provider's record (issue 17): a FHIR Patient (JSON) fills in the intake
form for staff to check; every problem with the file is named by its place; nothing is saved;
only those who register residents may use it. The round trip: what /fhir/R4/Patient serves
fills the form back with the same person."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from homecoming.fhir.intake import Unreadable, intake_values
from homecoming.ledger.models import Entry
from homecoming.residents.models import Resident

from .conftest import fhir_json

URL = "/residents/intake/from-fhir/"


def upload(client, content: bytes, name="patient.json"):
    return client.post(URL, {"patient": SimpleUploadedFile(name, content, "application/json")})


def field_value(html: str, name: str) -> str | None:
    """The value an input of the intake form was filled with."""
    marker = f'name="person-{name}"'
    at = html.find(marker)
    if at < 0:
        return None
    tag = html[html.rfind("<", 0, at) : html.find(">", at)]
    if 'value="' not in tag:
        return ""
    return tag.split('value="', 1)[1].split('"', 1)[0]


def test_a_patient_we_serve_fills_the_form_back_with_the_same_person(
    admit, staff, fhir_get, client_for
):
    resident = admit(
        given_name="Aisha",
        family_name="Karimi",
        preferred_name="Ash",
        service_number="1234567890",
        emergency_contact_name="Omar Karimi",
        emergency_contact_relationship="brother",
        emergency_contact_phone="(555) 010-2030",
    )
    served = fhir_json(fhir_get(staff["caseworker"], f"Patient/{resident.pk}"))
    residents_before = Resident.objects.count()
    response = upload(client_for(staff["caseworker"]), json.dumps(served).encode())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Filled in from patient.json" in html
    expected = {
        "given_name": "Aisha",
        "family_name": "Karimi",
        "preferred_name": "Ash",
        "date_of_birth": "1991-03-14",
        "service_number": "1234567890",
        "emergency_contact_name": "Omar Karimi",
        "emergency_contact_relationship": "brother",
        "emergency_contact_phone": "(555) 010-2030",
    }
    for name, value in expected.items():
        assert field_value(html, name) == value, name
    assert Resident.objects.count() == residents_before  # nothing saved until "Admit"


def test_a_bundle_holding_one_patient_is_read_too(resident, staff, fhir_get):
    everything = fhir_json(fhir_get(staff["caseworker"], f"Patient/{resident.pk}/$everything"))
    assert intake_values(json.dumps(everything).encode())["family_name"] == "Cruz"


def test_every_problem_is_named_by_its_place_and_nothing_is_filled(staff, client_for):
    patient = {
        "resourceType": "Patient",
        "name": [{"use": "official", "given": ["Walter"]}],
        "birthDate": "1991-02-30",
        "contact": [{"telecom": [{"system": "phone", "value": 5550147}]}],
    }
    response = upload(client_for(staff["caseworker"]), json.dumps(patient).encode())
    assert response.status_code == 400
    html = response.content.decode()
    for place in ("Patient.name[0]", "Patient.birthDate", "Patient.contact[0].telecom"):
        assert f"<code>{place}</code>" in html, place
    assert field_value(html, "given_name") == ""


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "is not JSON"),
        (b'{"resourceType": "Observation"}', "must be Patient"),
        (b'{"resourceType": "Bundle", "entry": []}', "must hold one Patient"),
        ("caf\xe9".encode("latin-1"), "UTF-8"),
        (b"[1, 2]", "JSON object"),
    ],
)
def test_a_file_that_is_not_a_patient_says_why(content, words):
    with pytest.raises(Unreadable, match=words):
        intake_values(content)


def test_a_name_too_long_for_the_record_is_named(staff):
    patient = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "X" * 150, "given": ["Y"]}],
        "birthDate": "1990-01-01",
    }
    with pytest.raises(Unreadable) as refused:
        intake_values(json.dumps(patient).encode())
    assert ("Patient.name[0].family", "at most 100 characters (it has 150).") in (
        refused.value.problems
    )


@pytest.mark.parametrize("role", ["clinician", "contractor", "sysadmin", "oversight"])
def test_only_those_who_register_residents_may_use_it(staff, client_for, role):
    patient = json.dumps({"resourceType": "Patient", "birthDate": "1990-01-01"}).encode()
    response = upload(client_for(staff[role]), patient)
    assert response.status_code == 403
    denied = Entry.objects.filter(actor=staff[role], outcome="denied").latest("seq")
    assert denied.action == "resident.register"


def test_the_intake_page_offers_it(staff, client_for):
    html = client_for(staff["caseworker"]).get("/residents/intake/").content.decode()
    assert 'action="/residents/intake/from-fhir/"' in html
    assert 'enctype="multipart/form-data"' in html
