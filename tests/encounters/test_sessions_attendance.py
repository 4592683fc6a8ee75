"""Who came: check-in from an hour before the start until the end, no-shows once it started,
holding a session settles everyone's attendance, cancelling needs a reason and takes everyone's
place with it. Every change writes the rows it changes, each on its resident's ledger."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from homecoming.encounters import scheduling
from homecoming.ledger.models import Entry
from tests.support.sessions import at, book, matches_latest_version, set_clock

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def heidi(admit):
    return admit(given_name="Heidi", family_name="Bergman")


@pytest.fixture
def session(resident, staff):
    return book(staff["caseworker"], [resident], at(2, 10))


@pytest.fixture
def group(resident, heidi, staff):
    return book(staff["caseworker"], [resident, heidi], at(2, 14))


def attendee_of(session, resident=None):
    rows = session.attendees.all()
    return rows.get(resident=resident) if resident else rows.get()


def test_check_in_opens_an_hour_before_the_start(session, staff, monkeypatch):
    attendee = attendee_of(session)
    set_clock(monkeypatch, session.starts_at - dt.timedelta(hours=1) - MINUTE)
    with pytest.raises(ValidationError, match="Check-in opens at 09:00"):
        scheduling.check_in(staff["caseworker"], attendee)
    opens = session.starts_at - dt.timedelta(hours=1)
    set_clock(monkeypatch, opens)
    scheduling.check_in(staff["caseworker"], attendee)
    attendee.refresh_from_db()
    assert attendee.attendance == "checked_in" and attendee.checked_in_at == opens
    entry = Entry.objects.get(action="session.check_in")
    assert (entry.resident_id, entry.object_type) == (
        session.attendees.get().resident_id,
        "encounters.sessionattendee",
    )
    assert matches_latest_version(attendee)


def test_check_in_closes_when_the_session_ends(session, staff, monkeypatch):
    set_clock(monkeypatch, session.ends_at)
    with pytest.raises(ValidationError, match="Check-in closed when the session ended at 11:00"):
        scheduling.check_in(staff["caseworker"], attendee_of(session))
    assert not Entry.objects.filter(action="session.check_in").exists()


def test_checking_in_twice_is_refused(session, staff, monkeypatch):
    set_clock(monkeypatch, session.starts_at)
    scheduling.check_in(staff["caseworker"], attendee_of(session))
    with pytest.raises(ValidationError, match="Walter Cruz is already checked in"):
        scheduling.check_in(staff["caseworker"], attendee_of(session))


def test_a_no_show_waits_for_the_start(session, staff, monkeypatch):
    set_clock(monkeypatch, session.starts_at - MINUTE)
    with pytest.raises(ValidationError, match="once the session has started"):
        scheduling.mark_no_show(staff["caseworker"], attendee_of(session))
    set_clock(monkeypatch, session.starts_at + 10 * MINUTE)
    scheduling.mark_no_show(staff["caseworker"], attendee_of(session))
    assert attendee_of(session).attendance == "no_show"
    assert (
        Entry.objects.get(action="session.no_show").resident_id == attendee_of(session).resident_id
    )


def test_a_late_arrival_after_a_no_show_is_checked_in(session, staff, monkeypatch):
    set_clock(monkeypatch, session.starts_at + 10 * MINUTE)
    scheduling.mark_no_show(staff["caseworker"], attendee_of(session))
    set_clock(monkeypatch, session.starts_at + 20 * MINUTE)
    scheduling.check_in(staff["caseworker"], attendee_of(session))
    assert attendee_of(session).attendance == "checked_in"
    with pytest.raises(ValidationError, match="checked in, not expected"):
        scheduling.mark_no_show(staff["caseworker"], attendee_of(session))


def test_holding_a_session_settles_everyones_attendance(group, resident, heidi, staff, monkeypatch):
    set_clock(monkeypatch, group.starts_at - 5 * MINUTE)
    scheduling.check_in(staff["caseworker"], attendee_of(group, resident))
    with pytest.raises(ValidationError, match="once it has started"):
        scheduling.close(staff["caseworker"], group)
    set_clock(monkeypatch, group.ends_at)
    scheduling.close(staff["caseworker"], group)
    group.refresh_from_db()
    assert group.status == "held"
    assert attendee_of(group, resident).attendance == "attended"
    assert attendee_of(group, heidi).attendance == "no_show"
    written = Entry.objects.filter(action__in=["session.held", "session.no_show"]).order_by("seq")
    assert [(e.action, e.object_type, e.resident_id) for e in written] == [
        ("session.held", "encounters.session", None),
        ("session.held", "encounters.sessionattendee", resident.pk),
        ("session.no_show", "encounters.sessionattendee", heidi.pk),
    ]
    assert matches_latest_version(group)
    assert all(matches_latest_version(a) for a in group.attendees.all())


def test_an_individual_session_held_is_written_to_its_resident(
    session, resident, staff, monkeypatch
):
    set_clock(monkeypatch, session.starts_at)
    scheduling.check_in(staff["caseworker"], attendee_of(session))
    scheduling.close(staff["caseworker"], session)
    held = Entry.objects.get(action="session.held", object_type="encounters.session")
    assert held.resident_id == resident.pk


def test_a_held_session_cannot_change_any_more(session, staff, monkeypatch):
    set_clock(monkeypatch, session.starts_at)
    scheduling.close(staff["caseworker"], session)
    for change in (
        lambda: scheduling.check_in(staff["caseworker"], attendee_of(session)),
        lambda: scheduling.mark_no_show(staff["caseworker"], attendee_of(session)),
        lambda: scheduling.close(staff["caseworker"], session),
        lambda: scheduling.cancel(staff["caseworker"], session, "Too late"),
    ):
        with pytest.raises(ValidationError, match="This session is held"):
            change()


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_cancelling_needs_a_reason(session, staff, reason):
    before = Entry.objects.count()
    with pytest.raises(ValidationError) as refused:
        scheduling.cancel(staff["caseworker"], session, reason)
    assert refused.value.message_dict == {"reason": ["Give the reason for cancelling."]}
    session.refresh_from_db()
    assert session.status == "scheduled" and Entry.objects.count() == before


def test_cancelling_takes_every_place_with_it(group, resident, heidi, staff, monkeypatch):
    set_clock(monkeypatch, group.starts_at - 30 * MINUTE)
    scheduling.check_in(staff["caseworker"], attendee_of(group, heidi))
    scheduling.cancel(staff["caseworker"], group, "  Fire drill in the north wing ")
    group.refresh_from_db()
    assert group.status == "cancelled" and group.cancelled_at == group.starts_at - 30 * MINUTE
    assert group.cancellation_reason == "Fire drill in the north wing"
    assert {a.attendance for a in group.attendees.all()} == {"cancelled"}
    written = Entry.objects.filter(action="session.cancel").order_by("seq")
    assert [(e.object_type, e.resident_id) for e in written] == [
        ("encounters.session", None),
        ("encounters.sessionattendee", resident.pk),
        ("encounters.sessionattendee", heidi.pk),
    ]
    assert matches_latest_version(group)
    assert all(matches_latest_version(a) for a in group.attendees.all())
    with pytest.raises(ValidationError, match="This session is cancelled"):
        scheduling.cancel(staff["caseworker"], group, "again")
    with pytest.raises(ValidationError, match="This session is cancelled"):
        scheduling.check_in(staff["caseworker"], attendee_of(group, resident))
