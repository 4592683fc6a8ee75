"""Reading the record as FHIR resources, under the access policy and onto the ledger.

Every read of a resident's rows is decided by the policy with the action the pages use for the
same rows (medications need "medication.view", vital signs "vitals.view"...), and written as the
pages' reads are: one look per resident per request naming the sections shown (ledger/looks.py),
a denied entry per refusal. A search about residents needs `patient`: reading many residents'
records at once is a bulk export, which is its own act with its own entry.

What a resident reads of their own record is narrowed by each source's `own` (the portal's
rules), so the portal, the copy they download and FHIR show them the same record."""

from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.db.models import CharField, DateField, OuterRef, Q, Subquery
from django.db.models.functions import Cast

from homecoming.access import policy
from homecoming.access.policy import AccessDenied, Action, Purpose
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Version
from homecoming.residents import selectors as residents_selectors

from . import resources, sources
from .params import Criteria, Problem
from .sources import Source

# Who may read what is about no resident (rooms and beds, staff, questionnaires' definitions,
# the formulary): those who care for residents or run the center.
REFERENCE_READERS = {Purpose.CARE, Purpose.SUPERVISION}


@dataclass
class Found:
    """A page of resources, how many match in all, and the parts of the record the reader may
    not see (with why), which the Bundle says rather than leave out silently."""

    resources: list[dict]
    total: int
    withheld: list[str] = field(default_factory=list)


def _field_is_day(model, path: str) -> bool:
    *hops, last = path.split("__")
    for hop in hops:
        model = model._meta.get_field(hop).related_model
    try:
        found = model._meta.get_field(last)
    except FieldDoesNotExist:
        # A moment the source's rows annotate (when a row and the rows it stands with last
        # changed: a session's attendee and the session, a resident's care team).
        return False
    return isinstance(found, DateField) and found.get_internal_type() == "DateField"


# When a row last changed: the time of its newest version in the ledger, for rows the ledger
# versions (every write of them stores one), else the field the source names.
UPDATED = "fhir_last_updated"


def _updated_field(source: Source, model) -> str | None:
    if source.updated:
        return source.updated
    return UPDATED if getattr(model, "ledger_versioned", False) else None


def knows_updated(source: Source) -> bool:
    """Whether `_lastUpdated` can search this source's rows."""
    return source.fixed is None and _updated_field(source, source.rows().model) is not None


def with_updated(source: Source, qs):
    if source.updated or not getattr(qs.model, "ledger_versioned", False):
        return qs
    newest = Version.objects.filter(
        object_type=qs.model._meta.label_lower,
        object_id=Cast(OuterRef("pk"), CharField()),
    ).order_by("-seq")
    return qs.annotate(**{UPDATED: Subquery(newest.values("time")[:1])})


def narrowed(source: Source, qs, found: Criteria):
    """The rows of `qs` that match the search, or None when a code or status the source
    does not know means none can."""
    model = qs.model
    for span in found.dates:
        if source.date is None:
            return None
        qs = qs.filter(**span.lookups(source.date, _field_is_day(model, source.date)))
    updated = _updated_field(source, model)
    for span in found.updated:
        if updated is None:
            return None
        is_day = updated != UPDATED and _field_is_day(model, updated)
        qs = qs.filter(**span.lookups(updated, is_day))
    for wanted, known in ((found.codes, source.codes), (found.statuses, source.statuses)):
        if not wanted:
            continue
        matches = [known[w] for w in wanted if w in known]
        if not matches:
            return None
        either = Q()
        for match in matches:
            either |= match
        qs = qs.filter(either)
    if found.ids:
        pks = [pk for pk in (source.pk_in(i) for i in found.ids) if pk is not None]
        qs = qs.filter(pk__in=pks)
    return qs


def resource(source: Source, row) -> dict:
    """One row as its resource, with the id and the meta.lastUpdated the source names."""
    body = source.resource(row)
    body = {"resourceType": source.type, "id": source.id_of(row.pk), **body}
    updated = _updated_field(source, type(row))
    if updated:
        moment = row
        for hop in updated.split("__"):
            moment = getattr(moment, hop, None) if moment is not None else None
        if moment is not None and hasattr(moment, "tzinfo"):
            body = {**body, "meta": {"lastUpdated": resources.instant(moment)}}
    return body


