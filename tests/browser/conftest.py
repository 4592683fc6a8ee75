"""A real Homecoming server for the browser tests, and Debian's Chromium driven by Playwright.

The server is the production one (`homecoming serve`, gunicorn) on a free loopback port, against
a database of its own: a temporary SQLite file, or, when DATABASE_URL names PostgreSQL, a fresh
database on that server that is dropped afterwards. It holds a small demo center."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.databases import isolated_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HOMECOMING = [sys.executable, "-m", "homecoming.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(env, log_path: Path):
    """`homecoming serve` (gunicorn and its worker) on a free port with `env`, until the block
    ends; yields its base URL once it answers. A server that does not start fails the test with
    its log."""
    port = _free_port()
    log = open(log_path, "w")  # noqa: SIM115 (open for the server's lifetime)
    server = subprocess.Popen(
        [*HOMECOMING, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    # A wait, not a measure: the suite's other worker shares the cores while the server starts.
    deadline = time.monotonic() + 240
    while True:
        try:
            urllib.request.urlopen(f"{url}/login/", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                log.close()
                pytest.fail("The server did not start:\n" + log_path.read_text())
            time.sleep(0.3)
    try:
        yield url
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def center(tmp_path_factory):
    """Base URL of a served demo center, and a helper to run `homecoming` against its database."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium).")
    data_dir = tmp_path_factory.mktemp("center")
    env, drop = isolated_env(data_dir, database="same", migrated=True)

    def homecoming(*args, stdin=None):
        return subprocess.run(
            [*HOMECOMING, *args],
            env=env,
            input=stdin,
            text=True,
            capture_output=True,
            check=True,
            timeout=300,
        ).stdout

    homecoming("demo", "--residents", "6", "--quiet")
    try:
        with serving(env, data_dir / "server.log") as url:
            yield url, homecoming
    finally:
        drop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


# The demo's residents with a portal log-in: a resident logs in with a password alone.
RESIDENTS = ("walter", "dana", "daniel")

# The TOTP time step each demo account last logged in with: django-otp refuses a code used
# twice, so a second log-in by the same person waits for the next code, as a person would.
_last_step = {}


@pytest.fixture
def log_in(center):
    """Log a demo person in on `page`; staff with their current authenticator code."""
    url, homecoming = center

    def do(page, username, password="homecoming-demo"):
        page.goto(f"{url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        if username in RESIDENTS:
            return
        while int(time.time()) // 30 <= _last_step.get(username, -1):
            time.sleep(1)
        code = homecoming("demo-code", username).strip()
        # The code is for the step when the command ran, which may already be past the step
        # read before it: note the later one, so the next log-in never reuses this code.
        _last_step[username] = int(time.time()) // 30
        page.get_by_label("Six-digit code").fill(code)
        page.get_by_role("button", name="Log in").click()

    return do


@pytest.fixture
def shoot(page):
    """Save a named screenshot of the current page (for people to look at)."""

    def take(name):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def open_chart():
    """From a member of staff's home, open a resident's chart through the caseload list (the
    home also lists residents in worklists, e.g. "Safety plans due", whose links go elsewhere)."""

    def do(page, name):
        caseload = page.get_by_role(
            "region", name=re.compile("Residents (on your care team|with an open stay)")
        )
        caseload.get_by_role("link", name=name).first.click()
        page.get_by_role("heading", name=re.compile(name)).first.wait_for()

    return do
