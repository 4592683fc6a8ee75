"""Playing recordings: every opening of the player is one access on the ledger, and the audio
is served only with the token that opening minted, in byte ranges a player can seek with."""

import datetime as dt

import pytest

from homecoming.encounters import recordings
from homecoming.encounters.views_recordings import UNSATISFIABLE, byte_range
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry
from homecoming.residents import services as residents
from tests.consents.helpers import portal_login, recording_consent

from .test_recordings import audio_file, make_session, wav_bytes


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def audio():
    return wav_bytes(seconds=0.5)


@pytest.fixture
def recording(media, resident, staff, audio):
    recording_consent(staff, resident)
    session = make_session(staff["caseworker"], [resident])
    return recordings.upload(staff["caseworker"], session, audio_file(audio))


def open_player(client, recording):
    """Open the player page; return the page and the audio address it embeds."""
    page = client.get(f"/recordings/{recording.pk}/").content.decode()
    start = page.index(f'src="/recordings/{recording.pk}/audio?t=') + len('src="')
    return page, page[start : page.index('"', start)]


def body(response) -> bytes:
    # Reading the stream to its end closes the response (and its file), as a server would.
    return b"".join(response.streaming_content)


# --- the player ---------------------------------------------------------------------------------


def test_each_opening_of_the_player_is_one_recorded_play(recording, resident, staff, client_for):
    client = client_for(staff["clinician"])
    page, src = open_player(client, recording)
    assert "<audio controls" in page and recording.sha256 in page
    open_player(client, recording)
    plays = Entry.objects.filter(action="recording.play", outcome="allowed")
    assert plays.count() == 2
    expected = ledger.current_version_hashes("encounters.recording", [recording.pk])
    for play in plays:
        assert (play.actor, play.resident_id, play.object_id) == (
            staff["clinician"],
            resident.pk,
            str(recording.pk),
        )
        assert play.version_sha256 == expected[str(recording.pk)]


def test_fetching_the_audio_adds_no_entries(recording, staff, client_for):
    client = client_for(staff["caseworker"])
    _, src = open_player(client, recording)
    before = Entry.objects.count()
    for range_header in (None, "bytes=0-99", "bytes=100-"):
        headers = {"Range": range_header} if range_header else {}
        body(client.get(src, headers=headers))
    assert Entry.objects.count() == before


@pytest.mark.parametrize("who", ["caseworker_other", "clinician_other", "contractor", "oversight"])
def test_playing_is_denied_off_the_care_team(recording, resident, staff, client_for, who):
    response = client_for(staff[who]).get(f"/recordings/{recording.pk}/")
    assert response.status_code == 403 and "<audio" not in response.content.decode()
    entry = Entry.objects.get(actor=staff[who])
    assert (entry.action, entry.outcome, entry.resident_id) == (
        "recording.play",
        "denied",
        resident.pk,
    )


def test_the_resident_does_not_play_recordings(recording, resident, make_user, client_for):
    walter = portal_login(make_user, resident)
    assert client_for(walter.user).get(f"/recordings/{recording.pk}/").status_code == 403
    assert Entry.objects.filter(
        actor=walter.user, action="recording.play", outcome="denied"
    ).exists()


def test_an_unknown_recording_is_a_404_and_recorded(media, staff, client_for, db):
    response = client_for(staff["supervisor"]).get("/recordings/999999/")
    assert response.status_code == 404
    entry = Entry.objects.get(actor=staff["supervisor"])
    assert (entry.action, entry.outcome, entry.object_id) == ("recording.play", "denied", "999999")


# --- the audio and its ranges -------------------------------------------------------------------


def test_without_a_range_the_whole_file(recording, staff, client_for, audio):
    client = client_for(staff["caseworker"])
    _, src = open_player(client, recording)
    response = client.get(src)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Length"] == str(len(audio))
    assert body(response) == audio


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),  # the first 100 bytes
        ("bytes=-100", "end-100", "end"),  # the last 100
        ("bytes=100-", 100, "end"),  # from byte 100 on
        ("bytes=5000-999999999", 5000, "end"),  # a range past the end is cut at the end
    ],
)
def test_a_range_is_a_206_with_exactly_those_bytes(
    recording, staff, client_for, audio, header, first, last
):
    end = len(audio) - 1
    first = end + 1 - 100 if first == "end-100" else first
    last = end if last == "end" else last
    client = client_for(staff["caseworker"])
    _, src = open_player(client, recording)
    response = client.get(src, headers={"Range": header})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(audio)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Cache-Control"] == "no-store"
    assert body(response) == audio[first : last + 1]