def _readable(actor, sources_: list[Source], resident) -> list[tuple[Source, Purpose]]:
    """The sources the actor may read for `resident`, each with the purpose it is read under;
    each refusal is on the ledger. AccessDenied when none may be read."""
    allowed, refused = [], None
    decided = {}
    for source in sources_:
        if source.action not in decided:
            try:
                decided[source.action] = policy.require(actor, source.action, resident)
            except AccessDenied as exc:
                decided[source.action] = exc
        outcome = decided[source.action]
        if isinstance(outcome, AccessDenied):
            refused = outcome
        else:
            allowed.append((source, outcome.purpose))
    if not allowed:
        raise refused
    return allowed


def _reference_reader(actor, sources_: list[Source]):
    if all(s.public for s in sources_):
        return  # anyone logged in (a resident filling in the form reads it)
    if policy.standing_purpose(actor) not in REFERENCE_READERS:
        raise AccessDenied(
            policy.Decision(
                False, Purpose.NONE, "Only staff who care for residents or run the center."
            )
        )


def _base_rows(source: Source, resident_id: int | None, purpose) -> object:
    qs = with_updated(source, source.rows())
    if resident_id is not None:
        qs = qs.filter(**{source.resident: resident_id})
        if purpose == Purpose.SELF and source.own is not None:
            qs = source.own(qs)
    return qs


def _record(actor, source: Source, rows: list, resident_id: int, purpose) -> None:
    action = str(source.action)
    ledger.record_reads(actor, action, rows, resident_of=lambda _row: resident_id, purpose=purpose)
    if source.section:
        ledger.record_sections(actor, action, resident_id, [source.section], purpose=purpose)


def _page(actor, chosen: list[tuple[Source, object]], found: Criteria, resident_id) -> Found:
    """The page `found` asks for across the chosen sources (each with its purpose), in order;
    each source's rows shown are recorded against the resident."""
    queries = []
    for source, purpose in chosen:
        if source.fixed is not None:
            queries.append((source, purpose, _Fixed(source, found)))
            continue
        qs = narrowed(source, _base_rows(source, resident_id, purpose), found)
        if qs is not None:
            queries.append((source, purpose, qs.order_by("pk")))
    counts = [qs.count() for _, _, qs in queries]
    shown, skip, room = [], found.offset, found.count
    for (source, purpose, qs), count in zip(queries, counts, strict=True):
        if skip >= count:
            skip -= count
            if resident_id is not None and source.about_residents:
                _record(actor, source, [], resident_id, purpose)
            continue
        rows = list(qs[skip : skip + room]) if room else []
        skip, room = 0, room - len(rows)
        if resident_id is not None and source.about_residents:
            _record(actor, source, rows, resident_id, purpose)
        shown.extend(resource(source, row) for row in rows)
    return Found(shown, sum(counts))


class _Fixed:
    """A fixed source's items as much of a query as a page needs: narrowed, counted, sliced."""

    def __init__(self, source: Source, found: Criteria):
        items = source.fixed()
        if found.ids:
            items = [i for i in items if source.id_of(i.pk) in found.ids]
        if found.dates or found.updated or found.codes or found.statuses:
            items = []  # known by their id alone
        self.items = items

    def order_by(self, *_fields):
        return self

    def count(self) -> int:
        return len(self.items)

    def __getitem__(self, window):
        return self.items[window]


def search(actor, type_name: str, found: Criteria) -> Found:
    """A page of `type_name` resources matching `found`, as the actor may see them."""
    sources_ = sources.of_type(type_name)
    if not any(s.about_residents for s in sources_):
        _reference_reader(actor, sources_)
        return _page(actor, [(s, None) for s in sources_], found, None)
    if found.patient is None:
        resident = getattr(actor, "resident", None) if actor.role == "resident" else None
        if resident is None:
            raise Problem(
                400,
                "required",
                f"A {type_name} search names the resident: patient=<id>. Many residents' "
                "records at once are a bulk export ($export), recorded as one.",
                "patient",
            )
        found.patient = resident.pk
    resident = residents_selectors.existing(actor, found.patient, sources_[0].action)
    chosen = _readable(actor, sources_, resident)
    page = _page(actor, chosen, found, resident.pk)
    page.withheld = _withheld(sources_, chosen)
    return page


