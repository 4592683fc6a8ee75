"""/healthz and /readyz, the worker's heartbeat, and the answers while the database is lost:
JSON 503 for the API, a plain 503 page for people, and no traceback page for anyone."""

import contextlib
import datetime as dt
import json

import pytest
import time_machine
from django.db import InterfaceError, OperationalError
from django.test import Client

from homecoming.core import readiness, worker


@pytest.fixture
def heartbeat(settings, tmp_path):
    settings.HOMECOMING_WORKER_HEARTBEAT = str(tmp_path / "worker.heartbeat")
    return tmp_path / "worker.heartbeat"


def test_healthz_answers_without_a_log_in_or_the_database(client, monkeypatch):
    monkeypatch.setattr(readiness, "readiness", lambda: pytest.fail("healthz checks nothing"))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert (
        response["Cache-Control"].startswith("max-age=0")
        and "no-store" in response["Cache-Control"]
    )


def test_readyz_is_ready_with_database_migrations_ledger_key_and_a_recent_worker(
    client, ledger_key, heartbeat, db
):
    readiness.beat()
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ready"] is True
    assert set(body["checks"]) == {"database", "migrations", "ledger_key", "worker"}
    assert all(check == {"ok": True} for check in body["checks"].values())


def test_readyz_is_503_naming_a_missing_ledger_key_and_a_worker_that_never_ran(
    client, settings, tmp_path, heartbeat, db
):
    settings.HOMECOMING_LEDGER_KEY = str(tmp_path / "nowhere.key")
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": True} and checks["migrations"] == {"ok": True}
    assert "homecoming ledger keygen" in checks["ledger_key"]["problem"]
    assert "no worker has run here yet" in checks["worker"]["problem"]


def test_a_worker_that_stopped_makes_the_center_not_ready(
    client, ledger_key, heartbeat, settings, db
):
    settings.HOMECOMING_WORKER_STALE_SECONDS = 120
    with time_machine.travel("2026-03-01 12:00:00Z", tick=False) as clock:
        readiness.beat()
        clock.shift(119)
        assert client.get("/readyz").status_code == 200
        clock.shift(2)
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["problem"] == (
        "the worker's last round was 121 s ago (more than 120 s)"
    )


def test_pending_migrations_make_the_center_not_ready(
    client, ledger_key, heartbeat, monkeypatch, db
):
    readiness.beat()
    monkeypatch.setattr(readiness, "pending_migrations", lambda: ["residents.0099_new_things"])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert (
        "lacks 1 migration(s) (residents.0099_new_things)"
        in (response.json()["checks"]["migrations"]["problem"])
    )


@pytest.fixture
def keep_connection(monkeypatch):
    """The worker closes its connection every round (a long-lived process); a test's transaction
    needs it open (on PostgreSQL, closing it would end the test's transaction)."""
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)


def test_the_worker_writes_its_heartbeat_every_round(
    ledger_key, heartbeat, db, capsys, keep_connection
):
    with time_machine.travel("2026-03-01 12:00:00Z", tick=False):
        worker.run(once=True)
        assert readiness.heartbeat_age() == 0
    written, pid = heartbeat.read_text().split()
    assert float(written) == dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC).timestamp()
    assert int(pid) > 0
    assert not list(heartbeat.parent.glob(".worker.heartbeat*"))  # replaced atomically


def test_a_damaged_heartbeat_counts_as_no_worker(heartbeat):
    heartbeat.write_text("not a time")
    assert readiness.heartbeat_age() is None


# --- the database lost -----------------------------------------------------------------------


@contextlib.contextmanager
def database_down():
    """Every new cursor fails as it does when the server is gone (the suite's own transaction
    stays open underneath, and works again when the block ends)."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    def lost(self, *args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "cursor", lost)
        yield


@pytest.fixture
def browser_client():
    return Client(raise_request_exception=False)


def test_with_the_database_down_pages_answer_a_plain_503_and_recover(
    browser_client, staff, client_for
):
    clients = [browser_client, client_for(staff["caseworker"])]
    for client in clients:
        client.raise_request_exception = False
    with database_down():
        # (Someone not logged in who asks for "/" is sent to the log-in page without a query.)
        for client, path in [
            (clients[0], "/login/"),
            (clients[1], "/"),
            (clients[1], "/residents/?q=Cruz"),
            (clients[1], "/login/"),
        ]:
            response = client.get(path)
            assert response.status_code == 503, path
            page = response.content.decode()
            assert "cannot reach its database" in page
            assert "Traceback" not in page and "OperationalError" not in page
            assert response["Retry-After"] == "30"
            assert "no-store" in response["Cache-Control"]
    # The database is back: the same clients (the logged-in one still logged in) go on.
    assert browser_client.get("/login/").status_code == 200
    assert clients[1].get("/residents/?q=Cruz").status_code == 200


def test_with_the_database_down_the_api_answers_json_503_and_recovers(staff, api_for):
    api = api_for(staff["caseworker"])
    api.raise_request_exception = False
    with database_down():
        response = api.get("/api/v1/residents")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "detail": "The database cannot be reached. Try again in a minute."
    }
    assert api.get("/api/v1/residents").status_code == 200


def test_a_broken_connection_is_a_503_too(monkeypatch, staff, client_for):
    from homecoming.residents import selectors

    def broken(*args, **kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(selectors, "search", broken)
    client = client_for(staff["caseworker"])
    client.raise_request_exception = False
    response = client.get("/residents/?q=Cruz")
    assert response.status_code == 503 and "cannot reach its database" in response.content.decode()


def test_readyz_with_the_database_down_says_so_in_json(browser_client, ledger_key, heartbeat, db):
    readiness.beat()
    with database_down():
        response = browser_client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert "cannot be reached: connection to server at 127.0.0.1" in checks["database"]["problem"]
    assert checks["migrations"]["problem"] == "not checked: the database cannot be reached"
    assert checks["ledger_key"] == {"ok": True} and checks["worker"] == {"ok": True}


def test_a_bug_is_still_a_500_not_a_503(browser_client, monkeypatch, staff, client_for):
    from homecoming.residents import selectors

    def bug(*args, **kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr(selectors, "search", bug)
    client = client_for(staff["caseworker"])
    client.raise_request_exception = False
    response = client.get("/residents/?q=Cruz")
    assert response.status_code == 500 and "Something went wrong" in response.content.decode()


def test_the_database_is_named_without_its_password():
    db = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "homecoming",
        "HOST": "db.internal",
        "PORT": 5433,
        "PASSWORD": "s3cret",
    }
    assert readiness.database_name(db) == "homecoming on db.internal:5433"


def test_a_heartbeat_that_cannot_be_written_does_not_stop_the_worker(
    ledger_key, settings, tmp_path, db, capsys, keep_connection
):
    (tmp_path / "a-file").write_text("")
    settings.HOMECOMING_WORKER_HEARTBEAT = str(tmp_path / "a-file" / "worker.heartbeat")
    worker.run(once=True)
    out = capsys.readouterr().out
    assert "worker: ledger: nothing to do" in out
    assert "cannot write the heartbeat" in out
