"""Who may book, change and see sessions; each refusal is on the ledger as a denied entry. And
what the calendars record: a LIST entry per resident named, a VIEW entry per attendee shown."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from homecoming.access.policy import AccessDenied
from homecoming.encounters import scheduling
from homecoming.encounters.models import Session
from homecoming.ledger.models import Entry
from homecoming.residents import services
from homecoming.residents.models import Resident
from tests.conftest import PASSWORD
from tests.support.sessions import at, book, set_clock


@pytest.fixture
def heidi(admit):
    return admit(given_name="Heidi", family_name="Bergman")


@pytest.fixture
def theirs(admit, staff):
    """A resident of the other caseworker's caseload."""
    return admit(given_name="Otto", family_name="Lind", caseworker=staff["caseworker_other"])


@pytest.fixture
def session(resident, staff):
    return book(staff["caseworker"], [resident], at(2, 10))


@pytest.fixture
def resident_user(resident, staff):
    return services.grant_portal_access(
        staff["caseworker"], resident, "walter", PASSWORD, must_change_password=False
    )


def denied(actor, action, resident=None):
    entries = Entry.objects.filter(actor=actor, action=action, outcome="denied")
    if resident is not None:
        entries = entries.filter(resident=resident)
    return entries.exists()


# Booking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["caseworker_other", "clinician", "contractor", "oversight"])
def test_only_the_residents_caseworker_or_a_supervisor_books(resident, staff, who):
    with pytest.raises(AccessDenied):
        book(staff[who], [resident], at(2, 10), caseworker=staff["caseworker"])
    assert denied(staff[who], "session.schedule", resident)
    assert not Session.objects.exists()


def test_a_resident_cannot_book_sessions(resident, resident_user, staff):
    with pytest.raises(AccessDenied):
        book(resident_user, [resident], at(2, 10), caseworker=staff["caseworker"])
    assert denied(resident_user, "session.schedule", resident)


def test_a_group_with_one_resident_of_another_caseload_is_refused(resident, theirs, staff):
    with pytest.raises(AccessDenied):
        book(staff["caseworker"], [resident, theirs], at(2, 10))
    assert denied(staff["caseworker"], "session.schedule", theirs)
    assert not Session.objects.exists()


def test_a_caseworker_books_only_on_their_own_calendar(resident, staff):
    with pytest.raises(AccessDenied, match="their own calendar"):
        book(staff["caseworker"], [resident], at(2, 10), caseworker=staff["caseworker_other"])
    assert denied(staff["caseworker"], "session.schedule", resident)
    assert not Session.objects.exists()


def test_supervisors_book_on_anyones_calendar(resident, staff):
    for who in ("supervisor", "program_director"):
        session = book(staff[who], [resident], at(2 + len(who), 10), caseworker=staff["caseworker"])
        assert session.scheduled_by == staff[who]


# Changing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["caseworker_other", "clinician", "contractor"])
def test_only_the_care_team_caseworker_or_a_supervisor_changes_a_session(
    session, resident, staff, who, monkeypatch
):
    set_clock(monkeypatch, session.starts_at)
    attendee = session.attendees.get()
    for change in (
        lambda: scheduling.check_in(staff[who], attendee),
        lambda: scheduling.mark_no_show(staff[who], attendee),
        lambda: scheduling.close(staff[who], session),
        lambda: scheduling.cancel(staff[who], session, "I say so"),
    ):
        with pytest.raises(AccessDenied):
            change()
    assert (
        Entry.objects.filter(
            actor=staff[who], action="session.update", outcome="denied", resident=resident
        ).count()
        == 4
    )
    attendee.refresh_from_db()
    session.refresh_from_db()
    assert (attendee.attendance, session.status) == ("expected", "scheduled")


def test_a_resident_cannot_check_themselves_in(session, resident, resident_user, monkeypatch):
    set_clock(monkeypatch, session.starts_at)
    with pytest.raises(AccessDenied):
        scheduling.check_in(resident_user, session.attendees.get())
    assert denied(resident_user, "session.update", resident)


def test_a_supervisor_changes_any_session(session, staff, monkeypatch):
    set_clock(monkeypatch, session.starts_at)
    scheduling.check_in(staff["supervisor"], session.attendees.get())
    scheduling.close(staff["program_director"], session)
    assert Entry.objects.get(action="session.held", object_type="encounters.session").purpose == (
        "supervision"
    )


# The caseworker's week --------------------------------------------------------------------


