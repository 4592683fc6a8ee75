"""The `homecoming` command: clear errors and non-zero exits for bad input."""

import io

import pytest

from homecoming import cli
from homecoming.accounts.models import ApiToken, User
from tests.support.databases import both_databases, isolated_env, postgres_url
from tests.support.races import homecoming


def run(argv, monkeypatch, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(argv)


def test_createuser_with_password_on_stdin(db, monkeypatch, capsys):
    code = run(
        [
            "createuser",
            "--role",
            "clinician",
            "--username",
            "nina",
            "--full-name",
            "Nina Park",
            "--prescriber",
            "--password-stdin",
        ],
        monkeypatch,
        "a long enough passphrase\n",
    )
    assert code == 0 and "Created clinician nina" in capsys.readouterr().out
    user = User.objects.get(username="nina")
    assert user.is_prescriber and user.check_password("a long enough passphrase")


@pytest.mark.parametrize(
    "argv, stdin, message",
    [
        (
            ["--role", "caseworker", "--username", "x", "--full-name", "X", "--password-stdin"],
            "short\n",
            "too short",
        ),
        (
            [
                "--role",
                "caseworker",
                "--username",
                "x",
                "--full-name",
                "X",
                "--medical-lead",
                "--password-stdin",
            ],
            "a long enough passphrase\n",
            "Only a clinician",
        ),
        (["--role", "caseworker", "--username", "x", "--full-name", "X"], "", "--password-stdin"),
    ],
)
def test_createuser_refuses_bad_input(db, monkeypatch, capsys, argv, stdin, message):
    assert run(["createuser", *argv], monkeypatch, stdin) == 2
    assert message in capsys.readouterr().err
    assert not User.objects.filter(username="x").exists()


def test_createuser_unknown_role_is_a_usage_error(db, monkeypatch):
    with pytest.raises(SystemExit) as exc:
        run(["createuser", "--role", "wizard", "--username", "x", "--full-name", "X"], monkeypatch)
    assert exc.value.code == 2


def test_token_create_and_revoke(staff, monkeypatch, capsys):
    assert (
        run(["token", "create", "--username", "caseworker", "--name", "EHR bridge"], monkeypatch)
        == 0
    )
    clear = capsys.readouterr().out.strip()
    token = ApiToken.objects.get()
    assert clear.startswith("hc_") and len(clear) > 40
    import hashlib

    assert token.digest == hashlib.sha256(clear.encode()).hexdigest()  # only the hash is kept
    assert not ApiToken.objects.filter(digest__contains=clear[3:12]).exists()
    assert run(["token", "revoke", token.prefix], monkeypatch) == 0
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert run(["token", "create", "--username", "nobody", "--name", "x"], monkeypatch) == 2
    assert run(["token", "revoke", "nope"], monkeypatch) == 2


@pytest.mark.parametrize("size", ["0", "501"])
def test_demo_rejects_a_nonsense_size(db, monkeypatch, capsys, size):
    assert run(["demo", "--residents", size, "--quiet"], monkeypatch) == 2
    assert "from 1 to 500" in capsys.readouterr().err


def test_demo_code_for_an_unknown_account(db, monkeypatch, capsys):
    assert run(["demo-code", "ghost"], monkeypatch) == 2
    assert "not a demo account" in capsys.readouterr().err


def test_a_wrong_setting_is_named_without_a_traceback(tmp_path):
    """The settings refuse an unknown e-mail scheme at start-up; the operator reads which."""
    import subprocess
    import sys

    from tests.support.databases import isolated_env

    env, cleanup = isolated_env(tmp_path / "data")
    env["HOMECOMING_EMAIL_URL"] = "gopher://mail.example"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "homecoming.cli", "alerts", "status"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        cleanup()
    assert done.returncode == 2
    assert "HOMECOMING_EMAIL_URL" in done.stderr and "gopher" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_new_data_folder_is_the_owners_alone(tmp_path):
    import stat
    import subprocess
    import sys

    from tests.support.databases import isolated_env

    env, cleanup = isolated_env(tmp_path / "data")
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "homecoming.cli", "migrate"], env=env, check=True, timeout=300
    )
    cleanup()
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


@pytest.mark.skipif(postgres_url() is None, reason="needs PostgreSQL (DATABASE_URL)")
def test_migrate_makes_a_fresh_postgres_database(tmp_path):
    """The PostgreSQL run's own `homecoming migrate` on an empty database (the tests above and
    the docs' commands run it on SQLite; the race tests start from a migrated copy)."""
    env, drop = isolated_env(tmp_path / "data", database="postgres")
    try:
        done = homecoming(env)("migrate")
    finally:
        drop()
    assert done.returncode == 0, done.stderr
    assert "Database is up to date." in done.stdout


@pytest.mark.parametrize("database", both_databases())
def test_a_migrated_copy_has_nothing_left_to_migrate(tmp_path, database):
    """isolated_env(migrated=True) hands out copies of a database `homecoming migrate` made once:
    each as migrated as a fresh run leaves one, in a data folder with keys of its own."""
    envs = [isolated_env(tmp_path / name, database=database, migrated=True) for name in "ab"]
    try:
        done = homecoming(envs[0][0])("manage", "migrate", "--check")
    finally:
        for _, drop in envs:
            drop()
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("secret.key", "pseudonym.key"):
        assert (tmp_path / "a" / name).read_text() != (tmp_path / "b" / name).read_text()
