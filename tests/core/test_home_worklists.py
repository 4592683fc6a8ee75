"""The home page's worklists (issue 16): each list for the role it is for and not for the others,
narrowed by the access policy, named on the ledger, and in a number of queries that does not
grow with the residents or the rows."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.utils import timezone

from homecoming.encounters import notes_selectors
from homecoming.followup import checkin
from homecoming.followup import selectors as followup
from homecoming.ledger.models import Entry
from homecoming.residents.services import assign_care_team
from tests.conftest import logged_in
from tests.followup.conftest import discharge, give_portal
from tests.followup.test_timers import noon
from tests.support.notes import draft, make_trainee, signed
from tests.support.queries import page_queries

pytestmark = pytest.mark.django_db


def home(user) -> str:
    response = logged_in(user).get("/")
    assert response.status_code == 200
    return response.content.decode()


# --- my unsigned notes ------------------------------------------------------------------------


def test_my_unsigned_notes_lists_my_drafts_oldest_first_with_their_wait(resident, staff):
    caseworker = staff["caseworker"]
    with time_machine.travel(timezone.now() - dt.timedelta(days=2), tick=False):
        older = draft(caseworker, resident)
    newer = draft(caseworker, resident)
    signed(caseworker, resident)  # signed: nothing left to do
    text = home(caseworker)
    assert "My unsigned notes" in text
    assert text.index(f"/notes/{older.pk}/") < text.index(f"/notes/{newer.pk}/")
    assert "waiting 2\xa0days" in text
    assert text.count('href="/notes/') == 2
    listed = Entry.objects.filter(action="resident.list", actor=caseworker).last()
    assert resident.pk in listed.residents_named


def test_nobody_else_sees_my_drafts(resident, staff):
    draft(staff["caseworker"], resident)
    for who in ("supervisor", "clinician", "caseworker_other", "contractor", "oversight"):
        assert "My unsigned notes" not in home(staff[who]), who


def test_a_draft_on_a_resident_who_left_my_caseload_is_not_listed(resident, staff):
    caseworker = staff["caseworker"]
    draft(caseworker, resident)
    assign_care_team(staff["supervisor"], resident, "primary_caseworker", staff["caseworker_other"])
    assert notes_selectors.unsigned_drafts(caseworker).total == 0
    assert "My unsigned notes" not in home(caseworker)


# --- co-signatures due ------------------------------------------------------------------------


def test_a_trainees_signed_note_waits_for_the_supervisors_cosignature(resident, staff):
    trainee = make_trainee(staff["caseworker"])
    note = signed(trainee, resident)
    for who in ("supervisor", "program_director"):
        text = home(staff[who])
        assert "Co-signatures due" in text and f'href="/notes/{note.pk}/"' in text, who
        assert "/notes/awaiting-cosignature/" in text
    # Not for those who co-sign nothing, the trainee included.
    for who in ("caseworker", "clinician", "caseworker_other", "contractor"):
        assert "Co-signatures due" not in home(staff[who]), who
    assert notes_selectors.cosignatures_due(staff["clinician"]) is None


def test_a_cosigned_note_leaves_the_list(resident, staff):
    from homecoming.encounters import notes
    from tests.conftest import PASSWORD

    note = signed(make_trainee(staff["caseworker"]), resident)
    notes.cosign(staff["supervisor"], note, PASSWORD)
    assert "Co-signatures due" not in home(staff["supervisor"])


# --- follow-ups and questionnaires overdue ----------------------------------------------------


@pytest.fixture
def followed_up(resident, staff):
    give_portal(resident, staff["supervisor"])
    discharge(resident, staff["supervisor"])
    resident.refresh_from_db()
    return resident.follow_ups.order_by("due_on").first()


def on(day):
    return time_machine.travel(noon(day), tick=False)


def test_follow_ups_due_names_the_residents_with_a_link_for_their_owner(followed_up, staff):
    with on(followed_up.due_on):
        text = home(staff["caseworker"])
        supervisor = home(staff["supervisor"])
        other = home(staff["caseworker_other"])
        contractor = home(staff["contractor"])
    name = followed_up.resident.display_name
    assert "Follow-ups due: <strong>1</strong>" in text
    assert f'href="/follow-ups/{followed_up.pk}/"' in text and name in text
    assert f'href="/follow-ups/{followed_up.pk}/"' in supervisor  # the supervisors see everyone's
    assert "Follow-ups due" not in other and name not in other
    assert "Follow-ups due" not in contractor
    listed = Entry.objects.filter(action="followup.list", actor=staff["caseworker"]).last()
    assert listed.residents_named == [followed_up.resident_id] and listed.purpose == "follow_up"


def test_a_check_in_unanswered_for_a_week_is_overdue(followed_up, staff):
    sent_on = followed_up.due_on
    with on(sent_on):
        checkin.send_link(staff["caseworker"], followed_up)
    with on(sent_on + dt.timedelta(days=6)):
        assert "Questionnaires overdue" not in home(staff["caseworker"])
    with on(sent_on + dt.timedelta(days=8)):
        text = home(staff["caseworker"])
        supervisor = home(staff["supervisor"])
        other = home(staff["caseworker_other"])
        clinician_other = home(staff["clinician_other"])
        contractor = home(staff["contractor"])
    assert "Questionnaires overdue" in text and "unanswered for 1\xa0week" in text
    assert f'href="/follow-ups/{followed_up.pk}/"' in text
    assert "Questionnaires overdue" in supervisor
    for page in (other, clinician_other, contractor):
        assert "Questionnaires overdue" not in page


def test_an_answered_or_replaced_check_in_is_not_overdue(followed_up, staff):
    with on(followed_up.due_on):
        checkin.send_link(staff["caseworker"], followed_up)
    with on(followed_up.due_on + dt.timedelta(days=8)):
        assert followup.questionnaires_overdue(staff["caseworker"]).total == 1
        checkin.send_link(staff["caseworker"], followed_up)  # a new link: the week starts again
        assert followup.questionnaires_overdue(staff["caseworker"]).total == 0


# --- bounded work -----------------------------------------------------------------------------


NUMBERS = itertools.count(1)


def _load(n, admit, staff):
    """n more residents on the caseworker's caseload, each with a draft of the caseworker's and
    a signed note of the clinician's (in training) waiting for a co-signature."""
    for _ in range(n):
        resident = admit(family_name=f"Cruz-{next(NUMBERS)}")
        draft(staff["caseworker"], resident)
        signed(staff["clinician"], resident)


def _home_queries(client):
    with page_queries() as counted:
        response = client.get("/")
    assert response.status_code == 200
    return counted


@pytest.mark.parametrize("who", ["caseworker", "supervisor"])
def test_the_home_page_costs_the_same_for_2_and_14_residents_with_work(who, admit, staff):
    make_trainee(staff["clinician"])
    client = logged_in(staff[who])
    _load(2, admit, staff)
    client.get("/")  # the session's first request stamps its activity
    small = _home_queries(client)
    _load(12, admit, staff)
    large = _home_queries(client)
    assert len(large.all) <= len(small.all), "\n".join(large.all)
    assert len(large.own) <= len(small.own)
    text = client.get("/").content.decode()
    heading = "My unsigned notes" if who == "caseworker" else "Co-signatures due"
    assert heading in text and "14</span>" in text and "4 more" in text
