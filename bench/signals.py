"""Signal detection benchmark: 1,000,000 adverse event reports, 500 medications, 2,000 terms.

    .venv/bin/python bench/signals.py [--reports 1000000] [--drugs 500] [--terms 2000]
                                      [--residents 20000] [--rounds 3]

Fills a fresh database (SQLite, and PostgreSQL too when DATABASE_URL names one) with residents,
one order and one given dose of each of two or three medicines per resident, and the reports
(each suspecting one or two of the reporter's own medicines; a few planted drug-event pairs
reported far more often than chance). Then, side by side in one run, each in a process of its
own so that its peak memory is its own:

1. homecoming: `safety.signals.count_pairs()` (three plain queries, counted with NumPy) and the
   measures over every pair as NumPy columns, with every configured rule evaluated;
2. pandas: the same table computed the straightforward way: read the reports, suspects and
   administrations into DataFrames, merge and group them, and compute the same measures.

Prints the medians of `--rounds` runs, their ratio, each one's peak memory (maximum resident
set size of its process), and checks that both found the same pairs and the same flagged set.
Numbers from a shared machine are noisy; quote the ratios.
"""

import argparse
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def setup_django():
    import django

    django.setup()


# ------------------------------------------------------------------------------- the data


def fill(reports: int, drugs: int, terms: int, residents: int, seed: int = 7):
    """Bulk-insert the synthetic center (the services would take hours for a million rows;
    detection reads the tables, whoever wrote them)."""
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from homecoming.accounts.models import Role, User
    from homecoming.medications.models import Administration, Order, Protocol
    from homecoming.residents.models import Resident

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        staff = User.objects.create(username="bench", full_name="Bench", role=Role.CLINICIAN)
        protocols = Protocol.objects.bulk_create(
            Protocol(
                drug=f"Drug {i:03d}",
                form="tablet",
                strength_amount=10,
                strength_unit="mg",
                limit_unit="mg",
                max_single_dose=20,
                max_daily_dose=40,
                min_interval_minutes=60,
                consent_code=f"medication-drug-{i:03d}",
                added_at=now,
                added_by=staff,
            )
            for i in range(drugs)
        )
        people = Resident.objects.bulk_create(
            Resident(
                given_name=f"R{i}",
                family_name="Bench",
                date_of_birth=dt.date(1990, 1, 1),
                service_branch="army",
                service_start=dt.date(2010, 1, 1),
                emergency_contact_name="-",
                emergency_contact_relationship="-",
                emergency_contact_phone="-",
                registered_at=now,
            )
            for i in range(residents)
        )
        # A long tail: a few medicines are given to many residents, most to few.
        weights = [1 / (k + 1) for k in range(drugs)]
        taking = {}
        orders = []
        for person in people:
            chosen = set(rng.choices(range(drugs), weights=weights, k=rng.choice([2, 3])))
            taking[person.pk] = []
            for k in chosen:
                orders.append(
                    Order(
                        resident=person,
                        protocol=protocols[k],
                        dose_amount=10,
                        dose_unit="mg",
                        route="oral",
                        frequency="daily",
                        starts_at=now - dt.timedelta(days=30),
                        prescribed_by=staff,
                        prescribed_at=now - dt.timedelta(days=30),
                    )
                )
        orders = Order.objects.bulk_create(orders, batch_size=5000)
        for order in orders:
            taking[order.resident_id].append((order.pk, order.protocol_id))
        Administration.objects.bulk_create(
            (
                Administration(
                    resident_id=o.resident_id,
                    order=o,
                    status="given",
                    at=now - dt.timedelta(days=29),
                    dose_amount=10,
                    dose_unit="mg",
                    recorded_by=staff,
                    recorded_at=now - dt.timedelta(days=29),
                )
                for o in orders
            ),
            batch_size=5000,
        )
        drug_name = {p.pk: p.drug for p in protocols}
        term_cum = list(itertools.accumulate(1 / (k + 1) ** 0.8 for k in range(terms)))
        planted = {(rng.randrange(drugs // 10), rng.randrange(terms // 4)) for _ in range(5)}
        pks = [p.pk for p in people]
        events, suspects = [], []
        reported_at = now.isoformat() if connection.vendor != "sqlite" else now
        for event_id in range(1, reports + 1):
            resident = rng.choice(pks)
            mine = taking[resident]
            suspected = rng.sample(mine, k=min(len(mine), rng.choice([1, 1, 2])))
            term = rng.choices(range(terms), cum_weights=term_cum)[0]
            for drug_k, term_k in planted:  # the planted excess: these pairs stand out
                if protocols[drug_k].pk in {p for _, p in mine} and rng.random() < 0.02:
                    term = term_k
            events.append(
                (event_id, resident, f"term-{term:04d}", "", now.date(), "not_serious",
                 "unknown", staff.pk, "staff", reported_at)
            )  # fmt: skip
            suspects.extend((event_id, o, drug_name[p], f"term-{term:04d}") for o, p in suspected)
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO safety_adverseevent (id, resident_id, term, description, onset, "
                "seriousness, outcome, reported_by_id, reported_via, reported_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                events,
            )
            cursor.executemany(
                "INSERT INTO safety_suspect (event_id, order_id, drug, term) "
                "VALUES (%s, %s, %s, %s)",
                suspects,
            )
    return {"reports": reports, "suspects": len(suspects), "orders": len(orders)}


# ------------------------------------------------------------------------------- the two ways


def ours():
    import numpy as np

    from homecoming.safety import signals, statistics

    counts = signals.count_pairs()
    table = counts.table()
    flagged = np.zeros(len(counts.drugs), dtype=bool)
    for rule in statistics.RULES:
        flagged |= table.rule(rule)
    return {
        "pairs": len(counts.drugs),
        "flagged": sorted(f"{counts.drugs[i]}|{counts.terms[i]}" for i in np.flatnonzero(flagged)),
    }


def with_pandas():
    """The table the obvious way: whole tables into DataFrames, merges and group-bys."""
    import numpy as np
    import pandas as pd
    from django.db import connection
    from scipy import special, stats

    def frame(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            names = [c[0] for c in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=names)

    import datetime as dt

    from django.conf import settings

    from homecoming.residents.setup import center_zone_name

    events = frame("SELECT id, resident_id, term, onset FROM safety_adverseevent")
    suspects = frame("SELECT event_id, drug FROM safety_suspect")
    given = frame(
        "SELECT m.resident_id, p.drug, m.at FROM medications_administration m "
        "JOIN medications_order o ON o.id = m.order_id "
        "JOIN medications_protocol p ON p.id = o.protocol_id WHERE m.status = 'given'"
    )
    residents = int(frame("SELECT COUNT(*) AS n FROM residents_resident")["n"][0])
    n = len(events)
    # A report counts against what was suspected and what was given in the window before onset.
    zone = center_zone_name()
    given["day"] = pd.to_datetime(given["at"], utc=True).dt.tz_convert(zone).dt.date
    events["onset"] = pd.to_datetime(events["onset"]).dt.date
    days = dt.timedelta(days=settings.HOMECOMING_SIGNAL_EXPOSURE_DAYS)
    window = events.merge(given[["resident_id", "drug", "day"]].drop_duplicates(), on="resident_id")
    window = window[(window["day"] <= window["onset"]) & (window["day"] >= window["onset"] - days)]
    attributed = pd.concat(
        [suspects, window[["id", "drug"]].rename(columns={"id": "event_id"})]
    ).drop_duplicates()
    joined = attributed.merge(events, left_on="event_id", right_on="id")
    a = joined.groupby(["drug", "term"]).size().rename("a")
    drug_reports = attributed.groupby("drug").size().rename("drug_reports")
    term_reports = events.groupby("term").size().rename("term_reports")
    exposure = given[["resident_id", "drug"]].drop_duplicates()
    had = events[["resident_id", "term"]].drop_duplicates()
    k = exposure.merge(had, on="resident_id").groupby(["drug", "term"]).size().rename("k")
    table = pd.concat([a, k], axis=1).fillna(0).reset_index()
    table = table.merge(drug_reports, on="drug", how="left").merge(
        term_reports, on="term", how="left"
    )
    table = table.merge(exposure.groupby("drug").size().rename("exposed"), on="drug", how="left")
    table = table.merge(had.groupby("term").size().rename("cases"), on="term", how="left")
    table = table.fillna(0)
    av = table["a"].to_numpy(float)
    bv = table["drug_reports"].to_numpy(float) - av
    cv = table["term_reports"].to_numpy(float) - av
    dv = n - av - bv - cv
    with np.errstate(divide="ignore", invalid="ignore"):
        prr = (av / (av + bv)) / (cv / (cv + dv))
        excess = np.maximum(np.abs(av * dv - bv * cv) - n / 2, 0)
        chi2 = np.nan_to_num(n * excess**2 / ((av + bv) * (cv + dv) * (av + cv) * (bv + dv)))
        ok = (av > 0) & (bv > 0) & (cv > 0) & (dv > 0)
        ror = np.where(ok, av * dv / (bv * cv), np.nan)
        ror_low = np.exp(np.log(ror) - 1.959964 * np.sqrt(1 / av + 1 / bv + 1 / cv + 1 / dv))
        expected = (av + bv) * (av + cv) / n
    ic025 = np.log2(special.gammaincinv(av + 0.5, 0.025) / (expected + 0.5))
    fisher = stats.hypergeom.sf(
        table["k"].to_numpy(int) - 1,
        residents,
        table["cases"].to_numpy(int),
        table["exposed"].to_numpy(int),
    )
    flagged = (
        ((av >= 3) & (prr >= 2) & (chi2 >= 4))
        | (np.nan_to_num(ror_low) > 1)
        | (ic025 > 0)
        | (np.nan_to_num(fisher, nan=1.0) < 0.05)
    )
    return {
        "pairs": len(table),
        "flagged": sorted(
            f"{d}|{t}" for d, t in zip(table["drug"][flagged], table["term"][flagged], strict=True)
        ),
    }


def child(way: str):
    setup_django()
    import pandas  # noqa: F401 (imports are not what is measured)
    import scipy.stats  # noqa: F401

    from homecoming.safety import signals  # noqa: F401

    start = time.perf_counter()
    found = ours() if way == "ours" else with_pandas()
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib, **found}))


# ------------------------------------------------------------------------------- the run


def run(way: str, env) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", way], env=env, capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.splitlines()[-1])


def measure(label: str, env, args):
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--fill", json.dumps(vars(args))], env=env, check=True
    )
    built = time.perf_counter() - start
    results = {"ours": [], "pandas": []}
    for _ in range(args.rounds):  # alternate, so both see the same machine
        for way in results:
            results[way].append(run(way, env))
    ours_s = statistics.median(r["seconds"] for r in results["ours"])
    pandas_s = statistics.median(r["seconds"] for r in results["pandas"])
    ours_mib = max(r["peak_mib"] for r in results["ours"])
    pandas_mib = max(r["peak_mib"] for r in results["pandas"])
    same_pairs = results["ours"][0]["pairs"] == results["pandas"][0]["pairs"]
    same_flags = results["ours"][0]["flagged"] == results["pandas"][0]["flagged"]
    print(f"{label} (filled in {built:.0f} s; {results['ours'][0]['pairs']:,} drug-event pairs, "
          f"{len(results['ours'][0]['flagged']):,} flagged by any rule):")  # fmt: skip
    print(f"  homecoming (plain queries + NumPy)  {ours_s:7.2f} s   peak {ours_mib:7.0f} MiB")
    print(f"  pandas (tables into DataFrames)     {pandas_s:7.2f} s   peak {pandas_mib:7.0f} MiB")
    print(f"  ratio (homecoming / pandas)         {ours_s / pandas_s:7.2f}     "
          f"memory {ours_mib / pandas_mib:5.2f}")  # fmt: skip
    print(f"  same pairs: {same_pairs}; same flagged pairs: {same_flags}", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--reports", type=int, default=1_000_000)
    p.add_argument("--drugs", type=int, default=500)
    p.add_argument("--terms", type=int, default=2000)
    p.add_argument("--residents", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--child")
    p.add_argument("--fill")
    args = p.parse_args()
    if args.child:
        return child(args.child)
    if args.fill:
        setup_django()
        given = json.loads(args.fill)
        fill(given["reports"], given["drugs"], given["terms"], given["residents"])
        return None
    print(
        f"{args.reports:,} reports, {args.drugs} medications, {args.terms:,} terms, "
        f"{args.residents:,} residents; medians of {args.rounds} runs"
    )
    url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory() as data:
        env = dict(
            os.environ, HOMECOMING_DATA_DIR=data, DJANGO_SETTINGS_MODULE="homecoming.settings"
        )
        env.pop("DATABASE_URL", None)
        measure("SQLite", env, args)
    if url.startswith("postgres"):
        from tests.support.databases import fresh_postgres_database

        with tempfile.TemporaryDirectory() as data:
            env = dict(
                os.environ, HOMECOMING_DATA_DIR=data, DJANGO_SETTINGS_MODULE="homecoming.settings"
            )
            env["DATABASE_URL"], drop = fresh_postgres_database(url)
            try:
                measure("PostgreSQL", env, args)
            finally:
                drop()
    return None


if __name__ == "__main__":
    main()
