"""Ledger benchmark: what the audit trail costs a write, and how fast a bundle verifies.

    .venv/bin/python bench/ledger.py [--writes 2000] [--entries 1000000] [--repeats 5]

Prints, from one run, side by side:
1. a resident write (an intake correction through the service) with the ledger vs the very
   same code with the ledger calls switched off, in 20 interleaved rounds of --writes/20
   writes each way: the median time per write each way, the median of the rounds' ratios and
   their range; on SQLite, and on PostgreSQL too when DATABASE_URL names one (there a write
   waits on the disk at commit, whose latency on a shared machine swings from one moment to
   the next: short interleaved rounds and medians keep a swing from landing on one side);
2. offline verification of a bundle of N entries vs bare hashlib hashing of the same leaves
   (the same file, in the page cache): entries per second, best of --repeats interleaved runs,
   and the ratio with its range over the runs; against hashing in one process and, when the
   verifier splits the file between processes, against hashing split the same way; and the
   verifier's peak memory at N/4 and N entries (flat memory means the two peaks match).

Numbers from a shared machine are noisy; the ratios, measured in one run, are what to quote.
"""

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRITE_ROUNDS = 20
sys.path.insert(0, str(ROOT / "src"))


# --------------------------------------------------------------------------------- writes


def bench_writes(writes: int, database_url: str | None) -> dict:
    """Run in a child process per database, so each has its own Django set-up."""
    with tempfile.TemporaryDirectory() as data:
        env = dict(
            os.environ, HOMECOMING_DATA_DIR=data, DJANGO_SETTINGS_MODULE="homecoming.settings"
        )
        env.pop("DATABASE_URL", None)
        drop = None
        if database_url:
            sys.path.insert(0, str(ROOT))
            from tests.support.databases import fresh_postgres_database

            env["DATABASE_URL"], drop = fresh_postgres_database(database_url)
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child-writes", str(writes)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            if drop:
                drop()
        return json.loads(out.stdout.splitlines()[-1])


