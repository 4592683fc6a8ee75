"""Timeline and chart benchmark: a resident with 5,000 events in their record.

    .venv/bin/python bench/timeline.py [--events 5000] [--requests 30] [--reads 1000000]

Builds a small demo center, then gives one resident a long stay (default 5,000 record changes:
sessions booked, checked in and held, signed notes, questionnaires, consents, intake
corrections), all through the services on a simulated clock. Then, side by side in one run, it
times the full server handling of pages as a caseworker gets them (middleware, log-in checks,
policy, ledger read entries, queries, templates) against the bare SQL that fetches the rows
those pages show:

1. the timeline's first page and a page deep in the record;
2. the chart.

`--reads N` then appends N read entries about that resident (the ledger's growth by page views),
to show whether the timeline stays flat as the ledger grows.

Prints medians and their ratio (aim: under 3), and, for the timeline, the selector alone (the
queries, the ledger's read entry and building the events, without HTTP, log-in checks or
templates), which is the part the data layout decides. On SQLite, and on PostgreSQL too when
DATABASE_URL names one. Numbers from a shared machine are noisy; quote the ratios.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def run_child(events: int, requests: int, database_url: str | None, reads: int = 0) -> dict:
    with tempfile.TemporaryDirectory() as data:
        env = dict(
            os.environ, HOMECOMING_DATA_DIR=data, DJANGO_SETTINGS_MODULE="homecoming.settings"
        )
        env.pop("DATABASE_URL", None)
        drop = None
        if database_url:
            from tests.support.databases import fresh_postgres_database

            env["DATABASE_URL"], drop = fresh_postgres_database(database_url)
        try:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(events),
                    "--requests",
                    str(requests),
                    "--reads",
                    str(reads),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if out.returncode:
                raise SystemExit(out.stderr)
        finally:
            if drop:
                drop()
        return json.loads(out.stdout.splitlines()[-1])


# ------------------------------------------------------------------------- building the record


def long_stay(events: int):
    """A resident admitted long ago, with `events` changes to their record by now."""
    import datetime as dt

    from django.utils import timezone

    from homecoming.accounts.models import User
    from homecoming.consents import services as consents
    from homecoming.consents.models import ConsentDocument
    from homecoming.demo import clock, story
    from homecoming.encounters import notes, scheduling
    from homecoming.encounters.models import NoteTemplate, SessionKind
    from homecoming.measures import services as measures
    from homecoming.residents import services
    from homecoming.residents.models import Bed, BedAssignment

    heidi = User.objects.get(username="heidi")
    colin = User.objects.get(username="colin")
    nurse = User.objects.get(username="nurse")
    taken = BedAssignment.objects.filter(released_at__isnull=True).values("bed_id")
    bed = Bed.objects.exclude(pk__in=taken).first()
    days = events // 9 + 10
    now = timezone.now()
    start = now - dt.timedelta(days=days + 1)
    from tests.conftest import intake

    from homecoming.timeline.selectors import _writes

    def writes():
        return _writes(resident.pk).count()

    with clock.simulated(start) as simulated, story.passwords_checked_once():
        resident = services.admit(
            colin,
            services.Admission(
                intake=intake(given_name="Lena", family_name="Long"),
                admitted_on=timezone.localdate(start),
                expected_length_days=days + 30,
                bed=bed,
                primary_caseworker=heidi,
                clinician=nurse,
            ),
        )
        recording = ConsentDocument.objects.get(code="session-recording")
        day = timezone.localdate(start)
        while writes() < events:
            day += dt.timedelta(days=1)
            at = story._at(day, 7)
            if at > now:
                break
            simulated.move_to(at)
            session = scheduling.schedule(
                heidi,
                caseworker=heidi,
                residents=[resident],
                kind=SessionKind.INDIVIDUAL,
                starts_at=story._at(day, 8),
                ends_at=story._at(day, 8, 50),
            )
            simulated.move_to(story._at(day, 7, 55))
            scheduling.check_in(heidi, session.attendees.get())
            simulated.move_to(story._at(day, 8, 50))
            scheduling.close(heidi, session)
            note = notes.start(heidi, resident, NoteTemplate.DAP, session=session)
            text = {"data": f"Day {day}.", "assessment": "Steady.", "plan": "Continue."}
            note = notes.save_draft(heidi, note, text, note.revision)
            notes.sign(heidi, note, "homecoming-demo")
            simulated.move_to(story._at(day, 10))
            instrument = ("pcl5", "phq9", "gad7")[day.toordinal() % 3]
            measures.record(heidi, resident, instrument, [1] * story.ITEMS[instrument])
            if day.toordinal() % 2:
                services.update_intake(heidi, resident, {"preferred_name": f"Lee {day}"})
            if day.toordinal() % 10 == 0:
                active = consents.active_consent(resident, recording.purpose)
                if active:
                    consents.revoke(heidi, active, "Changed her mind in the session.")
                else:
                    # Recorded by staff: before a witness (the supervisor), as the rules ask.
                    consents.sign(
                        heidi,
                        resident,
                        recording,
                        witness=colin,
                        witness_secret="homecoming-demo",
                    )
    return resident, writes()


def looked_at(resident, reads: int):
    """`reads` more read entries about the resident (the ledger's usual growth: every page view
    appends reads), appended in batches as the pages append them."""
    from homecoming.accounts.models import User
    from homecoming.ledger import services as ledger

    heidi = User.objects.get(username="heidi")
    target = ledger.Target(
        resident_id=resident.pk, object_type="residents.resident", object_id=str(resident.pk)
    )
    done = 0
    while done < reads:
        batch = min(10_000, reads - done)
        ledger.append_many(heidi, "resident.view", [target] * batch, purpose="care")
        done += batch


# ------------------------------------------------------------------------------- measuring


def client_for(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def median_ms(fn, n):
    fn()  # warm
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bare_timeline(cursor, resident_id, before):
    """The rows the timeline page shows: the resident's versions newest first (their (resident,
    seq) index), each with the entry that wrote it and its actor's name, one page."""
    cursor.execute(
        "SELECT e.seq, e.time, e.action, e.object_type, e.object_id, e.version_sha256, "
        "e.actor_role, u.full_name, v.content FROM ledger_version v "
        "JOIN ledger_entry e ON e.seq = v.seq LEFT JOIN accounts_user u ON u.id = e.actor_id "
        "WHERE v.resident_id = %s AND e.outcome = 'allowed' AND e.action <> 'note.draft' "
        "AND v.seq < %s ORDER BY v.seq DESC LIMIT 51",
        [resident_id, before],
    )
    return cursor.fetchall()


