"""Uploading session recordings: only with the resident's consent at that moment, only audio
(by content), within the size limit, only individual sessions, and never half-kept."""

import datetime as dt
import hashlib
import io
import json
import wave

import filetype
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from homecoming.access.policy import AccessDenied
from homecoming.consents import services as consents
from homecoming.encounters import recordings
from homecoming.encounters.models import (
    Attendance,
    Recording,
    Session,
    SessionAttendee,
    SessionKind,
    SessionStatus,
)
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry, Version
from tests.consents.helpers import portal_login, recording_consent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def wav_bytes(seconds=0.25, rate=8000) -> bytes:
    """A real (if quiet) mono 16-bit WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(range(256)) * int(seconds * rate * 2 / 256))
    return buffer.getvalue()


def audio_file(data=None, name="session.wav", content_type="audio/wav"):
    return SimpleUploadedFile(name, wav_bytes() if data is None else data, content_type)


def make_session(caseworker, residents, kind=SessionKind.INDIVIDUAL, **fields):
    """A session as the scheduling service leaves it (rows and their versions), written directly
    so these tests do not depend on the scheduling rules."""
    now = timezone.now()
    fields.setdefault("starts_at", now - dt.timedelta(hours=2))
    fields.setdefault("ends_at", fields["starts_at"] + dt.timedelta(hours=1))
    fields.setdefault("status", SessionStatus.HELD)
    if fields["status"] == SessionStatus.CANCELLED:
        fields.setdefault("cancelled_at", now)
        fields.setdefault("cancellation_reason", "The resident was unwell.")
    session = Session.objects.create(
        kind=kind,
        title="Sleep skills" if kind == SessionKind.GROUP else "",
        caseworker=caseworker,
        scheduled_by=caseworker,
        scheduled_at=now - dt.timedelta(days=1),
        **fields,
    )
    first = residents[0].pk
    ledger.record_write(caseworker, "session.schedule", session, resident_id=first, purpose="care")
    for resident in residents:
        attendee = SessionAttendee.objects.create(
            session=session, resident=resident, attendance=Attendance.ATTENDED
        )
        ledger.record_write(
            caseworker, "session.schedule", attendee, resident_id=resident.pk, purpose="care"
        )
    return session


@pytest.fixture
def media(settings, tmp_path):
    """Recordings go to a fresh folder for each test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def stored_files(media):
    return sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())


@pytest.fixture
def session(resident, staff):
    return make_session(staff["caseworker"], [resident])


@pytest.fixture
def consent(resident, staff):
    return recording_consent(staff, resident)


# --- an upload that is allowed ------------------------------------------------------------------


def test_python_wave_files_are_recognised_as_wav():
    assert filetype.guess(wav_bytes()).extension == "wav"


