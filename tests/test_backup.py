"""`homecoming backup` and `homecoming restore`, run as an operator runs them: a small demo
center backed up while it runs, restored into a fresh data folder (and database), checked by
`ledger verify --database`; damaged archives and non-empty targets refused, naming why. On
SQLite, and on PostgreSQL when DATABASE_URL names one."""

import io
import json
import shutil
import subprocess
import sys
import tarfile
import textwrap

import pytest

from tests.support.databases import both_databases, isolated_env

COUNTS = textwrap.dedent("""
    import json, os, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "homecoming.settings"
    django.setup()
    from django.apps import apps
    from django.core.files.storage import default_storage
    from pathlib import Path
    counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()
              if m._meta.app_label not in ("sessions", "contenttypes", "admin")}
    media = Path(default_storage.location)
    from homecoming.ledger.models import Entry
    counts["center.backup"] = Entry.objects.filter(action="center.backup").count()
    counts["center.restore"] = Entry.objects.filter(action="center.restore").count()
    counts["files"] = sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())
    print(json.dumps(counts))
""")


def homecoming(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "homecoming.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def counts(env) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", COUNTS], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


class Center:
    """A data folder (and database) of its own, with the `homecoming` command pointed at it."""

    def __init__(self, folder, database, key_dir=None, migrated=False):
        self.folder = folder
        self.env, self.drop = isolated_env(folder, database=database, migrated=migrated)
        if key_dir is not None:  # the key (and the rollback state beside it) outside the data
            self.env["HOMECOMING_LEDGER_KEY"] = str(key_dir / "ledger.key")

    def __call__(self, *args):
        return homecoming(self.env, *args)

    def ok(self, *args):
        done = self(*args)
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        return done


@pytest.fixture(scope="module", params=both_databases())
def backed_up(request, tmp_path_factory):
    """A demo center (3 residents) backed up while it runs: (center, archive, counts then)."""
    source = Center(tmp_path_factory.mktemp("source"), request.param, migrated=True)
    source.ok("demo", "--residents", "3", "--quiet")
    archive = tmp_path_factory.mktemp("backups") / "center.tar.gz"
    done = source.ok("backup", "-o", str(archive))
    assert "back them up separately" in done.stderr
    before = counts(source.env)
    yield source, archive, before, request.param
    source.drop()


def fresh(tmp_path, database, source):
    """An empty center that holds the source's signing key, as an operator restores it."""
    target = Center(tmp_path / "restored", database)
    target.folder.mkdir()
    shutil.copy(source.folder / "ledger.key", target.folder / "ledger.key")
    return target


def test_a_backup_restores_into_an_empty_center_and_verifies(backed_up, tmp_path):
    source, archive, before, database = backed_up
    target = fresh(tmp_path, database, source)
    try:
        done = target.ok("restore", str(archive))
        assert "Restored" in done.stdout
        verified = target.ok("ledger", "verify", "--database")
        assert verified.stdout.startswith("OK:")
        after, before = counts(target.env), dict(before)
        # Everything the backup held came back; the restore itself is two more ledger entries:
        # its own, and the operator's run (who restored, from which host) with its version.
        assert after.pop("ledger.Entry") == before.pop("ledger.Entry") + 2
        assert after.pop("ledger.Version") == before.pop("ledger.Version") + 1
        assert after.pop("accounts.CommandRun") == before.pop("accounts.CommandRun") + 1
        # The backup's own entry was in the snapshot; the restore wrote one after restoring.
        assert before["center.backup"] == 1 and before.pop("center.restore") == 0
        assert after.pop("center.restore") == 1
        assert after == before
        assert before["files"] and before["residents.Resident"] >= 3
        target.ok("ledger", "checkpoint")
        target.ok("ledger", "verify", "--database")
    finally:
        target.drop()


