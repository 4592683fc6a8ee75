"""Intake that refuses nonsense, on the page and in the JSON API (issue 16): every problem in
one answer, the likely-duplicate warning with its link and the confirmation, the planned
admission and its arrival. On a fixed clock (tests/residents/test_intake_rules.py)."""

import datetime as dt
import json

import pytest

from homecoming.residents import services
from homecoming.residents.models import BedAssignment, Resident, StayStatus
from tests.api.test_api import admission_body
from tests.residents.test_intake_rules import TODAY, admission, at
from tests.residents.test_views import intake_post

PLANNED = TODAY + dt.timedelta(days=10)


@pytest.fixture
def today(db):
    with at(TODAY):
        yield TODAY


def post(bed, caseworker, **overrides):
    return intake_post(bed, caseworker, **{"stay-admitted_on": TODAY.isoformat(), **overrides})


def api_body(staff, bed, **overrides):
    return admission_body(staff, bed, **{"admitted_on": TODAY.isoformat(), **overrides})


def post_json(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def existing_dana(staff, bed=None):
    return services.admit(
        staff["supervisor"],
        admission(
            staff,
            given_name="Dana",
            family_name="Reyes",
            date_of_birth=dt.date(1990, 5, 2),
            service_number="1234567890",
            bed=bed,
        ),
    )


# -- the page -------------------------------------------------------------------------------------


def test_the_page_shows_the_forms_and_the_rules_problems_together(staff, beds, client_for, today):
    response = client_for(staff["caseworker"]).post(
        "/residents/intake/",
        post(
            beds[2],
            staff["caseworker"],
            **{
                "person-given_name": "",  # the form's: required
                "person-date_of_birth": "2015-05-02",  # the rules': 14 on the day
                "person-service_start": "2010-07-01",  # before birth: the form's and the rules'
                "deployments-0-started_on": "2028-01-10",
                "deployments-0-ended_on": "2029-09-01",  # the rules': after the admission
                "deployments-1-location": "Guam",  # the form's: no start date
            },
        ),
    )
    page = response.content.decode()
    assert response.status_code == 400
    for message in (
        "This field is required",
        "residents are 17 to 100",
        "ends after the admission date",
        "Give the date the deployment started",
        "Nothing was saved",
    ):
        assert message in page, message
    assert page.count("Service cannot start before the date of birth.") == 1  # said once
    assert "Luis Reyes" in page and "Guam" in page  # what was typed is still there
    assert not Resident.objects.exists()


def test_a_likely_duplicate_warns_links_and_is_admitted_once_confirmed(
    staff, beds, client_for, today
):
    dana = existing_dana(staff, bed=beds[0])
    client = client_for(staff["supervisor"])
    blank = client.get("/residents/intake/").content.decode()
    assert "This is a different person" not in blank  # nothing to confirm before a warning
    warned = client.post("/residents/intake/", post(beds[2], staff["caseworker"]))
    page = warned.content.decode()
    assert warned.status_code == 400
    assert f'href="/residents/{dana.pk}/"' in page and "same name and date of birth" in page
    assert 'type="checkbox" name="stay-different_person_confirmed"' in page
    assert "tick this if it is someone else" in page
    assert Resident.objects.count() == 1
    confirmed = client.post(
        "/residents/intake/",
        post(beds[2], staff["caseworker"], **{"stay-different_person_confirmed": "on"}),
    )
    assert confirmed.status_code == 302, confirmed.content.decode()
    second = Resident.objects.exclude(pk=dana.pk).get()
    assert f"resident #{dana.pk}" in second.intake_warning
    chart = client.get(confirmed["Location"]).content.decode()
    assert "confirmed this is a different person" in chart


def test_a_planned_admission_from_the_page_reserves_and_arrives(staff, beds, client_for, today):
    client = client_for(staff["caseworker"])
    response = client.post(
        "/residents/intake/",
        post(beds[2], staff["caseworker"], **{"stay-admitted_on": str(PLANNED)}),
    )
    assert response.status_code == 302
    chart = client.get(response["Location"]).content.decode()
    assert "Planned admission" in chart and "N102-A reserved from" in chart
    assert "Not in residence until the arrival is recorded" in chart
    board = client.get("/beds/").content.decode()
    assert "reserved from" in board and "0</strong> of" in board  # none occupied
    dana = Resident.objects.get()
    early = client.post(f"/residents/{dana.pk}/arrival/", {"arrived": "on"})
    assert early.status_code == 400 and "on or after that day" in early.content.decode()
    with at(PLANNED, 9):
        later = client_for(staff["caseworker"])
        arrived = later.post(f"/residents/{dana.pk}/arrival/", {"arrived": "on"})
        timeline = later.get(f"/residents/{dana.pk}/timeline/").content.decode()
    assert arrived.status_code == 302
    # The record says, in words, that the planned stay became one in residence.
    assert "Recorded the arrival: stay from Jun 11, 2029 (in residence)" in timeline
    assert dana.stays.get().status == StayStatus.IN_RESIDENCE
    assert BedAssignment.objects.get().bed == beds[2]


# -- the API --------------------------------------------------------------------------------------


def test_the_api_answers_every_problem_in_one_400(staff, beds, api_for, today):
    existing_dana(staff, bed=beds[0])
    body = api_body(
        staff,
        beds[0],  # taken
        given_name="Someone",
        date_of_birth="1920-01-01",  # 109
        deployments=[
            {"location": "Rota, Spain", "started_on": "1919-01-10", "ended_on": "2030-01-01"}
        ],
        primary_caseworker_id=99999,
    )
    response = post_json(api_for(staff["supervisor"]), "/api/v1/residents", body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {
        "date_of_birth",
        "deployments.0.started_on",
        "deployments.0.ended_on",
        "bed_id",
        "primary_caseworker_id",
    }
    assert errors["primary_caseworker_id"] == ["No staff member #99999."]
    assert "residents are 17 to 100" in response.json()["detail"]
    assert Resident.objects.count() == 1


def test_the_api_answers_a_likely_duplicate_with_a_409_until_confirmed(staff, beds, api_for, today):
    dana = existing_dana(staff)
    client = api_for(staff["caseworker"])
    for changes in ({}, {"given_name": "Other", "service_number": "12345-67890"}):
        conflict = post_json(client, "/api/v1/residents", api_body(staff, beds[1], **changes))
        assert conflict.status_code == 409
        assert conflict.json()["existing_resident_ids"] == [dana.pk]
        assert list(conflict.json()["errors"]) == ["different_person_confirmed"]
    created = post_json(
        client, "/api/v1/residents", api_body(staff, beds[1], different_person_confirmed=True)
    )
    assert created.status_code == 201
    assert Resident.objects.count() == 2


def test_a_duplicate_with_other_problems_is_a_400_naming_both(staff, beds, api_for, today):
    dana = existing_dana(staff)
    body = api_body(
        staff, beds[1], expected_length_days=30, admitted_on=str(TODAY + dt.timedelta(days=400))
    )
    response = post_json(api_for(staff["caseworker"]), "/api/v1/residents", body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"admitted_on", "different_person_confirmed"}
    assert response.json()["existing_resident_ids"] == [dana.pk]


def test_a_planned_admission_through_the_api(staff, beds, api_for, today):
    client = api_for(staff["caseworker"])
    created = post_json(
        client, "/api/v1/residents", api_body(staff, beds[1], admitted_on=str(PLANNED))
    )
    assert created.status_code == 201
    stay = created.json()["stay"]
    assert stay["status"] == "expected" and stay["reserved_bed_id"] == beds[1].pk
    assert created.json()["bed"] is None  # reserved, not occupied
    board = {b["bed"]["id"]: b for b in client.get("/api/v1/beds").json()["items"]}
    assert not board[beds[1].pk]["occupied"]
    assert board[beds[1].pk]["reserved_from"] == str(PLANNED)
    rid = created.json()["id"]
    early = post_json(client, f"/api/v1/residents/{rid}/arrival")
    assert early.status_code == 400 and "on or after that day" in early.json()["detail"]
    with at(PLANNED, 9):
        arrived = post_json(api_for(staff["caseworker"]), f"/api/v1/residents/{rid}/arrival")
    assert arrived.status_code == 200 and arrived.json()["status"] == "in_residence"


def test_recording_an_arrival_is_denied_to_those_off_the_care_team(staff, beds, api_for, today):
    planned = services.admit(
        staff["supervisor"], admission(staff, admitted_on=PLANNED, bed=beds[0])
    )
    with at(PLANNED, 9):
        for who in ("caseworker_other", "contractor", "clinician"):
            denied = post_json(api_for(staff[who]), f"/api/v1/residents/{planned.pk}/arrival")
            assert denied.status_code == 403, who
    assert planned.stays.get().status == StayStatus.EXPECTED


def test_the_deployment_rows_do_not_call_their_dates_optional(staff, client_for, today):
    """A deployment row filled in needs its place and both dates (intake_rules refuses one
    without an end), so the form must not label them "(optional)"."""
    page = client_for(staff["caseworker"]).get("/residents/intake/").content.decode()
    deployments = page.split("<legend>Deployments</legend>")[1].split("</fieldset>")[0]
    assert "(optional)" not in deployments
    assert deployments.count("needed for each deployment listed") == 9  # 3 rows × 3 fields
