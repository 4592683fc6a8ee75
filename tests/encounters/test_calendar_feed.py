"""Each member of staff's sessions as a calendar feed at a secret, revocable link that names no
resident (issue 16).

Insiders replayed: the link leaked (stopping it, or making a new one, ends it); a deactivated
account's link; a database copy (only the secret's hash is stored, and not in the ledger)."""

from urllib.parse import urlsplit

import icalendar
import pytest

from homecoming.encounters import calendar_feed, scheduling
from homecoming.encounters.models import CalendarFeed
from homecoming.ledger.models import Entry, Version
from tests.support.sessions import at, book


@pytest.fixture
def sessions(resident, admit, staff):
    other = admit(given_name="Rosalind", family_name="Vantongeren")
    one = book(staff["caseworker"], [resident], at(2, 10), location="Counselling room 1")
    group = book(staff["caseworker"], [resident, other], at(3, 14), title="Walter's sleep group")
    called_off = book(staff["caseworker"], [resident], at(4, 9))
    scheduling.cancel(staff["caseworker"], called_off, "Ill")
    scheduling.reschedule(staff["caseworker"], one, at(2, 11), at(2, 12), "Room taken")
    return one, group, called_off


def _link(client):
    page = client.post("/sessions/calendar-link/", {"do": "make"}).content.decode()
    start = page.index("/calendar/")
    return page[start : page.index(".ics", start) + 4]


def test_the_feed_lists_the_sessions_and_names_no_resident(
    sessions, staff, resident, client_for, client
):
    owner = client_for(staff["caseworker"])
    path = _link(owner)
    response = client.get(path)  # a calendar app: no log-in
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    for name in (resident.given_name, resident.family_name, "Rosalind", "Vantongeren", "Walter"):
        assert name not in text
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    one, group, called_off = sessions
    by_uid = {str(e["uid"]): e for e in events}
    moved = by_uid[f"session-{one.pk}@homecoming"]
    assert moved.decoded("dtstart") == at(2, 11) and int(moved["sequence"]) == 1
    assert str(moved["location"]) == "Counselling room 1"
    assert str(by_uid[f"session-{group.pk}@homecoming"]["summary"]) == "Group session (2 residents)"
    assert str(by_uid[f"session-{called_off.pk}@homecoming"]["status"]) == "CANCELLED"


def test_a_new_link_or_stopping_ends_the_old_one(sessions, staff, client_for, client):
    owner = client_for(staff["caseworker"])
    first = _link(owner)
    second = _link(owner)
    assert client.get(first).status_code == 410 and client.get(second).status_code == 200
    assert owner.post("/sessions/calendar-link/", {"do": "stop"}).status_code == 302
    assert client.get(second).status_code == 410
    # A guessed link is a refusal on the ledger.
    assert client.get("/calendar/not-a-link.ics").status_code == 404
    assert Entry.objects.filter(action="calendar.feed", outcome="denied").count() == 1
    actions = list(
        Entry.objects.filter(actor=staff["caseworker"], action__startswith="calendar.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "calendar.feed_make",
        "calendar.feed_stop",
        "calendar.feed_make",
        "calendar.feed_stop",
    ]


def test_only_the_secrets_hash_is_kept_and_never_in_the_ledger(staff):
    url = calendar_feed.make(staff["caseworker"])
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.objects.get()
    assert secret not in feed.secret_sha256
    assert not Version.objects.filter(content__contains=feed.secret_sha256).exists()
    assert calendar_feed.owner_of(secret) == staff["caseworker"]
    with pytest.raises(calendar_feed.Unknown):
        calendar_feed.owner_of(secret[:-1])


def test_a_deactivated_accounts_link_answers_nothing(sessions, staff, client):
    url = calendar_feed.make(staff["caseworker"])
    path = urlsplit(url).path
    assert client.get(path).status_code == 200
    staff["caseworker"].is_active = False
    staff["caseworker"].save(update_fields=["is_active"])
    assert client.get(path).status_code == 410


@pytest.mark.parametrize("who", ["clinician", "contractor", "oversight", "investigator"])
def test_roles_without_a_calendar_make_no_link(staff, who, client_for):
    assert (
        client_for(staff[who]).post("/sessions/calendar-link/", {"do": "make"}).status_code == 403
    )
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM encounters_calendarfeed",
        "UPDATE encounters_calendarfeed SET stopped_at = NULL",
        "UPDATE encounters_calendarfeed SET secret_sha256 = 'x'",
    ],
)
def test_the_database_keeps_every_link_as_made_and_stopped(staff, statement):
    from django.db import connection, transaction

    calendar_feed.make(staff["caseworker"])
    calendar_feed.stop(staff["caseworker"])
    with (
        pytest.raises(Exception, match="refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert CalendarFeed.objects.get().stopped_at is not None