def child_writes(writes: int):
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from homecoming.accounts.models import User
    from homecoming.demo import builder
    from homecoming.residents import services
    from homecoming.residents.models import Resident

    builder.build(residents=3, progress=False)
    actor = User.objects.get(username="colin")
    resident = Resident.objects.order_by("pk").first()
    real_write = services._write

    def run(n, tag):
        start = time.perf_counter()
        for i in range(n):
            services.update_intake(actor, resident, {"preferred_name": f"{tag}{i}"})
        return (time.perf_counter() - start) / n

    run(50, "warm")
    with_ledger, without = [], []
    per_round = max(1, writes // WRITE_ROUNDS)
    for round_ in range(WRITE_ROUNDS):  # interleave, so drift on a shared machine hits both alike
        services._write = real_write
        with_ledger.append(run(per_round, f"a{round_}-"))
        services._write = lambda *a, **k: None
        without.append(run(per_round, f"b{round_}-"))
    services._write = real_write
    rounds = [w / wo for w, wo in zip(with_ledger, without, strict=True)]
    print(
        json.dumps(
            {
                "with": statistics.median(with_ledger),
                "without": statistics.median(without),
                "ratio": statistics.median(rounds),
                "rounds": rounds,
            }
        )
    )


# --------------------------------------------------------------------------------- verify


def make_bundle(folder: Path, n: int, distinct_versions: int = 10_000):
    """A realistic bundle: the first entries write record versions, the rest read them."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from homecoming.ledger import verify as v

    def canonical(obj) -> bytes:
        return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()

    rng = random.Random(7)
    folder.mkdir()
    writes = min(distinct_versions, n)
    pool = []
    with (folder / "versions.ndjson").open("wb") as f:
        for i in range(writes):
            content = canonical({"fields": {"n": i}, "id": i, "type": "residents.resident"})
            sha = hashlib.sha256(content).hexdigest()
            pool.append(sha)
            f.write(
                canonical(
                    {
                        "content": content.decode(),
                        "object_id": str(i),
                        "object_type": "residents.resident",
                        "seq": i,
                        "sha256": sha,
                    }
                )
                + b"\n"
            )
    tree = v.CompactRange()
    with (folder / "entries.ndjson").open("wb") as f:
        for seq in range(n):
            target = seq if seq < writes else rng.randrange(writes)
            leaf = canonical(
                {
                    "action": "resident.edit"
                    if seq < writes
                    else rng.choice(["resident.view", "resident.list"]),
                    "actor": rng.randint(1, 60),
                    "object_id": str(target),
                    "object_type": "residents.resident",
                    "outcome": "allowed",
                    "purpose": "care",
                    "resident": target,
                    "role": "caseworker",
                    "seq": seq,
                    "time": f"2026-11-{1 + seq % 28:02d}T12:00:{seq % 60:02d}.{seq % 999999:06d}Z",
                    "version": pool[target],
                }
            )
            f.write(leaf + b"\n")
            tree.append(v.leaf_hash(leaf))
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    name = "bench/ledger"
    note = v.sign_note(v.Checkpoint(name, n, tree.root()).text(), name, private.sign, public)
    (folder / "checkpoint").write_text(note)
    (folder / "vkey").write_text(v.format_vkey(name, public) + "\n")


def _hash_part(path: str, start: int, stop: int) -> int:
    """Bare hashlib over the leaves whose lines start in [start, stop), read line by line."""
    sha, count = hashlib.sha256, 0
    with open(path, "rb") as f:
        if start:
            f.seek(start - 1)
            start += len(f.readline()) - 1
        pos = start
        for line in f:
            if pos >= stop:
                break
            pos += len(line)
            sha(b"\x00" + line[:-1]).digest()
            count += 1
    return count


def child_hash(path: str, processes: int):
    """The baseline: bare hashlib over the same leaves, in one process or split between
    `processes` forked ones the way the verifier splits its work."""
    import multiprocessing
    import resource

    start = time.perf_counter()
    if processes == 1:
        count = _hash_part(path, 0, os.path.getsize(path))
    else:
        size, parts = os.path.getsize(path), processes * 4
        bounds = [size * i // parts for i in range(parts + 1)]
        jobs = [(path, bounds[i], bounds[i + 1]) for i in range(parts)]
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            count = sum(pool.starmap(_hash_part, jobs))
    seconds = time.perf_counter() - start
    peak = max(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    print(json.dumps({"seconds": seconds, "entries": count, "peak_kib": peak}))


def child_verify(folder: str):
    import resource

    from homecoming.ledger import verify as v

    start = time.perf_counter()
    report = v.verify_bundle(Path(folder))
    seconds = time.perf_counter() - start
    # The verifier may fork workers: the peak is the largest of this process and any of them.
    peak = max(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    print(json.dumps({"seconds": seconds, "entries": report.entries, "peak_kib": peak}))


def measure(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
    )
    return json.loads(out.stdout.splitlines()[-1])


def verifier_processes(size_bytes: int) -> int:
    """As many processes as the verifier itself uses on this file (see _scan_in_parallel)."""
    from homecoming.ledger import verify as v

    if size_bytes < v.PARALLEL_FROM_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}..{max(values):.2f}"


def bench_verify(n: int, repeats: int):
    """Each figure is the best of `repeats` runs, with the three kinds interleaved so a
    neighbour's burst on a shared machine hits them alike; the file is read once first, so
    every run finds it in the page cache (the verifier and the baseline read the same file)."""
    with tempfile.TemporaryDirectory() as tmp:
        peaks = []
        for size in (n // 4, n):
            folder = Path(tmp) / f"b{size}"
            make_bundle(folder, size)
            entries = folder / "entries.ndjson"
            with entries.open("rb") as f:  # warm the page cache
                while f.read(1 << 24):
                    pass
            procs = verifier_processes(entries.stat().st_size)
            runs = {"one": [], "same": [], "verify": []}
            for _ in range(repeats):
                runs["one"].append(measure(["--child-hash", str(entries), "--processes", "1"]))
                if procs > 1:
                    runs["same"].append(
                        measure(["--child-hash", str(entries), "--processes", str(procs)])
                    )
                runs["verify"].append(measure(["--child-verify", str(folder)]))
            best = {k: min(r["seconds"] for r in v) for k, v in runs.items() if v}
            one = [
                r["seconds"] / x["seconds"]
                for r, x in zip(runs["one"], runs["verify"], strict=True)
            ]
            line = (
                f"  {size:>9,} entries, verifier in {procs} process(es), best of {repeats}: "
                f"verify {size / best['verify']:>10,.0f}/s   bare hashlib, 1 process "
                f"{size / best['one']:>10,.0f}/s   ratio {best['one'] / best['verify']:.2f} "
                f"(per-run {spread(one)})"
            )
            if procs > 1:
                same = [
                    r["seconds"] / x["seconds"]
                    for r, x in zip(runs["same"], runs["verify"], strict=True)
                ]
                line += (
                    f"\n  {'':>9}          bare hashlib split over {procs} processes "
                    f"{size / best['same']:>10,.0f}/s   ratio {best['same'] / best['verify']:.2f} "
                    f"(per-run {spread(same)})"
                )
            print(line, flush=True)
            peaks.append(max(r["peak_kib"] for r in runs["verify"]))
        print(
            f"  verifier peak memory at {n:,} vs {n // 4:,} entries: {peaks[1] / peaks[0]:.2f}x "
            f"(1.00 is flat; {peaks[1] / 1024:.0f} MiB)"
        )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--writes", type=int, default=2000)
    p.add_argument("--entries", type=int, default=1_000_000)
    p.add_argument("--child-writes", type=int)
    p.add_argument("--repeats", type=int, default=5, help="best of this many runs")
    p.add_argument("--child-hash")
    p.add_argument("--processes", type=int, default=1)
    p.add_argument("--child-verify")
    args = p.parse_args()
    if args.child_writes:
        return child_writes(args.child_writes)
    if args.child_hash:
        return child_hash(args.child_hash, args.processes)
    if args.child_verify:
        return child_verify(args.child_verify)

    print(f"1. A resident write (intake correction through the service), {args.writes} writes")
    databases = [("SQLite", None)] if args.writes else []  # --writes 0: verification only
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres") and args.writes:
        databases.append(("PostgreSQL", url))
    for label, db in databases:
        r = bench_writes(args.writes, db)
        print(
            f"  {label:<10} with ledger {r['with'] * 1e6:8.0f} µs   "
            f"without {r['without'] * 1e6:8.0f} µs   "
            f"ratio {r['ratio']:.2f} (median of {len(r['rounds'])} rounds; "
            f"per-round {spread(r['rounds'])}; "
            "aim: at most 1.2)",
            flush=True,
        )
    if not args.entries:
        return
    print("2. Offline verification vs bare hashing of the same leaves (aim: ratio >= 0.7)")
    bench_verify(args.entries, args.repeats)


if __name__ == "__main__":
    main()
