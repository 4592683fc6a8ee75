"""`homecoming check --deploy`, and `serve` / `worker` refusing a database that is unreachable
or not migrated: each run in a process of its own, since the settings come from the environment."""

import subprocess
import sys

import pytest

from tests.support.databases import isolated_env

HOMECOMING = [sys.executable, "-m", "homecoming.cli"]


@pytest.fixture
def env(tmp_path):
    """A data folder of its own on SQLite, no HOMECOMING_* setting from outside."""
    env, cleanup = isolated_env(tmp_path / "data", database="sqlite")
    for name in list(env):
        if name.startswith("HOMECOMING_") and name != "HOMECOMING_DATA_DIR":
            del env[name]
    yield env
    cleanup()


def homecoming(env, *args, **extra):
    return subprocess.run(
        [*HOMECOMING, *args], env=env | extra, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {"HOMECOMING_HTTPS": "1", "HOMECOMING_ALLOWED_HOSTS": "center.example.org"}


def test_check_deploy_passes_with_production_settings(env):
    assert (
        homecoming(env, "ledger", "keygen", "--name", "center.example.org/ledger").returncode == 0
    )
    run = homecoming(env, "check", "--deploy", **PRODUCTION)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == "No problem found with the production settings."


def test_check_deploy_names_every_problem_of_the_demo_settings(env):
    run = homecoming(env, "check", "--deploy", HOMECOMING_DEBUG="1")
    assert run.returncode == 2
    for problem in (
        "[homecoming.E001] HOMECOMING_HTTPS is not 1",
        "[homecoming.E004] HOMECOMING_DEBUG is on",
        "[homecoming.E005] HOMECOMING_ALLOWED_HOSTS is not set",
        "[homecoming.W001] No checkpoint can be signed",
        "[security.W004]",  # no HSTS
        "[security.W008]",  # no redirect to HTTPS
        "[security.W012]",  # session cookie not secure
        "[security.W016]",  # CSRF cookie not secure
        "[security.W018]",  # DEBUG
    ):
        assert problem in run.stdout, problem
    assert "The deployment check found 9 problem(s)" in run.stderr


@pytest.mark.parametrize(
    "extra, problem",
    [
        (
            {"HOMECOMING_SECRET_KEY": "short-and-guessable"},
            "[homecoming.E002] The secret key is weak",
        ),
        ({"HOMECOMING_SECRET_KEY": "a" * 60}, "[homecoming.E002] The secret key is weak"),
        (
            {"HOMECOMING_PSEUDONYM_KEY": "pseudonyms"},
            "[homecoming.E002] The pseudonym key is weak",
        ),
        ({"HOMECOMING_ALLOWED_HOSTS": "*"}, "[homecoming.E006]"),
        ({"HOMECOMING_ALLOWED_HOSTS": "localhost,127.0.0.1"}, "[homecoming.E005]"),
    ],
)
def test_check_deploy_refuses_each_weak_setting(env, extra, problem):
    homecoming(env, "ledger", "keygen", "--name", "center.example.org/ledger")
    run = homecoming(env, "check", "--deploy", **(PRODUCTION | extra))
    assert run.returncode == 2 and problem in run.stdout, run.stdout


def test_check_deploy_refuses_a_key_file_others_may_read(env, tmp_path):
    homecoming(env, "ledger", "keygen", "--name", "center.example.org/ledger")
    (tmp_path / "data" / "secret.key").chmod(0o644)
    run = homecoming(env, "check", "--deploy", **PRODUCTION)
    assert run.returncode == 2
    assert "[homecoming.E003] The secret key:" in run.stdout and "chmod 600" in run.stdout


def test_check_without_deploy_passes_with_the_demo_settings(env):
    run = homecoming(env, "check")
    assert run.returncode == 0 and "No problem found with the settings." in run.stdout


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker", "--once"]])
def test_serve_and_worker_refuse_a_database_without_its_migrations(env, command):
    run = homecoming(env, *command)
    assert run.returncode == 2
    assert run.stderr.startswith("homecoming: Not starting: the database ")
    assert "lacks" in run.stderr and "Run `homecoming migrate` first." in run.stderr


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker", "--once"]])
def test_serve_and_worker_refuse_a_database_they_cannot_reach(env, command):
    # A PostgreSQL server nobody listens for (port 1 on this machine).
    run = homecoming(env, *command, DATABASE_URL="postgres://homecoming@127.0.0.1:1/homecoming")
    assert run.returncode == 2
    assert run.stderr.startswith(
        "homecoming: Not starting: the database homecoming on 127.0.0.1:1 cannot be reached:"
    )
    assert "Traceback" not in run.stderr


def test_the_worker_starts_on_a_migrated_database_and_leaves_its_heartbeat(env, tmp_path):
    assert homecoming(env, "migrate").returncode == 0
    run = homecoming(env, "worker", "--once")
    assert run.returncode == 0, run.stderr
    assert "worker: ledger: nothing to do" in run.stdout
    assert (tmp_path / "data" / "worker.heartbeat").exists()