def test_a_caseworker_sees_their_week_and_each_name_is_recorded(resident, heidi, staff):
    cw = staff["caseworker"]
    # Monday and Tuesday of next week, whatever day this runs (a Sunday once put the second
    # session in the week after).
    monday = 7 - timezone.localdate().weekday()
    book(cw, [resident], at(monday, 10))
    book(cw, [resident, heidi], at(monday + 1, 14))
    week = scheduling.week(cw, cw, at(monday, 10).date())
    assert week.monday.weekday() == 0 and len(week.days) == 7
    shown = [s for d in week.days for s in d.sessions]
    assert len(shown) == 2
    [listed] = Entry.objects.filter(actor=cw, action="resident.list", outcome="allowed")
    assert listed.residents_named == sorted([resident.pk, heidi.pk])


def test_a_caseworker_cannot_see_another_caseworkers_week(staff, db):
    with pytest.raises(AccessDenied, match="own calendar"):
        scheduling.week(staff["caseworker"], staff["caseworker_other"], dt.date.today())
    entry = Entry.objects.get(actor=staff["caseworker"], outcome="denied")
    assert (entry.action, entry.object_type, entry.object_id) == (
        "center.calendar",
        "accounts.user",
        str(staff["caseworker_other"].pk),
    )


@pytest.mark.parametrize("who", ["clinician", "contractor", "sysadmin", "oversight"])
def test_roles_without_calendars_see_none(staff, who):
    with pytest.raises(AccessDenied):
        scheduling.week(staff[who], staff["caseworker"], dt.date.today())
    with pytest.raises(AccessDenied):
        scheduling.today(staff[who])
    assert denied(staff[who], "center.calendar")


def test_a_resident_has_no_calendar_of_caseworkers(resident_user, staff):
    with pytest.raises(AccessDenied):
        scheduling.week(resident_user, staff["caseworker"], dt.date.today())
    assert denied(resident_user, "center.calendar")


def test_a_supervisor_sees_anyones_week(resident, staff):
    book(staff["caseworker"], [resident], at(7, 10))
    week = scheduling.week(staff["supervisor"], staff["caseworker"], at(7, 10).date())
    assert sum(len(d.sessions) for d in week.days) == 1
    entry = Entry.objects.get(actor=staff["supervisor"], action="resident.list")
    assert (entry.residents_named, entry.purpose) == ([resident.pk], "supervision")


def test_the_week_runs_monday_to_sunday_at_the_center(resident, staff):
    monday = scheduling.monday_of(at(7, 12).date())
    cw = staff["caseworker"]
    first = book(cw, [resident], scheduling.start_of_day(monday))  # Monday 00:00
    last = book(
        cw,
        [resident],
        scheduling.start_of_day(monday + dt.timedelta(days=7))
        - 2 * (first.ends_at - first.starts_at),
    )  # Sunday 22:00
    book(cw, [resident], scheduling.start_of_day(monday + dt.timedelta(days=7)))  # next Monday
    week = scheduling.week(cw, cw, monday + dt.timedelta(days=3))
    assert [s.pk for s in week.days[0].sessions] == [first.pk]
    assert [s.pk for s in week.days[6].sessions] == [last.pk]
    assert sum(len(d.sessions) for d in week.days) == 2


def test_the_week_costs_the_same_queries_for_one_session_or_many(resident, heidi, staff):
    cw = staff["caseworker"]
    monday = scheduling.monday_of(at(7, 12).date())
    book(cw, [resident], scheduling.start_of_day(monday) + dt.timedelta(hours=9))
    with CaptureQueriesContext(connection) as one:
        scheduling.week(cw, cw, monday)
    for day in range(1, 6):
        book(
            cw, [resident, heidi], scheduling.start_of_day(monday) + dt.timedelta(days=day, hours=9)
        )
    with CaptureQueriesContext(connection) as many:
        week = scheduling.week(cw, cw, monday)
        names = [
            a.resident.display_name
            for d in week.days
            for s in d.sessions
            for a in s.attendees.all()
        ]
    assert len(names) == 11
    assert len(many.captured_queries) == len(one.captured_queries)


# A resident's week ------------------------------------------------------------------------


def test_a_residents_week_is_one_view_entry(resident, heidi, staff):
    book(staff["caseworker"], [resident, heidi], at(7, 14))
    found = scheduling.resident_week(staff["clinician"], resident.pk, at(7, 14).date())
    shown = [s for d in found.week.days for s in d.sessions]
    assert [s.mine.resident_id for s in shown] == [resident.pk]
    entries = Entry.objects.filter(actor=staff["clinician"])
    assert [(e.action, e.resident_id, e.purpose) for e in entries] == [
        ("resident.view", resident.pk, "care")
    ]


def test_a_resident_sees_their_own_week(resident, resident_user, staff):
    book(staff["caseworker"], [resident], at(7, 14))
    found = scheduling.resident_week(resident_user, resident.pk, at(7, 14).date())
    assert found.purpose == "self"


