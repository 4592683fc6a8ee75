"""The JSON API: token auth (hashed at rest), the pages' permissions, clear 4xx errors."""

import json

import pytest
from django.test import Client
from django.utils import timezone

from homecoming.accounts import tokens
from homecoming.accounts.models import ApiToken
from homecoming.ledger.models import Entry
from homecoming.residents.models import Resident


def admission_body(staff, bed, **overrides):
    body = {
        "given_name": "Dana",
        "family_name": "Reyes",
        "date_of_birth": "1990-05-02",
        "service_branch": "navy",
        "service_start": "2009-07-01",
        "emergency_contact_name": "Luis Reyes",
        "emergency_contact_relationship": "brother",
        "emergency_contact_phone": "555-0100",
        "admitted_on": timezone.localdate().isoformat(),
        "expected_length_days": 30,
        "bed_id": bed.pk,
        "primary_caseworker_id": staff["caseworker"].pk,
        "deployments": [
            {"location": "Rota, Spain", "started_on": "2015-01-10", "ended_on": "2015-09-01"}
        ],
    }
    return body | overrides


def post_json(client, url, body, method="post"):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_tokens_are_stored_hashed(staff):
    token, clear = tokens.issue(staff["caseworker"], "integration")
    stored = ApiToken.objects.get(pk=token.pk)
    assert clear not in (stored.digest, stored.prefix) and len(stored.digest) == 64
    assert tokens.authenticate(clear) == staff["caseworker"]
    tokens.revoke(token)
    assert tokens.authenticate(clear) is None


def test_no_or_bad_token_is_401(resident):
    assert Client().get("/api/v1/residents").status_code == 401
    bad = Client(HTTP_AUTHORIZATION="Bearer hc_nope_nope")
    assert bad.get("/api/v1/residents").status_code == 401


def test_revoked_token_and_inactive_user_are_401(staff, resident):
    token, clear = tokens.issue(staff["caseworker"], "x")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert client.get("/api/v1/residents").status_code == 200
    tokens.revoke(token)
    assert client.get("/api/v1/residents").status_code == 401


def test_caseload_and_search_follow_the_policy(resident, admit, staff, api_for):
    admit(caseworker=staff["caseworker_other"], given_name="Jo", family_name="Other")
    mine = api_for(staff["caseworker"]).get("/api/v1/residents").json()["items"]
    assert [r["display_name"] for r in mine] == ["Walter Cruz"]
    assert mine[0]["bed"]["label"] == "A"
    everyone = api_for(staff["supervisor"]).get("/api/v1/residents?q=er").json()["items"]
    assert {r["display_name"] for r in everyone} == {"Walter Cruz", "Jo Other"}
    assert api_for(staff["contractor"]).get("/api/v1/residents").json()["items"] == []


def test_resident_detail_and_its_denials(resident, staff, api_for):
    ok = api_for(staff["clinician"]).get(f"/api/v1/residents/{resident.pk}")
    assert ok.status_code == 200
    body = ok.json()
    assert body["family_name"] == "Cruz" and body["stay"]["status"] == "in_residence"
    assert {m["team_role"] for m in body["care_team"]} == {"primary_caseworker", "clinician"}
    for who in ("caseworker_other", "contractor", "sysadmin", "oversight", "investigator"):
        denied = api_for(staff[who]).get(f"/api/v1/residents/{resident.pk}")
        assert denied.status_code == 403 and "detail" in denied.json()
        assert Entry.objects.filter(actor=staff[who], outcome="denied").exists()
    assert api_for(staff["supervisor"]).get("/api/v1/residents/99999").status_code == 404


