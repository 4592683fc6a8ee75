"""Self check-in links: sent by the team, e-mailed, stored as a hash, single-use, expiring;
the public page without a log-in; one transaction for the submission; item 9 alerts exactly as
in the center; refusals are clear pages with a denied ledger entry; guesses are rate-limited."""

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.test import Client

from homecoming.access.policy import AccessDenied
from homecoming.alerts.models import Alert
from homecoming.followup import checkin
from homecoming.followup.models import Attempt, CheckIn, CheckInLink, ContactStatus
from homecoming.ledger.models import Entry, Outcome
from homecoming.measures.models import Questionnaire
from tests.measures.answers import phq9

pytestmark = pytest.mark.django_db


def secret_of(url: str) -> str:
    return re.search(r"/check-in/([^/]+)/", url).group(1)


def form_data(*, item9=0, wants_call=False, pcl=[1] * 20, housing="stable", work="working"):
    data = {f"pcl5-item_{n}": str(v) for n, v in enumerate(pcl, start=1)}
    data |= {f"phq9-item_{n}": str(v) for n, v in enumerate(phq9(item9=item9), start=1)}
    data |= {"housing": housing, "work": work, "comments": "Sleeping better."}
    if wants_call:
        data["wants_call"] = "on"
    return data


@pytest.fixture
def sent(first_contact, staff, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return checkin.send_link(staff["caseworker"], first_contact)


def test_the_link_is_mailed_and_only_its_hash_stored(sent, mailoutbox):
    secret = secret_of(sent.url)
    link = CheckInLink.objects.get()
    assert link.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(CheckInLink.objects.values().get())
    assert link.sent_to == "walter@example.org"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["walter@example.org"]
    assert sent.url in mailoutbox[0].body
    assert "PHQ" not in mailoutbox[0].body and "Walter" not in mailoutbox[0].body
    assert (link.expires_at - link.created_at) == dt.timedelta(days=14)
    assert checkin.latest_link_for(sent.link.contact) == link


def test_a_new_link_revokes_the_old(sent, first_contact, staff):
    again = checkin.send_link(staff["caseworker"], first_contact)
    assert CheckInLink.objects.get(pk=sent.link.pk).revoked_at is not None
    response = Client().get(f"/check-in/{secret_of(sent.url)}/")
    assert response.status_code == 410
    assert Client().get(f"/check-in/{secret_of(again.url)}/").status_code == 200


def test_no_link_without_a_portal_e_mail(first_contact, staff):
    account = first_contact.resident.user
    account.email = ""
    account.save()
    with pytest.raises(Exception) as exc:
        checkin.send_link(staff["caseworker"], first_contact)
    assert "e-mail" in str(exc.value)


@pytest.mark.parametrize(
    "who", ["contractor", "oversight", "investigator", "sysadmin", "caseworker_other"]
)
def test_who_may_not_send_a_link(first_contact, staff, who):
    with pytest.raises(AccessDenied):
        checkin.send_link(staff[who], first_contact)
    assert not CheckInLink.objects.exists()


def test_the_former_resident_may_not_send_themselves_a_link(first_contact):
    with pytest.raises(AccessDenied):
        checkin.send_link(first_contact.resident.user, first_contact)


def test_a_check_in_through_the_page_is_one_complete_write(sent, first_contact, staff):
    client = Client()  # nobody logged in
    url = f"/check-in/{secret_of(sent.url)}/"
    page = client.get(url)
    assert page.status_code == 200 and b"PCL-5" in page.content and b"PHQ-9" in page.content
    response = client.post(url, form_data(wants_call=True))
    assert response.status_code == 200, response.content.decode()[:2000]
    assert b"Thank you" in response.content
    check_in = CheckIn.objects.get()
    assert check_in.housing == "stable" and check_in.wants_call
    account = first_contact.resident.user
    for q in (check_in.pcl5, check_in.phq9):
        assert q.mode == "self" and q.completed_by == account
        assert Entry.objects.filter(action="measure.record", object_id=str(q.pk)).exists()
    link = CheckInLink.objects.get()
    assert link.used_at is not None
    first_contact.refresh_from_db()
    assert first_contact.status == ContactStatus.MADE
    attempt = Attempt.objects.get()
    assert (attempt.method, attempt.outcome, attempt.made_by) == ("check_in", "reached", None)
    call = Alert.objects.get(kind="follow_up_call")
    assert call.recipient == first_contact.owner == staff["caseworker"]
    assert not Alert.objects.filter(kind="safety").exists()
    # Single use: the same link again is refused, with a denied entry.
    again = client.get(url)
    assert again.status_code == 410 and b"used already" in again.content
    assert Entry.objects.filter(
        action="followup.check_in", outcome=Outcome.DENIED, object_id=str(link.pk)
    ).exists()
    assert client.post(url, form_data()).status_code == 410
    assert CheckIn.objects.count() == 1


def test_item_9_alerts_the_care_team_as_in_the_center(sent, first_contact, staff):
    response = Client().post(f"/check-in/{secret_of(sent.url)}/", form_data(item9=2))
    assert response.status_code == 200
    assert b"alerted" in response.content
    alerts = Alert.objects.filter(kind="safety")
    assert {a.recipient.username for a in alerts} == {"caseworker", "clinician"}
    assert all(a.urgency == "critical" for a in alerts)


def test_missing_answers_are_all_named_and_nothing_is_saved(sent):
    data = form_data()
    del data["pcl5-item_3"], data["phq9-item_9"], data["housing"]
    response = Client().post(f"/check-in/{secret_of(sent.url)}/", data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Item 3 is not answered" in text and "Item 9 is not answered" in text
    assert "Choose where you live now" in text
    assert 'value="1" aria-label="PCL-5 Item 1: A little bit" checked' in text  # kept
    assert not CheckIn.objects.exists() and not Questionnaire.objects.exists()
    assert CheckInLink.objects.get().used_at is None


def test_an_expired_link_is_refused(sent):
    link = sent.link
    with time_machine.travel(link.expires_at + dt.timedelta(seconds=1), tick=False):
        response = Client().get(f"/check-in/{secret_of(sent.url)}/")
    assert response.status_code == 410 and b"expired" in response.content
    assert Entry.objects.filter(action="followup.check_in", outcome=Outcome.DENIED).exists()


def test_an_unknown_link_is_404_with_a_denied_entry(db):
    response = Client().get("/check-in/not-a-real-secret/")
    assert response.status_code == 404
    assert b"not known" in response.content
    entry = Entry.objects.get(action="followup.check_in")
    assert entry.outcome == Outcome.DENIED and entry.actor_id is None


def test_guessing_links_is_rate_limited(sent, settings):
    settings.HOMECOMING_CHECK_IN_RATE = "3/h"
    client = Client()
    for n in range(4):
        assert client.get(f"/check-in/guess{n}/").status_code == 404
    assert client.get("/check-in/guess-again/").status_code == 429
    # Past the limit even the right link waits (the guesser cannot tell which one was right).
    assert client.get(f"/check-in/{secret_of(sent.url)}/").status_code == 429


def test_a_contact_made_meanwhile_ends_the_link(sent, first_contact, staff):
    from homecoming.followup import services

    services.record_attempt(staff["caseworker"], first_contact, method="phone", outcome="reached")
    assert Client().get(f"/check-in/{secret_of(sent.url)}/").status_code == 410


def test_the_phone_width_page_has_a_viewport(sent):
    page = Client().get(f"/check-in/{secret_of(sent.url)}/")
    assert b'name="viewport" content="width=device-width' in page.content


def test_the_sender_cannot_answer_the_check_in_in_their_own_session(sent, staff, first_contact):
    """The replay: the caseworker saw the link once, opened it logged in, and filled it in to
    make the contact without the former resident."""
    from tests.conftest import logged_in

    url = f"/check-in/{secret_of(sent.url)}/"
    client = logged_in(staff["caseworker"])
    assert client.get(url).status_code == 403
    assert client.post(url, form_data()).status_code == 403
    assert not CheckIn.objects.exists()
    assert Entry.objects.filter(
        action="followup.check_in", actor=staff["caseworker"], outcome=Outcome.DENIED
    ).exists()
    # The former resident, logged in to the portal or not, answers it.
    assert logged_in(first_contact.resident.user).get(url).status_code == 200


def test_a_check_in_cannot_be_changed_with_raw_sql(sent):
    from django.db import DatabaseError, connection, transaction

    Client().post(f"/check-in/{secret_of(sent.url)}/", form_data())
    check_in = CheckIn.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE followup_checkin SET wants_call = TRUE WHERE id = %s", [check_in.pk])


def test_the_links_hash_is_not_in_the_ledgers_versions(sent):
    from homecoming.ledger.models import Version

    link = CheckInLink.objects.get()
    versions = Version.objects.filter(object_type="followup.checkinlink")
    assert versions.exists()
    for version in versions:
        assert link.secret_sha256 not in version.content


def test_the_summary_can_say_which_links_were_sent(sent, first_contact):
    [link] = checkin.links_sent_for(first_contact.discharge)
    assert (link.sent_to, link.contact) == ("walter@example.org", first_contact)


def test_the_discharge_summary_says_which_links_were_sent(sent, first_contact, staff):
    from homecoming.discharge import selectors as discharge_selectors

    s = discharge_selectors.summary(staff["caseworker"], first_contact.discharge_id)
    assert [link.pk for link in s.check_in_links] == [sent.link.pk]
    from tests.conftest import logged_in

    page = logged_in(staff["caseworker"]).get(f"/discharges/{first_contact.discharge_id}/summary/")
    text = page.content.decode()
    assert "Check-in links sent" in text and sent.link.sent_to in text
    assert secret_of(sent.url) not in text  # never the link itself
