"""Several writer processes append at once: the ledger stays gap-free and in order, a
rolled-back write leaves no entry, and no entry exists without its write. On PostgreSQL (the
production database, when DATABASE_URL names one) and on the demo's SQLite file."""

import subprocess
import sys
import textwrap

import pytest

from tests.support.databases import both_databases, isolated_env

DATABASES = both_databases()

WRITER = textwrap.dedent("""
    import os, random, sys, time
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "homecoming.settings"
    django.setup()
    from django.db import transaction
    from homecoming.ledger import services as ledger
    from homecoming.residents.models import Room

    name, rounds = sys.argv[1], int(sys.argv[2])
    rng = random.Random(name)
    committed = 0
    for i in range(rounds):
        try:
            with transaction.atomic():
                room = Room.objects.create(name=f"{name}-{i}", wing=name)
                ledger.record_write(None, "room.create", room, resident_id=None,
                                    purpose="operations")
                time.sleep(rng.random() / 200)  # hold the ledger's lock a little
                if rng.random() < 0.3:
                    raise RuntimeError("the work failed")
            committed += 1
        except RuntimeError:
            pass
    print(committed)
""")


@pytest.mark.parametrize("database", DATABASES)
def test_concurrent_writers_leave_a_gap_free_ledger(tmp_path, database):
    env, drop = isolated_env(tmp_path, database=database, migrated=True)
    try:
        run = lambda *a: subprocess.run(  # noqa: E731
            [sys.executable, "-m", "homecoming.cli", *a],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run("ledger", "keygen", "--name", "concurrency/ledger").returncode == 0
        writers = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, f"w{n}", "40"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(5)
        ]
        committed = 0
        for writer in writers:
            out, err = writer.communicate(timeout=300)
            assert writer.returncode == 0, err
            committed += int(out)
        assert 0 < committed < 200  # some rolled back, by design
        assert run("ledger", "checkpoint").returncode == 0
        check = run("ledger", "verify", "--database")
        assert check.returncode == 0, check.stderr
        assert check.stdout.startswith(f"OK: {committed} entries")
        # Every entry has its room and every room its entry: nothing without its work.
        count = run(
            "manage",
            "shell",
            "-c",
            "from homecoming.residents.models import Room;"
            "from homecoming.ledger.models import Entry;"
            "print(Room.objects.count(), Entry.objects.count(),"
            " sorted(Entry.objects.values_list('seq', flat=True)) =="
            " list(range(Entry.objects.count())))",
        )
        assert count.stdout.splitlines()[-1].split() == [str(committed), str(committed), "True"]
    finally:
        drop()