@pytest.mark.parametrize("who", ["caseworker_other", "contractor"])
def test_another_caseloads_residents_week_is_refused(resident, staff, who):
    with pytest.raises(AccessDenied):
        scheduling.resident_week(staff[who], resident.pk, dt.date.today())
    assert denied(staff[who], "resident.view", resident)


def test_someone_elses_week_is_refused_to_a_resident(resident_user, theirs):
    with pytest.raises(AccessDenied):
        scheduling.resident_week(resident_user, theirs.pk, dt.date.today())
    assert denied(resident_user, "resident.view", theirs)


def test_asking_for_an_unknown_residents_week_is_recorded(staff, db):
    with pytest.raises(Resident.DoesNotExist):
        scheduling.resident_week(staff["supervisor"], 999_999, dt.date.today())
    assert Entry.objects.filter(object_id="999999", outcome="denied").exists()


# A session's page -------------------------------------------------------------------------


def test_a_session_shows_each_attendee_as_a_view(session, resident, staff):
    detail = scheduling.session_detail(staff["clinician"], session.pk)
    assert [a.resident for a in detail.attendees] == [resident]
    assert detail.may_update == set()  # a clinician sees it but does not change it
    entry = Entry.objects.get(actor=staff["clinician"])
    assert (entry.action, entry.object_type, entry.resident_id, entry.purpose) == (
        "resident.view",
        "residents.resident",
        resident.pk,
        "care",
    )
    assert entry.sections == ["sessions"]
    assert entry.version_sha256  # commits to the record's version it read


@pytest.mark.parametrize("who", ["caseworker_other", "contractor", "clinician_other"])
def test_a_session_is_refused_to_those_who_may_not_see_its_resident(session, resident, staff, who):
    with pytest.raises(AccessDenied):
        scheduling.session_detail(staff[who], session.pk)
    assert denied(staff[who], "resident.view", resident)


def test_a_group_is_shown_only_to_who_may_see_all_of_it_or_leads_it(resident, theirs, staff):
    group = book(staff["supervisor"], [resident, theirs], at(2, 10), caseworker=staff["caseworker"])
    with pytest.raises(AccessDenied):
        scheduling.session_detail(staff["caseworker_other"], group.pk)
    assert denied(staff["caseworker_other"], "resident.view", resident)
    # The caseworker leading it sees Otto's name (a LIST entry) though Otto is not theirs.
    detail = scheduling.session_detail(staff["caseworker"], group.pk)
    assert {a.resident for a in detail.attendees} == {resident, theirs}
    assert not detail.updatable
    seen = Entry.objects.filter(actor=staff["caseworker"], outcome="allowed")
    assert sorted((e.action, e.resident_id, e.residents_named) for e in seen) == sorted(
        [("resident.view", resident.pk, []), ("resident.list", None, [theirs.pk])]
    )


def test_an_unknown_session_is_recorded(staff, db):
    with pytest.raises(Session.DoesNotExist):
        scheduling.session_detail(staff["supervisor"], 424242)
    entry = Entry.objects.get(outcome="denied")
    assert (entry.object_type, entry.object_id) == ("encounters.session", "424242")


# Today and the portal ---------------------------------------------------------------------


def test_today_is_the_caseworkers_own_and_the_whole_center_for_supervisors(
    resident, theirs, staff, monkeypatch
):
    set_clock(monkeypatch, at(0, 0))
    mine = book(staff["caseworker"], [resident], at(0, 23))
    other = book(staff["caseworker_other"], [theirs], at(0, 23))
    book(staff["caseworker"], [resident], at(1, 9))  # tomorrow
    assert [s.pk for s in scheduling.today(staff["caseworker"])] == [mine.pk]
    assert {s.pk for s in scheduling.today(staff["supervisor"])} == {mine.pk, other.pk}
    [listed] = Entry.objects.filter(actor=staff["caseworker"], action="resident.list")
    assert listed.residents_named == [resident.pk]


def test_upcoming_sessions_for_the_portal_leave_out_the_past_and_the_cancelled(
    resident, heidi, staff, monkeypatch
):
    set_clock(monkeypatch, at(0, 0))
    past = book(staff["caseworker"], [resident], at(0, 1))
    coming = book(staff["caseworker"], [resident, heidi], at(3, 10))
    called_off = book(staff["caseworker"], [resident], at(4, 10))
    scheduling.cancel(staff["caseworker"], called_off, "Caseworker ill")
    set_clock(monkeypatch, at(0, 3))
    before = Entry.objects.count()
    upcoming = scheduling.upcoming_for_resident(resident)
    assert [s.pk for s in upcoming] == [coming.pk]
    assert upcoming[0].mine.resident_id == resident.pk
    assert Entry.objects.count() == before  # the page's chart read records the access
    assert past.pk not in [s.pk for s in upcoming]
