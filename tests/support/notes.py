"""Helpers for the note tests: a session to write about, drafts and signed notes written through
the services, authenticator codes, and the ledger entries a test looks for."""

import datetime as dt

from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.encounters import notes
from homecoming.encounters.models import (
    SECTIONS,
    Session,
    SessionAttendee,
    SessionKind,
    SessionStatus,
)
from homecoming.ledger import services as ledger
from homecoming.ledger.canonical import canonical_json, sha256_hex, snapshot
from homecoming.ledger.models import Entry
from homecoming.ledger.services import current_version_hashes
from tests.conftest import PASSWORD

DAP_TEXT = {
    "data": "Slept five hours.\nReports two nightmares this week.",
    "assessment": "Sleep improving; hyperarousal persists.",
    "plan": "Continue sleep hygiene; review in one week.",
}


def session_for(caseworker, *residents, status=SessionStatus.SCHEDULED):
    """A session on the caseworker's calendar with these residents (rows only: the scheduling
    rules are the sessions' own tests)."""
    start = timezone.now() - dt.timedelta(hours=2)
    session = Session.objects.create(
        kind=SessionKind.INDIVIDUAL if len(residents) == 1 else SessionKind.GROUP,
        caseworker=caseworker,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        status=status,
        scheduled_by=caseworker,
        scheduled_at=start - dt.timedelta(days=1),
        cancelled_at=start if status == SessionStatus.CANCELLED else None,
        cancellation_reason="ill" if status == SessionStatus.CANCELLED else "",
    )
    ledger.record_write(caseworker, "session.schedule", session, resident_id=None, purpose="care")
    for resident in residents:
        attendee = SessionAttendee.objects.create(session=session, resident=resident)
        ledger.record_write(
            caseworker, "session.schedule", attendee, resident_id=resident.pk, purpose="care"
        )
    return session


def make_trainee(user):
    """Mark a staff member as in training (with the account's new version, as the services do)."""
    user.is_trainee = True
    user.save(update_fields=["is_trainee"])
    ledger.record_write(None, "account.update", user, resident_id=None, purpose="operations")
    return user


def draft(author, resident, template="dap", text=None, session=None):
    """A draft written through the services (started, then saved once with `text`)."""
    note = notes.start(author, resident, template, session)
    if text is None:
        text = (
            DAP_TEXT
            if template == "dap"
            else {k: f"{label} text" for k, label in SECTIONS[template]}
        )
    if text:
        note = notes.save_draft(author, note, text, note.revision)
    return note


def signed(author, resident, **kwargs):
    return notes.sign(author, draft(author, resident, **kwargs), PASSWORD)


def current_code(user) -> str:
    """The code the user's authenticator app shows now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def entries(actor, action=None, outcome=None):
    qs = Entry.objects.filter(actor=actor)
    if action:
        qs = qs.filter(action=action)
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("seq")


def matches_latest_version(row) -> bool:
    """The row as stored equals the latest version the ledger holds for it."""
    row.refresh_from_db()
    latest = current_version_hashes(row._meta.label_lower, [row.pk]).get(str(row.pk))
    return latest == sha256_hex(canonical_json(snapshot(row)))
