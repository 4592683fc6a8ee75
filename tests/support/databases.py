"""Databases of their own for tests that need real commits: a server under test, or several
writer processes. (The main suite's tests run in rolled-back transactions instead.)"""

import os
import uuid


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else None


def both_databases():
    """Parameters for a test that runs on SQLite, and on PostgreSQL when DATABASE_URL names one."""
    import pytest

    return [
        "sqlite",
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