def _withheld(all_sources: list[Source], chosen) -> list[str]:
    kept = {id(s) for s, _ in chosen}
    return [s.section for s in all_sources if id(s) not in kept]


def read(actor, type_name: str, resource_id: str) -> dict:
    """One resource by its id; Problem 404 when there is none, AccessDenied (on the ledger)
    when the actor may not read it."""
    for source in sources.of_type(type_name):
        pk = source.pk_in(resource_id)
        if pk is None:
            continue
        if source.fixed is not None:
            row = next((i for i in source.fixed() if source.id_of(i.pk) == resource_id), None)
        else:
            row = with_updated(source, source.rows()).filter(pk=pk).first()
        if row is None:
            continue
        if not source.about_residents:
            _reference_reader(actor, [source])
            return resource(source, row)
        resident_id = resident_id_of(source, row)
        resident = residents_selectors.existing(actor, resident_id, source.action)
        ((_, purpose),) = _readable(actor, [source], resident)
        hidden = purpose == Purpose.SELF and source.own is not None
        if hidden and not source.own(source.rows().filter(pk=pk)).exists():
            break  # not part of what the resident sees: as if it were not there
        _record(actor, source, [row], resident_id, purpose)
        return resource(source, row)
    # A probe for what is not there (or not the resident's to see) is written down like any
    # refused look: someone walking the ids leaves a trail.
    action = next((s.action for s in sources.of_type(type_name) if s.action), Action.VIEW)
    error = Problem(404, "not-found", f"No {type_name} {resource_id} here.")
    policy.refuse_unknown(actor, action, f"fhir.{type_name.lower()}", resource_id[:64], error)


def resident_id_of(source: Source, row) -> int:
    """The id of the row's resident, from the column that holds it: following the last hop
    would load the resident, one query a row."""
    *hops, last = source.resident.split("__")
    value = row
    for hop in hops:
        value = getattr(value, hop)
    if last == "pk":
        return value.pk
    return getattr(value, value._meta.get_field(last).attname)


def everything(actor, resident_id: int, found: Criteria, types: list[str] | None = None) -> Found:
    """The resident's whole record as the actor may see it (Patient/$everything): the Patient,
    then every type about residents, paged together; `types` narrows to those types."""
    chart = residents_selectors.chart(actor, resident_id)
    wanted = types or sources.resident_types()
    chosen, withheld = [], []
    for type_name in wanted:
        of_type = [s for s in sources.of_type(type_name) if s.about_residents]
        if not of_type:
            continue
        # Parts the reader may never read (the trail of who looked, to the care team it
        # watches) are left out unasked: a $everything is not an attempt on each of them.
        open_ = [s for s in of_type if policy.decide(actor, s.action, chart.resident).allowed]
        try:
            kept = _readable(actor, open_, chart.resident) if open_ else []
        except AccessDenied:
            kept = []
        chosen.extend(kept)
        withheld.extend(_withheld(of_type, kept))
    patient_first = (not types or "Patient" in types) and found.offset == 0
    page_of = Criteria(**{**found.__dict__, "dates": [], "codes": [], "statuses": []})
    if patient_first:
        page_of.count -= 1
    elif not types or "Patient" in types:
        page_of.offset -= 1
    page = _page(actor, chosen, page_of, resident_id)
    if not types or "Patient" in types:
        page.total += 1
        if patient_first:
            page.resources.insert(0, resources.patient(chart.resident))
    page.withheld = withheld
    return page


def whole_record(actor, resident_id: int) -> list[dict]:
    """Every resource of the resident's record the actor may see, Patient first: the copy a
    resident takes to another provider (record/own_copy.py), read under its one act."""
    everything_at_once = Criteria(count=10**9)
    return everything(actor, resident_id, everything_at_once).resources
