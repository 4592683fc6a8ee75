"""Moving a session to another time (issue 16): the booking's rules, every problem at once, the
move kept with its reason and the resident seeing it; and a cancellation's reason on the
resident's own page.

Insiders replayed: a caseworker moving a colleague's session; someone rewriting or deleting a
move in SQL to hide that a session was pushed back."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from homecoming.access.policy import AccessDenied
from homecoming.encounters import scheduling
from homecoming.encounters.models import SessionMove
from homecoming.ledger.models import Entry
from homecoming.residents import services as residents_services
from tests.support.sessions import at, book, matches_latest_version, set_clock


@pytest.fixture
def session(resident, staff):
    return book(staff["caseworker"], [resident], at(2, 10))


def test_a_session_moves_with_its_reason_on_the_ledger(session, staff, resident):
    moved = scheduling.reschedule(
        staff["caseworker"], session, at(3, 14), at(3, 15), "  Caseworker at a training day "
    )
    assert (moved.starts_at, moved.ends_at) == (at(3, 14), at(3, 15))
    move = SessionMove.objects.get(session=session)
    assert (move.from_starts_at, move.to_starts_at) == (at(2, 10), at(3, 14))
    assert move.reason == "Caseworker at a training day" and move.moved_by == staff["caseworker"]
    written = Entry.objects.filter(action="session.reschedule").order_by("seq")
    assert [(e.object_type, e.resident_id) for e in written] == [
        ("encounters.session", resident.pk),
        ("encounters.sessionmove", resident.pk),
    ]
    assert matches_latest_version(session) and matches_latest_version(move)
    upcoming = scheduling.upcoming_for_resident(resident)
    assert upcoming[0].moved_from == at(2, 10)
    assert upcoming[0].move_reason == "Caseworker at a training day"


def test_every_problem_with_a_move_is_named_at_once(session, staff, monkeypatch):
    set_clock(monkeypatch, at(1, 12))
    with pytest.raises(ValidationError) as refused:
        scheduling.reschedule(staff["caseworker"], session, at(0, 9), at(0, 8), "")
    assert set(refused.value.message_dict) == {"reason", "ends_at"}
    session.refresh_from_db()
    assert session.starts_at == at(2, 10) and not SessionMove.objects.exists()


def test_a_move_onto_another_session_clashes(session, staff, resident):
    other = book(staff["caseworker"], [resident], at(3, 9))
    with pytest.raises(ValidationError, match="already has a session"):
        scheduling.reschedule(staff["caseworker"], session, at(3, 9, 30), at(3, 10, 30), "Room")
    # Moving within its own old time is no clash with itself.
    scheduling.reschedule(staff["caseworker"], session, at(2, 10, 30), at(2, 11, 30), "Later")
    assert other.starts_at == at(3, 9)


def test_a_session_that_has_begun_is_not_moved(session, staff, monkeypatch):
    set_clock(monkeypatch, at(2, 10, 5))
    with pytest.raises(ValidationError) as refused:
        scheduling.reschedule(staff["caseworker"], session, at(4, 10), at(4, 11), "Late start")
    assert "has begun" in " ".join(refused.value.messages)


def test_a_caseworker_moves_only_their_own_calendars_sessions(session, staff, resident, make_user):
    from homecoming.accounts.models import Role

    colleague = make_user(Role.CASEWORKER, username="colleague")
    residents_services.assign_care_team(
        staff["supervisor"], resident, "primary_caseworker", colleague
    )
    with pytest.raises(AccessDenied):
        scheduling.reschedule(colleague, session, at(3, 10), at(3, 11), "Mine now")
    assert Entry.objects.filter(
        actor=colleague, action="session.reschedule", outcome="denied"
    ).exists()
    # A supervisor moves anyone's.
    scheduling.reschedule(staff["supervisor"], session, at(3, 10), at(3, 11), "Cover")


@pytest.mark.parametrize("who", ["caseworker_other", "clinician", "investigator", "contractor"])
def test_outside_the_sessions_team_no_one_moves_it(session, staff, who):
    with pytest.raises(AccessDenied):
        scheduling.reschedule(staff[who], session, at(3, 10), at(3, 11), "Why not")
    assert not SessionMove.objects.exists()


@pytest.mark.parametrize(
    "statement",
    ["DELETE FROM encounters_sessionmove", "UPDATE encounters_sessionmove SET reason = 'x'"],
)
def test_the_database_keeps_every_move(session, staff, statement):
    scheduling.reschedule(staff["caseworker"], session, at(3, 10), at(3, 11), "Training day")
    with (
        pytest.raises(Exception, match="refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert SessionMove.objects.get().reason == "Training day"


def test_the_page_moves_it_and_the_resident_sees_moves_and_cancellations(
    session, staff, resident, client_for, make_user
):
    from homecoming.accounts.models import Role

    client = client_for(staff["caseworker"])
    url = f"/sessions/{session.pk}/move/"
    day = at(3, 14)
    fields = {
        "move-date": day.date().isoformat(),
        "move-start_time": "14:00",
        "move-minutes": "50",
        "move-reason": "",
    }
    response = client.post(url, fields)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    fields["move-reason"] = "Caseworker at a training day"
    assert client.post(url, fields).status_code == 302
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Moved" in page and "Caseworker at a training day" in page
    called_off = book(staff["caseworker"], [resident], at(5, 10))
    scheduling.cancel(staff["caseworker"], called_off, "The center is closed for the drill")
    user = make_user(Role.RESIDENT)
    resident.user = user
    resident.save(update_fields=["user"])
    mine = client_for(user).get("/my-record/").content.decode()
    assert "moved</span> from" in mine and "Caseworker at a training day" in mine
    assert "Cancelled: The center is closed for the drill" in mine


def test_moving_to_the_same_time_is_refused(session, staff):
    with pytest.raises(ValidationError, match="already at that time"):
        scheduling.reschedule(
            staff["caseworker"], session, session.starts_at, session.ends_at, "No change"
        )


def test_a_move_is_a_session_change_in_the_timeline(session, staff, resident, client_for):
    from homecoming.timeline import kinds

    assert kinds.kind_of("encounters.sessionmove").code == "sessions"
    scheduling.reschedule(staff["caseworker"], session, at(3, 10), at(3, 11), "Training day")
    text = client_for(staff["caseworker"]).get(f"/residents/{resident.pk}/timeline/").text
    assert "Moved a session to another time" in text and "Training day" in text
