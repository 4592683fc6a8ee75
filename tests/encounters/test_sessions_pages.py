"""The calendar's pages through the test client: who reaches what, typed input survives a
refusal (400), unknown ids are 404, and times typed at the center are stored right."""

import datetime as dt

import pytest

from homecoming.encounters import scheduling
from homecoming.encounters.models import Session
from homecoming.ledger.models import Entry
from tests.support.sessions import at, book, set_clock


@pytest.fixture
def heidi(admit):
    return admit(given_name="Heidi", family_name="Bergman")


@pytest.fixture
def theirs(admit, staff):
    return admit(given_name="Otto", family_name="Lind", caseworker=staff["caseworker_other"])


@pytest.fixture
def session(resident, staff):
    return book(staff["caseworker"], [resident], at(2, 10), location="Quiet room")


def when(starts_at, minutes=50, **extra):
    local = scheduling.local(starts_at)
    data = {
        "date": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"),
        "minutes": str(minutes),
        "location": "Quiet room",
    }
    return data | extra


# The week ---------------------------------------------------------------------------------


def test_the_caseworkers_own_week_by_default(resident, heidi, staff, client_for):
    book(staff["caseworker"], [resident], at(7, 10))
    monday = scheduling.monday_of(at(7, 10).date())
    client = client_for(staff["caseworker"])
    page = client.get(f"/sessions/week/?week={monday.isoformat()}").content.decode()
    assert "Your week" in page and "Walter Cruz" in page
    assert monday.strftime("%a") in page and "Sun" in page
    previous = (monday - dt.timedelta(days=7)).isoformat()
    assert f"week={previous}" in page and "Choose a caseworker" not in page
    this_week = client.get("/sessions/week/")
    assert this_week.status_code == 200 and "Your week" in this_week.content.decode()


def test_a_supervisor_picks_a_caseworker(resident, staff, client_for):
    book(staff["caseworker"], [resident], at(7, 10))
    client = client_for(staff["supervisor"])
    page = client.get("/sessions/week/").content.decode()
    assert "Choose a caseworker" in page and "Walter Cruz" not in page
    week = at(7, 10).date().isoformat()
    chosen = client.get(f"/sessions/week/?caseworker={staff['caseworker'].pk}&week={week}")
    assert "Caseworker 1’s week" in chosen.content.decode()
    assert "Walter Cruz" in chosen.content.decode()


def test_another_caseworkers_week_is_forbidden(staff, client_for, db):
    url = f"/sessions/week/?caseworker={staff['caseworker_other'].pk}"
    response = client_for(staff["caseworker"]).get(url)
    assert response.status_code == 403
    assert Entry.objects.filter(
        actor=staff["caseworker"], action="center.calendar", outcome="denied"
    ).exists()


@pytest.mark.parametrize("who", ["clinician", "contractor"])
def test_the_week_is_forbidden_without_a_calendar(staff, client_for, who):
    assert client_for(staff[who]).get("/sessions/week/").status_code == 403


def test_week_addresses_that_make_no_sense(staff, client_for):
    client = client_for(staff["supervisor"])
    assert client.get("/sessions/week/?week=someday").status_code == 400
    assert client.get("/sessions/week/?caseworker=999999").status_code == 404
    not_a_caseworker = client.get(f"/sessions/week/?caseworker={staff['clinician'].pk}")
    assert not_a_caseworker.status_code == 404


def test_a_residents_week(resident, heidi, staff, client_for):
    book(staff["caseworker"], [resident, heidi], at(7, 14))
    week = at(7, 14).date().isoformat()
    response = client_for(staff["clinician"]).get(f"/residents/{resident.pk}/sessions/?week={week}")
    page = response.content.decode()
    assert response.status_code == 200 and "Sleep skills" in page
    assert "Heidi" not in page  # another resident of the group is not named
    assert "Schedule a session" not in page  # a clinician does not book


def test_a_residents_week_refused_and_unknown(resident, staff, client_for):
    client = client_for(staff["caseworker_other"])
    assert client.get(f"/residents/{resident.pk}/sessions/").status_code == 403
    assert client.get("/residents/999999/sessions/").status_code == 404


# Booking an individual session ------------------------------------------------------------


def test_booking_with_one_resident(resident, staff, client_for):
    client = client_for(staff["caseworker"])
    url = f"/residents/{resident.pk}/sessions/new/"
    form = client.get(url)
    assert form.status_code == 200 and "Schedule a session: Walter Cruz" in form.content.decode()
    assert 'name="caseworker"' not in form.content.decode()  # a caseworker books for themselves
    response = client.post(url, when(at(5, 10)))
    session = Session.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    assert session.caseworker == staff["caseworker"] and session.location == "Quiet room"
    assert session.starts_at == at(5, 10) and session.ends_at == at(5, 10, 50)


