"""A member of staff's sessions as an iCalendar feed, at a secret link their phone's calendar
subscribes to (a calendar app cannot log in, so the link is the key).

The feed names no resident: each event is "Individual session" or "Group session (3 residents)",
with its time, room and a link to the session's page (which asks for a log-in). A group's title
is left out too, since staff type it freely. So fetching the feed discloses nothing of anyone's
record, and is not a look on the ledger; making and stopping a link are ledger writes, and a
secret that was never issued (a guess) is a refused entry. A new link stops the old one; a
stopped link, or a deactivated account's, answers 410 Gone.

iCalendar text is written with the `icalendar` library (RFC 5545 folding, escaping and UTC
times are easy to get subtly wrong by hand).
"""

import datetime as dt

import icalendar
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.secret_links import digest, new_secret
from homecoming.ledger import services as ledger

from .models import CalendarFeed, Session, SessionKind, SessionStatus

MAKE = "calendar.feed_make"
STOP = "calendar.feed_stop"
# What the feed holds: the last two weeks, and three months ahead.
PAST = dt.timedelta(days=14)
AHEAD = dt.timedelta(days=92)


def live_feed(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, stopped_at__isnull=True).first()


def url_of(secret: str) -> str:
    return f"{settings.HOMECOMING_BASE_URL}{reverse('encounters:calendar_feed', args=[secret])}"


def _stop_live(actor, now, purpose) -> CalendarFeed | None:
    feed = CalendarFeed.objects.select_for_update().filter(user=actor, stopped_at__isnull=True)
    feed = feed.first()
    if feed is not None:
        feed.stopped_at = now
        feed.save(update_fields=["stopped_at"])
        ledger.record_write(actor, STOP, feed, resident_id=None, purpose=purpose)
    return feed


def make(actor) -> str:
    """A new secret link for the actor's own sessions (the old one stops): its address, shown
    once."""
    decision = policy.require(actor, Action.VIEW_CALENDAR)
    secret = new_secret()
    now = timezone.now()
    with transaction.atomic():
        _stop_live(actor, now, decision.purpose)
        feed = CalendarFeed.objects.create(user=actor, secret_sha256=digest(secret), created_at=now)
        ledger.record_write(actor, MAKE, feed, resident_id=None, purpose=decision.purpose)
    return url_of(secret)


def stop(actor) -> CalendarFeed | None:
    """Stop the actor's link: a calendar still subscribed to it gets nothing more."""
    decision = policy.require(actor, Action.VIEW_CALENDAR)
    with transaction.atomic():
        return _stop_live(actor, timezone.now(), decision.purpose)


FETCH = "calendar.feed"


class Unknown(Exception):
    """No link was ever made with this secret: a guess, recorded as refused."""


class Ended(Exception):
    """A link that was stopped, or whose owner has left: its calendar stops updating (not a
    refusal on the ledger: a phone still subscribed asks again and again, and the stop is
    already there)."""


def owner_of(secret: str, who=None):
    """The active member of staff whose live link this is; Unknown or Ended otherwise. `who`:
    whoever asked, if logged in (a guess is refused in their name)."""
    feed = CalendarFeed.objects.select_related("user").filter(secret_sha256=digest(secret)).first()
    if feed is None:
        policy.record_denial(who if getattr(who, "is_authenticated", False) else None, FETCH)
        raise Unknown(secret)
    if feed.stopped_at is not None or not feed.user.is_active:
        raise Ended(secret)
    return feed.user


def _summary(session, residents: int) -> str:
    if session.kind == SessionKind.GROUP:
        return f"Group session ({residents} residents)"
    return "Individual session"


def ics(user) -> bytes:
    """The user's sessions as iCalendar text: no resident's name, no group title."""
    now = timezone.now()
    sessions = (
        Session.objects.filter(
            caseworker=user, starts_at__gte=now - PAST, starts_at__lte=now + AHEAD
        )
        .prefetch_related("attendees", "moves")
        .order_by("starts_at", "id")
    )
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Homecoming//sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Homecoming sessions")
    for session in sessions:
        event = icalendar.Event()
        event.add("uid", f"session-{session.pk}@homecoming")
        event.add("dtstamp", now)
        event.add("dtstart", session.starts_at.astimezone(dt.UTC))
        event.add("dtend", session.ends_at.astimezone(dt.UTC))
        event.add("summary", _summary(session, len(session.attendees.all())))
        if session.location:
            event.add("location", session.location)
        page = reverse("encounters:session", args=[session.pk])
        event.add("url", f"{settings.HOMECOMING_BASE_URL}{page}")
        # Each move is a new version of the event, so a subscribed calendar takes the new time.
        event.add("sequence", len(session.moves.all()))
        cancelled = session.status == SessionStatus.CANCELLED
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
