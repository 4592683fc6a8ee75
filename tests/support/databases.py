"""Databases of their own for tests that need real commits: a server under test, or several
writer processes. (The main suite's tests run in rolled-back transactions instead.)"""

import os
import uuid


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


def fresh_postgres_database(url: str):
    """Create a new database on the server DATABASE_URL names; return its URL and a dropper."""
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"homecoming_t_{uuid.uuid4().hex[:10]}"
    admin = f"{base}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


def isolated_env(data_dir, database: str = "sqlite"):
    """Environment for `homecoming` subprocesses with a data folder (and database) of their own.
    Returns (env, cleanup)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env["HOMECOMING_DATA_DIR"] = str(data_dir)
    env.pop("HOMECOMING_LEDGER_KEY", None)
    cleanup = lambda: None  # noqa: E731
    if database == "postgres" or (database == "same" and postgres_url()):
        env["DATABASE_URL"], cleanup = fresh_postgres_database(postgres_url())
    else:
        env.pop("DATABASE_URL", None)
    return env, cleanup