def test_times_are_typed_in_the_centers_zone(resident, staff, client_for):
    # 10:00 in New York on 14 July 2037 (daylight time) is 14:00 UTC.
    client_for(staff["caseworker"]).post(
        f"/residents/{resident.pk}/sessions/new/",
        {"date": "2037-07-14", "start_time": "10:00", "minutes": "60", "location": ""},
    )
    assert Session.objects.get().starts_at == dt.datetime(2037, 7, 14, 14, 0, tzinfo=dt.UTC)


def test_the_pages_write_the_centers_date_formats(resident, staff, client_for):
    # homecoming/formats/en: a day is "Jul 14, 2037", a day in a week "Jul 14", times 24-hour.
    client = client_for(staff["caseworker"])
    client.post(
        f"/residents/{resident.pk}/sessions/new/",
        {"date": "2037-07-14", "start_time": "10:00", "minutes": "60", "location": ""},
    )
    page = client.get(f"/sessions/{Session.objects.get().pk}/").content.decode()
    assert "Tuesday Jul 14, 2037, 10:00–11:00" in page
    week = client.get("/sessions/week/?week=2037-07-13").content.decode()
    assert "Jul 13 – Jul 19, 2037" in week and "Tue Jul 14" in week and "10:00–11:00" in week


def test_a_time_the_clocks_skip_is_refused(resident, staff, client_for):
    response = client_for(staff["caseworker"]).post(
        f"/residents/{resident.pk}/sessions/new/",
        {"date": "2037-03-08", "start_time": "02:30", "minutes": "60", "location": ""},
    )
    assert response.status_code == 400 and "The clocks change" in response.content.decode()


