"""FHIR bulk export benchmark: the operator's export of a center of 10,000 residents.

    .venv/bin/python bench/fhir_export.py [--residents 10000] [--small 2500] [--repeats 3]
                                          [--baseline DIR]

Fills a fresh database (SQLite, and PostgreSQL too when DATABASE_URL names one) with a
synthetic center, bulk-inserted (the services would take an hour; the export reads the tables,
whoever wrote them): per resident a stay, a care team of two, two sets of vital signs, a
completed questionnaire, a session they attended, an order and a dose given, each row with the
ledger version the services would have stored (two for the session and the attendance: booked,
then held), so meta.lastUpdated is read as in a real center. That is 10 resources a resident:
Patient, EpisodeOfCare, CareTeam, 2 Observation (vitals), QuestionnaireResponse, Observation
(score), Encounter, MedicationRequest, MedicationAdministration.

Then, side by side in one run, each in a process of its own:

1. `bulk.write(None, bulk.Request(system=False), folder)`, the operator's export of every type
   about residents (what `homecoming export fhir` and the worker run), its batches shared among
   HOMECOMING_EXPORT_PROCESSES processes (2 unless the environment says otherwise):
   resources per second, the best of --repeats runs, with the CPU time of the run and its
   child processes (on a shared machine, the less noisy); and the same in one process
   (`processes=1`), to show what sharing the batches gives;
2. the same resources (read back from the files it wrote) written again as NDJSON with the
   fastest JSON encoder installed (orjson when importable, else json), best of --repeats: the
   floor no export can beat, as it must at least encode what it writes; the ratio of the two
   (aim: at least 0.3) and whether the export reaches 10,000 resources a second (aim);
3. the export's peak memory at --small and at --residents residents: Python's own allocations
   (tracemalloc's peak, in a run of its own in one process, as tracing slows it and sees no
   child) and the largest maximum resident set size of the export's processes (aim: flat, not
   growing with the center).

`--profile` instead fills a center of --small residents and prints cProfile's account of one
export (the 40 costliest functions, by their own time and by cumulative time).

`--baseline DIR` also times the export with the code of another checkout (its `src`) against
the same database, interleaved with this one's: before and after a change, in one run.
Numbers from a shared machine are noisy; quote the ratios.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The code under test: this checkout's, or a baseline's (--baseline) in the child that times it.
sys.path.insert(0, os.environ.get("BENCH_SRC") or str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

EXPORT_AIM = 10_000  # resources a second
RATIO_AIM = 0.3


def setup_django():
    import django

    django.setup()


# ------------------------------------------------------------------------------- the center


def fill(residents: int, seed: int = 7):
    """Bulk-insert the synthetic center, its ledger versions included."""
    import datetime as dt
    import hashlib
    import random
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from homecoming.accounts.models import Role, User
    from homecoming.encounters.models import Session, SessionAttendee
    from homecoming.ledger.models import Version
    from homecoming.measures import instruments
    from homecoming.measures.models import Instrument, Mode, Questionnaire
    from homecoming.medications.models import Administration, Order, Protocol
    from homecoming.residents.models import CareTeamMember, Program, Resident, Stay
    from homecoming.vitals.models import VitalSigns

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    day = dt.timedelta(days=1)
    chunk = 2000
    with transaction.atomic():
        caseworkers = [
            User.objects.create(
                username=f"cw{i}", full_name=f"Caseworker {i}", role=Role.CASEWORKER
            )
            for i in range(20)
        ]
        clinicians = [
            User.objects.create(username=f"cl{i}", full_name=f"Clinician {i}", role=Role.CLINICIAN)
            for i in range(10)
        ]
        program = Program.objects.create(name="Residential recovery")
        protocols = Protocol.objects.bulk_create(
            Protocol(
                drug=f"Drug {i:02d}",
                form="tablet",
                strength_amount=10,
                strength_unit="mg",
                limit_unit="mg",
                max_single_dose=20,
                max_daily_dose=40,
                min_interval_minutes=60,
                consent_code=f"medication-drug-{i:02d}",
                added_at=now - 400 * day,
                added_by=clinicians[0],
            )
            for i in range(30)
        )
        people = Resident.objects.bulk_create(
            (
                Resident(
                    given_name=f"Given{i}",
                    family_name=f"Family{i % 977}",
                    preferred_name=f"Pref{i}" if i % 3 == 0 else "",
                    date_of_birth=dt.date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
                    service_branch="army",
                    service_start=dt.date(2005, 1, 1),
                    service_number=f"SN{i:07d}",
                    emergency_contact_name=f"Contact {i}",
                    emergency_contact_relationship="Sister",
                    emergency_contact_phone="555-0100",
                    registered_at=now - 200 * day,
                )
                for i in range(residents)
            ),
            batch_size=chunk,
        )
        admitted = [(now - rng.randint(30, 180) * day).date() for _ in people]
        stays = Stay.objects.bulk_create(
            (
                Stay(
                    resident=p,
                    admitted_on=on,
                    expected_length_days=90,
                    status="in_residence",
                    program=program,
                    opened_at=now - 200 * day,
                )
                for p, on in zip(people, admitted, strict=True)
            ),
            batch_size=chunk,
        )
        team = CareTeamMember.objects.bulk_create(
            (
                CareTeamMember(
                    resident=p,
                    user=who,
                    team_role=role,
                    started_at=now - 150 * day,
                )
                for i, p in enumerate(people)
                for who, role in (
                    (caseworkers[i % len(caseworkers)], "primary_caseworker"),
                    (clinicians[i % len(clinicians)], "clinician"),
                )
            ),
            batch_size=chunk,
        )
        vitals = VitalSigns.objects.bulk_create(
            (
                VitalSigns(
                    resident=p,
                    taken_at=now - k * day,
                    recorded_at=now - k * day,
                    recorded_by=clinicians[(i + k) % len(clinicians)],
                    systolic=110 + (i + k) % 40,
                    diastolic=70 + i % 20,
                    pulse=60 + (i * k) % 40,
                    temperature=Decimal(365 + i % 10) / 10,
                    spo2=95 + i % 5,
                    note="After breakfast." if k == 1 else "",
                )
                for i, p in enumerate(people)
                for k in (1, 8)
            ),
            batch_size=chunk,
        )
        forms = (Instrument.PHQ9, Instrument.GAD7, Instrument.PCL5)
        asked = []
        for i, p in enumerate(people):
            code = forms[i % 3]
            items = len(instruments.get(code).items)
            answers = [rng.randint(0, 3 if code != Instrument.PCL5 else 4) for _ in range(items)]
            asked.append(
                Questionnaire(
                    resident=p,
                    instrument=code,
                    answers=answers,
                    total=sum(answers),
                    band="Moderate",
                    findings={"difficulty": 1} if code != Instrument.PCL5 else {},
                    mode=Mode.STAFF if i % 2 else Mode.SELF,
                    completed_by=caseworkers[i % len(caseworkers)],
                    completed_at=now - 3 * day,
                )
            )
        asked = Questionnaire.objects.bulk_create(asked, batch_size=chunk)
        sessions = Session.objects.bulk_create(
            (
                Session(
                    kind="individual",
                    caseworker=caseworkers[i % len(caseworkers)],
                    starts_at=now - 2 * day,
                    ends_at=now - 2 * day + dt.timedelta(minutes=50),
                    location="Room 12",
                    status="held",
                    scheduled_by=caseworkers[i % len(caseworkers)],
                    scheduled_at=now - 9 * day,
                )
                for i in range(residents)
            ),
            batch_size=chunk,
        )
        attendees = SessionAttendee.objects.bulk_create(
            (
                SessionAttendee(
                    session=s, resident=p, attendance="attended", checked_in_at=s.starts_at
                )
                for s, p in zip(sessions, people, strict=True)
            ),
            batch_size=chunk,
        )
        orders = Order.objects.bulk_create(
            (
                Order(
                    resident=p,
                    protocol=protocols[i % len(protocols)],
                    dose_amount=10,
                    dose_unit="mg",
                    route="oral",
                    frequency="daily",
                    starts_at=now - 20 * day,
                    prescribed_by=clinicians[i % len(clinicians)],
                    prescribed_at=now - 20 * day,
                )
                for i, p in enumerate(people)
            ),
            batch_size=chunk,
        )
        doses = Administration.objects.bulk_create(
            (
                Administration(
                    resident_id=o.resident_id,
                    order=o,
                    status="given",
                    at=now - day,
                    dose_amount=10,
                    dose_unit="mg",
                    recorded_by=clinicians[i % len(clinicians)],
                    recorded_at=now - day,
                )
                for i, o in enumerate(orders)
            ),
            batch_size=chunk,
        )

        seq = 0

        def versions(rows, resident_of, times):
            nonlocal seq
            for row in rows:
                label = row._meta.label_lower
                for at in times:
                    seq += 1
                    content = json.dumps({"type": label, "id": row.pk, "seq": seq})
                    yield Version(
                        object_type=label,
                        object_id=str(row.pk),
                        seq=seq,
                        time=at,
                        content=content,
                        sha256=hashlib.sha256(content.encode()).hexdigest(),
                        resident_id=resident_of(row),
                    )

        def own(row):
            return row.resident_id

        booked_then_held = (now - 9 * day, now - 2 * day)
        for rows, resident_of, times in (
            (people, lambda r: r.pk, (now - 200 * day,)),
            (stays, own, (now - 200 * day,)),
            (team, own, (now - 150 * day,)),
            (vitals, own, (now - day,)),
            (asked, own, (now - 3 * day,)),
            (sessions, lambda s: None, booked_then_held),
            (attendees, own, booked_then_held),
            (orders, own, (now - 20 * day,)),
            (doses, own, (now - day,)),
        ):
            Version.objects.bulk_create(versions(rows, resident_of, times), batch_size=chunk)
    return seq


# ------------------------------------------------------------------------------- the children


def encoder():
    """The fastest JSON encoder installed, as (name, resource -> one NDJSON line as bytes)."""
    try:
        import orjson
    except ImportError:
        return "json", lambda r: (
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
        ).encode()
    return "orjson", lambda r: orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE)


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the export's processes)."""
    import resource

    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def child_export(trace: bool, processes: int | None):
    """One export, timed (wall and CPU), then the floor: the same resources written again with
    the fastest encoder; or the export under tracemalloc, for its peak."""
    import resource

    setup_django()
    from homecoming.fhir import bulk, sources

    sources.types()  # the mappings imported: not what is measured
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        into = Path(tmp) / "export"
        into.mkdir()
        if trace:
            import tracemalloc

            tracemalloc.start()
        start, cpu = time.perf_counter(), cpu_seconds()
        # processes only when asked: a --baseline's code may not know the argument
        shared = {"processes": processes} if processes else {}
        written = bulk.write(None, bulk.Request(system=False), into, **shared)
        results["export"] = time.perf_counter() - start
        results["cpu"] = cpu_seconds() - cpu
        if trace:
            results["traced_peak"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        else:  # the high-water mark of the export alone, before the floor's reading
            results["maxrss"] = 1024 * max(
                resource.getrusage(who).ru_maxrss
                for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
            )
            results["floor"] = floor(into, Path(tmp) / "floor")
    from django.conf import settings

    # a --baseline's code may have no such setting: it exported in one process
    results["processes"] = processes or getattr(settings, "HOMECOMING_EXPORT_PROCESSES", 1)
    results["resources"] = written.total
    results["counts"] = written.counts
    results["encoder"] = encoder()[0]
    print(json.dumps(results))


def child_profile():
    import cProfile
    import pstats

    setup_django()
    from homecoming.fhir import bulk, sources

    sources.types()
    with tempfile.TemporaryDirectory() as tmp:
        profile = cProfile.Profile()
        # in one process: the profiler sees no child
        profile.runcall(bulk.write, None, bulk.Request(system=False), Path(tmp), processes=1)
    for order in ("tottime", "cumulative"):
        pstats.Stats(profile).sort_stats(order).print_stats(40)


def floor(written: Path, into: Path) -> float:
    """Seconds to write the resources the export wrote (read back as dicts, all held at once:
    not timed) again as NDJSON with the fastest encoder, one file per type."""
    name, line = encoder()
    into.mkdir(exist_ok=True)
    resources = {
        f.name: [json.loads(text) for text in f.read_text().splitlines()]
        for f in written.glob("*.ndjson")
    }
    start = time.perf_counter()
    for file_name, items in resources.items():
        with (into / file_name).open("wb") as out:
            for item in items:
                out.write(line(item))
    return time.perf_counter() - start


# ------------------------------------------------------------------------------- the run


def run_child(env, args: list[str], src: str | None = None) -> dict:
    if src:
        env = dict(env, BENCH_SRC=str(Path(src) / "src"))
    out = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.splitlines()[-1])


