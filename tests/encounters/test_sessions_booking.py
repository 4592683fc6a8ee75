"""Booking sessions: nobody is in two places at once, groups and individual sessions have their
shapes, residents need an open stay, and every row written is on the ledger with its version."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from homecoming.access.policy import AccessDenied
from homecoming.encounters import scheduling
from homecoming.encounters.models import Session, SessionAttendee
from homecoming.ledger.models import Entry
from homecoming.residents.models import Stay, StayStatus
from tests.support.sessions import at, book, matches_latest_version


@pytest.fixture
def heidi(admit):
    return admit(given_name="Heidi", family_name="Bergman")


def test_an_individual_session_is_written_with_its_versions_and_entries(resident, staff):
    cw = staff["caseworker"]
    session = book(cw, [resident], at(3, 10), location="Room 2")
    assert (session.kind, session.status, session.caseworker, session.scheduled_by) == (
        "individual",
        "scheduled",
        cw,
        cw,
    )
    attendee = session.attendees.get()
    assert attendee.resident == resident and attendee.attendance == "expected"
    written = Entry.objects.filter(action="session.schedule").order_by("seq")
    assert [(e.object_type, e.resident_id, e.purpose) for e in written] == [
        ("encounters.session", resident.pk, "care"),
        ("encounters.sessionattendee", resident.pk, "care"),
    ]
    assert matches_latest_version(session) and matches_latest_version(attendee)


def test_a_group_session_belongs_to_each_attendee_not_to_one(resident, heidi, staff):
    session = book(
        staff["supervisor"], [resident, heidi], at(3, 14), caseworker=staff["caseworker"]
    )
    written = Entry.objects.filter(action="session.schedule").order_by("seq")
    assert [(e.object_type, e.resident_id, e.purpose) for e in written] == [
        ("encounters.session", None, "supervision"),
        ("encounters.sessionattendee", resident.pk, "supervision"),
        ("encounters.sessionattendee", heidi.pk, "supervision"),
    ]
    assert session.title == "Sleep skills"
    assert all(matches_latest_version(a) for a in session.attendees.all())


@pytest.mark.parametrize(
    "start, minutes",
    [
        ((10, 0), 60),  # the same hour
        ((9, 30), 60),  # overlaps the start
        ((10, 30), 60),  # overlaps the end
        ((10, 15), 15),  # inside
        ((9, 0), 180),  # around it
    ],
)
def test_a_caseworker_is_never_double_booked(resident, heidi, staff, start, minutes):
    first = book(staff["caseworker"], [resident], at(4, 10))
    with pytest.raises(ValidationError) as refused:
        book(staff["caseworker"], [heidi], at(4, *start), minutes=minutes)
    span = scheduling.span_words(first.starts_at, first.ends_at)
    assert refused.value.message_dict == {
        "caseworker": [f"Caseworker 1 already has a session {span}."]
    }
    assert Session.objects.count() == 1


def test_a_resident_is_never_double_booked_even_with_another_caseworker(resident, staff):
    book(staff["caseworker"], [resident], at(4, 10))
    with pytest.raises(ValidationError, match="Walter Cruz already has a session"):
        book(
            staff["supervisor"],
            [resident],
            at(4, 10, 30),
            caseworker=staff["caseworker_other"],
        )
    assert SessionAttendee.objects.count() == 1


def test_a_resident_in_a_group_cannot_also_be_seen_alone(resident, heidi, staff):
    book(staff["caseworker"], [resident, heidi], at(4, 10))
    with pytest.raises(ValidationError, match="Heidi Bergman already has a session"):
        book(staff["supervisor"], [heidi], at(4, 10, 45), caseworker=staff["caseworker_other"])


def test_the_refusal_names_the_clash_in_the_centers_time(resident, heidi, staff):
    # 15:00 UTC on Tuesday 24 November 2037 is 10:00 in New York (EST).
    starts_at = dt.datetime(2037, 11, 24, 15, 0, tzinfo=dt.UTC)
    book(staff["caseworker"], [heidi], starts_at)
    with pytest.raises(ValidationError) as refused:
        book(staff["supervisor"], [heidi], starts_at, caseworker=staff["caseworker_other"])
    assert refused.value.messages == [
        "Heidi Bergman already has a session 10:00–11:00 on Tue Nov 24."
    ]


def test_back_to_back_sessions_are_allowed(resident, heidi, staff):
    cw = staff["caseworker"]
    book(cw, [resident], at(4, 10))
    book(cw, [heidi], at(4, 11))  # the caseworker's next session starts as the first ends
    book(staff["supervisor"], [resident], at(4, 9), caseworker=staff["caseworker_other"])
    assert Session.objects.filter(caseworker=cw).count() == 2
    assert SessionAttendee.objects.filter(resident=resident).count() == 2


def test_a_cancelled_session_frees_its_time(resident, staff):
    first = book(staff["caseworker"], [resident], at(4, 10))
    scheduling.cancel(staff["caseworker"], first, "Resident at the hospital")
    again = book(staff["caseworker"], [resident], at(4, 10))
    assert again.pk != first.pk and again.status == "scheduled"


@pytest.mark.parametrize(
    "kind, people, title, field, message",
    [
        ("individual", 2, "", "residents", "exactly one resident"),
        ("group", 1, "Sleep skills", "residents", "at least two residents"),
        ("group", 2, "  ", "title", "Give the group session a title"),
        ("party", 1, "", "kind", "Unknown kind"),
    ],
)
def test_the_shape_of_a_session(resident, heidi, staff, kind, people, title, field, message):
    with pytest.raises(ValidationError) as refused:
        scheduling.schedule(
            staff["caseworker"],
            caseworker=staff["caseworker"],
            residents=[resident, heidi][:people],
            kind=kind,
            starts_at=at(3, 10),
            ends_at=at(3, 11),
            title=title,
        )
    assert message in refused.value.message_dict[field][0]
    assert not Session.objects.exists()


def test_nobody_to_meet_is_refused(staff, db):
    with pytest.raises(ValidationError, match="Choose who the session is with"):
        book(staff["caseworker"], [], at(3, 10))


@pytest.mark.parametrize(
    "start, end, message",
    [
        ((3, 10), (3, 10), "must end after it starts"),
        ((3, 10), (3, 9), "must end after it starts"),
        ((3, 8), (3, 16, 1), "at most 8 hours"),
        ((-1, 10), (-1, 11), "cannot start in the past"),
    ],
)
def test_times_that_make_no_session(resident, staff, start, end, message):
    with pytest.raises(ValidationError, match=message):
        scheduling.schedule(
            staff["caseworker"],
            caseworker=staff["caseworker"],
            residents=[resident],
            kind="individual",
            starts_at=at(*start),
            ends_at=at(*end),
        )
    assert not Session.objects.exists()


def test_naive_times_are_a_programming_error(resident, staff):
    with pytest.raises(ValueError, match="aware"):
        book(staff["caseworker"], [resident], dt.datetime(2037, 1, 5, 10, 0))


def test_the_caseworker_must_be_an_active_caseworker(resident, staff, make_user):
    with pytest.raises(ValidationError, match="Clinician 2 is not an active caseworker"):
        book(staff["supervisor"], [resident], at(3, 10), caseworker=staff["clinician"])
    retired = make_user("caseworker", is_active=False, full_name="Retired Caseworker")
    with pytest.raises(ValidationError, match="Retired Caseworker is not an active caseworker"):
        book(staff["supervisor"], [resident], at(3, 10), caseworker=retired)


def test_a_resident_without_an_open_stay_cannot_be_booked(resident, staff):
    # Set up as a discharge would leave it. The care team keeps follow-up work only (policy);
    # a supervisor, who may book on anyone's calendar, meets the service's own refusal.
    Stay.objects.filter(resident=resident).update(
        status=StayStatus.DISCHARGED, discharged_on=dt.date.today()
    )
    with pytest.raises(AccessDenied, match="for follow-up only"):
        book(staff["caseworker"], [resident], at(3, 10))
    with pytest.raises(ValidationError, match="Walter Cruz has no open stay"):
        book(staff["supervisor"], [resident], at(3, 10), caseworker=staff["caseworker"])


def test_an_expected_resident_is_booked_only_from_their_arrival(staff, db, beds):
    from homecoming.residents import services
    from tests.conftest import intake

    soon = services.admit(
        staff["supervisor"],
        services.Admission(
            intake=intake(given_name="Ina", family_name="Soon"),
            admitted_on=dt.date.today() + dt.timedelta(days=5),
            expected_length_days=30,
            primary_caseworker=staff["caseworker"],
        ),
    )
    with pytest.raises(ValidationError, match="Ina Soon is expected on"):
        book(staff["caseworker"], [soon], at(2, 10))
    assert book(staff["caseworker"], [soon], at(6, 10)).pk


def test_listing_a_resident_twice_books_them_once(resident, staff):
    session = scheduling.schedule(
        staff["caseworker"],
        caseworker=staff["caseworker"],
        residents=[resident, resident],
        kind="individual",
        starts_at=at(3, 10),
        ends_at=at(3, 11),
    )
    assert session.kind == "individual" and session.attendees.count() == 1
