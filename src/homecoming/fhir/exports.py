"""FHIR Bulk Data $export: kick-off, the worker's writing, status, files, cancellation.

Identified records of many residents leave the center here, so:
- only the program director may ask (`record.export`, docs/access.md), and only the residents
  and parts of their records they may read are written (bulk.py asks the policy);
- each export that finishes is one ledger entry naming every resident in it and the types
  (a Mention each, so it is in every one of those residents' "who looked"), and the oversight
  body is alerted: a director who sends the center's records to someone is never unseen;
- an export is the requester's alone: anyone else's look at its status or files is refused
  and on the ledger.

Files live under DATA_DIR/exports/<key>/, one NDJSON per type, until the requester deletes the
export (DELETE on its status address) or `homecoming export fhir` is used instead (files the
operator chooses where to write)."""

import secrets
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action, Purpose
from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.ledger import services as ledger
from homecoming.ledger.canonical import canonical_json

from . import bulk
from .models import Export, ExportStatus

EXPORT = str(Action.EXPORT_RECORDS)
ALERT = "records_exported"
UNFINISHED = (ExportStatus.ACCEPTED, ExportStatus.RUNNING)


class NotFound(Exception):
    """No export of the requester's by that key (or a file it does not hold)."""


def folder(export: Export) -> Path:
    return Path(settings.DATA_DIR) / "exports" / export.key


def kick_off(actor, *, system: bool, types: list[str] | None, since: str) -> Export:
    """Accept an export for the worker to write; AccessDenied (on the ledger) for anyone but
    the program director."""
    policy.require(actor, Action.EXPORT_RECORDS)
    return Export.objects.create(
        key=secrets.token_urlsafe(32),
        requested_by=actor,
        requested_at=timezone.now(),
        system=system,
        types=types or [],
        since=since,
        status=ExportStatus.ACCEPTED,
    )


def mine(actor, key: str) -> Export:
    """The requester's export by its key. Someone else's is refused (on the ledger, naming the
    export), one that does not exist is NotFound, and the probe is written down too."""
    export = Export.objects.filter(key=key).first()
    if export is None:
        error = NotFound("No such export.")
        policy.refuse_unknown(actor, EXPORT, "fhir.export", key[:8], error)
    if export.requested_by_id != getattr(actor, "pk", None):
        policy.refuse(
            actor,
            EXPORT,
            ledger.Target.of(export),
            reason="An export is its requester's alone.",
        )
    return export


def file_of(actor, key: str, type_name: str) -> Path:
    export = mine(actor, key)
    path = folder(export) / f"{type_name}.ndjson"
    if export.status != ExportStatus.COMPLETE or type_name not in export.counts:
        raise NotFound(f"This export holds no {type_name} file.")
    return path


def cancel(actor, key: str) -> Export:
    """Stop an export being written, or delete a finished one's files (Bulk Data: DELETE)."""
    export = mine(actor, key)
    if export.status in (ExportStatus.CANCELLED, ExportStatus.FAILED):
        raise NotFound("This export was already cancelled or deleted.")
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.CANCELLED)
    if export.status == ExportStatus.COMPLETE:
        shutil.rmtree(folder(export), ignore_errors=True)
    export.refresh_from_db()
    return export


def request_of(export: Export) -> bulk.Request:
    from .params import span

    since = span(f"ge{export.since}") if export.since else None
    return bulk.Request(types=export.types or None, since=since, system=export.system)


def record_export(actor, written: bulk.Written, request: bulk.Request, target, who="") -> None:
    """The one entry an export is, naming every resident whose record left, and the alert to
    the oversight body (and the director, unless they ran it: the command line's operator,
    whom `who` names)."""
    named = sorted(written.residents)
    detail = {
        "types": request.chosen(),
        "resources": written.counts,
        "residents": named,
    }
    ledger.append_rows(
        [
            ledger.Row(
                actor,
                EXPORT,
                target,
                Purpose.OPERATIONS,
                detail=canonical_json(detail).decode(),
                named=tuple(named),
            )
        ]
    )
    who = who or actor.full_name or actor.username
    message = (
        f"{who} exported the records of {len(named)} resident(s) in FHIR: "
        f"{written.total} resources ({', '.join(sorted(written.counts))})."
    )
    alerts.notify_role(Role.OVERSIGHT, kind=ALERT, message=message)
    if actor is None:
        alerts.notify_role(Role.PROGRAM_DIRECTOR, kind=ALERT, message=message)


def run(export: Export) -> Export:
    """Write one accepted export (the worker). Cancelled on the way: its files are removed.
    A failure is kept with its reason; nothing half-written is offered."""
    claimed = Export.objects.filter(pk=export.pk, status=ExportStatus.ACCEPTED).update(
        status=ExportStatus.RUNNING
    )
    if not claimed:
        return export
    into = folder(export)
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    request = request_of(export)

    def progress(done, of):
        Export.objects.filter(pk=export.pk).update(residents_done=done, residents_total=of)

    def cancelled():
        return Export.objects.filter(pk=export.pk, status=ExportStatus.CANCELLED).exists()

    try:
        written = bulk.write(export.requested_by, request, into, progress, cancelled)
    except bulk.Cancelled:
        shutil.rmtree(into, ignore_errors=True)
        export.refresh_from_db()
        return export
    except Exception as exc:
        shutil.rmtree(into, ignore_errors=True)
        Export.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        done = Export.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.COMPLETE, counts=written.counts, finished_at=timezone.now()
        )
        if done:
            record_export(export.requested_by, written, request, ledger.Target.of(export))
    if not done:  # cancelled as the last batch was written
        shutil.rmtree(into, ignore_errors=True)
    export.refresh_from_db()
    return export


def resume_interrupted() -> int:
    """At the worker's start: an export it was writing when it stopped (a restart, a crash) is
    written again from the start, rather than polled "in progress" for ever."""
    return Export.objects.filter(status=ExportStatus.RUNNING).update(
        status=ExportStatus.ACCEPTED, residents_done=0
    )


def run_waiting() -> str | None:
    """The worker's turn: write every accepted export, oldest first."""
    waiting = list(Export.objects.filter(status=ExportStatus.ACCEPTED).order_by("requested_at"))
    for export in waiting:
        run(export)
    return f"wrote {len(waiting)} FHIR export(s)" if waiting else None