def test_the_archive_holds_no_secret_and_its_manifest_describes_every_part(backed_up):
    _, archive, _, database = backed_up
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
        checkpoint = tar.extractfile("ledger/checkpoint.txt").read().decode()
    assert names[0] == "manifest.json"
    assert sorted(p["name"] for p in manifest["parts"]) == sorted(names[1:])
    assert manifest["database"] == ("sqlite" if database == "sqlite" else "postgresql")
    # The checkpoint signs the ledger with the backup's own entry in it.
    assert checkpoint.splitlines()[1] == str(manifest["checkpoint_tree_size"])
    assert all(len(p["sha256"]) == 64 and p["size"] >= 0 for p in manifest["parts"])
    for name in names:
        assert "ledger.key" not in name and "secret" not in name
    with tarfile.open(archive) as tar:
        for member in tar:
            assert b"PRIVATE+KEY+" not in tar.extractfile(member).read()


def rewrite(archive, into, change):
    """Copy an archive, passing each part's bytes through change(name, data)."""
    with tarfile.open(archive) as src, tarfile.open(into, "w:gz") as dst:
        for member in src:
            data = change(member.name, src.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return into


def test_a_corrupted_archive_is_refused_naming_the_bad_part(backed_up, tmp_path):
    source, archive, _, database = backed_up
    with tarfile.open(archive) as tar:
        media = next(n for n in tar.getnames() if n.startswith("media/"))
    db_part = "database.sqlite3" if database == "sqlite" else "database.pgdump"

    def flip(name, data):
        if name in (db_part, media):
            return data[:100] + bytes([data[100] ^ 1]) + data[101:]
        return data

    target = fresh(tmp_path, database, source)
    try:
        bad = rewrite(archive, tmp_path / "bad.tar.gz", flip)
        done = target("restore", str(bad))
        assert done.returncode == 2
        assert f"{db_part}: its SHA-256 differs" in done.stderr
        assert f"{media}: its SHA-256 differs" in done.stderr
        assert "nothing was restored" in done.stderr

        dropped = rewrite(
            archive, tmp_path / "short.tar.gz", lambda n, d: None if n == media else d
        )
        done = target("restore", str(dropped))
        assert done.returncode == 2 and f"{media}: missing from the archive" in done.stderr

        cut = tmp_path / "cut.tar.gz"
        cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
        done = target("restore", str(cut))
        assert done.returncode == 2 and "cut short" in done.stderr

        # Nothing of it reached the target: a good archive restores afterwards.
        assert not (target.folder / "media").exists()
        target.ok("restore", str(archive))
        target.ok("ledger", "verify", "--database")
    finally:
        target.drop()


def test_restore_onto_a_center_with_data_is_refused(backed_up, tmp_path):
    source, archive, before, database = backed_up
    done = source("restore", str(archive))
    assert done.returncode == 2
    assert "Nothing was restored" in done.stderr
    assert "is not empty" in done.stderr and "uploaded files folder" in done.stderr
    assert counts(source.env) == before  # untouched
    done = source("restore", str(tmp_path / "nowhere.tar.gz"))
    assert done.returncode == 2 and "No backup file" in done.stderr


def test_backup_never_replaces_a_file_and_writes_nothing_half_done(backed_up, tmp_path):
    source, archive, _, _ = backed_up
    existing = tmp_path / "old.tar.gz"
    existing.write_bytes(b"an older backup")
    done = source("backup", "-o", str(existing))
    assert done.returncode == 2 and "never replaces" in done.stderr
    assert existing.read_bytes() == b"an older backup"
    # A folder gets a file named by the time; no temporary file is left beside it.
    source.ok("backup", "-o", str(tmp_path))
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == 2 and left[0].startswith("homecoming-") and left[0].endswith(".tar.gz")


def test_backup_of_a_database_without_a_center_says_so(tmp_path):
    empty = Center(tmp_path / "empty", "sqlite")
    done = empty("backup", "-o", str(tmp_path))
    assert done.returncode == 2 and "homecoming migrate" in done.stderr
    assert not list(tmp_path.glob("*.tar.gz"))


def test_postgres_backups_need_the_client_tools_and_say_so(monkeypatch):
    from homecoming.core import backup

    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="`pg_dump` is not installed.*postgresql-client"):
        backup._postgres_tool("pg_dump")
