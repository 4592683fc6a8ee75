"""The database check on its own: the worker runs `ledger verify --database` (ledger/dbcheck.py)
when it starts (so when `homecoming serve` starts) and every HOMECOMING_DATABASE_CHECK_HOURS
(default 1), and any mismatch is a critical alert to the oversight body and the program
director, e-mailed at once.

Each problem alerted is remembered as a ledger entry (`ledger.database_check_failed`, its
object id the SHA-256 of the problem's words): the same unchanged mismatch is not alerted again
every hour, and a new one always is. The memory is in the signed, append-only ledger, so a
database administrator cannot forget an alert for the check without leaving an entry.
A rollback is left to ledger/rollback.py, which alerts it itself (and refuses to sign)."""

from django.db import transaction

from . import dbcheck
from . import services as ledger
from .canonical import sha256_hex
from .models import Entry, Head

ACTION = "ledger.database_check_failed"
OBJECT_TYPE = "ledger.database"
KIND = "database_check"


def _fingerprint(problem: str) -> str:
    return sha256_hex(problem.encode("utf-8"))


def run() -> tuple[dbcheck.DatabaseReport, list[str]]:
    """Check the live database; alert what is new. Returns the report and the new problems."""
    report = dbcheck.check()
    found = [p for p in report.problems if p not in report.rolled_back]
    return report, alarm(found, total=len(report.problems)) if found else []


def alarm(problems: list[str], total: int | None = None) -> list[str]:
    """A critical alert naming the problems not alerted before, with one ledger entry each."""
    from homecoming.access.policy import Purpose
    from homecoming.accounts.models import Role
    from homecoming.alerts.services import notify_role

    with transaction.atomic():
        Head.objects.select_for_update().get(pk=1)  # two workers at once alert once
        told = set(
            Entry.objects.filter(
                action=ACTION,
                object_type=OBJECT_TYPE,
                object_id__in=[_fingerprint(p) for p in problems],
            ).values_list("object_id", flat=True)
        )
        new = [p for p in problems if _fingerprint(p) not in told]
        if not new:
            return []
        total = total if total is not None else len(problems)
        message = (
            f"Database check: {len(new)} new problem(s) in the live database "
            f"({total} in all; `homecoming ledger verify --database` lists them). Someone "
            "changed the record behind the application: " + " ".join(f"{p}." for p in new)
        )
        for role in (Role.OVERSIGHT, Role.PROGRAM_DIRECTOR):
            notify_role(role, kind=KIND, message=message)
        ledger.append_many(
            None,
            ACTION,
            [ledger.Target(object_type=OBJECT_TYPE, object_id=_fingerprint(p)) for p in new],
            purpose=Purpose.OPERATIONS,
        )
    return new
