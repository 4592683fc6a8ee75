"""Many residents' records as NDJSON, one file per resource type (FHIR Bulk Data): the writer
that both `$export` (exports.py, run by the worker) and `homecoming export fhir` use.

Bounded memory whatever the center's size: residents are taken a batch at a time, and each
source's rows for the batch are streamed from the database (`iterator`) straight to its file,
one line per resource. What the exporter may read is the policy's answer for each batch and
each action (`decide_for_residents`: a bounded number of queries per batch), the same rules as
every page; the operator at the command line (no account) exports the whole center, as they
can read the database anyway, and is named on the ledger by the command's run.

The ledger entry and the alert are the caller's: this module only reads and writes files."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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
# One encoder for every line: json.dumps with settings of its own builds a new one each call.
encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
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

    def __init__(self, into: Path):
        self.into, self.open = into, {}

    def write(self, type_name: str, resource: dict):
        out = self.open.get(type_name)
        if out is None:
            out = self.open[type_name] = (self.into / f"{type_name}.ndjson").open("w")
        out.write(encode(resource))
        out.write("\n")

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
) -> Written:
    """Write the export into the folder `into` (which exists and is empty). `progress(done,
    of)` hears after each batch of residents; `cancelled()`, asked between batches, stops
    the export (Cancelled) with the files written so far left for the caller to remove."""
    types = request.chosen()
    about = _resident_sources(types)
    written, files = Written(), _Files(into)
    try:
        ids = list(residents_in_scope(actor).values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            if cancelled is not None and cancelled():
                raise Cancelled()
            batch = list(Resident.objects.filter(pk__in=ids[start : start + BATCH]))
            allowed = {}
            for source in about:
                if source.action not in allowed:
                    allowed[source.action] = _allowed(actor, source.action, batch)
                if not allowed[source.action]:
                    continue
                readable = {f"{source.resident}__in": allowed[source.action]}
                # Whose each row is, in the row: through its relations it is a query a row.
                rows = _rows(source, request.since).filter(**readable)
                rows = rows.annotate(**{RESIDENT: F(source.resident)})
                for row in rows.order_by("pk").iterator(chunk_size=1000):
                    files.write(source.type, reads.resource(source, row))
                    written.counts[source.type] = written.counts.get(source.type, 0) + 1
                    written.residents.add(getattr(row, RESIDENT))
            if progress is not None:
                progress(min(start + BATCH, len(ids)), len(ids))
        for source in _reference_sources(types):
            items = source.fixed() if source.fixed is not None else _rows(source, request.since)
            for row in items:
                files.write(source.type, reads.resource(source, row))
                written.counts[source.type] = written.counts.get(source.type, 0) + 1
    finally:
        files.close()
    return written