def test_admit_through_the_api(staff, beds, api_for):
    response = post_json(
        api_for(staff["caseworker"]), "/api/v1/residents", admission_body(staff, beds[1])
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["bed"]["id"] == beds[1].pk and body["deployments"][0]["location"] == "Rota, Spain"


@pytest.mark.parametrize(
    "overrides, status, text",
    [
        ({"service_branch": "cavalry"}, 422, "service_branch"),
        ({"date_of_birth": "yesterday"}, 422, "date_of_birth"),
        ({"expected_length_days": 0}, 422, "expected_length_days"),
        ({"service_start": "1980-01-01"}, 400, "Service cannot start before"),
        ({"bed_id": 99999}, 400, "No bed #99999"),
        ({"primary_caseworker_id": 99999}, 400, "No staff member"),
    ],
)
def test_bad_admissions_are_4xx_with_a_reason(staff, beds, api_for, overrides, status, text):
    response = post_json(
        api_for(staff["supervisor"]),
        "/api/v1/residents",
        admission_body(staff, beds[1], **overrides),
    )
    assert response.status_code == status
    assert text in response.content.decode()
    assert not Resident.objects.exists()


def test_double_booking_through_the_api_is_a_400(resident, staff, beds, api_for):
    response = post_json(
        api_for(staff["supervisor"]), "/api/v1/residents", admission_body(staff, beds[0])
    )
    assert response.status_code == 400 and "already occupied" in response.json()["detail"]


@pytest.mark.parametrize("who", ["clinician", "contractor", "sysadmin", "oversight"])
def test_admission_denied_through_the_api(staff, beds, api_for, who):
    response = post_json(api_for(staff[who]), "/api/v1/residents", admission_body(staff, beds[1]))
    assert response.status_code == 403


def test_patch_stays_and_bed(resident, staff, beds, api_for):
    client = api_for(staff["caseworker"])
    patched = post_json(
        client, f"/api/v1/residents/{resident.pk}", {"preferred_name": "Walt"}, method="patch"
    )
    assert patched.status_code == 200 and patched.json()["display_name"] == "Walt Cruz"
    bad = post_json(
        client, f"/api/v1/residents/{resident.pk}", {"service_end": "2000-01-01"}, method="patch"
    )
    assert bad.status_code == 400
    stays = client.get(f"/api/v1/residents/{resident.pk}/stays").json()["items"]
    assert len(stays) == 1
    again = post_json(
        client,
        f"/api/v1/residents/{resident.pk}/stays",
        {"admitted_on": "2026-01-01", "expected_length_days": 10},
    )
    assert again.status_code == 400 and "open stay" in again.json()["detail"]
    moved = post_json(
        client, f"/api/v1/residents/{resident.pk}/bed", {"bed_id": beds[2].pk}, method="put"
    )
    assert moved.status_code == 200 and moved.json()["id"] == beds[2].pk
    clinician = api_for(staff["clinician"])
    assert (
        post_json(
            clinician, f"/api/v1/residents/{resident.pk}/bed", {"bed_id": beds[3].pk}, method="put"
        ).status_code
        == 403
    )
    assert (
        post_json(
            clinician, f"/api/v1/residents/{resident.pk}", {"pronouns": "x"}, method="patch"
        ).status_code
        == 403
    )


def test_bed_board_hides_names_the_caller_may_not_see(resident, admit, staff, beds, api_for):
    admit(caseworker=staff["caseworker_other"], given_name="Jo", family_name="Other", bed=beds[1])
    board = api_for(staff["caseworker"]).get("/api/v1/beds").json()["items"]
    names = {b["resident_name"] for b in board if b["occupied"]}
    assert names == {"Walter Cruz", None}
    assert api_for(staff["contractor"]).get("/api/v1/beds").status_code == 403


def test_session_auth_works_for_a_logged_in_browser(resident, staff, client_for):
    assert client_for(staff["caseworker"]).get("/api/v1/residents").status_code == 200


def test_openapi_schema_is_served(db):
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/residents" in schema["paths"]
    assert "/api/v1/beds" in schema["paths"]


def test_api_opens_a_stay_after_discharge(resident, staff):
    from homecoming.residents.models import Stay

    Stay.objects.filter(resident=resident).update(
        status="discharged", discharged_on=timezone.localdate()
    )
    _, clear = tokens.issue(staff["caseworker"], "t")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {clear}").post(
        f"/api/v1/residents/{resident.pk}/stays",
        json.dumps({"admitted_on": timezone.localdate().isoformat(), "expected_length_days": 14}),
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["status"] == "in_residence"


@pytest.mark.parametrize("field", ["date_of_birth", "service_start", "family_name"])
def test_patching_a_required_field_to_null_is_a_400(resident, staff, api_for, field):
    response = post_json(
        api_for(staff["caseworker"]),
        f"/api/v1/residents/{resident.pk}",
        {field: None},
        method="patch",
    )
    assert response.status_code == 400 and field in response.json()["errors"]
