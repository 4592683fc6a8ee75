"""Audio recordings of individual sessions: upload (consent checked at that moment), the list
on a session's page, and playback, where every play is an access on the resident's ledger.

A file is accepted by what its bytes are (the `filetype` package reads the header), never by its
name or the browser's claim. It is stored through Django's storage API under a random name, and
its SHA-256, computed while it is copied, is in the row, so the ledger version commits to the
exact bytes. The audio itself is fetched with a short-lived token minted by the logged play, so
a player's many range requests are one access on the ledger, not dozens.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action, Decision
from homecoming.consents import services as consents
from homecoming.consents.models import Consent, ConsentPurpose
from homecoming.core import uploads
from homecoming.ledger import services as ledger

from .models import Attendance, Recording, Session, SessionKind, SessionStatus

UPLOAD = "recording.upload"
PLAY = "recording.play"

# What filetype 1.2.0 recognises as audio and browsers play, by the extension it reports, and
# the Content-Type we serve it with. Not WebM: filetype only knows it as video/webm and cannot
# tell an audio-only file from a video; AAC/AMR/AIFF/MIDI are not session recorders' formats.
AUDIO_TYPES = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "m4a": "audio/mp4",
}
FORMAT_NAMES = "MP3, WAV, Ogg, FLAC or M4A"

TOKEN_SALT = "homecoming.encounters.recording-audio"
TOKEN_MAX_AGE = dt.timedelta(hours=4)  # long enough to listen to a long session with pauses


def max_bytes() -> int:
    return settings.HOMECOMING_RECORDING_MAX_MB * 1024 * 1024


# --- which resident, and may the actor ---------------------------------------------------------


def _attendees(session):
    return list(session.attendees.select_related("resident").order_by("id"))


def _require_for_each(actor, action, attendees) -> Decision:
    """The action must be allowed on every resident of the session: whoever may not act on all
    of them learns nothing more about the session than that."""
    decision = None
    for attendee in attendees:
        decision = policy.require(actor, action, attendee.resident)
    if decision is None:
        raise ValidationError({"session": "This session has no resident."})
    return decision


def _check_recordable(session, attendees):
    if session.kind != SessionKind.INDIVIDUAL:
        raise ValidationError(
            {
                "session": "Only individual sessions may be recorded: a group recording would "
                "hold the voices of other residents, who have not consented to it."
            }
        )
    if session.status == SessionStatus.CANCELLED:
        raise ValidationError({"session": "This session was cancelled: nothing to record."})
    if session.starts_at > timezone.now():
        raise ValidationError({"session": "This session has not started yet."})
    attendee = attendees[0]
    if attendee.attendance in (Attendance.NO_SHOW, Attendance.CANCELLED):
        raise ValidationError(
            {
                "session": f"{attendee.resident.display_name} did not attend this session "
                f"({attendee.get_attendance_display().lower()})."
            }
        )


# --- upload ------------------------------------------------------------------------------------


def _audio_type(uploaded_file) -> tuple[str, str]:
    """(extension, content type) recognised from the file's first bytes, or a ValidationError."""
    return uploads.kind_of(uploaded_file, AUDIO_TYPES, FORMAT_NAMES, "an audio recording")


def _check_size(uploaded_file):
    uploads.check_size(uploaded_file, settings.HOMECOMING_RECORDING_MAX_MB, "recordings")


def _record_consent_refusal(actor, session, resident):
    """A refused upload for want of consent is an attempt on the resident's record: it goes to
    the ledger (committed on its own, like every denial)."""
    policy.record_denial(actor, UPLOAD, ledger.Target.of(session, resident_id=resident.pk))


def _consent_in_force(resident) -> Consent:
    """The recording consent, checked now and locked until the upload commits, so a revocation
    made at this very moment either comes first (and refuses the upload) or waits for it."""
    consent = consents.require_consent(resident, ConsentPurpose.RECORDING)
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if locked.revoked_at is not None:
        return consents.require_consent(resident, ConsentPurpose.RECORDING)
    return locked


def upload(actor, session: Session, uploaded_file) -> Recording:
    """Keep the audio of an individual session, while the resident's consent to recording is
    active. On any refusal or failure nothing is kept: neither the row nor the file."""
    attendees = _attendees(session)
    decision = _require_for_each(actor, Action.UPLOAD_RECORDING, attendees)
    _check_recordable(session, attendees)
    resident = attendees[0].resident
    try:
        consents.require_consent(resident, ConsentPurpose.RECORDING)
    except consents.ConsentMissing:
        _record_consent_refusal(actor, session, resident)
        raise
    _check_size(uploaded_file)
    extension, content_type = _audio_type(uploaded_file)
    original_name = uploads.original_name(uploaded_file, "recording")

    stored, reader = uploads.store(uploaded_file, "recordings", extension)
    try:
        with transaction.atomic():
            consent = _consent_in_force(resident)
            recording = Recording.objects.create(
                session=session,
                resident=resident,
                uploaded_by=actor,
                uploaded_at=timezone.now(),
                storage_name=stored,
                original_name=original_name,
                content_type=content_type,
                size=reader.bytes_read,
                sha256=reader.hexdigest,
                consent=consent,
            )
            ledger.record_write(
                actor, UPLOAD, recording, resident_id=resident.pk, purpose=decision.purpose
            )
    except BaseException as exc:
        default_storage.delete(stored)
        if isinstance(exc, consents.ConsentMissing):  # revoked while the file was copied
            _record_consent_refusal(actor, session, resident)
        raise
    return recording


# --- reads -------------------------------------------------------------------------------------