def test_a_range_past_the_end_is_a_416(recording, staff, client_for, audio):
    client = client_for(staff["caseworker"])
    _, src = open_player(client, recording)
    response = client.get(src, headers={"Range": f"bytes={len(audio)}-"})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(audio)}"


def test_several_ranges_get_the_whole_file(recording, staff, client_for, audio):
    client = client_for(staff["caseworker"])
    _, src = open_player(client, recording)
    response = client.get(src, headers={"Range": "bytes=0-9,20-29"})
    assert response.status_code == 200 and body(response) == audio


def test_if_range_with_another_version_gets_the_whole_file(recording, staff, client_for, audio):
    client = client_for(staff["caseworker"])
    _, src = open_player(client, recording)
    stale = client.get(src, headers={"Range": "bytes=0-9", "If-Range": '"not-this-one"'})
    assert stale.status_code == 200 and body(stale) == audio
    fresh = client.get(src, headers={"Range": "bytes=0-9", "If-Range": stale["ETag"]})
    assert fresh.status_code == 206 and body(fresh) == audio[:10]


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 1000, None),
        ("bytes=0-0", 1000, (0, 0)),
        ("bytes=999-", 1000, (999, 999)),
        ("bytes=-2000", 1000, (0, 999)),  # more than the file: all of it
        ("bytes=-0", 1000, UNSATISFIABLE),
        ("bytes=1000-1001", 1000, UNSATISFIABLE),
        ("bytes=1000-", 1000, UNSATISFIABLE),
        ("bytes=0-", 0, UNSATISFIABLE),  # nothing to send from an empty file
        ("bytes=-5", 0, UNSATISFIABLE),
        ("bytes=5-2", 1000, None),  # not a valid range: ignored
        ("bytes=abc", 1000, None),
        ("bytes=-", 1000, None),
        ("items=0-5", 1000, None),  # another unit: ignored
        ("bytes = 0-5", 1000, (0, 5)),
    ],
)
def test_range_headers(header, size, expected):
    assert byte_range(header, size) == expected


# --- the token ----------------------------------------------------------------------------------


def test_the_audio_needs_the_token(recording, staff, client_for):
    client = client_for(staff["caseworker"])
    assert client.get(f"/recordings/{recording.pk}/audio").status_code == 403
    assert client.get(f"/recordings/{recording.pk}/audio?t=forged").status_code == 403


def test_a_token_opened_for_someone_else_is_refused_and_recorded(
    recording, resident, staff, client_for
):
    _, src = open_player(client_for(staff["caseworker"]), recording)
    # The supervisor could play it too, but this link was minted for the caseworker.
    response = client_for(staff["supervisor"]).get(src)
    assert response.status_code == 403
    entry = Entry.objects.get(actor=staff["supervisor"], action="recording.play")
    assert (entry.action, entry.outcome, entry.resident_id) == (
        "recording.play",
        "denied",
        resident.pk,
    )


def test_a_token_for_another_recording_is_refused(recording, resident, staff, client_for):
    client = client_for(staff["caseworker"])
    session = make_session(staff["caseworker"], [resident])
    other = recordings.upload(staff["caseworker"], session, audio_file())
    _, src = open_player(client, recording)
    token = src.split("?t=")[1]
    assert client.get(f"/recordings/{other.pk}/audio?t={token}").status_code == 403


def test_an_expired_token_is_refused(recording, staff, client_for, monkeypatch):
    client = client_for(staff["caseworker"])
    _, src = open_player(client, recording)
    monkeypatch.setattr(recordings, "TOKEN_MAX_AGE", dt.timedelta(seconds=-1))
    response = client.get(src)
    assert response.status_code == 403 and "expired" in response.content.decode()


def test_a_token_stops_working_when_the_policy_no_longer_allows(
    recording, resident, staff, client_for
):
    client = client_for(staff["caseworker"])
    _, src = open_player(client, recording)
    allowed = client.get(src)
    assert allowed.status_code == 200 and body(allowed)
    residents.assign_care_team(
        staff["supervisor"], resident, "primary_caseworker", staff["caseworker_other"]
    )
    assert client.get(src).status_code == 403
    refused = Entry.objects.filter(actor=staff["caseworker"], outcome="denied").latest("seq")
    assert (refused.action, refused.resident_id) == ("recording.play", resident.pk)