def mib(n: float) -> str:
    return f"{n / 2**20:.0f} MiB"


def one_size(label: str, env, residents: int, args, timed: bool) -> dict:
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--fill", str(residents)], env=env, check=True)
    built = time.perf_counter() - start
    kinds = {"this": (["--child"], None)}
    if timed:
        kinds["one"] = (["--child", "--processes", "1"], None)
        if args.baseline:
            kinds["baseline"] = (["--child"], args.baseline)
    runs = {kind: [] for kind in kinds}
    for _ in range(args.repeats if timed else 1):  # alternate: a neighbour's burst hits all
        for kind, (flags, src) in kinds.items():
            runs[kind].append(run_child(env, flags, src))
    traced = run_child(env, ["--child", "--trace", "--processes", "1"])
    ours = runs["this"]
    r = ours[0]
    n = r["resources"]
    print(
        f"{label}, {residents:,} residents (filled in {built:.0f} s): {n:,} resources "
        f"({', '.join(f'{t} {c:,}' for t, c in sorted(r['counts'].items()))})",
        flush=True,
    )
    if timed:
        rounds = len(ours)
        best = {kind: min(x["export"] for x in v) for kind, v in runs.items()}
        cpu = {kind: min(x["cpu"] for x in v) for kind, v in runs.items()}
        floor_rate = n / min(x["floor"] for x in ours)
        words = {
            "this": f"export, {ours[0]['processes']} processes",
            "one": "export, in one process",
            "baseline": f"export, the code at {args.baseline}",
        }
        for kind in runs:
            print(
                f"  {words[kind]:<46} {n / best[kind]:>9,.0f} resources/s "
                f"({best[kind]:.1f} s, CPU {cpu[kind]:.1f} s; best of {rounds})"
            )
        print(f"  {ours[0]['processes']} processes / one: {best['one'] / best['this']:.2f}x")
        if "baseline" in best:
            print(f"  this code / the baseline: {best['baseline'] / best['this']:.2f}x")
        floor_words = f"the same resources as NDJSON, {r['encoder']}"
        print(f"  {floor_words:<46} {floor_rate:>9,.0f} resources/s")
        rate = n / best["this"]
        spread = [x["floor"] / x["export"] for x in ours]
        met = "met" if rate >= EXPORT_AIM else "NOT met"
        print(
            f"  ratio export / {r['encoder']}: {rate / floor_rate:.3f} (per-run "
            f"{min(spread):.3f}..{max(spread):.3f}; aim at least {RATIO_AIM}); "
            f"{EXPORT_AIM:,} resources/s: {met}",
            flush=True,
        )
    maxrss = max(x["maxrss"] for x in ours)
    print(
        f"  export's peak memory: tracemalloc {mib(traced['traced_peak'])}, "
        f"max RSS of its processes {mib(maxrss)}",
        flush=True,
    )
    return {"traced": traced["traced_peak"], "maxrss": maxrss}