def _session_or_probe(actor, session_id, action) -> Session:
    """The session, or DoesNotExist after recording the attempt, as for unknown residents."""
    session = Session.objects.filter(pk=session_id).first()
    if session is None:
        error = Session.DoesNotExist(f"No session #{session_id}.")
        policy.refuse_unknown(actor, action, "encounters.session", session_id, error)
    return session


@dataclass
class UploadTarget:
    session: Session
    residents: list  # the session's residents (one, for a session that may be recorded)
    consent: Consent | None  # the recording consent in force now, if any
    refusal: str  # why this session cannot be recorded at all, or ""


def upload_target(actor, session_id: int) -> UploadTarget:
    """Open a session's upload page: the action is checked, and the residents and consent shown
    are recorded as a read."""
    session = _session_or_probe(actor, session_id, Action.UPLOAD_RECORDING)
    attendees = _attendees(session)
    if not attendees:  # no resident to check the policy against: nothing to show anyone
        raise Session.DoesNotExist(f"Session #{session_id} has no residents.")
    decision = _require_for_each(actor, Action.UPLOAD_RECORDING, attendees)
    residents = [a.resident for a in attendees]
    refusal = ""
    try:
        _check_recordable(session, attendees)
    except ValidationError as exc:
        refusal = " ".join(exc.messages)
    with transaction.atomic():
        consent = None
        if not refusal:
            consent = consents.active_consent(residents[0], ConsentPurpose.RECORDING)
        ledger.record_reads(
            actor,
            str(Action.VIEW),
            [consent] if consent is not None else residents,
            resident_of=lambda row: row.resident_id if isinstance(row, Consent) else row.pk,
            purpose=decision.purpose,
        )
    return UploadTarget(session, residents, consent, refusal)


@dataclass
class SessionRecordings:
    """What the session page shows about recordings, and what the viewer may do with them."""

    session: Session
    recordings: list[Recording]
    may_upload: bool
    may_play: bool


def recordings_for_session(actor, session: Session) -> SessionRecordings:
    """The recordings of a session (only individual sessions have any), checked and recorded as
    reads of the resident's record, one entry per recording listed."""
    attendees = _attendees(session)
    if session.kind != SessionKind.INDIVIDUAL or not attendees:
        return SessionRecordings(session, [], False, False)
    resident = attendees[0].resident
    decision = policy.require(actor, Action.VIEW, resident)
    with transaction.atomic():
        recordings = list(session.recordings.select_related("uploaded_by").order_by("uploaded_at"))
        ledger.record_reads(
            actor,
            str(Action.VIEW),
            recordings,
            resident_of=lambda r: r.resident_id,
            purpose=decision.purpose,
        )
    try:
        _check_recordable(session, attendees)
        recordable = True
    except ValidationError:
        recordable = False
    return SessionRecordings(
        session=session,
        recordings=recordings,
        may_upload=recordable and policy.decide(actor, Action.UPLOAD_RECORDING, resident).allowed,
        may_play=policy.decide(actor, Action.PLAY_RECORDING, resident).allowed,
    )


# --- playback ----------------------------------------------------------------------------------


def _recording_or_probe(actor, recording_id) -> Recording:
    recording = (
        Recording.objects.select_related("resident", "session", "uploaded_by")
        .filter(pk=recording_id)
        .first()
    )
    if recording is None:
        error = Recording.DoesNotExist(f"No recording #{recording_id}.")
        policy.refuse_unknown(actor, PLAY, "encounters.recording", recording_id, error)
    return recording


@dataclass
class Play:
    recording: Recording
    token: str  # lets this user fetch this recording's audio for a few hours
    purpose: str


def play(actor, recording_id: int) -> Play:
    """Open a recording to listen to: checked, recorded as one access ("recording.play") that
    commits to the recording's version, and only then a token for its audio is minted."""
    recording = _recording_or_probe(actor, recording_id)
    decision = policy.require(actor, Action.PLAY_RECORDING, recording.resident)
    with transaction.atomic():
        ledger.record_reads(
            actor, PLAY, [recording], resident_of=lambda r: r.resident_id, purpose=decision.purpose
        )
    token = signing.dumps({"user": actor.pk, "recording": recording.pk}, salt=TOKEN_SALT)
    return Play(recording, token, decision.purpose)


def audio_for(actor, recording_id: int, token: str) -> Recording:
    """The recording whose audio the token opens for this user, if the policy still allows.

    No ledger entry for an allowed fetch: the play that minted the token was the access, and a
    player fetches a file in many ranges. A valid token used by someone else (a shared link) or
    for another recording is recorded as a denied attempt."""
    recording = Recording.objects.select_related("resident").filter(pk=recording_id).first()
    if recording is None:
        raise Recording.DoesNotExist(f"No recording #{recording_id}.")
    refused = ""
    try:
        claim = signing.loads(token or "", salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        refused = "This player has expired. Open the recording again to listen."
    except signing.BadSignature:
        # Asking for the audio without a player of one's own: a probe, on the ledger.
        refused = "Open the recording's page to listen to it."
    else:
        if claim.get("user") != actor.pk or claim.get("recording") != recording.pk:
            refused = "This link to the audio was opened for someone else or another recording."
    if refused:
        target = ledger.Target.of(recording, resident_id=recording.resident_id)
        policy.refuse(actor, PLAY, target, reason=refused)
    # Access may have ended since the play was recorded (a care team changed): refuse, on the
    # ledger. Allowed range requests under the token add no entry: the play was recorded.
    if not policy.decide(actor, Action.PLAY_RECORDING, recording.resident).allowed:
        policy.require(actor, Action.PLAY_RECORDING, recording.resident)
    return recording
