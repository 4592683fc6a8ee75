"""The production server for real (`homecoming serve`: gunicorn and the worker) on a database of
its own: what its access log keeps, and how it answers while its database is lost and after it
comes back. PostgreSQL is lost by cutting a TCP relay the server connects through; SQLite by
putting a directory where the database file was (the tests run as root, for whom no file mode
would do)."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.databases import both_databases, isolated_env

HOMECOMING = [sys.executable, "-m", "homecoming.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    """A TCP relay to the PostgreSQL server that can be cut (every connection dropped, new
    ones refused) and restored on the same port."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream, self.port = upstream, _free_port()
        self.sockets: list[socket.socket] = []
        self.listener = None
        self.restore()

    def restore(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(32)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self):
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (Linux)
        self.listener.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self.sockets.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def get(url, headers=None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wait_for(predicate, what, timeout=180):
    # Generous: a wait, not a measure of speed. The machine is shared (the suite runs a worker
    # per core beside this server), and a server that never comes up still fails.
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.3)


@pytest.fixture(params=both_databases())
def served(request, tmp_path):
    """A served center on SQLite or PostgreSQL: its URL, an API token, its log, and `lose()` /
    `restore()` for its database."""
    data_dir = tmp_path / "data"
    env, drop = isolated_env(data_dir, database=request.param, migrated=True)
    for name in list(env):
        if name.startswith("HOMECOMING_") and name != "HOMECOMING_DATA_DIR":
            del env[name]

    def homecoming(*args, stdin=None):
        return subprocess.run(
            [*HOMECOMING, *args], env=env, input=stdin, text=True, capture_output=True,
            check=True, timeout=300,
        ).stdout  # fmt: skip

    relay = None
    if request.param == "postgres":
        host, port = env["DATABASE_URL"].split("@", 1)[1].split("/", 1)[0].split(":")
        relay = Relay((host, int(port)))
        env["DATABASE_URL"] = env["DATABASE_URL"].replace(f":{port}/", f":{relay.port}/", 1)
    homecoming("ledger", "keygen", "--name", "center.example.org/ledger")
    homecoming(
        "createuser", "--role", "caseworker", "--username", "casey", "--full-name", "Casey Case",
        "--password-stdin", stdin="a long enough passphrase\n",
    )  # fmt: skip
    token = homecoming("token", "create", "--username", "casey", "--name", "monitor").strip()
    port = _free_port()
    log_path = data_dir / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 (open for the server's lifetime)
    server = subprocess.Popen(
        [*HOMECOMING, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def ready():
        if server.poll() is not None:
            pytest.fail("The server stopped:\n" + log_path.read_text())
        try:
            return get(f"{url}/readyz")[0] == 200
        except OSError:
            return False

    database = Path(str(data_dir / "homecoming.sqlite3"))
    aside = data_dir / "aside.sqlite3"

    def lose():
        if relay:
            relay.cut()
        else:
            database.rename(aside)
            database.mkdir()

    def restore():
        if relay:
            relay.restore()
        else:
            database.rmdir()
            aside.rename(database)

    try:
        wait_for(ready, "the server to be ready")
        yield type(
            "Served",
            (),
            {"url": url, "token": token, "log": log_path, "lose": lose, "restore": restore,
             "ready": ready, "database": request.param},
        )  # fmt: skip
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()
        if relay:
            relay.cut()
        drop()


def test_a_searched_name_stays_out_of_the_access_log(served):
    status, _, _ = get(
        f"{served.url}/residents/?q=Cruz+Walter",
        headers={"Referer": f"{served.url}/residents/?q=Ana+Cruz", "User-Agent": "test-agent"},
    )
    assert status == 302  # not logged in: sent to the log-in page
    status, _, _ = get(f"{served.url}/api/v1/residents?q=Walter")
    assert status == 401

    def logged():
        text = served.log.read_text()
        return "GET /residents/ HTTP/1.1" in text and "GET /api/v1/residents HTTP/1.1" in text

    wait_for(logged, "the access log lines")
    text = served.log.read_text()
    assert "Walter" not in text and "Cruz" not in text and "?q=" not in text
    line = next(x for x in text.splitlines() if "GET /residents/ HTTP/1.1" in x)
    assert '"GET /residents/ HTTP/1.1" 302' in line and '"test-agent"' in line


def test_with_its_database_lost_the_server_answers_503_and_recovers(served):
    auth = {"Authorization": f"Bearer {served.token}"}
    status, _, body = get(f"{served.url}/api/v1/residents", headers=auth)
    assert status == 200 and json.loads(body)["items"] == []  # working: a new center, none yet

    served.lose()
    status, headers, body = get(f"{served.url}/api/v1/residents", headers=auth)
    assert status == 503 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"detail": "The database cannot be reached. Try again in a minute."}
    status, headers, body = get(f"{served.url}/login/")
    assert status == 503 and headers["Content-Type"].startswith("text/html")
    assert "Homecoming cannot reach its database" in body and "Traceback" not in body
    status, _, body = get(f"{served.url}/readyz")
    assert status == 503
    checks = json.loads(body)["checks"]
    assert "cannot be reached" in checks["database"]["problem"]
    assert checks["ledger_key"] == {"ok": True} and checks["worker"] == {"ok": True}
    assert get(f"{served.url}/healthz")[0] == 200  # the process itself still answers

    served.restore()
    wait_for(served.ready, "the server to be ready again")
    status, _, body = get(f"{served.url}/api/v1/residents", headers=auth)
    assert status == 200 and json.loads(body)["items"] == []
    status, _, body = get(f"{served.url}/login/")
    assert status == 200 and "Log in" in body
