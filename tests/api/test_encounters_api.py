"""Sessions and notes over /api/v1/: every endpoint allowed (its row and its ledger entry) and
refused (the wrong role, on the ledger), the 409s of a clash, a stale draft and a signed note,
the re-authentication a signature asks for, and a read-only token refused on every write."""

import datetime as dt
import json

import pytest
from django.test import Client

from homecoming.accounts import tokens
from homecoming.accounts.reauth import WRONG_SECRET
from homecoming.encounters import notes
from homecoming.encounters.models import (
    Addendum,
    CoSignature,
    Note,
    NoteRelease,
    Session,
    SessionMove,
)
from homecoming.ledger.models import Entry
from tests.conftest import PASSWORD
from tests.consents.helpers import portal_login
from tests.support.notes import DAP_TEXT, draft, make_trainee, session_for, signed
from tests.support.sessions import at, book, set_clock

OUTSIDERS = ["caseworker_other", "contractor", "sysadmin", "oversight"]


def send(client, method, url, body=None):
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json")


def post(client, url, body=None):
    return send(client, "POST", url, body)


def local(moment: dt.datetime) -> str:
    """As a client in the center sends a time: its local wall clock, no offset."""
    from homecoming.encounters import scheduling

    return scheduling.local(moment).replace(tzinfo=None).isoformat()


def denied(actor, action=None, **fields) -> bool:
    qs = Entry.objects.filter(actor=actor, outcome="denied", **fields)
    if action:
        qs = qs.filter(action=action)
    return qs.exists()


def read_only(user) -> Client:
    _, clear = tokens.issue(user, "read only", scope="read")
    return Client(HTTP_AUTHORIZATION=f"Bearer {clear}")


@pytest.fixture
def heidi(admit):
    return admit(given_name="Heidi", family_name="Bergman")


@pytest.fixture
def session(resident, staff):
    return book(staff["caseworker"], [resident], at(2, 10))


# --- sessions: reading ----------------------------------------------------------------------


