"""Load test: the center's pages under a realistic mix of users, on PostgreSQL.

    .venv/bin/python bench/load.py [--seconds 60] [--users 10,25,50] [--workers 2] [--threads 1]
                                   [--residents 200] [--warmup 10] [--compare 20] [--keep] [--reuse]

Needs the `bench` extra (locust). What it does, in one run:

1. creates a fresh PostgreSQL database (the server and name in DATABASE_URL, or
   postgres://postgres@127.0.0.1:5432/hc_load), migrates it and loads the demo center with
   `--residents` residents through the demo builder (so the ledger is a real, valid one), and
   gives a portal log-in to some residents through the residents' service;
2. logs the simulated people in by creating their sessions the way the log-in view does
   (Django's login() and, for staff, django-otp's otp_login() with their demo authenticator):
   a TOTP code can be used only once, so fifty browsers cannot each type the same account's
   code within one 30-second step; the pages after the log-in are what this measures;
3. starts gunicorn on 127.0.0.1 (`--workers`, `--threads`), then for each number of users runs
   locust as a library (no web UI) for `--seconds`, with this mix:
   caseworkers (home, a resident's chart, timeline, notes), nurses (the medication round, a
   dose given from it), residents (their record, their questionnaires), the supervisor (home),
   and a trivial logged-in page (the change-password form) to compare the chart against;
4. prints per step: requests/s, p50/p95/p99 per page, errors, and ledger entries appended per
   page view (ledger_entry rows over the requests), the residents those entries account for
   (one per entry about a resident, each resident a list entry names) beside the residents the
   pages showed; then (`--compare`) the chart's throughput as a fraction of the trivial page's,
   each measured alone: the server saturated by the first step's number of users asking for
   that page only, without pause;
5. stops the server and drops the database (`--keep` keeps it, and `--reuse` runs on a kept
   one without building it again).
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/hc_load"
PORTAL_RESIDENTS = 20  # residents given a portal log-in for the resident users
# The share of each kind of user in the mix (locust weights).
WEIGHTS = {"caseworker": 4, "nurse": 2, "resident": 2, "supervisor": 1, "trivial": 1}
CASEWORKERS = ["heidi", "caseworker2", "caseworker3"]


# --------------------------------------------------------------------------------- database


def _admin_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _exists(url: str) -> bool:
    import psycopg

    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [_database_name(url)]
        ).fetchone()
    return row is not None


def _create(url: str):
    import psycopg

    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{_database_name(url)}"')


def _drop(url: str):
    import psycopg

    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_database_name(url)}" WITH (FORCE)')


def ledger_size(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM ledger_entry").fetchone()[0]


def accounted(url: str, since: int) -> tuple[int, int]:
    """The entries appended from `since` on, and the residents they account for: one per entry
    about a resident (a look, a write), and every resident a list entry names."""
    import psycopg

    with psycopg.connect(url) as conn:
        entries, about = conn.execute(
            "SELECT count(*), count(resident_id) FROM ledger_entry WHERE seq >= %s", [since]
        ).fetchone()
        named = conn.execute(
            "SELECT count(*) FROM ledger_mention WHERE seq >= %s", [since]
        ).fetchone()[0]
    return entries, about + named


def _run(env, *args):
    subprocess.run([sys.executable, *args], env=env, check=True, cwd=ROOT)


def collect_static(env):
    _run(
        env,
        "-c",
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0)",
    )


def build(env, residents: int):
    started = time.perf_counter()
    _run(env, "-m", "homecoming.cli", "migrate")
    _run(env, "-m", "homecoming.cli", "demo", "--residents", str(residents), "--quiet")
    print(f"  demo with {residents} residents built in {time.perf_counter() - started:.0f} s")


# --------------------------------------------------------------------------------- sessions


def child_prepare(users: int):
    """In the server's environment: portal log-ins for some residents, and `users` sessions per
    kind of user. Prints them as JSON: {kind: [[session key, username], ...]}."""
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import login
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from homecoming.accounts.models import User
    from homecoming.demo.constants import DEMO_PASSWORD
    from homecoming.residents import services
    from homecoming.residents.models import Resident

    colin = User.objects.get(username="colin")
    portal = [r for r in Resident.objects.order_by("pk") if r.user_id is not None]
    for resident in Resident.objects.filter(user__isnull=True).order_by("pk"):
        if len(portal) >= PORTAL_RESIDENTS:
            break
        try:
            services.grant_portal_access(
                colin, resident, f"bench{resident.pk}", DEMO_PASSWORD, must_change_password=False
            )
        except Exception:  # a former resident, or one the rules refuse a log-in: skip them
            continue
        resident.refresh_from_db()
        portal.append(resident)
    residents = list(User.objects.filter(pk__in=[r.user_id for r in portal], is_active=True))

    engine = import_module(settings.SESSION_ENGINE)
    factory = RequestFactory()

    def session_for(user) -> str:
        request = factory.get("/")
        request.session = engine.SessionStore()
        request.user = AnonymousUser()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if user.needs_second_factor:
            otp_login(request, TOTPDevice.objects.get(user=user, confirmed=True))
        request.session.save()
        return request.session.session_key

    people = {
        "caseworker": [User.objects.get(username=u) for u in CASEWORKERS],
        "nurse": [User.objects.get(username="nurse")],
        "resident": residents,
        "supervisor": [colin],
        "trivial": [User.objects.get(username="heidi")],
    }
    out = {
        kind: [[session_for(who[i % len(who)]), who[i % len(who)].username] for i in range(users)]
        for kind, who in people.items()
    }
    print(json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "sessions": out}))


# --------------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env, workers: int, threads: int, log: Path):
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "homecoming.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],  # fmt: skip
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    import urllib.request

    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server, f"http://127.0.0.1:{port}"
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn exited before it served a page") from None
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not answer /healthz within a minute")


def stop_server(server):
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


# --------------------------------------------------------------------------------- load


RESIDENT_LINK = re.compile(r'href="/residents/(\d+)/"')  # a chart
SHOWN = re.compile(r'href="/residents/(\d+)/')  # anything about a resident (a chart, their MAR)
GIVE_LINK = re.compile(r'href="(/medications/orders/\d+/give/[^"]*)"')
INPUT = re.compile(r"<input\b[^>]*>", re.S)
SELECTED = re.compile(
    r'<select[^>]*name="([^"]+)"[^>]*>.*?<option[^>]*value="([^"]*)"[^>]*selected', re.S
)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


def _form_fields(html: str) -> dict:
    """The values a browser would submit from the page's inputs and selects (first of each)."""
    import html as html_lib

    fields = {}
    for tag in INPUT.findall(html):
        attrs = dict(ATTR.findall(tag))
        if "name" in attrs and attrs.get("type") not in ("submit", "checkbox", "radio"):
            fields.setdefault(attrs["name"], html_lib.unescape(attrs.get("value", "")))
    for name, value in SELECTED.findall(html):
        fields.setdefault(name, html_lib.unescape(value))
    return fields


