"""The follow-up pages: the worklist (own contacts; supervisors everyone's), the contact page
(attempts, a check-in link shown once, closing lost), a program's follow-up days, the home
page's count; and who is refused each."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from homecoming.followup.models import Attempt, CheckInLink, Lost, ProgramSchedule
from homecoming.ledger.models import Entry, Outcome
from homecoming.residents.models import Program
from tests.conftest import logged_in

from .test_timers import noon

pytestmark = pytest.mark.django_db


def on(contact, days_after_due=0):
    return time_machine.travel(noon(contact.due_on + dt.timedelta(days=days_after_due)), tick=False)


def test_the_owner_sees_their_due_contact_and_its_read_is_written(first_contact, staff):
    with on(first_contact):
        response = logged_in(staff["caseworker"]).get("/follow-ups/")
    assert response.status_code == 200
    assert first_contact.resident.display_name in response.content.decode()
    [listed] = Entry.objects.filter(action="followup.list", actor=staff["caseworker"])
    assert listed.residents_named == [first_contact.resident_id]


def test_another_caseworker_sees_none_of_it(first_contact, staff):
    with on(first_contact):
        response = logged_in(staff["caseworker_other"]).get("/follow-ups/")
    assert response.status_code == 200
    assert first_contact.resident.display_name not in response.content.decode()


def test_overdue_and_lost_lists(first_contact, staff):
    with on(first_contact, 4):
        client = logged_in(staff["supervisor"])
        assert (
            first_contact.resident.display_name
            in client.get("/follow-ups/?status=overdue").content.decode()
        )
        assert (
            first_contact.resident.display_name
            not in client.get("/follow-ups/?status=due").content.decode()
        )
    with on(first_contact, 20):
        from homecoming.followup import timers

        timers.run()
        client = logged_in(staff["supervisor"])
        text = client.get("/follow-ups/?status=lost").content.decode()
        assert first_contact.resident.display_name in text
        filtered = client.get(f"/follow-ups/?status=lost&owner={staff['caseworker_other'].pk}")
        assert first_contact.resident.display_name not in filtered.content.decode()
        assert client.get("/follow-ups/?status=nonsense").status_code == 404


@pytest.mark.parametrize("who", ["contractor", "oversight", "investigator", "sysadmin"])
def test_who_has_no_worklist(staff, who, db):
    assert logged_in(staff[who]).get("/follow-ups/").status_code == 403
    assert Entry.objects.filter(actor=staff[who], outcome=Outcome.DENIED).exists()


def test_a_resident_has_no_worklist(discharged):
    assert logged_in(discharged.user).get("/follow-ups/").status_code == 403


def test_recording_an_attempt_on_the_contact_page(first_contact, staff):
    client = logged_in(staff["caseworker"])
    page = client.get(f"/follow-ups/{first_contact.pk}/")
    assert page.status_code == 200 and b"Record an attempt" in page.content
    refused = client.post(f"/follow-ups/{first_contact.pk}/attempts", {})
    assert refused.status_code == 400
    assert (
        b"Choose how you tried" in refused.content and b"Choose what came of it" in refused.content
    )
    done = client.post(
        f"/follow-ups/{first_contact.pk}/attempts",
        {"method": "phone", "outcome": "reached", "notes": "Fine."},
    )
    assert done.status_code == 302
    assert Attempt.objects.get().outcome == "reached"


def test_the_link_is_shown_once_to_its_sender(first_contact, staff, mailoutbox):
    client = logged_in(staff["caseworker"])
    response = client.post(f"/follow-ups/{first_contact.pk}/check-in-link")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/check-in/" in text and "only time the link is shown" in text
    again = client.get(f"/follow-ups/{first_contact.pk}/").content.decode()
    assert "/check-in/" not in again
    assert "A check-in link was sent to walter@example.org" in again
    assert CheckInLink.objects.count() == 1


@pytest.mark.parametrize(
    "who", ["contractor", "oversight", "investigator", "sysadmin", "caseworker_other"]
)
def test_outsiders_are_refused_the_contact_page_and_its_actions(first_contact, staff, who):
    client = logged_in(staff[who])
    assert client.get(f"/follow-ups/{first_contact.pk}/").status_code == 403
    assert (
        client.post(
            f"/follow-ups/{first_contact.pk}/attempts", {"method": "phone", "outcome": "reached"}
        ).status_code
        == 403
    )
    assert client.post(f"/follow-ups/{first_contact.pk}/check-in-link").status_code == 403
    assert not Attempt.objects.exists() and not CheckInLink.objects.exists()


def test_the_former_resident_is_refused_the_staff_pages(first_contact):
    client = logged_in(first_contact.resident.user)
    assert client.get(f"/follow-ups/{first_contact.pk}/").status_code in (403, 404)
    assert client.post(f"/follow-ups/{first_contact.pk}/check-in-link").status_code == 403


def test_closing_lost_on_the_page(discharged, staff):
    contact = discharged.follow_ups.first()
    cw = logged_in(staff["caseworker"])
    for _ in range(3):
        cw.post(f"/follow-ups/{contact.pk}/attempts", {"method": "phone", "outcome": "no_answer"})
    lost = Lost.objects.get()
    url = f"/follow-ups/{contact.pk}/lost/{lost.pk}/close"
    assert cw.post(url, {"reason": "Found."}).status_code == 403
    sup = logged_in(staff["supervisor"])
    assert b"Lost to follow-up" in sup.get(f"/follow-ups/{contact.pk}/").content
    refused = sup.post(url, {"reason": ""})
    assert refused.status_code == 400 and b"Say why" in refused.content
    assert sup.post(url, {"reason": "Reached at his sister's."}).status_code == 302
    assert Lost.objects.get().closed_reason == "Reached at his sister's."


def test_the_director_sets_a_programs_follow_up_days(staff, db):
    program = Program.objects.create(name="Resilience")
    url = f"/center/programs/{program.pk}/follow-up-days/"
    director = logged_in(staff["program_director"])
    assert b"7, 30, 90, 180, 365" in director.get(url).content
    refused = director.post(url, {"days": "0, 1000"})
    assert refused.status_code == 400 and b"between 1 and 730" in refused.content
    assert director.post(url, {"days": "14, 60"}).status_code == 302
    assert ProgramSchedule.objects.get(program=program).days == [14, 60]
    for who in ("supervisor", "caseworker", "contractor", "sysadmin"):
        client = logged_in(staff[who])
        assert client.get(url).status_code == 403
        assert client.post(url, {"days": "7"}).status_code == 403
    assert ProgramSchedule.objects.get(program=program).days == [14, 60]


def test_the_home_page_counts_the_follow_ups_due(first_contact, staff):
    with on(first_contact):
        text = logged_in(staff["caseworker"]).get("/").content.decode()
    assert "Follow-ups due: <strong>1</strong>" in text
    with on(first_contact):
        other = logged_in(staff["caseworker_other"]).get("/").content.decode()
    assert "Follow-ups due" not in other
    assert settings.HOMECOMING_FOLLOW_UP_GRACE_DAYS == 3