def test_a_clash_is_refused_and_what_was_typed_is_kept(resident, session, staff, client_for):
    response = client_for(staff["caseworker"]).post(
        f"/residents/{resident.pk}/sessions/new/",
        when(at(2, 10, 30), location="Garden bench"),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Caseworker 1 already has a session 10:00–11:00" in page
    assert "Garden bench" in page and "10:30" in page
    assert Session.objects.count() == 1


def test_a_start_in_the_past_is_refused_beside_the_start_time(resident, staff, client_for):
    response = client_for(staff["caseworker"]).post(
        f"/residents/{resident.pk}/sessions/new/", when(at(-1, 10))
    )
    assert response.status_code == 400
    assert "A session cannot start in the past." in response.content.decode()


def test_a_supervisor_chooses_the_caseworker(resident, staff, client_for):
    client = client_for(staff["supervisor"])
    url = f"/residents/{resident.pk}/sessions/new/"
    assert 'name="caseworker"' in client.get(url).content.decode()
    missing = client.post(url, when(at(5, 10)))
    assert missing.status_code == 400 and "This field is required" in missing.content.decode()
    chosen = client.post(url, when(at(5, 10), caseworker=str(staff["caseworker_other"].pk)))
    assert chosen.status_code == 302
    assert Session.objects.get().caseworker == staff["caseworker_other"]


def test_booking_for_another_caseload_is_forbidden(resident, staff, client_for):
    client = client_for(staff["caseworker_other"])
    url = f"/residents/{resident.pk}/sessions/new/"
    assert client.get(url).status_code == 403
    assert client.post(url, when(at(5, 10))).status_code == 403
    assert not Session.objects.exists()
    assert client.get("/residents/999999/sessions/new/").status_code == 404


# Booking a group --------------------------------------------------------------------------


def test_a_group_offers_only_residents_the_user_may_book(
    resident, heidi, theirs, staff, client_for
):
    client = client_for(staff["caseworker"])
    page = client.get("/sessions/new/").content.decode()
    assert "Walter Cruz" in page and "Heidi Bergman" in page and "Otto" not in page
    response = client.post(
        "/sessions/new/",
        when(at(5, 14), title="Sleep skills", residents=[str(resident.pk), str(heidi.pk)]),
    )
    group = Session.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sessions/{group.pk}/"
    assert group.kind == "group" and group.title == "Sleep skills"
    assert {a.resident for a in group.attendees.all()} == {resident, heidi}


def test_a_group_of_one_keeps_what_was_typed(resident, heidi, theirs, staff, client_for):
    client = client_for(staff["caseworker"])
    alone = client.post(
        "/sessions/new/", when(at(5, 14), title="Breathing practice", residents=[str(resident.pk)])
    )
    assert alone.status_code == 400
    assert "at least two residents" in alone.content.decode()
    assert "Breathing practice" in alone.content.decode()
    smuggled = client.post(
        "/sessions/new/",
        when(at(5, 14), title="Breathing practice", residents=[str(resident.pk), str(theirs.pk)]),
    )
    assert smuggled.status_code == 400 and "not one of the available choices" in (
        smuggled.content.decode()
    )
    assert not Session.objects.exists()


@pytest.mark.parametrize("who", ["clinician", "contractor"])
def test_a_group_is_forbidden_to_roles_without_calendars(staff, client_for, who):
    assert client_for(staff[who]).get("/sessions/new/").status_code == 403


# A session's page and its changes ---------------------------------------------------------


def test_the_session_page_offers_what_the_time_allows(session, staff, client_for, monkeypatch):
    client = client_for(staff["caseworker"])
    response = client.get(f"/sessions/{session.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("Session with Walter Cruz", "Quiet room", "Cancel the session"):
        assert text in page
    assert "check-in/" not in page and "no-show/" not in page and "held/" not in page
    set_clock(monkeypatch, session.starts_at - dt.timedelta(minutes=30))
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "check-in/" in page and "no-show/" not in page
    set_clock(monkeypatch, session.starts_at + dt.timedelta(minutes=5))
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "check-in/" in page and "no-show/" in page and "held/" in page
    assert client.get("/sessions/999999/").status_code == 404


def test_the_session_page_is_forbidden_off_the_caseload(session, staff, client_for):
    assert client_for(staff["caseworker_other"]).get(f"/sessions/{session.pk}/").status_code == 403


def test_checking_in_through_the_page(session, staff, client_for, monkeypatch):
    client = client_for(staff["caseworker"])
    attendee = session.attendees.get()
    url = f"/sessions/{session.pk}/attendees/{attendee.pk}/check-in/"
    early = client.post(url)
    assert early.status_code == 400 and "Check-in opens at 09:00" in early.content.decode()
    set_clock(monkeypatch, session.starts_at)
    done = client.post(url)
    assert done.status_code == 302 and done["Location"] == f"/sessions/{session.pk}/"
    attendee.refresh_from_db()
    assert attendee.attendance == "checked_in"
    assert client.get(url).status_code == 405
    assert client.post(f"/sessions/{session.pk}/attendees/999999/check-in/").status_code == 404


def test_no_show_and_held_through_the_page(session, staff, client_for, monkeypatch):
    client = client_for(staff["caseworker"])
    attendee = session.attendees.get()
    early = client.post(f"/sessions/{session.pk}/held/")
    assert early.status_code == 400 and "once it has started" in early.content.decode()
    set_clock(monkeypatch, session.starts_at + dt.timedelta(minutes=15))
    no_show = client.post(f"/sessions/{session.pk}/attendees/{attendee.pk}/no-show/")
    assert no_show.status_code == 302
    assert client.post(f"/sessions/{session.pk}/held/").status_code == 302
    session.refresh_from_db()
    attendee.refresh_from_db()
    assert (session.status, attendee.attendance) == ("held", "no_show")
    assert client.post("/sessions/999999/held/").status_code == 404


def test_changes_are_forbidden_off_the_caseload(session, staff, client_for, monkeypatch):
    set_clock(monkeypatch, session.starts_at)
    client = client_for(staff["caseworker_other"])
    attendee = session.attendees.get()
    assert client.post(f"/sessions/{session.pk}/attendees/{attendee.pk}/check-in/").status_code == (
        403
    )
    assert client.post(f"/sessions/{session.pk}/held/").status_code == 403
    assert client.post(f"/sessions/{session.pk}/cancel/", {"reason": "x"}).status_code == 403
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_cancelling_through_the_page_needs_a_reason(session, staff, client_for):
    client = client_for(staff["caseworker"])
    blank = client.post(f"/sessions/{session.pk}/cancel/", {"reason": "  "})
    assert blank.status_code == 400 and "This field is required" in blank.content.decode()
    done = client.post(f"/sessions/{session.pk}/cancel/", {"reason": "Resident at court"})
    assert done.status_code == 302
    session.refresh_from_db()
    assert session.status == "cancelled" and session.cancellation_reason == "Resident at court"
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Resident at court" in page and "Mark as held" not in page
    again = client.post(f"/sessions/{session.pk}/cancel/", {"reason": "Once more"})
    assert again.status_code == 400 and "This session is cancelled" in again.content.decode()


# The home page ----------------------------------------------------------------------------


def test_todays_sessions_above_the_caseload(resident, theirs, staff, client_for, monkeypatch):
    set_clock(monkeypatch, at(0, 0))
    book(staff["caseworker"], [resident], at(0, 23), location="Quiet room")
    book(staff["caseworker_other"], [theirs], at(0, 22))
    page = client_for(staff["caseworker"]).get("/").content.decode()
    assert "Today’s sessions (1)" in page
    assert page.index("Today’s sessions") < page.index("Residents on your care team")
    assert "23:00–00:00" in page and "Otto" not in page
    center = client_for(staff["supervisor"]).get("/").content.decode()
    assert "Today’s sessions (2)" in center and "Otto Lind" in center


def test_no_todays_sessions_for_roles_without_calendars(staff, client_for, db):
    page = client_for(staff["clinician"]).get("/").content.decode()
    assert "Today’s sessions" not in page
    assert not Entry.objects.filter(actor=staff["clinician"], outcome="denied").exists()
