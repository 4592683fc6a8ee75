"""Secrets never come from the source code: the session key and the pseudonym key are made at
first run into the data directory (owner-only, one key however many processes start at once),
and each does only its own job."""

import concurrent.futures
import os
import stat
import subprocess
import sys
from pathlib import Path

from django.core import signing

from homecoming.core import keyfiles
from homecoming.encounters import recordings
from homecoming.sharing import exports

from ..encounters.test_recordings_playback import audio, media, open_player, recording  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def test_no_demo_key_anywhere_in_the_source_or_the_docs():
    found = subprocess.run(
        ["git", "grep", "-n", "-i", "demo-only-insecure", "--", "src", "docs", "README.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert found.stdout == ""


def test_a_key_file_is_made_once_owner_only_and_read_back(tmp_path):
    path = tmp_path / "data" / "secret.key"
    key = keyfiles.read_or_create(path)
    assert len(key) == keyfiles.KEY_LENGTH and len(set(key)) > 20
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keyfiles.read_or_create(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temporary file left
    assert keyfiles.read_or_create(tmp_path / "other.key") != key


def test_processes_racing_for_the_first_key_agree(tmp_path):
    path = tmp_path / "secret.key"
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        keys = set(pool.map(lambda _: keyfiles.read_or_create(path), range(64)))
    assert keys == {path.read_text().strip()}


def _settings_keys(env) -> str:
    code = (
        "from django.conf import settings;"
        "print(settings.SECRET_KEY, settings.HOMECOMING_PSEUDONYM_KEY)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout


def test_two_settings_loads_started_together_agree_on_both_keys(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    env |= {"DJANGO_SETTINGS_MODULE": "homecoming.settings", "HOMECOMING_DATA_DIR": str(tmp_path)}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        outputs = set(pool.map(lambda _: _settings_keys(env), range(4)))
    assert len(outputs) == 1
    secret, pseudonym_key = outputs.pop().split()
    assert secret == (tmp_path / "secret.key").read_text().strip()
    assert pseudonym_key == (tmp_path / "pseudonym.key").read_text().strip()
    assert secret != pseudonym_key
    for name in ("secret.key", "pseudonym.key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    # A key given in the environment wins, and no file is needed for it.
    env["HOMECOMING_SECRET_KEY"] = "k" * 10 + "from-the-environment-0123456789abcdefghij"
    assert _settings_keys(env).split()[0] == env["HOMECOMING_SECRET_KEY"]


def test_a_damaged_key_file_stops_the_start_saying_which(tmp_path):
    (tmp_path / "secret.key").write_text("")  # emptied by a full disk, say: never replaced
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    env |= {"DJANGO_SETTINGS_MODULE": "homecoming.settings", "HOMECOMING_DATA_DIR": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.SECRET_KEY"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    assert "HOMECOMING_SECRET_KEY is not set and" in run.stderr
    assert f"{tmp_path / 'secret.key'} is empty" in run.stderr
    assert (tmp_path / "secret.key").read_text() == ""


def test_an_audio_token_signed_with_another_key_is_refused(recording, staff, client_for):  # noqa: F811
    client = client_for(staff["caseworker"])
    _, src = open_player(client, recording)
    assert client.get(src).status_code == 200
    claim = {"user": staff["caseworker"].pk, "recording": recording.pk}
    # Exactly the claim the application would sign, signed with a key from elsewhere (the
    # source code, say): refused.
    forged = signing.dumps(claim, key="demo-only-a-key-anyone-has", salt=recordings.TOKEN_SALT)
    response = client.get(f"/recordings/{recording.pk}/audio?t={forged}")
    assert response.status_code == 403


def test_a_new_session_key_voids_the_audio_tokens_made_with_the_old(
    recording,  # noqa: F811
    staff,
    client_for,
    settings,
):
    client = client_for(staff["caseworker"])
    _, src = open_player(client, recording)
    settings.SECRET_KEY = keyfiles.new_key()
    settings.SECRET_KEY_FALLBACKS = []
    client = client_for(staff["caseworker"])  # the old session is void too
    assert client.get(src).status_code == 403


def test_pseudonyms_survive_a_new_session_key_and_follow_the_pseudonym_key(settings):
    before = exports.pseudonym("sleep-study", 42)
    settings.SECRET_KEY = keyfiles.new_key()
    assert exports.pseudonym("sleep-study", 42) == before
    settings.HOMECOMING_PSEUDONYM_KEY = keyfiles.new_key()
    assert exports.pseudonym("sleep-study", 42) != before
