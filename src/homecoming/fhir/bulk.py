"""Many residents' records as NDJSON, one file per resource type (FHIR Bulk Data): the writer
that both `$export` (exports.py, run by the worker) and `homecoming export fhir` use.

Bounded memory whatever the center's size: residents are taken a batch at a time, and each
source's rows for the batch are streamed from the database (`iterator`) straight to its file,
one line per resource. What the exporter may read is the policy's answer for each batch and
each action (`decide_for_residents`: a bounded number of queries per batch), the same rules as
every page; the operator at the command line (no account) exports the whole center, as they
can read the database anyway, and is named on the ledger by the command's run.

The ledger entry and the alert are the caller's: this module only reads and writes files."""

import multiprocessing
import queue
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from django.conf import settings
from django.db import connection, connections
from django.db.models import F

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.residents.models import Resident

from . import reads, resources, sources
from .params import Criteria, Span
from .sources import Source

BATCH = 500
# Left out unless `_type` (or --type) names it: the trail of who looked at each record is the
# ledger's, not the record's; an investigator takes it with `homecoming ledger export`, and a
# system receiving the center's records has no use for every look staff made at them.
ASKED_FOR_BY_NAME = {"AuditEvent"}
RESIDENT = "fhir_resident_id"
# orjson rather than the standard library's json: a line is written for every resource of
# the center, and json's encoder took a seventh of the export's time (bench/fhir_export.py).
# Its output is the same compact UTF-8 JSON; it refuses what json refuses (a Decimal, a date:
# the mappings give strings and numbers).
encode = orjson.dumps
NDJSON = "application/fhir+ndjson"

PATIENT = Source(
    type="Patient",
    rows=lambda: Resident.objects.all(),
    resource=resources.patient,
    action=Action.VIEW,
    section="chart",
    resident="pk",
)


class Cancelled(Exception):
    """The export was cancelled while it was being written."""


@dataclass
class Request:
    """What to export: the types (None: every type the level serves), changes since when,
    and whether the center's reference data (staff, rooms, forms, formulary) goes too."""

    types: list[str] | None = None
    since: Span | None = None
    system: bool = True

    def chosen(self) -> list[str]:
        return self.types or [t for t in served(self.system) if t not in ASKED_FOR_BY_NAME]


def served(system: bool) -> list[str]:
    """The types an export of this level can hold: the Patient and every part of a resident's
    record, and (system level) the reference data they point to."""
    about = ["Patient", *sources.resident_types()]
    if not system:
        return about
    return about + [t for t in sources.types() if t not in about]


@dataclass
class Written:
    counts: dict[str, int] = field(default_factory=dict)  # type -> resources written
    residents: set[int] = field(default_factory=set)  # residents with anything written

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class _Files:
    """One NDJSON file per type, opened on its first resource."""

    def __init__(self, into: Path, append: bool = False):
        self.into, self.open, self.mode = into, {}, "ab" if append else "wb"

    def write(self, type_name: str, resource: dict):
        out = self.open.get(type_name)
        if out is None:
            out = self.open[type_name] = (self.into / f"{type_name}.ndjson").open(self.mode)
        out.write(encode(resource))
        out.write(b"\n")

    def close(self):
        for out in self.open.values():
            out.close()


def _resident_sources(types: list[str]) -> list[Source]:
    found = [PATIENT] if "Patient" in types else []
    for type_name in types:
        found.extend(s for s in sources.of_type(type_name) if s.about_residents)
    return found


def _reference_sources(types: list[str]) -> list[Source]:
    return [s for t in types if t != "Patient" for s in sources.of_type(t) if not s.about_residents]


def _allowed(actor, action, batch: list[Resident]) -> list[int]:
    if actor is None:  # the operator at the server
        return [r.pk for r in batch]
    decided = policy.decide_for_residents(actor, action, batch)
    return [pk for pk, decision in decided.items() if decision.allowed]


def _rows(source: Source, since: Span | None):
    """The source's rows, those changed since `since` when the ledger says when each changed
    (a row whose changes nothing dates goes whatever `since` says: sent again, never lost)."""
    qs = reads.with_updated(source, source.rows())
    if since is None or not reads.knows_updated(source):
        return qs
    return reads.narrowed(source, qs, Criteria(updated=[since]))


def residents_in_scope(actor):
    qs = Resident.objects.all() if actor is None else Resident.objects.visible_to(actor)
    return qs.order_by("pk")


def write(
    actor,
    request: Request,
    into: Path,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    *,
    processes: int | None = None,
    batch: int = BATCH,
) -> Written:
    """Write the export into the folder `into` (which exists and is empty). `progress(done,
    of)` hears after each batch of residents; `cancelled()`, asked between batches, stops
    the export (Cancelled) with the files written so far left for the caller to remove.

    The batches are shared among `processes` (default: HOMECOMING_EXPORT_PROCESSES) when
    other processes can read what this one reads; each type is one file either way."""
    types = request.chosen()
    ids = list(residents_in_scope(actor).values_list("pk", flat=True))
    batches = [ids[start : start + batch] for start in range(0, len(ids), batch)]
    job = Job(actor, _resident_sources(types), request.since, len(ids), progress, cancelled)
    shared = _processes(processes, len(batches))
    if shared > 1:
        written = _in_processes(job, batches, into, shared)
    else:
        written = _in_this_process(job, batches, into)
    # The center's reference data, after the residents' files: appended to a type's file
    # when it also has rows about residents.
    files = _Files(into, append=True)
    try:
        for source in _reference_sources(types):
            items = source.fixed() if source.fixed is not None else _rows(source, request.since)
            for row in items:
                files.write(source.type, reads.resource(source, row))
                written.counts[source.type] = written.counts.get(source.type, 0) + 1
    finally:
        files.close()
    return written


