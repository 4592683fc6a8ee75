"""The database administrator's rollback, replayed end to end with the real commands: back up,
write, restore the backup into a fresh database (the signing key and its state file kept where
they were, outside the data folder), start the worker: the signing is refused and the oversight
body and the program director are alerted. Then the DBA writes new entries until the ledger is
longer than the one signed, and deletes the state file: still refused, by the root at the
recorded size, and by the folder witness. On SQLite, and on PostgreSQL when DATABASE_URL names
one."""

import json
import subprocess
import sys
import textwrap

import pytest

from tests.support.databases import both_databases
from tests.test_backup import Center

PASSWORD = "correct horse battery staple\n"

ALERTS = textwrap.dedent("""
    import json, os, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "homecoming.settings"
    django.setup()
    from homecoming.alerts.models import Alert
    from homecoming.ledger.models import Entry, Head
    rows = Alert.objects.filter(kind="ledger", message__startswith="Ledger rollback")
    print(json.dumps({
        "roles": sorted({a.recipient.role for a in rows}),
        "messages": sorted({a.message for a in rows}),
        "entries": Entry.objects.filter(action="ledger.rollback_detected").count(),
        "head": Head.objects.get(pk=1).size,
    }))
""")

DBA_WRITES = textwrap.dedent("""
    import os, sys, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "homecoming.settings"
    django.setup()
    from django.db import transaction
    from homecoming.ledger import services as ledger
    with transaction.atomic():
        for i in range(int(sys.argv[1])):
            ledger.append(None, "room.create", ledger.Target(object_id=str(i)),
                          purpose="operations")
""")


def python(center, script, *args):
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=center.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def add_user(center, role, username):
    done = subprocess.run(
        [sys.executable, "-m", "homecoming.cli", "createuser", "--role", role,
         "--username", username, "--full-name", username.title(), "--password-stdin"],
        env=center.env, input=PASSWORD, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("database", both_databases())
def test_a_restored_old_backup_is_seen_and_signing_refused(tmp_path, database):
    keys, witness = tmp_path / "keys", tmp_path / "oversight-inbox"
    keys.mkdir()
    source = Center(tmp_path / "center", database, key_dir=keys, migrated=True)
    source.env["HOMECOMING_WITNESSES"] = f"dir:{witness}"
    restored = None
    try:
        source.ok("ledger", "keygen", "--name", "rollback.test/ledger")
        add_user(source, "oversight", "olive")
        add_user(source, "program_director", "paula")
        source.ok("ledger", "checkpoint")
        archive = tmp_path / "center.tar.gz"
        source.ok("backup", "-o", str(archive))
        backed_up = json.loads((keys / "ledger.state").read_text())["tree_size"]

        # Work goes on after the backup, and is signed.
        add_user(source, "caseworker", "cass")
        source.ok("ledger", "checkpoint")
        signed = json.loads((keys / "ledger.state").read_text())["tree_size"]
        assert signed > backed_up

        # The DBA restores the backup into a fresh database; the key's folder is untouched.
        restored = Center(tmp_path / "restored", database, key_dir=keys)
        restored.env["HOMECOMING_WITNESSES"] = source.env["HOMECOMING_WITNESSES"]
        done = restored.ok("restore", str(archive))
        assert "rolled back" in done.stderr and "alerted" in done.stderr

        worker = restored.ok("worker", "--once")
        assert "worker: ALERT: This ledger signed a tree of" in worker.stdout  # at start
        assert "REFUSED to sign a checkpoint" in worker.stdout
        done = restored("ledger", "checkpoint")
        assert done.returncode == 2 and "Refused to sign" in done.stderr
        done = restored("ledger", "verify", "--database")
        assert done.returncode == 1 and "rolled back" in done.stderr
        seen = json.loads(python(restored, ALERTS))
        assert seen["roles"] == ["oversight", "program_director"]
        assert seen["entries"] >= 1

        # The DBA writes entries until the ledger is longer than the one signed: the first
        # `signed` entries still hash to another root.
        python(restored, DBA_WRITES, str(signed - seen["head"] + 5))
        done = restored("ledger", "checkpoint")
        assert done.returncode == 2 and "hash to a different root" in done.stderr

        # ... and deletes the state file: the witness still holds the larger tree.
        (keys / "ledger.state").unlink()
        done = restored("ledger", "checkpoint")
        assert done.returncode == 2 and "witness dir:" in done.stderr
        assert not (keys / "ledger.state").exists()

        # After a real loss, the director and the oversight body decide to carry on from the
        # restored ledger: said out loud, ledgered, and alerted; signing resumes.
        done = restored("ledger", "accept-rollback", "--reason", " ")
        assert done.returncode == 2 and "--reason" in done.stderr
        restored.ok("ledger", "accept-rollback", "--reason", "database lost; last backup restored")
        restored.ok("ledger", "checkpoint")
        restored.ok("ledger", "verify", "--database")
        seen = json.loads(python(restored, ALERTS.replace("Ledger rollback", "Ledger rollback ac")))
        assert seen["roles"] == ["oversight", "program_director"]
        assert "database lost; last backup restored" in seen["messages"][0]
        done = restored("ledger", "accept-rollback", "--reason", "again")
        assert done.returncode == 2 and "Nothing to accept" in done.stderr
    finally:
        source.drop()
        if restored is not None:
            restored.drop()