def test_with_consent_the_recording_is_kept_and_committed_to_by_the_ledger(
    media, session, consent, resident, staff
):
    data = wav_bytes()
    recording = recordings.upload(staff["caseworker"], session, audio_file(data, name="walter.wav"))

    assert (recording.resident, recording.session, recording.consent) == (
        resident,
        session,
        consent,
    )
    assert (recording.content_type, recording.size) == ("audio/wav", len(data))
    assert recording.sha256 == hashlib.sha256(data).hexdigest()
    assert recording.original_name == "walter.wav"
    # Stored under a random name that says nothing about the resident or the file.
    assert (
        recording.storage_name.startswith("recordings/") and "walter" not in recording.storage_name
    )
    assert (media / recording.storage_name).read_bytes() == data

    entry = Entry.objects.get(action="recording.upload")
    assert (entry.actor, entry.resident_id, entry.purpose) == (
        staff["caseworker"],
        resident.pk,
        "care",
    )
    version = Version.objects.get(seq=entry.seq)
    assert version.sha256 == entry.version_sha256
    assert json.loads(version.content)["fields"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_the_browsers_type_and_the_name_are_not_believed(media, session, consent, staff):
    upload = audio_file(name="notes.txt", content_type="text/plain")
    assert recordings.upload(staff["caseworker"], session, upload).content_type == "audio/wav"


# --- consent at the moment of upload ------------------------------------------------------------


def test_without_consent_nothing_is_kept_and_the_refusal_names_the_consent(
    media, session, resident, staff
):
    with pytest.raises(consents.ConsentMissing) as refused:
        recordings.upload(staff["caseworker"], session, audio_file())
    assert refused.value.messages == [
        "Walter Cruz has no active consent to audio recording of sessions."
    ]
    assert stored_files(media) == [] and not Recording.objects.exists()
    entry = Entry.objects.get(action="recording.upload")
    assert (entry.outcome, entry.resident_id) == ("denied", resident.pk)


def test_a_revoked_consent_no_longer_allows_uploads(media, session, consent, staff):
    recordings.upload(staff["caseworker"], session, audio_file())
    consents.revoke(staff["caseworker"], consent, "The resident told me to stop recording.")
    with pytest.raises(consents.ConsentMissing):
        recordings.upload(staff["caseworker"], session, audio_file())
    assert Recording.objects.count() == 1 and len(stored_files(media)) == 1


def test_consent_revoked_while_the_file_is_copied_refuses_the_upload(
    media, session, consent, staff, monkeypatch
):
    store = recordings.uploads.store

    def store_then_revoke(*args):
        stored = store(*args)
        consents.revoke(staff["supervisor"], consent, "The resident phoned to withdraw it.")
        return stored

    monkeypatch.setattr(recordings.uploads, "store", store_then_revoke)
    with pytest.raises(consents.ConsentMissing):
        recordings.upload(staff["caseworker"], session, audio_file())
    assert stored_files(media) == [] and not Recording.objects.exists()


# --- the file itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "found"),
    [(PNG, "image/png"), (b"Session notes, not audio.\n" * 20, "not a format we know")],
)
def test_what_is_not_audio_is_refused_whatever_its_name(
    media, session, consent, staff, data, found
):
    upload = audio_file(data, name="session.mp3", content_type="audio/mpeg")
    with pytest.raises(ValidationError) as refused:
        recordings.upload(staff["caseworker"], session, upload)
    message = refused.value.message_dict["file"][0]
    assert "not an audio recording we accept" in message and found in message
    assert stored_files(media) == []


def test_a_file_over_the_limit_is_refused_with_the_limit_named(
    media, session, consent, staff, settings
):
    settings.HOMECOMING_RECORDING_MAX_MB = 1
    big = wav_bytes(seconds=70)  # 16 kB a second: just over 1 MB
    assert len(big) > 1024 * 1024
    with pytest.raises(ValidationError) as refused:
        recordings.upload(staff["caseworker"], session, audio_file(big))
    assert "at most 1 MB" in refused.value.message_dict["file"][0]
    assert stored_files(media) == []


def test_an_empty_file_is_refused(media, session, consent, staff):
    with pytest.raises(ValidationError, match="empty"):
        recordings.upload(staff["caseworker"], session, audio_file(b""))