def bare_chart(cursor, resident_id):
    """The rows the chart shows: the resident, the open stay and bed, the care team,
    deployments, coming sessions, the latest five notes, the latest 26 questionnaires of each
    instrument, and the consents in force."""
    queries = [
        ("SELECT * FROM residents_resident WHERE id = %s", [resident_id]),
        (
            "SELECT s.*, b.label, r.name, r.wing FROM residents_stay s "
            "LEFT JOIN residents_bedassignment a ON a.stay_id = s.id AND a.released_at IS NULL "
            "LEFT JOIN residents_bed b ON b.id = a.bed_id "
            "LEFT JOIN residents_room r ON r.id = b.room_id WHERE s.resident_id = %s",
            [resident_id],
        ),
        (
            "SELECT m.team_role, u.full_name FROM residents_careteammember m "
            "JOIN accounts_user u ON u.id = m.user_id "
            "WHERE m.resident_id = %s AND m.ended_at IS NULL",
            [resident_id],
        ),
        ("SELECT * FROM residents_deployment WHERE resident_id = %s", [resident_id]),
        (
            "SELECT s.*, u.full_name FROM encounters_session s "
            "JOIN encounters_sessionattendee a ON a.session_id = s.id "
            "JOIN accounts_user u ON u.id = s.caseworker_id WHERE a.resident_id = %s "
            "AND s.status = 'scheduled' AND s.ends_at > %s ORDER BY s.starts_at LIMIT 10",
            [resident_id, "2000-01-01"],
        ),
        (
            "SELECT n.*, u.full_name FROM encounters_note n "
            "JOIN accounts_user u ON u.id = n.author_id "
            "WHERE n.resident_id = %s ORDER BY n.created_at DESC LIMIT 5",
            [resident_id],
        ),
        *[
            (
                "SELECT q.*, u.full_name FROM measures_questionnaire q "
                "JOIN accounts_user u ON u.id = q.completed_by_id WHERE q.resident_id = %s "
                "AND q.instrument = %s ORDER BY q.completed_at DESC LIMIT 26",
                [resident_id, code],
            )
            for code in ("pcl5", "phq9", "gad7")
        ],
        (
            "SELECT c.*, d.title FROM consents_consent c "
            "JOIN consents_consentdocument d ON d.id = c.document_id "
            "WHERE c.resident_id = %s AND c.revoked_at IS NULL",
            [resident_id],
        ),
    ]
    rows = []
    for sql, params in queries:
        cursor.execute(sql, params)
        rows += cursor.fetchall()
    return rows