def test_a_residents_sessions_are_listed_newest_first_and_the_read_is_recorded(
    resident, heidi, staff, api_for
):
    caseworker = staff["caseworker"]
    first = book(caseworker, [resident], at(2, 10))
    group = book(caseworker, [resident, heidi], at(3, 14))
    response = api_for(caseworker).get(f"/api/v1/residents/{resident.pk}/sessions?limit=1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2 and body["limit"] == 1
    [item] = body["items"]
    assert item["id"] == group.pk and item["kind"] == "group" and item["title"] == "Sleep skills"
    assert item["attendance"] == "expected" and item["caseworker"] == str(caseworker.full_name)
    assert "Heidi" not in response.content.decode()  # a group's other attendees stay unnamed
    second = api_for(caseworker).get(f"/api/v1/residents/{resident.pk}/sessions?offset=1")
    assert [i["id"] for i in second.json()["items"]] == [first.pk]
    look = Entry.objects.filter(actor=caseworker, resident=resident).last()
    assert look.action == "resident.view" and look.outcome == "allowed"


def test_the_resident_reads_their_own_sessions(resident, staff, make_user, api_for, session):
    own = portal_login(make_user, resident)
    response = api_for(own.user).get(f"/api/v1/residents/{resident.pk}/sessions")
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [session.pk]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_do_not_list_a_residents_sessions(resident, staff, api_for, session, who):
    response = api_for(staff[who]).get(f"/api/v1/residents/{resident.pk}/sessions")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert denied(staff[who], "resident.view", resident_id=resident.pk)


def test_another_residents_sessions_are_refused_to_a_resident(resident, heidi, make_user, api_for):
    own = portal_login(make_user, resident)
    response = api_for(own.user).get(f"/api/v1/residents/{heidi.pk}/sessions")
    assert response.status_code == 403
    assert denied(own.user, "resident.view", resident_id=heidi.pk)


def test_a_session_is_read_with_its_attendees_and_moves(resident, staff, api_for, session):
    from homecoming.encounters import scheduling

    caseworker = staff["caseworker"]
    scheduling.reschedule(caseworker, session, at(4, 9), at(4, 10), "Training day.")
    response = api_for(caseworker).get(f"/api/v1/sessions/{session.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    [attendee] = body["attendees"]
    assert attendee["resident_id"] == resident.pk and attendee["resident_name"] == "Walter Cruz"
    assert body["may_update"] == [attendee["id"]] and body["started"] is False
    [move] = body["moves"]
    assert move["reason"] == "Training day." and move["moved_by"] == caseworker.full_name
    assert Entry.objects.filter(actor=caseworker, resident=resident, outcome="allowed").exists()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_do_not_read_a_session(staff, api_for, session, resident, who):
    response = api_for(staff[who]).get(f"/api/v1/sessions/{session.pk}")
    assert response.status_code == 403
    assert "Walter" not in response.content.decode()
    assert denied(staff[who], resident_id=resident.pk)


def test_an_unknown_session_is_a_recorded_404(staff, api_for):
    response = api_for(staff["caseworker"]).get("/api/v1/sessions/999999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert denied(staff["caseworker"], object_id="999999")


# --- sessions: booking ----------------------------------------------------------------------


def test_a_caseworker_schedules_a_session_with_their_resident(resident, staff, api_for):
    caseworker = staff["caseworker"]
    starts = at(2, 10)
    response = post(
        api_for(caseworker),
        f"/api/v1/residents/{resident.pk}/sessions",
        {"starts_at": local(starts), "ends_at": local(starts + dt.timedelta(minutes=50))},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    session = Session.objects.get(pk=body["id"])
    assert session.caseworker == caseworker and session.starts_at == starts
    assert session.ends_at == starts + dt.timedelta(minutes=50)
    assert [a["resident_id"] for a in body["attendees"]] == [resident.pk]
    entry = Entry.objects.get(action="session.schedule", object_type="encounters.session")
    assert entry.actor == caseworker and entry.resident_id == resident.pk


def test_a_supervisor_schedules_on_a_caseworkers_calendar(resident, staff, api_for):
    starts = at(2, 11)
    response = post(
        api_for(staff["supervisor"]),
        f"/api/v1/residents/{resident.pk}/sessions",
        {
            "starts_at": starts.isoformat(),  # with its offset: taken as it is
            "ends_at": (starts + dt.timedelta(hours=1)).isoformat(),
            "caseworker_id": staff["caseworker"].pk,
            "location": "Room 2",
        },
    )
    assert response.status_code == 201, response.content
    session = Session.objects.get(pk=response.json()["id"])
    assert session.caseworker == staff["caseworker"] and session.location == "Room 2"
    assert session.scheduled_by == staff["supervisor"]


def test_a_caseworker_books_on_their_own_calendar_only(resident, staff, api_for):
    starts = at(2, 10)
    response = post(
        api_for(staff["caseworker"]),
        f"/api/v1/residents/{resident.pk}/sessions",
        {
            "starts_at": local(starts),
            "ends_at": local(starts + dt.timedelta(hours=1)),
            "caseworker_id": staff["caseworker_other"].pk,
        },
    )
    assert response.status_code == 403
    assert "own calendar" in response.json()["detail"]
    assert denied(staff["caseworker"], "session.schedule", resident_id=resident.pk)
    assert not Session.objects.exists()


@pytest.mark.parametrize("who", [*OUTSIDERS, "clinician"])
def test_others_do_not_schedule_for_a_resident(resident, staff, api_for, who):
    starts = at(2, 10)
    response = post(
        api_for(staff[who]),
        f"/api/v1/residents/{resident.pk}/sessions",
        {"starts_at": local(starts), "ends_at": local(starts + dt.timedelta(hours=1))},
    )
    assert response.status_code == 403
    assert denied(staff[who], resident_id=resident.pk)
    assert not Session.objects.exists()


def test_a_clash_is_a_409_naming_the_session_it_meets(resident, staff, api_for, session):
    response = post(
        api_for(staff["caseworker"]),
        f"/api/v1/residents/{resident.pk}/sessions",
        {"starts_at": local(at(2, 10, 30)), "ends_at": local(at(2, 11, 30))},
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "session_clash"
    assert "already has a session 10:00–11:00" in body["detail"]
    assert "caseworker_id" in body["errors"]
    assert Session.objects.count() == 1


def test_bad_times_are_refused_with_every_field_named(resident, staff, api_for):
    client = api_for(staff["caseworker"])
    url = f"/api/v1/residents/{resident.pk}/sessions"
    backwards = post(client, url, {"starts_at": local(at(2, 11)), "ends_at": local(at(2, 10))})
    assert backwards.status_code == 400
    assert backwards.json()["errors"] == {"ends_at": ["A session must end after it starts."]}
    past = post(client, url, {"starts_at": local(at(-1, 10)), "ends_at": local(at(-1, 11))})
    assert past.status_code == 400 and "starts_at" in past.json()["errors"]
    missing = post(client, url, {"location": "Room 2"})
    assert missing.status_code == 422
    assert set(missing.json()["errors"]) == {"starts_at", "ends_at"}
    nobody = post(
        client,
        url,
        {"starts_at": local(at(2, 10)), "ends_at": local(at(2, 11)), "caseworker_id": 999999},
    )
    assert nobody.status_code == 400 and "caseworker_id" in nobody.json()["errors"]
    assert not Session.objects.exists()


def test_a_group_session_is_scheduled_for_every_resident(resident, heidi, staff, api_for):
    starts = at(3, 14)
    response = post(
        api_for(staff["supervisor"]),
        "/api/v1/sessions",
        {
            "title": "Sleep skills",
            "resident_ids": [resident.pk, heidi.pk],
            "starts_at": local(starts),
            "ends_at": local(starts + dt.timedelta(minutes=90)),
            "caseworker_id": staff["caseworker"].pk,
        },
    )
    assert response.status_code == 201, response.content
    session = Session.objects.get(pk=response.json()["id"])
    assert session.kind == "group" and session.attendees.count() == 2
    written = Entry.objects.filter(
        action="session.schedule", object_type="encounters.sessionattendee"
    )
    assert set(written.values_list("resident_id", flat=True)) == {resident.pk, heidi.pk}


def test_a_group_with_someone_elses_resident_is_refused(resident, admit, staff, api_for):
    theirs = admit(given_name="Rosa", family_name="Alvarez", caseworker=staff["caseworker_other"])
    response = post(
        api_for(staff["caseworker"]),
        "/api/v1/sessions",
        {
            "title": "Sleep skills",
            "resident_ids": [resident.pk, theirs.pk],
            "starts_at": local(at(3, 14)),
            "ends_at": local(at(3, 15)),
        },
    )
    assert response.status_code == 403
    assert denied(staff["caseworker"], "session.schedule", resident_id=theirs.pk)
    unknown = post(
        api_for(staff["caseworker"]),
        "/api/v1/sessions",
        {
            "title": "Sleep skills",
            "resident_ids": [resident.pk, 999999],
            "starts_at": local(at(3, 14)),
            "ends_at": local(at(3, 15)),
        },
    )
    assert unknown.status_code == 400 and "resident_ids" in unknown.json()["errors"]
    assert not Session.objects.exists()


# --- sessions: changes ----------------------------------------------------------------------


def test_a_session_is_moved_with_the_reason(resident, staff, api_for, session):
    response = post(
        api_for(staff["caseworker"]),
        f"/api/v1/sessions/{session.pk}/reschedule",
        {"starts_at": local(at(4, 9)), "ends_at": local(at(4, 10)), "reason": "Training day."},
    )
    assert response.status_code == 200, response.content
    session.refresh_from_db()
    assert session.starts_at == at(4, 9)
    move = SessionMove.objects.get(session=session)
    assert move.reason == "Training day." and move.from_starts_at == at(2, 10)
    assert response.json()["moves"][0]["reason"] == "Training day."
    assert Entry.objects.filter(
        action="session.reschedule", object_type="encounters.sessionmove"
    ).exists()


def test_a_move_onto_another_session_is_a_409(resident, staff, api_for, session):
    book(staff["caseworker"], [resident], at(4, 9))
    response = post(
        api_for(staff["caseworker"]),
        f"/api/v1/sessions/{session.pk}/reschedule",
        {"starts_at": local(at(4, 9)), "ends_at": local(at(4, 10)), "reason": "Training day."},
    )
    assert response.status_code == 409 and response.json()["code"] == "session_clash"
    session.refresh_from_db()
    assert session.starts_at == at(2, 10) and not SessionMove.objects.exists()


def test_a_move_without_a_reason_names_it(staff, api_for, session):
    response = post(
        api_for(staff["caseworker"]),
        f"/api/v1/sessions/{session.pk}/reschedule",
        {"starts_at": local(at(-1, 9)), "ends_at": local(at(-1, 10)), "reason": " "},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"reason", "starts_at"}


def test_a_session_is_cancelled_with_the_reason(resident, staff, api_for, session):
    response = post(
        api_for(staff["caseworker"]),
        f"/api/v1/sessions/{session.pk}/cancel",
        {"reason": "Hospital appointment."},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["attendees"][0]["attendance"] == "cancelled"
    session.refresh_from_db()
    assert session.status == "cancelled" and session.cancellation_reason == "Hospital appointment."
    assert Entry.objects.filter(action="session.cancel", resident_id=resident.pk).exists()
    again = post(
        api_for(staff["caseworker"]), f"/api/v1/sessions/{session.pk}/cancel", {"reason": "Twice."}
    )
    assert again.status_code == 400


def test_a_cancellation_needs_a_reason(staff, api_for, session):
    response = post(
        api_for(staff["caseworker"]), f"/api/v1/sessions/{session.pk}/cancel", {"reason": ""}
    )
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_check_in_no_show_and_close(resident, heidi, staff, api_for, monkeypatch):
    group = book(staff["caseworker"], [resident, heidi], at(2, 14))
    walter = group.attendees.get(resident=resident)
    other = group.attendees.get(resident=heidi)
    client = api_for(staff["caseworker"])
    base = f"/api/v1/sessions/{group.pk}"
    early = post(client, f"{base}/close")
    assert early.status_code == 400 and "once it has started" in early.json()["detail"]
    set_clock(monkeypatch, group.starts_at + dt.timedelta(minutes=5))
    checked = post(client, f"{base}/attendees/{walter.pk}/check-in")
    assert checked.status_code == 200, checked.content
    assert checked.json()["attendance"] == "checked_in"
    again = post(client, f"{base}/attendees/{walter.pk}/check-in")
    assert again.status_code == 400 and "already checked in" in again.json()["detail"]
    missed = post(client, f"{base}/attendees/{other.pk}/no-show")
    assert missed.status_code == 200 and missed.json()["attendance"] == "no_show"
    assert Entry.objects.filter(action="session.check_in", resident_id=resident.pk).exists()
    assert Entry.objects.filter(action="session.no_show", resident_id=heidi.pk).exists()
    closed = post(client, f"{base}/close")
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "held"
    walter.refresh_from_db()
    assert walter.attendance == "attended"
    assert Entry.objects.filter(action="session.held", object_type="encounters.session").exists()


def test_an_attendee_of_another_session_is_a_404(staff, api_for, session, resident, heidi):
    other = book(staff["caseworker"], [heidi], at(3, 10))
    attendee = other.attendees.get()
    response = post(
        api_for(staff["caseworker"]),
        f"/api/v1/sessions/{session.pk}/attendees/{attendee.pk}/check-in",
    )
    assert response.status_code == 404


@pytest.mark.parametrize("who", [*OUTSIDERS, "clinician"])
def test_others_do_not_change_a_session(resident, staff, api_for, session, monkeypatch, who):
    set_clock(monkeypatch, session.starts_at + dt.timedelta(minutes=5))
    client = api_for(staff[who])
    attendee = session.attendees.get()
    base = f"/api/v1/sessions/{session.pk}"
    moved = {"starts_at": local(at(4, 9)), "ends_at": local(at(4, 10)), "reason": "Mine now."}
    for url, body in [
        (f"{base}/reschedule", moved),
        (f"{base}/cancel", {"reason": "Mine to cancel."}),
        (f"{base}/close", None),
        (f"{base}/attendees/{attendee.pk}/check-in", None),
        (f"{base}/attendees/{attendee.pk}/no-show", None),
    ]:
        assert post(client, url, body).status_code == 403, url
    assert denied(staff[who], resident_id=resident.pk)
    session.refresh_from_db()
    attendee.refresh_from_db()
    assert session.status == "scheduled" and session.starts_at == at(2, 10)
    assert attendee.attendance == "expected"


def test_a_caseworker_does_not_move_a_session_on_another_calendar(
    resident, staff, api_for, session
):
    response = post(
        api_for(staff["caseworker_other"]),
        f"/api/v1/sessions/{session.pk}/reschedule",
        {"starts_at": local(at(4, 9)), "ends_at": local(at(4, 10)), "reason": "Mine now."},
    )
    assert response.status_code == 403


# --- notes: reading -------------------------------------------------------------------------


def test_a_residents_notes_as_each_reader_may_see_them(resident, staff, make_user, api_for):
    caseworker, clinician = staff["caseworker"], staff["clinician"]
    shown = signed(caseworker, resident)
    mine = draft(caseworker, resident)
    theirs = draft(clinician, resident)
    withheld = signed(clinician, resident)
    notes.withhold(clinician, withheld, "third_party", "About his brother.")
    url = f"/api/v1/residents/{resident.pk}/notes"

    body = api_for(caseworker).get(url).json()
    ids = [n["id"] for n in body["items"]]
    assert set(ids) == {shown.pk, mine.pk, withheld.pk} and theirs.pk not in ids
    assert body["count"] == 3
    by_id = {n["id"]: n for n in body["items"]}
    assert by_id[shown.pk]["sections"] == DAP_TEXT and by_id[shown.pk]["status"] == "signed"
    assert by_id[withheld.pk]["status"] == "withheld"
    assert by_id[withheld.pk]["decisions"][0]["explanation"] == "About his brother."
    look = Entry.objects.filter(actor=caseworker, resident=resident).last()
    assert look.action == "resident.view" and "notes" in look.sections

    own = portal_login(make_user, resident)
    body = api_for(own.user).get(url).json()
    assert [n["id"] for n in body["items"]] == [shown.pk]
    assert body["items"][0]["decisions"] == []


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_do_not_read_notes(resident, staff, api_for, who):
    note = signed(staff["caseworker"], resident)
    client = api_for(staff[who])
    assert client.get(f"/api/v1/residents/{resident.pk}/notes").status_code == 403
    response = client.get(f"/api/v1/notes/{note.pk}")
    assert response.status_code == 403 and "Slept" not in response.content.decode()
    assert denied(staff[who], "resident.view", resident_id=resident.pk)


def test_a_note_is_read_with_its_addenda_and_cosignature(resident, staff, api_for):
    trainee = make_trainee(staff["caseworker"])
    note = signed(trainee, resident)
    notes.add_addendum(trainee, note, "Late information", "He called his sister.", PASSWORD)
    notes.cosign(staff["supervisor"], note, PASSWORD)
    response = api_for(staff["clinician"]).get(f"/api/v1/notes/{note.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["addenda"][0]["reason"] == "Late information"
    assert body["cosignature"]["cosigner_id"] == staff["supervisor"].pk
    assert body["needs_cosignature"] and not body["awaiting_cosignature"]
    assert body["signed_sha256"] and body["status"] == "signed"
    assert Entry.objects.filter(
        actor=staff["clinician"], resident=resident, action="resident.view"
    ).exists()


def test_a_draft_is_read_by_its_author_only_and_a_withheld_note_not_by_the_resident(
    resident, staff, make_user, api_for
):
    note = draft(staff["caseworker"], resident)
    assert api_for(staff["caseworker"]).get(f"/api/v1/notes/{note.pk}").status_code == 200
    assert api_for(staff["clinician"]).get(f"/api/v1/notes/{note.pk}").status_code == 403
    assert denied(staff["clinician"], "resident.view", object_id=str(note.pk))
    withheld = signed(staff["clinician"], resident)
    notes.withhold(staff["clinician"], withheld, "risk_of_harm", "Not now.")
    own = portal_login(make_user, resident)
    response = api_for(own.user).get(f"/api/v1/notes/{withheld.pk}")
    assert response.status_code == 403 and "Not now" not in response.content.decode()
    assert api_for(staff["caseworker"]).get("/api/v1/notes/999999").status_code == 404


def test_the_cosignature_queue(resident, staff, api_for):
    trainee = make_trainee(staff["caseworker"])
    note = signed(trainee, resident)
    response = api_for(staff["supervisor"]).get("/api/v1/notes/awaiting-cosignature")
    assert response.status_code == 200
    assert [n["id"] for n in response.json()["items"]] == [note.pk]
    assert response.json()["items"][0]["status"] == "awaiting co-signature"
    refused = api_for(staff["caseworker_other"]).get("/api/v1/notes/awaiting-cosignature")
    assert refused.status_code == 403
    assert denied(staff["caseworker_other"], "note.cosign")


# --- notes: writing -------------------------------------------------------------------------


def test_a_draft_is_started_saved_and_signed(resident, staff, api_for):
    caseworker = staff["caseworker"]
    client = api_for(caseworker)
    about = session_for(caseworker, resident)
    started = post(
        client,
        f"/api/v1/residents/{resident.pk}/notes",
        {"template": "dap", "session_id": about.pk},
    )
    assert started.status_code == 201, started.content
    note_id = started.json()["id"]
    assert started.json()["sections"] == {"data": "", "assessment": "", "plan": ""}
    assert Note.objects.get(pk=note_id).session == about
    assert Entry.objects.filter(action="note.start", actor=caseworker).exists()

    saved = send(
        client,
        "PATCH",
        f"/api/v1/notes/{note_id}/draft",
        {"sections": {"data": "Slept five hours."}, "revision": 0},
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["revision"] == 1 and saved.json()["sections"]["data"] == "Slept five hours."
    assert Entry.objects.filter(action="note.draft", object_id=str(note_id)).count() == 1

    empty = post(client, f"/api/v1/notes/{note_id}/sign", {"secret": PASSWORD})
    assert empty.status_code == 400 and "Assessment, Plan" in empty.json()["errors"]["sections"][0]

    done = post(
        client,
        f"/api/v1/notes/{note_id}/sign",
        {"secret": PASSWORD, "revision": 1, "sections": DAP_TEXT},
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "signed" and done.json()["sections"] == DAP_TEXT
    note = Note.objects.get(pk=note_id)
    assert note.is_signed and note.sections == DAP_TEXT
    assert Entry.objects.filter(action="note.sign", outcome="allowed", actor=caseworker).exists()


def test_a_stale_revision_is_a_409(resident, staff, api_for):
    note = draft(staff["caseworker"], resident)  # revision 1
    response = send(
        api_for(staff["caseworker"]),
        "PATCH",
        f"/api/v1/notes/{note.pk}/draft",
        {"sections": {"plan": "Something else."}, "revision": 0},
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_revision" and body["revision"] == 1
    note.refresh_from_db()
    assert note.sections == DAP_TEXT
    stale_sign = post(
        api_for(staff["caseworker"]),
        f"/api/v1/notes/{note.pk}/sign",
        {"secret": PASSWORD, "revision": 0},
    )
    assert stale_sign.status_code == 409 and stale_sign.json()["code"] == "stale_revision"
    note.refresh_from_db()
    assert not note.is_signed


def test_a_signed_note_cannot_be_edited_over_the_api(resident, staff, api_for):
    note = signed(staff["caseworker"], resident)
    client = api_for(staff["caseworker"])
    response = send(
        client,
        "PATCH",
        f"/api/v1/notes/{note.pk}/draft",
        {"sections": {"plan": "Rewritten after the fact."}, "revision": note.revision},
    )
    assert response.status_code == 409 and response.json()["code"] == "note_signed"
    again = post(
        client,
        f"/api/v1/notes/{note.pk}/sign",
        {"secret": PASSWORD, "revision": note.revision, "sections": {"plan": "Rewritten."}},
    )
    assert again.status_code == 409 and again.json()["code"] == "note_signed"
    note.refresh_from_db()
    assert note.sections == DAP_TEXT
    assert Entry.objects.filter(action="note.sign", object_id=str(note.pk)).count() == 1


def test_a_wrong_secret_is_refused_and_on_the_ledger(resident, staff, api_for):
    caseworker = staff["caseworker"]
    note = draft(caseworker, resident)
    response = post(
        api_for(caseworker), f"/api/v1/notes/{note.pk}/sign", {"secret": "not my password!"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"secret": [WRONG_SECRET]}
    note.refresh_from_db()
    assert not note.is_signed
    assert denied(caseworker, "note.sign", object_id=str(note.pk), purpose="none")


def test_only_the_author_edits_and_signs_a_draft(resident, staff, api_for):
    note = draft(staff["caseworker"], resident)
    client = api_for(staff["clinician"])  # on the team, not the author
    edit = send(
        client,
        "PATCH",
        f"/api/v1/notes/{note.pk}/draft",
        {"sections": {"plan": "Mine."}, "revision": 1},
    )
    assert edit.status_code == 403
    assert post(client, f"/api/v1/notes/{note.pk}/sign", {"secret": PASSWORD}).status_code == 403
    assert denied(staff["clinician"], "note.draft") and denied(staff["clinician"], "note.sign")
    note.refresh_from_db()
    assert note.sections == DAP_TEXT and not note.is_signed


def test_bad_note_input_is_named(resident, staff, api_for):
    client = api_for(staff["caseworker"])
    assert (
        post(client, f"/api/v1/residents/{resident.pk}/notes", {"template": "essay"}).status_code
        == 422
    )
    not_there = post(
        client, f"/api/v1/residents/{resident.pk}/notes", {"template": "dap", "session_id": 999999}
    )
    assert not_there.status_code == 400 and "session_id" in not_there.json()["errors"]
    note = draft(staff["caseworker"], resident)
    unknown = send(
        client,
        "PATCH",
        f"/api/v1/notes/{note.pk}/draft",
        {"sections": {"subjective": "SOAP words."}, "revision": 1},
    )
    assert unknown.status_code == 400 and "sections" in unknown.json()["errors"]
    no_revision = post(
        client, f"/api/v1/notes/{note.pk}/sign", {"secret": PASSWORD, "sections": {"plan": "x"}}
    )
    assert no_revision.status_code == 400 and "revision" in no_revision.json()["errors"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_do_not_write_notes(resident, staff, api_for, who):
    client = api_for(staff[who])
    started = post(client, f"/api/v1/residents/{resident.pk}/notes", {"template": "dap"})
    assert started.status_code == 403
    note = signed(staff["caseworker"], resident)
    assert (
        post(
            client,
            f"/api/v1/notes/{note.pk}/addenda",
            {"reason": "Mine", "text": "Mine.", "secret": PASSWORD},
        ).status_code
        == 403
    )
    assert post(client, f"/api/v1/notes/{note.pk}/cosign", {"secret": PASSWORD}).status_code == 403
    assert (
        post(
            client,
            f"/api/v1/notes/{note.pk}/withhold",
            {"reason": "third_party", "explanation": "Mine."},
        ).status_code
        == 403
    )
    assert denied(staff[who], resident_id=resident.pk)
    assert Note.objects.count() == 1 and not Addendum.objects.exists()


def test_an_addendum_is_signed_by_its_writer(resident, staff, api_for):
    note = signed(staff["caseworker"], resident)
    client = api_for(staff["clinician"])
    url = f"/api/v1/notes/{note.pk}/addenda"
    wrong = post(client, url, {"reason": "Late", "text": "He called.", "secret": "nope nope nope"})
    assert wrong.status_code == 400 and "secret" in wrong.json()["errors"]
    assert denied(staff["clinician"], "note.addendum_sign", object_id=str(note.pk))
    assert not Addendum.objects.exists()
    empty = post(client, url, {"reason": "", "text": "", "secret": ""})
    assert empty.status_code == 400
    assert set(empty.json()["errors"]) == {"reason", "text", "secret"}
    done = post(client, url, {"reason": "Late", "text": "He called.", "secret": PASSWORD})
    assert done.status_code == 201, done.content
    addendum = Addendum.objects.get(pk=done.json()["id"])
    assert addendum.author == staff["clinician"] and addendum.text == "He called."
    assert Entry.objects.filter(action="note.addendum", resident_id=resident.pk).exists()
    on_draft = post(
        client,
        f"/api/v1/notes/{draft(staff['clinician'], resident).pk}/addenda",
        {"reason": "Late", "text": "He called.", "secret": PASSWORD},
    )
    assert on_draft.status_code == 400


def test_a_supervisor_cosigns_a_trainees_note(resident, staff, api_for):
    trainee = make_trainee(staff["caseworker"])
    note = signed(trainee, resident)
    url = f"/api/v1/notes/{note.pk}/cosign"
    wrong = post(api_for(staff["supervisor"]), url, {"secret": "not the password"})
    assert wrong.status_code == 400 and "secret" in wrong.json()["errors"]
    assert denied(staff["supervisor"], "note.cosign", object_id=str(note.pk))
    refused = post(api_for(staff["clinician"]), url, {"secret": PASSWORD})
    assert refused.status_code == 403
    assert denied(staff["clinician"], "note.cosign", resident_id=resident.pk)
    done = post(api_for(staff["supervisor"]), url, {"secret": PASSWORD})
    assert done.status_code == 201, done.content
    assert CoSignature.objects.get(note=note).cosigner == staff["supervisor"]
    assert Entry.objects.filter(action="note.cosign", outcome="allowed").exists()
    twice = post(api_for(staff["program_director"]), url, {"secret": PASSWORD})
    assert twice.status_code == 400


def test_a_clinician_withholds_and_releases_a_note(resident, staff, make_user, api_for):
    note = signed(staff["caseworker"], resident)
    own = portal_login(make_user, resident)
    client = api_for(staff["clinician"])
    withheld = post(
        client,
        f"/api/v1/notes/{note.pk}/withhold",
        {"reason": "risk_of_harm", "explanation": "Reading it now would set him back."},
    )
    assert withheld.status_code == 201, withheld.content
    assert withheld.json()["withheld"] is True
    assert NoteRelease.objects.get(note=note).reason == "risk_of_harm"
    assert Entry.objects.filter(action="note.withhold", resident_id=resident.pk).exists()
    assert api_for(own.user).get(f"/api/v1/notes/{note.pk}").status_code == 403
    twice = post(
        client, f"/api/v1/notes/{note.pk}/withhold", {"reason": "third_party", "explanation": "x"}
    )
    assert twice.status_code == 400
    released = post(client, f"/api/v1/notes/{note.pk}/release", {})
    assert released.status_code == 201 and released.json()["withheld"] is False
    assert api_for(own.user).get(f"/api/v1/notes/{note.pk}").status_code == 200


def test_a_caseworker_does_not_withhold_a_note(resident, staff, api_for):
    note = signed(staff["caseworker"], resident)
    response = post(
        api_for(staff["caseworker"]),
        f"/api/v1/notes/{note.pk}/withhold",
        {"reason": "third_party", "explanation": "About his brother."},
    )
    assert response.status_code == 403
    assert denied(staff["caseworker"], "note.release", resident_id=resident.pk)
    assert post(api_for(staff["caseworker"]), f"/api/v1/notes/{note.pk}/release").status_code == 403
    assert not NoteRelease.objects.exists()


# --- read-only tokens -----------------------------------------------------------------------


def test_a_read_only_token_is_refused_on_every_write(resident, heidi, staff, session):
    caseworker, supervisor = staff["caseworker"], staff["supervisor"]
    attendee = session.attendees.get()
    note = draft(caseworker, resident)
    done = signed(caseworker, resident)
    trainees = signed(make_trainee(staff["clinician"]), resident)
    when = {"starts_at": local(at(5, 9)), "ends_at": local(at(5, 10))}
    writes = [
        (caseworker, "POST", f"/api/v1/residents/{resident.pk}/sessions", when),
        (
            caseworker,
            "POST",
            "/api/v1/sessions",
            {**when, "title": "Sleep skills", "resident_ids": [resident.pk, heidi.pk]},
        ),
        (
            caseworker,
            "POST",
            f"/api/v1/sessions/{session.pk}/reschedule",
            {**when, "reason": "Training day."},
        ),
        (caseworker, "POST", f"/api/v1/sessions/{session.pk}/cancel", {"reason": "Ill."}),
        (caseworker, "POST", f"/api/v1/sessions/{session.pk}/close", None),
        (
            caseworker,
            "POST",
            f"/api/v1/sessions/{session.pk}/attendees/{attendee.pk}/check-in",
            None,
        ),
        (
            caseworker,
            "POST",
            f"/api/v1/sessions/{session.pk}/attendees/{attendee.pk}/no-show",
            None,
        ),
        (caseworker, "POST", f"/api/v1/residents/{resident.pk}/notes", {"template": "dap"}),
        (
            caseworker,
            "PATCH",
            f"/api/v1/notes/{note.pk}/draft",
            {"sections": {"plan": "Read-only."}, "revision": 1},
        ),
        (caseworker, "POST", f"/api/v1/notes/{note.pk}/sign", {"secret": PASSWORD}),
        (
            caseworker,
            "POST",
            f"/api/v1/notes/{done.pk}/addenda",
            {"reason": "Late", "text": "He called.", "secret": PASSWORD},
        ),
        (supervisor, "POST", f"/api/v1/notes/{trainees.pk}/cosign", {"secret": PASSWORD}),
        (
            supervisor,
            "POST",
            f"/api/v1/notes/{done.pk}/withhold",
            {"reason": "third_party", "explanation": "About his brother."},
        ),
        (supervisor, "POST", f"/api/v1/notes/{done.pk}/release", {}),
    ]
    before = (
        Session.objects.count(),
        Note.objects.count(),
        Addendum.objects.count(),
        CoSignature.objects.count(),
        NoteRelease.objects.count(),
        SessionMove.objects.count(),
    )
    for user, method, url, body in writes:
        response = send(read_only(user), method, url, body)
        assert response.status_code == 403, (method, url, response.content)
    assert before == (
        Session.objects.count(),
        Note.objects.count(),
        Addendum.objects.count(),
        CoSignature.objects.count(),
        NoteRelease.objects.count(),
        SessionMove.objects.count(),
    )
    note.refresh_from_db()
    session.refresh_from_db()
    assert note.sections == DAP_TEXT and not note.is_signed and session.status == "scheduled"


def test_a_read_only_token_reads(resident, staff, session):
    client = read_only(staff["caseworker"])
    assert client.get(f"/api/v1/residents/{resident.pk}/sessions").status_code == 200
    assert client.get(f"/api/v1/sessions/{session.pk}").status_code == 200
    assert client.get(f"/api/v1/residents/{resident.pk}/notes").status_code == 200


def test_the_endpoints_are_described(db):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/residents/{resident_id}/sessions"])
    assert set(paths["/api/v1/notes/{note_id}/draft"]) == {"patch"}
    sign = paths["/api/v1/notes/{note_id}/sign"]["post"]
    assert sign["operationId"] == "encounters_sign_note"
    assert {"200", "400", "403", "404", "409"} <= set(sign["responses"])
    for methods in paths.values():
        for op in methods.values():
            if op["operationId"].startswith("encounters_"):
                assert len(op["summary"]) <= 80, op["summary"]
