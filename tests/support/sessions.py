"""Helpers for the session tests: times at the center, booking, moving the scheduling clock,
and checking that every row written has its ledger version."""

import datetime as dt

from django.utils import timezone

from homecoming.encounters import scheduling
from homecoming.encounters.models import SessionKind
from homecoming.ledger import services as ledger
from homecoming.ledger.canonical import canonical_json, sha256_hex, snapshot


def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """`days` from today at hour:minute, the center's local time, as an aware time."""
    day = timezone.localdate() + dt.timedelta(days=days)
    wall = dt.datetime.combine(day, dt.time(hour, minute))
    return timezone.make_aware(wall, scheduling.center_zone())


def book(actor, residents, starts_at, minutes=60, caseworker=None, **extra):
    """Book a session (individual for one resident, group for several) through the service."""
    residents = list(residents)
    kind = SessionKind.INDIVIDUAL if len(residents) == 1 else SessionKind.GROUP
    if kind == SessionKind.GROUP:
        extra.setdefault("title", "Sleep skills")
    return scheduling.schedule(
        actor,
        caseworker=caseworker or actor,
        residents=residents,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        **extra,
    )


def set_clock(monkeypatch, moment: dt.datetime):
    """Make the scheduling rules believe it is `moment` (nothing else is moved)."""
    monkeypatch.setattr(scheduling, "_now", lambda: moment)


def matches_latest_version(row) -> bool:
    """The row as stored equals the latest version the ledger holds for it."""
    row.refresh_from_db()
    latest = ledger.current_version_hashes(row._meta.label_lower, [row.pk]).get(str(row.pk))
    return latest == sha256_hex(canonical_json(snapshot(row)))