def _due(link: str) -> bool:
    """A give link for an as-needed dose, or for a scheduled one from an hour before its time."""
    import datetime as dt
    from urllib.parse import parse_qs

    when = parse_qs(urlsplit(link).query).get("scheduled_for")
    if not when:
        return True
    moment = dt.datetime.fromisoformat(when[0])
    return (
        moment - dt.timedelta(hours=1) <= dt.datetime.now(dt.UTC) <= moment + dt.timedelta(hours=12)
    )


def run_step(
    host: str,
    prepared: dict,
    users: int,
    seconds: int,
    wait: tuple[float, float],
    only: str | None = None,
):
    """One locust run; returns its stats and what the pages showed. `only` ("chart" or
    "trivial"): every user asks for that page alone, with no think time (the server saturated
    with one page: its throughput)."""
    from urllib.parse import urlencode

    import gevent
    from locust import between, constant, task
    from locust.contrib.fasthttp import FastHttpUser
    from locust.env import Environment
    from requests.cookies import create_cookie

    cookie, sessions = prepared["cookie"], prepared["sessions"]
    shown = {"residents": 0, "pages": 0, "refused": 0}
    next_session = {kind: iter(keys) for kind, keys in sessions.items()}

    # FastHttpUser (geventhttpclient), not HttpUser (requests): the simulated browsers run on
    # the server's two cores, and requests costs several times more CPU per page.
    class Person(FastHttpUser):
        abstract = True
        kind = ""
        wait_time = between(*wait)

        def on_start(self):
            key, self.username = next(next_session[self.kind])
            self.client.cookiejar.set_cookie(
                create_cookie(cookie, key, domain=urlsplit(host).hostname)
            )
            self.caseload = []

        def page(self, url, name, residents=None):
            """GET a page as a browser would; anything but a 200 (a redirect to the log-in
            page included) is an error. Counts the residents the page shows."""
            with self.client.get(
                url, name=name, allow_redirects=False, catch_response=True
            ) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code} on {url}")
                    return ""
                text = response.text
            shown["pages"] += 1
            shown["residents"] += (
                residents if residents is not None else len(set(SHOWN.findall(text)))
            )
            return text

    class Caseworker(Person):
        kind, weight = "caseworker", WEIGHTS["caseworker"]

        def _resident(self):
            if not self.caseload:
                home = self.page("/", "caseworker home")
                self.caseload = sorted(set(RESIDENT_LINK.findall(home))) or ["1"]
            return random.choice(self.caseload)

        @task(2)
        def home(self):
            self.caseload = sorted(set(RESIDENT_LINK.findall(self.page("/", "caseworker home"))))

        @task(4)
        def chart(self):
            self.page(f"/residents/{self._resident()}/", "chart", residents=1)

        @task(2)
        def timeline(self):
            self.page(f"/residents/{self._resident()}/timeline/", "timeline", residents=1)

        @task(2)
        def notes(self):
            self.page(f"/residents/{self._resident()}/notes/", "notes", residents=1)

    class Nurse(Person):
        kind, weight = "nurse", WEIGHTS["nurse"]

        @task(3)
        def medication_round(self):
            self.page("/medications/round/", "medication round")

        @task(1)
        def give(self):
            links = [
                link.replace("&amp;", "&")
                for link in GIVE_LINK.findall(self.page("/medications/round/", "medication round"))
            ]
            # As a nurse would: a dose that is due (the round also lists later ones, which the
            # center refuses to chart early), or an as-needed one.
            links = [link for link in links if _due(link)]
            if not links:
                return
            url = random.choice(links)
            form = self.page(url, "give: form", residents=1)
            if not form:
                return
            data = _form_fields(form)
            data["do"] = "give"
            with self.client.post(
                url,
                data=urlencode(data),
                name="give: record the dose",
                headers={
                    "Referer": self.host + url,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                allow_redirects=False,
                catch_response=True,
            ) as response:
                # 302: given. 400: the form again, saying why not (a dose limit, a dose
                # another nurse has just charted, a witness needed): the center's rules
                # working, counted apart from errors. Anything else is an error.
                if response.status_code == 400:
                    shown["refused"] += 1
                    response.success()
                elif response.status_code != 302:
                    response.failure(f"{response.status_code} on give")
            shown["pages"] += 1
            shown["residents"] += 1

    class Resident(Person):
        kind, weight = "resident", WEIGHTS["resident"]

        @task(2)
        def portal(self):
            self.page("/my-record/", "portal: my record", residents=1)

        @task(1)
        def questionnaires(self):
            self.page("/my-record/questionnaires/", "portal: questionnaires", residents=1)

    class Supervisor(Person):
        kind, weight = "supervisor", WEIGHTS["supervisor"]

        @task
        def home(self):
            self.page("/", "supervisor home")

    class Trivial(Person):
        kind, weight = "trivial", WEIGHTS["trivial"]

        @task
        def account(self):
            self.page("/password/", "trivial: change-password form", residents=0)

    class ChartOnly(Caseworker):
        wait_time = constant(0)
        tasks = [Caseworker.chart]

    class TrivialOnly(Trivial):
        wait_time = constant(0)

    classes = {
        None: [Caseworker, Nurse, Resident, Supervisor, Trivial],
        "chart": [ChartOnly],
        "trivial": [TrivialOnly],
    }[only]
    env = Environment(user_classes=classes, host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(users, 1))
    gevent.sleep(seconds)
    runner.quit()
    return env.stats, shown


def compare(host: str, prepared: dict, users: int, seconds: int):
    """The chart's throughput vs the trivial page's: the server saturated by `users` asking for
    one page only, without pause, for `seconds` each, one after the other."""
    rates = {}
    for only, name in (("chart", "chart"), ("trivial", "trivial: change-password form")):
        started = time.perf_counter()
        stats, _ = run_step(host, prepared, users, seconds, (0, 0), only=only)
        entry = stats.entries.get((name, "GET"))
        elapsed = time.perf_counter() - started
        rates[only] = entry.num_requests / elapsed if entry else 0.0
        failures = stats.total.num_failures
        print(
            f"  {name:<32} alone: {rates[only]:6.1f} requests/s, "
            f"p50 {entry.get_response_time_percentile(0.5):.0f} ms, errors {failures}"
        )
    ratio = rates["chart"] / rates["trivial"] if rates["trivial"] else 0.0
    print(f"  chart throughput vs the trivial page, each alone: {ratio:.2f}x (aim: at least 0.4)")


def report(stats, shown, ledger: tuple[int, int], seconds: float):
    total = stats.total
    print(
        f"  requests {total.num_requests}, {total.num_requests / seconds:.1f}/s, "
        f"errors {total.num_failures}; doses refused by the rules (400, not errors) "
        f"{shown['refused']}"
    )
    print(f"  {'page':<32} {'requests':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}")
    rows = sorted(stats.entries.values(), key=lambda e: e.name)
    for e in [*rows, total]:
        print(
            f"  {e.name:<32} {e.num_requests:>8} {e.get_response_time_percentile(0.5):>7.0f} "
            f"{e.get_response_time_percentile(0.95):>7.0f} "
            f"{e.get_response_time_percentile(0.99):>7.0f} {e.num_failures:>6}"
        )
    for error in stats.errors.values():
        print(f"  error: {error.occurrences} x {error.method} {error.name}: {error.error}")
    by_name = {e.name: e for e in rows}
    chart, trivial = by_name.get("chart"), by_name.get("trivial: change-password form")
    if chart and trivial and chart.num_requests and trivial.num_requests:
        print(
            f"  trivial page's mean response time over the chart's, in the mix: "
            f"{trivial.avg_response_time / chart.avg_response_time:.2f}x "
            f"(mean {chart.avg_response_time:.0f} ms vs {trivial.avg_response_time:.0f} ms)"
        )
    pages, (entries, residents) = max(shown["pages"], 1), ledger
    print(
        f"  ledger entries appended per page view: {entries / pages:.1f} "
        f"({entries} entries, {shown['pages']} pages); the residents they account for per "
        f"page view: {residents / pages:.1f} vs residents shown per page view: "
        f"{shown['residents'] / pages:.1f}"
    )


# --------------------------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=int, default=60, help="length of each step")
    p.add_argument("--users", default="10,25,50", help="simulated users per step, e.g. 10,25,50")
    p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    # Two processes of one thread served the mix best on two cores (docs/performance.md): a
    # second thread in a process waits for the GIL after each query.
    p.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    p.add_argument("--residents", type=int, default=200, help="residents in the demo center")
    p.add_argument("--wait", default="0.1,0.5", help="think time between pages, seconds")
    p.add_argument("--warmup", type=int, default=10, help="seconds of load before the steps")
    p.add_argument(
        "--compare",
        type=int,
        default=20,
        help="seconds of the chart alone, then the trivial page alone (0: skip)",
    )
    p.add_argument("--keep", action="store_true", help="keep the database (for --reuse)")
    p.add_argument("--reuse", action="store_true", help="run on a kept database as it is")
    p.add_argument("--child-prepare", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child_prepare:
        return child_prepare(args.child_prepare)
    try:
        steps = [int(n) for n in args.users.split(",")]
        wait = tuple(float(x) for x in args.wait.split(","))
    except ValueError:
        raise SystemExit(
            "--users is numbers with commas (10,25,50); --wait is two (0.1,0.5)"
        ) from None
    problems = [
        *(["--users must be at least 1 each"] if min(steps) < 1 else []),
        *(["--seconds must be at least 1"] if args.seconds < 1 else []),
        *(["--wait is two numbers, the least and the most"] if len(wait) != 2 else []),
        *(
            ["--workers and --threads must be at least 1"]
            if min(args.workers, args.threads) < 1
            else []
        ),
    ]
    if problems:
        raise SystemExit("; ".join(problems))

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL server (postgres://...)")
    name = _database_name(url)
    data = Path(tempfile.gettempdir()) / f"homecoming-load-{name}"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        HOMECOMING_DATA_DIR=str(data),
        DJANGO_SETTINGS_MODULE="homecoming.settings",
        PYTHONPATH=str(ROOT / "src"),
    )
    if args.reuse:
        if not _exists(url) or not data.exists():
            raise SystemExit(f"--reuse: no kept database {name} (run once with --keep)")
    else:
        if _exists(url):
            raise SystemExit(f"database {name} exists: drop it, or --reuse it")
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        _create(url)
    server = None
    try:
        print(f"Load test on {name}, {args.residents} residents")
        if not args.reuse:
            build(env, args.residents)
        out = subprocess.run(
            [sys.executable, __file__, "--child-prepare", str(max(steps))],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        prepared = json.loads(out.stdout.splitlines()[-1])
        collect_static(env)
        log = Path(tempfile.gettempdir()) / f"homecoming-load-{name}.log"
        log.unlink(missing_ok=True)
        server, host = start_server(env, args.workers, args.threads, log)
        print(
            f"gunicorn --workers {args.workers} --threads {args.threads} on {host}, "
            f"{os.cpu_count()} cores; {args.seconds} s per step; think time {wait[0]}-{wait[1]} s"
        )
        if args.warmup:
            # Not reported: each server process's first pages compile templates and fill caches.
            run_step(host, prepared, steps[0], args.warmup, wait)
            print(f"(warm-up: {args.warmup} s at {steps[0]} users, not counted)")
        for users in steps:
            before = ledger_size(url)
            started = time.perf_counter()
            stats, shown = run_step(host, prepared, users, args.seconds, wait)
            elapsed = time.perf_counter() - started
            print(f"\n{users} users:")
            report(stats, shown, accounted(url, before), elapsed)
        if args.compare:
            print(f"\nEach page alone, {steps[0]} users without pause, {args.compare} s each:")
            compare(host, prepared, steps[0], args.compare)
        if log.exists() and log.stat().st_size:
            print(f"\nThe server's log (errors with their tracebacks): {log}")
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep:
            _drop(url)
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