def test_the_file_is_removed_when_the_database_write_fails(
    media, session, consent, staff, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(recordings.ledger, "record_write", broken)
    with pytest.raises(RuntimeError):
        recordings.upload(staff["caseworker"], session, audio_file())
    assert stored_files(media) == [] and not Recording.objects.exists()


# --- which sessions -----------------------------------------------------------------------------


def test_group_sessions_are_never_recorded(media, resident, admit, staff):
    other = admit(given_name="Dana", family_name="Reyes")
    for r in (resident, other):
        recording_consent(staff, r)
    group = make_session(staff["caseworker"], [resident, other], kind=SessionKind.GROUP)
    with pytest.raises(ValidationError) as refused:
        recordings.upload(staff["caseworker"], group, audio_file())
    assert "voices of other residents" in str(refused.value)
    assert stored_files(media) == []


def test_cancelled_and_future_sessions_are_not_recorded(media, resident, consent, staff):
    cancelled = make_session(staff["caseworker"], [resident], status=SessionStatus.CANCELLED)
    later = timezone.now() + dt.timedelta(days=1)
    future = make_session(staff["caseworker"], [resident], status="scheduled", starts_at=later)
    with pytest.raises(ValidationError, match="cancelled"):
        recordings.upload(staff["caseworker"], cancelled, audio_file())
    with pytest.raises(ValidationError, match="not started"):
        recordings.upload(staff["caseworker"], future, audio_file())


# --- who may upload -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["caseworker_other", "clinician_other", "contractor", "oversight"])
def test_uploading_is_denied_off_the_care_team(media, session, consent, staff, who):
    with pytest.raises(AccessDenied):
        recordings.upload(staff[who], session, audio_file())
    entry = Entry.objects.get(actor=staff[who])
    assert (entry.action, entry.outcome) == ("recording.upload", "denied")
    assert stored_files(media) == []


def test_the_resident_does_not_upload_recordings(media, session, consent, resident, make_user):
    walter = portal_login(make_user, resident)
    with pytest.raises(AccessDenied):
        recordings.upload(walter.user, session, audio_file())
    assert Entry.objects.filter(actor=walter.user, outcome="denied").exists()


def test_a_group_session_refuses_who_is_off_any_residents_team(media, resident, admit, staff):
    # The other caseworker has one of the two residents; they learn nothing of the session.
    theirs = admit(given_name="Dana", family_name="Reyes", caseworker=staff["caseworker_other"])
    group = make_session(staff["supervisor"], [resident, theirs], kind=SessionKind.GROUP)
    with pytest.raises(AccessDenied):
        recordings.upload(staff["caseworker_other"], group, audio_file())
    entry = Entry.objects.get(actor=staff["caseworker_other"])
    assert (entry.outcome, entry.resident_id) == ("denied", resident.pk)


# --- the session page's list, and the upload page -----------------------------------------------


def test_the_session_lists_its_recordings_each_read_recorded(media, session, consent, staff):
    first = recordings.upload(staff["caseworker"], session, audio_file())
    second = recordings.upload(staff["caseworker"], session, audio_file())
    before = Entry.objects.count()
    listed = recordings.recordings_for_session(staff["clinician"], session)
    assert listed.recordings == [first, second]
    assert listed.may_upload and listed.may_play
    [read] = Entry.objects.filter(seq__gte=before)  # one look at the resident
    assert read.resident_id == session.attendees.get().resident_id
    assert read.sections == ["recordings"]


def test_the_list_is_denied_off_the_care_team(media, session, staff):
    with pytest.raises(AccessDenied):
        recordings.recordings_for_session(staff["caseworker_other"], session)
    assert Entry.objects.filter(actor=staff["caseworker_other"], outcome="denied").exists()


def test_the_resident_sees_the_list_but_may_not_play_or_upload(media, session, resident, make_user):
    walter = portal_login(make_user, resident)
    listed = recordings.recordings_for_session(walter.user, session)
    assert (listed.may_upload, listed.may_play) == (False, False)


def test_the_upload_page(media, session, consent, staff, client_for):
    client = client_for(staff["caseworker"])
    url = f"/sessions/{session.pk}/recordings/new"
    page = client.get(url).content.decode()
    assert 'accept="audio/*"' in page and "active" in page and "Walter Cruz" in page

    response = client.post(url, {"file": audio_file()})
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    assert Recording.objects.filter(session=session).count() == 1

    refused = client.post(url, {"file": audio_file(PNG, name="walter.mp3")})
    assert refused.status_code == 400 and "image/png" in refused.content.decode()


def test_the_upload_page_warns_and_refuses_without_consent(media, session, staff, client_for):
    client = client_for(staff["caseworker"])
    url = f"/sessions/{session.pk}/recordings/new"
    assert "There is no active consent to recording" in client.get(url).content.decode()
    refused = client.post(url, {"file": audio_file()})
    assert refused.status_code == 400
    assert "Walter Cruz has no active consent to audio recording" in refused.content.decode()


def test_the_upload_page_of_a_group_session_explains(media, resident, admit, staff, client_for):
    other = admit(given_name="Dana", family_name="Reyes")
    group = make_session(staff["caseworker"], [resident, other], kind=SessionKind.GROUP)
    client = client_for(staff["caseworker"])
    page = client.get(f"/sessions/{group.pk}/recordings/new")
    assert page.status_code == 200 and "voices of other residents" in page.content.decode()
    assert b'type="file"' not in page.content
    refused = client.post(f"/sessions/{group.pk}/recordings/new", {"file": audio_file()})
    assert refused.status_code == 400 and not Recording.objects.exists()


@pytest.mark.parametrize("who", ["caseworker_other", "contractor"])
def test_the_upload_page_is_forbidden_off_the_care_team(media, session, staff, client_for, who):
    assert client_for(staff[who]).get(f"/sessions/{session.pk}/recordings/new").status_code == 403
    assert Entry.objects.filter(actor=staff[who], outcome="denied").exists()


def test_an_unknown_session_is_a_404(media, staff, client_for, db):
    response = client_for(staff["caseworker"]).get("/sessions/999999/recordings/new")
    assert response.status_code == 404