def child(events: int, requests: int, reads: int = 0):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from homecoming.accounts.models import User
    from homecoming.demo import builder
    from homecoming.ledger.models import Entry
    from homecoming.timeline import selectors

    call_command("migrate", verbosity=0)
    builder.build(residents=3, progress=False)
    built = time.perf_counter()
    resident, written = long_stay(events)
    looked_at(resident, reads)
    built = time.perf_counter() - built
    heidi = User.objects.get(username="heidi")
    client = client_for(heidi)
    deep = selectors._writes(resident.pk).order_by("seq").values_list("seq", flat=True)[100]

    def page(url):
        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return get

    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        client.get(os.environ["BENCH_PROFILE"] % resident.pk)  # warm: imports, url resolvers
        cProfile.runctx(
            "for _ in range(20): client.get(url)",
            globals(),
            {"client": client, "url": os.environ["BENCH_PROFILE"] % resident.pk},
            sort="cumtime",
        )
        return
    with connection.cursor() as cursor:
        results = {
            "events": written,
            "reads": reads,
            "ledger": Entry.objects.count(),
            "build_seconds": built,
            "timeline": (
                median_ms(page(f"/residents/{resident.pk}/timeline/"), requests),
                median_ms(lambda: bare_timeline(cursor, resident.pk, 2**62), requests),
            ),
            "timeline_selector": (
                median_ms(lambda: selectors.timeline(heidi, resident.pk), requests),
                median_ms(lambda: bare_timeline(cursor, resident.pk, 2**62), requests),
            ),
            "timeline_deep": (
                median_ms(page(f"/residents/{resident.pk}/timeline/?after={deep}"), requests),
                median_ms(lambda: bare_timeline(cursor, resident.pk, deep), requests),
            ),
            "chart": (
                median_ms(page(f"/residents/{resident.pk}/"), requests),
                median_ms(lambda: bare_chart(cursor, resident.pk), requests),
            ),
        }
    print(json.dumps(results))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=5000)
    p.add_argument("--requests", type=int, default=30)
    p.add_argument(
        "--reads",
        type=int,
        default=0,
        help="read entries about the resident added to the ledger (its growth by page views)",
    )
    p.add_argument("--child", type=int)
    args = p.parse_args()
    if args.child:
        return child(args.child, args.requests, args.reads)
    databases = [("SQLite", None)]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        databases.append(("PostgreSQL", url))
    print(f"A resident with {args.events:,} record changes; medians of {args.requests} requests")
    for label, db in databases:
        r = run_child(args.events, args.requests, db, args.reads)
        print(
            f"{label} ({r['events']:,} changes and {r['reads']:,} reads of the resident, "
            f"{r['ledger']:,} ledger entries, built in {r['build_seconds']:.0f} s):"
        )
        for name, words in (
            ("timeline", "timeline, first page"),
            ("timeline_selector", "  of which the selector (no HTTP)"),
            ("timeline_deep", "timeline, a page 100 changes deep"),
            ("chart", "chart"),
        ):
            server, bare = r[name]
            print(
                f"  {words:<36} server {server:7.1f} ms   bare SQL {bare:6.2f} ms   "
                f"ratio {server / bare:6.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
