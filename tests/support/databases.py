"""Databases of their own for tests that need real commits: a server under test, or several
writer processes. (The main suite's tests run in rolled-back transactions instead.)"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

# The SQLite file under HOMECOMING_DATA_DIR (settings.py), when DATABASE_URL names no other.
SQLITE_FILE = "homecoming.sqlite3"


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else None


def sqlite_run_only(reason: str):
    """A mark for a test whose outcome the database behind the suite cannot change: one that
    judges what a page looks like (accessibility, a phone's width), or that runs on SQLite
    whatever DATABASE_URL says (the docs' commands on a fresh checkout, two demo builds
    compared). `.ci/run` runs the suite twice, on SQLite then on PostgreSQL; the PostgreSQL run
    is there for what the database changes (locks, types, queries), so it skips these, which
    the SQLite run has just run, and says why (docs/operating.md, "CI")."""
    import pytest

    return pytest.mark.skipif(postgres_url() is not None, reason=f"{reason}: the SQLite run ran it")


def both_databases():
    """Parameters for a test of each database: SQLite in the SQLite run (`make test`), and
    PostgreSQL in the run against it (DATABASE_URL), each where it is the suite's database. The
    PostgreSQL run does not repeat the SQLite case: it ran in the SQLite run just before."""
    import pytest

    return [
        pytest.param("sqlite", marks=sqlite_run_only("SQLite's case")),
        pytest.param(
            "postgres",
            marks=pytest.mark.skipif(
                postgres_url() is None, reason="needs PostgreSQL (DATABASE_URL)"
            ),
        ),
    ]


def fresh_postgres_database(url: str, template: str | None = None):
    """Create a new database on the server DATABASE_URL names (a copy of `template`, a database
    on the same server nobody is connected to, when given); return its URL and a dropper."""
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"homecoming_t_{uuid.uuid4().hex[:10]}"
    admin = f"{base}/postgres"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy_of}')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


# `homecoming migrate` on a fresh database takes 10-15 seconds, and a dozen tests that need real
# commits (races between processes, a served center, backups) each started with it. Each test
# process now runs it once per database, the first time a test asks for a migrated database,
# into a template that every later caller gets a copy of: the SQLite file copied, or on
# PostgreSQL `CREATE DATABASE ... TEMPLATE`. The tests of `migrate` itself (tests/test_cli.py,
# tests/production/test_cli_production.py, the docs' commands, the demo's two builds) still run
# it on an empty database. kind ("sqlite" or "postgres") -> the template folder or database.
_templates: dict[str, tuple[Path | str, object]] = {}


def _migrated_template(kind: str) -> Path | str:
    """The template for `kind`, made by a real `homecoming migrate` the first time it is asked
    for: the folder holding the migrated SQLite file, or the migrated PostgreSQL database's name."""
    if kind not in _templates:
        folder = Path(tempfile.mkdtemp(prefix=f"homecoming-template-{kind}-"))
        env, drop = isolated_env(folder / "data", database=kind)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "homecoming.cli", "migrate"],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, f"homecoming migrate: {done.stdout}\n{done.stderr}"
        except BaseException:
            drop()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if kind == "sqlite":
            # Nothing left in a write-ahead log beside the file: the file alone is the database.
            with sqlite3.connect(folder / "data" / SQLITE_FILE) as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()
            template = folder / "data"
            assert not (template / f"{SQLITE_FILE}-wal").exists()
        else:  # the migrate process has exited: nobody is connected, as TEMPLATE requires
            template = env["DATABASE_URL"].rpartition("/")[2]

        def remove():
            drop()
            shutil.rmtree(folder, ignore_errors=True)

        _templates[kind] = (template, remove)
    return _templates[kind][0]


def drop_templates():
    """Remove the templates this process made (tests/conftest.py, at the end of the session)."""
    while _templates:
        _, (_, remove) = _templates.popitem()
        remove()


def _copy_migrated(kind: str, data_dir: Path, env: dict):
    """Leave `data_dir` (and, on PostgreSQL, env's DATABASE_URL) as `homecoming migrate` on a
    fresh database leaves them: the migrated database, and the data folder's own new keys."""
    template = _migrated_template(kind)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # as the first command makes it
    if kind == "sqlite":
        shutil.copyfile(template / SQLITE_FILE, data_dir / SQLITE_FILE)
    # The migrate run also made the session and pseudonym keys (settings.py, unless the
    # environment gives them): new ones here, never the template's, so no two tests share one.
    from homecoming.core import keyfiles

    for variable, filename in (
        ("HOMECOMING_SECRET_KEY", "secret.key"),
        ("HOMECOMING_PSEUDONYM_KEY", "pseudonym.key"),
    ):
        if not env.get(variable):
            keyfiles.read_or_create(data_dir / filename)


def isolated_env(data_dir, database: str = "sqlite", migrated: bool = False):
    """Environment for `homecoming` subprocesses with a data folder (and database) of their own.
    migrated: the database as `homecoming migrate` leaves a fresh one (a copy of a template the
    test process migrated once), for tests that are not about migrating. Returns (env, cleanup)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env["HOMECOMING_DATA_DIR"] = str(data_dir)
    env.pop("HOMECOMING_LEDGER_KEY", None)
    cleanup = lambda: None  # noqa: E731
    kind = "sqlite"
    if database == "postgres" or (database == "same" and postgres_url()):
        kind = "postgres"
        template = _migrated_template(kind) if migrated else None
        env["DATABASE_URL"], cleanup = fresh_postgres_database(postgres_url(), template)
    else:
        env.pop("DATABASE_URL", None)
    if migrated:
        try:
            _copy_migrated(kind, Path(data_dir), env)
        except BaseException:
            cleanup()
            raise
    return env, cleanup
