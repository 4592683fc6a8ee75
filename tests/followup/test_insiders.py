"""Insiders replayed against follow-up: a caseworker hiding a lost former resident behind a
made-up "reached", a supervisor closing "lost" without a reason or silencing the oversight
body's alert, a DBA closing a Lost row with SQL, and a check-in link reused, guessed or opened
by a logged-in staff member. Each is refused, or leaves a trail the insider cannot remove."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from homecoming.access.policy import AccessDenied
from homecoming.alerts import services as alerts
from homecoming.alerts.models import Alert
from homecoming.followup import checkin, services
from homecoming.followup.models import Attempt, CheckIn, Lost
from homecoming.ledger.models import Entry, Outcome

from .test_check_in import form_data, secret_of

pytestmark = pytest.mark.django_db


def lose(resident, staff):
    contact = resident.follow_ups.order_by("due_on")[1]
    for _ in range(3):
        services.record_attempt(staff["caseworker"], contact, method="phone", outcome="no_answer")
    return contact, Lost.objects.get(closed_at__isnull=True)


def oversight_alert(staff):
    return Alert.objects.get(kind="follow_up_lost", recipient=staff["oversight"])


# --- a caseworker recording a fake "reached" --------------------------------------------------


def test_a_fake_reached_leaves_lost_open_and_the_oversight_alert_unread(discharged, staff):
    contact, lost = lose(discharged, staff)
    fake = services.record_attempt(
        staff["caseworker"], contact, method="phone", outcome="reached", notes="All fine."
    )
    # The trail: the attempt in the caseworker's name, final, on the ledger.
    assert fake.made_by == staff["caseworker"]
    assert Entry.objects.filter(
        action="followup.attempt", object_id=str(fake.pk), actor=staff["caseworker"]
    ).exists()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE followup_attempt SET made_by_id = NULL WHERE id = %s", [fake.pk])
    # "Lost" is not closed by an attempt: only a supervisor or the director, with a reason.
    lost.refresh_from_db()
    assert lost.closed_at is None
    assert oversight_alert(staff).read_at is None
    director = Alert.objects.get(kind="follow_up_lost", recipient=staff["program_director"])
    assert director.read_at is None
    # Nor can the caseworker close it, nor acknowledge the others' alerts.
    with pytest.raises(AccessDenied):
        services.close_lost(staff["caseworker"], lost, "Reached him.")
    with pytest.raises(alerts.NotYours):
        alerts.acknowledge(staff["caseworker"], [oversight_alert(staff).pk, director.pk])
    assert oversight_alert(staff).read_at is None


def test_a_fake_reached_over_the_api_leaves_the_same_trail(discharged, staff, api_for):
    contact, lost = lose(discharged, staff)
    api = api_for(staff["caseworker"])
    answer = api.post(
        f"/api/v1/follow-ups/{contact.pk}/attempts",
        json.dumps({"method": "phone", "outcome": "reached"}),
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    assert Attempt.objects.filter(outcome="reached", made_by=staff["caseworker"]).count() == 1
    lost.refresh_from_db()
    assert lost.closed_at is None and oversight_alert(staff).read_at is None


# --- a supervisor closing "lost" ----------------------------------------------------------------


def test_a_supervisor_cannot_close_lost_without_a_reason_on_the_page(discharged, staff, client_for):
    contact, lost = lose(discharged, staff)
    page = client_for(staff["supervisor"]).post(
        f"/follow-ups/{contact.pk}/lost/{lost.pk}/close", {"reason": "   "}
    )
    assert page.status_code == 400
    assert "Say why" in page.content.decode()
    lost.refresh_from_db()
    assert lost.closed_at is None


def test_a_supervisor_cannot_acknowledge_the_oversight_bodys_alert(discharged, staff, api_for):
    _, lost = lose(discharged, staff)
    theirs = oversight_alert(staff)
    with pytest.raises(alerts.NotYours):
        alerts.acknowledge(staff["supervisor"], [theirs.pk])
    api = api_for(staff["supervisor"])
    answer = api.post(
        "/api/v1/alerts/acknowledge",
        json.dumps({"ids": [theirs.pk]}),
        content_type="application/json",
    )
    assert answer.status_code in (400, 403)
    page = Client()
    from tests.conftest import logged_in

    page = logged_in(staff["supervisor"])
    page.post("/alerts/acknowledge", {"alert": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert (
        Entry.objects.filter(
            actor=staff["supervisor"], object_id=str(theirs.pk), outcome=Outcome.DENIED
        ).count()
        >= 2
    )


def test_a_supervisor_closing_lost_is_told_to_the_director_and_oversight(discharged, staff):
    _, lost = lose(discharged, staff)
    services.close_lost(staff["supervisor"], lost, "Found again at his sister's.")
    # The supervisor's work closes the director's alert: so the director learns who and why.
    told = Alert.objects.filter(kind="follow_up_lost_closed", read_at__isnull=True)
    assert {a.recipient.role for a in told} == {"program_director", "oversight"}
    for alert in told:
        assert staff["supervisor"].full_name in alert.message
    director = told.get(recipient=staff["program_director"])
    assert "Found again at his sister's" in director.message
    # The oversight body gets a number and who closed it: no name, no free text.
    theirs = told.get(recipient=staff["oversight"])
    assert discharged.display_name not in theirs.message
    assert "sister" not in theirs.message and f"#{discharged.pk}" in theirs.message
    assert oversight_alert(staff).read_at is None
    # Only the oversight body acknowledges its alerts.
    alerts.acknowledge(staff["oversight"], [oversight_alert(staff).pk])
    assert oversight_alert(staff).read_at is not None


def test_the_director_closing_lost_tells_the_oversight_body_only(discharged, staff):
    _, lost = lose(discharged, staff)
    services.close_lost(staff["program_director"], lost, "Moved abroad; confirmed by letter.")
    told = Alert.objects.filter(kind="follow_up_lost_closed")
    assert {a.recipient.role for a in told} == {"oversight"}


# --- a DBA with raw SQL ---------------------------------------------------------------------


def test_a_dba_closing_lost_with_sql_is_named_by_the_database_check(discharged, staff, ledger_key):
    from homecoming.ledger import dbcheck

    _, lost = lose(discharged, staff)
    named = f"followup.lost #{lost.pk}"
    # (The fixture gives the portal e-mail with a plain save: only the Lost row is looked at.)
    assert not any(named in p for p in dbcheck.check().problems)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE followup_lost SET closed_at = marked_at, closed_by_id = %s, "
            "closed_reason = 'found' WHERE id = %s",
            [staff["supervisor"].pk, lost.pk],
        )
    report = dbcheck.check()
    assert any(named in p for p in report.problems), report.problems
    # Deleting it is refused outright.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM followup_lost WHERE id = %s", [lost.pk])


def test_a_dba_closing_lost_without_a_reason_is_refused(discharged, staff):
    _, lost = lose(discharged, staff)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE followup_lost SET closed_at = marked_at WHERE id = %s", [lost.pk])


# --- the check-in link --------------------------------------------------------------------------


@pytest.fixture
def sent(first_contact, staff, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return checkin.send_link(staff["caseworker"], first_contact)


def test_a_link_is_used_once(sent):
    url = f"/check-in/{secret_of(sent.url)}/"
    assert Client().post(url, form_data()).status_code == 200
    again = Client().post(url, form_data(item9=0, housing="none"))
    assert again.status_code == 410
    assert CheckIn.objects.count() == 1 and CheckIn.objects.get().housing == "stable"


def test_a_guessed_link_is_404_and_on_the_ledger(sent):
    secret = secret_of(sent.url)
    guess = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert Client().get(f"/check-in/{guess}/").status_code == 404
    assert Entry.objects.filter(action="followup.check_in", outcome=Outcome.DENIED).exists()


@pytest.mark.parametrize("who", ["caseworker", "supervisor", "clinician", "program_director"])
def test_a_logged_in_staff_member_cannot_answer(sent, staff, client_for, who):
    url = f"/check-in/{secret_of(sent.url)}/"
    me = client_for(staff[who])
    assert me.get(url).status_code == 403
    assert me.post(url, form_data()).status_code == 403
    assert not CheckIn.objects.exists()
    assert (
        Entry.objects.filter(
            action="followup.check_in", outcome=Outcome.DENIED, actor=staff[who]
        ).count()
        == 2
    )
    # The link still works for the former resident.
    assert Client().get(url).status_code == 200


def test_making_the_contact_cannot_be_faked_by_a_staff_typed_check_in(first_contact, staff):
    with pytest.raises(ValidationError):
        services.record_attempt(
            staff["caseworker"], first_contact, method="check_in", outcome="reached"
        )


def test_a_link_for_someone_without_an_e_mail_is_refused_on_the_page_by_name(
    first_contact, staff, client_for
):
    account = first_contact.resident.user
    account.email = ""
    account.save()
    page = client_for(staff["caseworker"]).post(f"/follow-ups/{first_contact.pk}/check-in-link")
    assert page.status_code == 400
    assert "no e-mail address to send a link to" in page.content.decode()
    assert "Record the attempt" in page.content.decode()


def test_the_supervisor_is_told_who_learns_of_their_closing(discharged, staff, client_for):
    contact, lost = lose(discharged, staff)
    sup = client_for(staff["supervisor"])
    done = sup.post(
        f"/follow-ups/{contact.pk}/lost/{lost.pk}/close", {"reason": "Reached."}, follow=True
    )
    assert "the program director and the oversight body are told" in done.content.decode()