def measure(label: str, env, args):
    small = one_size(label, env_for(env, "small"), args.small, args, timed=False)
    large = one_size(label, env_for(env, "large"), args.residents, args, timed=True)
    print(
        f"  peak memory at {args.residents:,} vs {args.small:,} residents: tracemalloc "
        f"{large['traced'] / small['traced']:.2f}x, "
        f"max RSS {large['maxrss'] / small['maxrss']:.2f}x (aim: flat, 1.00)",
        flush=True,
    )


def env_for(env, size: str):
    """A database per size: a folder of its own for SQLite, a PostgreSQL database of its own."""
    if "BENCH_PG" in env:
        from tests.support.databases import fresh_postgres_database

        url, drop = fresh_postgres_database(env["BENCH_PG"])
        DROPS.append(drop)
        return dict(env, DATABASE_URL=url)
    folder = Path(env["HOMECOMING_DATA_DIR"]) / size
    folder.mkdir()
    return dict(env, HOMECOMING_DATA_DIR=str(folder))


DROPS = []


def profile(residents: int):
    with tempfile.TemporaryDirectory() as data:
        env = dict(
            os.environ, HOMECOMING_DATA_DIR=data, DJANGO_SETTINGS_MODULE="homecoming.settings"
        )
        env.pop("DATABASE_URL", None)
        subprocess.run([sys.executable, __file__, "--fill", str(residents)], env=env, check=True)
        subprocess.run([sys.executable, __file__, "--profile"], env=env, check=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--residents", type=int, default=10_000)
    p.add_argument("--small", type=int, default=2_500, help="the smaller center, for memory")
    p.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    p.add_argument("--baseline", help="another checkout whose export is timed too")
    p.add_argument("--fill", type=int)
    p.add_argument("--child", action="store_true")
    p.add_argument("--trace", action="store_true")
    p.add_argument("--processes", type=int, help="the export's processes (default: the setting)")
    p.add_argument("--profile", action="store_true", help="cProfile one export of --small")
    args = p.parse_args()
    if args.fill:
        setup_django()
        fill(args.fill)
        return None
    if args.child:
        return child_export(args.trace, args.processes)
    if args.profile and "HOMECOMING_DATA_DIR" in os.environ:
        return child_profile()
    url = os.environ.get("DATABASE_URL", "")
    if args.profile:
        return profile(args.small)
    print(
        f"FHIR bulk export (operator, every type about residents): {args.residents:,} and "
        f"{args.small:,} residents; {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as data:
        env = dict(
            os.environ, HOMECOMING_DATA_DIR=data, DJANGO_SETTINGS_MODULE="homecoming.settings"
        )
        env.pop("DATABASE_URL", None)
        measure("SQLite", env, args)
        if url.startswith("postgres"):
            try:
                measure("PostgreSQL", dict(env, BENCH_PG=url), args)
            finally:
                for drop in DROPS:
                    drop()
    return None


if __name__ == "__main__":
    main()