@dataclass
class Job:
    """What each process writing a share of the batches needs."""

    actor: object
    about: list[Source]
    since: Span | None
    residents: int
    progress: Callable[[int, int], None] | None
    cancelled: Callable[[], bool] | None

    def write_batch(self, pks: list[int], files: _Files, written: Written):
        batch = list(Resident.objects.filter(pk__in=pks))
        allowed = {}
        for source in self.about:
            if source.action not in allowed:
                allowed[source.action] = _allowed(self.actor, source.action, batch)
            if not allowed[source.action]:
                continue
            readable = {f"{source.resident}__in": allowed[source.action]}
            # Whose each row is, in the row: through its relations it is a query a row.
            rows = _rows(source, self.since).filter(**readable)
            rows = rows.annotate(**{RESIDENT: F(source.resident)})
            for row in rows.order_by("pk").iterator(chunk_size=1000):
                files.write(source.type, reads.resource(source, row))
                written.counts[source.type] = written.counts.get(source.type, 0) + 1
                written.residents.add(getattr(row, RESIDENT))

    def stop_if_cancelled(self):
        if self.cancelled is not None and self.cancelled():
            raise Cancelled()

    def heard(self, done: int):
        if self.progress is not None:
            self.progress(done, self.residents)


def _in_this_process(job: Job, batches: list[list[int]], into: Path) -> Written:
    written, files, done = Written(), _Files(into), 0
    try:
        for pks in batches:
            job.stop_if_cancelled()
            job.write_batch(pks, files, written)
            done += len(pks)
            job.heard(done)
    finally:
        files.close()
    return written


# ----------------------------------------------------------------------- in several processes
#
# Turning rows into resources is Python's work, one core's worth however fast the database:
# in one process the export left the server's other cores idle. The batches are dealt out to
# child processes (forked: they start with the mappings loaded), each writing files of its
# own; this process hears each batch written (for progress and cancellation), then joins each
# type's parts into one file. A Process per share and a queue rather than multiprocessing.Pool:
# the parent must hear every batch as it is written, stop the children when the export is
# cancelled, and fail at once when one of them dies.


def _processes(asked: int | None, batches: int) -> int:
    wanted = asked if asked is not None else settings.HOMECOMING_EXPORT_PROCESSES
    if wanted < 2 or batches < 2 or not _others_can_read():
        return 1
    return min(wanted, batches)


def _others_can_read() -> bool:
    """Whether another process reading the database sees what this one does: not inside a
    transaction (its rows are its own until it commits), nor an in-memory SQLite database."""
    if connection.in_atomic_block:
        return False
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        return not (name == ":memory:" or "mode=memory" in name)
    return True


def _in_processes(job: Job, batches: list[list[int]], into: Path, processes: int) -> Written:
    # Each child opens its own connections: one shared across a fork is corrupted by both.
    connections.close_all()
    forked = multiprocessing.get_context("fork")
    heard = forked.Queue()
    parts = [into / f".part-{n}" for n in range(processes)]
    children = [
        forked.Process(target=_child, args=(job, batches[n::processes], parts[n], heard))
        for n in range(processes)
    ]
    for child in children:
        child.start()
    written, finished, done = Written(), 0, 0
    try:
        while finished < processes:
            try:
                said, what = heard.get(timeout=1)
            except queue.Empty:
                if any(c.exitcode not in (None, 0) for c in children):
                    raise RuntimeError("An export process stopped without a word.") from None
                continue
            if said == "batch":
                done += what
                job.heard(done)
                job.stop_if_cancelled()
            elif said == "failed":
                raise RuntimeError(what)
            else:
                counts, residents = what
                for type_name, count in counts.items():
                    written.counts[type_name] = written.counts.get(type_name, 0) + count
                written.residents |= residents
                finished += 1
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join()
    _join_parts(parts, into)
    return written


def _child(job: Job, batches: list[list[int]], into: Path, heard):
    try:
        into.mkdir()
        written, files = Written(), _Files(into)
        try:
            for pks in batches:
                job.write_batch(pks, files, written)
                heard.put(("batch", len(pks)))
        finally:
            files.close()
        heard.put(("done", (written.counts, written.residents)))
    except BaseException as exc:  # the parent fails the export with it
        heard.put(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        connections.close_all()


def _join_parts(parts: list[Path], into: Path):
    """Each type's parts as one file, in the order of the parts; the parts removed."""
    for name in sorted({f.name for part in parts for f in part.glob("*.ndjson")}):
        with (into / name).open("wb") as out:
            for part in parts:
                if (part / name).exists():
                    with (part / name).open("rb") as piece:
                        shutil.copyfileobj(piece, out, 1 << 20)
    for part in parts:
        shutil.rmtree(part)
