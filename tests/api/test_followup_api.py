"""The follow-up API: the worklist by status (own, or everyone's for supervisors), 422 for an
unknown status, recording attempts, three failures marking lost; and who is refused."""

import datetime as dt
import json

import pytest
import time_machine

from homecoming.alerts.models import Alert
from homecoming.followup.models import Attempt
from homecoming.ledger.models import Entry, Outcome
from tests.followup.conftest import discharged, first_contact  # noqa: F401 (fixtures)
from tests.followup.test_timers import noon

pytestmark = pytest.mark.django_db


def on(contact, days=0):
    return time_machine.travel(noon(contact.due_on + dt.timedelta(days=days)), tick=False)


def post_attempt(client, contact, **body):
    return client.post(
        f"/api/v1/follow-ups/{contact.pk}/attempts",
        json.dumps({"method": "phone", "outcome": "no_answer"} | body),
        content_type="application/json",
    )


def test_the_owner_lists_their_due_contacts(first_contact, staff, api_for):  # noqa: F811
    with on(first_contact):
        response = api_for(staff["caseworker"]).get("/api/v1/follow-ups?status=due")
    assert response.status_code == 200
    rows = response.json()["items"]
    assert [r["id"] for r in rows] == [first_contact.pk]
    assert rows[0]["interval_days"] == 7 and rows[0]["lost_id"] is None
    with on(first_contact):
        other = api_for(staff["caseworker_other"]).get("/api/v1/follow-ups?status=due")
    assert other.json()["items"] == []
    with on(first_contact):
        everyone = api_for(staff["supervisor"]).get("/api/v1/follow-ups")
    assert [r["id"] for r in everyone.json()["items"]] == [first_contact.pk]


def test_an_unknown_status_is_422(staff, api_for, db):
    assert api_for(staff["caseworker"]).get("/api/v1/follow-ups?status=soon").status_code == 422


@pytest.mark.parametrize("who", ["contractor", "oversight", "investigator", "sysadmin"])
def test_who_has_no_follow_up_list(staff, api_for, who, db):
    assert api_for(staff[who]).get("/api/v1/follow-ups").status_code == 403


def test_attempts_and_lost_over_the_api(discharged, staff, api_for):  # noqa: F811
    contact = discharged.follow_ups.order_by("due_on")[1]
    client = api_for(staff["caseworker"])
    first = post_attempt(client, contact, notes="Voicemail full.")
    assert first.status_code == 201 and first.json()["lost"] is False
    post_attempt(client, contact, outcome="left_message")
    third = post_attempt(client, contact, outcome="wrong_number")
    assert third.json()["lost"] is True
    assert Alert.objects.filter(kind="follow_up_lost", recipient=staff["oversight"]).exists()
    lost = client.get("/api/v1/follow-ups?status=lost").json()["items"]
    assert contact.pk in [r["id"] for r in lost] and all(r["lost_id"] for r in lost)
    reached = post_attempt(client, contact, outcome="reached")
    assert reached.json()["contact_status"] == "made"
    refused = post_attempt(client, contact, method="fax")
    assert refused.status_code == 422  # not one of the methods


@pytest.mark.parametrize(
    "who", ["contractor", "oversight", "investigator", "sysadmin", "caseworker_other"]
)
def test_who_may_not_record_an_attempt(first_contact, staff, api_for, who):  # noqa: F811
    response = post_attempt(api_for(staff[who]), first_contact, outcome="reached")
    assert response.status_code == 403
    assert not Attempt.objects.exists()
    assert Entry.objects.filter(actor=staff[who], outcome=Outcome.DENIED).exists()


def test_an_unknown_contact_is_404_and_on_the_ledger(staff, api_for, db):
    response = post_attempt(api_for(staff["caseworker"]), type("C", (), {"pk": 999999})())
    assert response.status_code == 404
    assert Entry.objects.filter(object_id="999999", outcome=Outcome.DENIED).exists()


def test_the_former_resident_may_not(first_contact, api_for):  # noqa: F811
    response = post_attempt(api_for(first_contact.resident.user), first_contact)
    assert response.status_code == 403


def test_the_endpoints_are_described_in_openapi(staff, client_for, db):
    schema = client_for(staff["caseworker"]).get("/api/v1/openapi.json").json()
    assert "/api/v1/follow-ups" in schema["paths"]
    assert "/api/v1/follow-ups/{contact_id}/attempts" in schema["paths"]
