"""Is this center ready to serve? The one set of checks behind `GET /readyz`, and behind the
refusal of `homecoming serve` and `homecoming worker` to start on a database that is unreachable
or not migrated.

The worker's heartbeat is a small file in the data directory, rewritten every round: not a
database row, because a row rewritten every five seconds would be the only write in the
database outside the ledger's rule (every write has its entry) and a needless write lock on
SQLite, and because the web process must share the data directory with the worker anyway (it
reads the same ledger key from there). Its content is the time of the round, so a copied or
restored file cannot look fresh by its modification time alone."""

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

# What a lost, unreachable or locked database raises (not IntegrityError or ProgrammingError:
# those are bugs, and stay 500s).
DATABASE_ERRORS = (OperationalError, InterfaceError)


def heartbeat_path() -> Path:
    return Path(settings.HOMECOMING_WORKER_HEARTBEAT)


def beat(now: float | None = None) -> None:
    """Written by the worker every round: atomically, so a reader never sees half a file."""
    path = heartbeat_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(f"{time.time() if now is None else now:.3f} {os.getpid()}\n")
    os.replace(tmp, path)


def heartbeat_age() -> float | None:
    """Seconds since the worker's last round, or None if it never ran here."""
    try:
        written = float(heartbeat_path().read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return time.time() - written


def database_name(db: dict | None = None) -> str:
    """Which database, for messages: never the password."""
    db = db or settings.DATABASES[DEFAULT_DB_ALIAS]
    if "sqlite" in db["ENGINE"]:
        return str(db["NAME"])
    return f"{db.get('NAME')} on {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"


def database_problem() -> str | None:
    """A sentence if the database cannot be reached (or opened)."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DATABASE_ERRORS as exc:
        connection.close_if_unusable_or_obsolete()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"the database {database_name()} cannot be reached: {reason}"
    return None


def pending_migrations() -> list[str]:
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _backwards in plan]


def migration_problem() -> str | None:
    pending = pending_migrations()
    if not pending:
        return None
    shown = ", ".join(pending[:3]) + (f" and {len(pending) - 3} more" if len(pending) > 3 else "")
    return f"the database {database_name()} lacks {len(pending)} migration(s) ({shown})"


def ledger_key_problem() -> str | None:
    from homecoming.ledger import signing

    try:
        signing.load()
    except signing.KeyMissing as exc:
        return str(exc)
    except OSError as exc:
        return f"the ledger key {signing.key_path()} cannot be read: {exc.strerror}"
    return None


def worker_problem() -> str | None:
    age = heartbeat_age()
    limit = settings.HOMECOMING_WORKER_STALE_SECONDS
    if age is None:
        return f"no worker has run here yet (no heartbeat in {heartbeat_path()})"
    if age > limit:
        return f"the worker's last round was {age:.0f} s ago (more than {limit} s)"
    return None


@dataclass
class Readiness:
    checks: dict[str, str | None] = field(default_factory=dict)  # name -> problem or None

    @property
    def ready(self) -> bool:
        return not any(self.checks.values())

    def as_json(self) -> dict:
        return {
            "ready": self.ready,
            "checks": {
                name: {"ok": problem is None, **({"problem": problem} if problem else {})}
                for name, problem in self.checks.items()
            },
        }


def readiness() -> Readiness:
    result = Readiness()
    result.checks["database"] = database_problem()
    if result.checks["database"] is None:
        result.checks["migrations"] = migration_problem()
    else:
        result.checks["migrations"] = "not checked: the database cannot be reached"
    result.checks["ledger_key"] = ledger_key_problem()
    result.checks["worker"] = worker_problem()
    return result


class NotReady(Exception):
    """The database is unreachable or not migrated: `serve` and `worker` do not start."""


def require_database() -> None:
    """What `serve` and `worker` check before they start (the worker's own heartbeat and the
    ledger key are not conditions: the worker makes the first, and it keeps running without the
    second, saying so, until an operator runs `ledger keygen`)."""
    problem = database_problem()
    if problem:
        raise NotReady(f"Not starting: {problem}.")
    problem = migration_problem()
    if problem:
        raise NotReady(f"Not starting: {problem}. Run `homecoming migrate` first.")
