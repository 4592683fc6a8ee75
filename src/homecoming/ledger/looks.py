"""A look is one entry: what one request disclosed about one resident, written once.

HIPAA's accounting of disclosures is per disclosure, and so is the resident's "who looked": a
chart page that shows the notes, the questionnaires and the medications is one look at the
resident, not an entry per note (issue 15: a page view wrote about 28 entries, and a minute of
one caseworker's work filled a resident's list). So reads inside a request are collected here,
one look per (actor, resident, purpose) listing the sections shown, and a list is one look naming
the residents on it; `Looks` middleware appends them all in one transaction when the view is
done. Outside a request (the command line, the worker, a test calling a selector) each
`collecting()` block is its own request.

Denials are not looks: they are written at once by the policy, so a refused attempt stays in
the ledger even if the request fails afterwards.
"""

import contextlib
import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from .canonical import canonical_json
from .models import Outcome

# Why a resident's record was opened, beyond the purpose: the break-glass or grant row the look
# went through, named "app.model#id". The apps that own them register how to find it, since the
# ledger sits below them (the same registration the policy uses for its rules).
Reference = Callable[[object, list[int]], dict[int, str]]
_references: dict[str, Reference] = {}


def register_reference(purpose: str, find: Reference):
    """`find(actor, resident_ids)` -> {resident_id: "app.model#id"} for looks of `purpose`."""
    _references[str(purpose)] = find


# What a read of the resident row as a whole shows, by the action that read it.
WHOLE_RECORD = {
    "resident.view": "chart",
    "resident.view_history": "history",
    "medication.view": "medications",
    "safety.view": "adverse events",
    "discharge.view": "discharge plan",
    "discharge.summary": "discharge summary",
    "followup.view": "follow-up",
    "alert.view": "alerts",
}


def is_look(action) -> bool:
    """Reads shown on a page or in an answer: views, lists, the history, a summary. A recording
    played, or rows exported or sent in evidence, stay an entry per row, each committing to the
    version of what left."""
    return str(action).endswith((".view", ".list", ".view_history", ".summary"))


# Rows whose kind is not the words a resident would use for that part of their record.
ROW_SECTIONS = {
    "encounters.sessionattendee": "sessions",
    "followup.contact": "follow-up",
    "followup.attempt": "follow-up",
    "discharge.dischargeplan": "discharge plan",
    # Read as rows by FHIR; the medication pages name them "medications" and "allergies".
    "medications.order": "medications",
    "medications.administration": "medications",
    "medications.dosestop": "medications",
    "medications.allergy": "allergies",
    "medications.noknownallergies": "allergies",
    # The resident's trail in the ledger, read as FHIR AuditEvents: the portal's own words.
    "ledger.entry": "who looked",
}


def section_of(action: str, instance) -> str:
    """The part of the record a read showed: a row by its kind ("notes", "questionnaires"),
    the resident row by the page that read it."""
    label = instance._meta.label_lower
    if label == "residents.resident":
        return WHOLE_RECORD.get(str(action), str(action))
    return ROW_SECTIONS.get(label) or str(instance._meta.verbose_name_plural).lower()


# Reads that come with every page about a resident (the patient banner, record/banner.py).
ACCOMPANYING = {"banner.view"}


@dataclass
class Look:
    actor: object
    resident_id: int
    purpose: str
    actions: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    act: str = ""  # the one act the reads were done for (`as_one`), which names the entry
    extra: dict = field(default_factory=dict)  # what the act adds to the detail (a format)

    def add(self, action: str, section: str):
        if action not in self.actions:
            self.actions.append(action)
        if section not in self.sections:
            self.sections.append(section)

    @property
    def action(self) -> str:
        """The one action a page's reads stand for: the page's own when it read one kind of
        thing, else "viewed the record" with the sections saying what of it. The banner at the
        top of a page (ACCOMPANYING) adds its sections, not its action: the medications page
        stays "viewed the medications" for the resident."""
        if self.act:
            return self.act
        own = [a for a in self.actions if a not in ACCOMPANYING] or self.actions
        return own[0] if len(own) == 1 else "resident.view"


@dataclass
class Listing:
    actor: object
    action: str
    purpose: str
    residents: dict[int, None] = field(default_factory=dict)  # an ordered set


class Collector:
    def __init__(self):
        self.looks: dict[tuple, Look] = {}
        self.listings: dict[tuple, Listing] = {}

    def saw(self, actor, resident_id: int, action: str, section: str, purpose: str):
        act, extra = _act.get() or ("", {})
        key = (_actor_key(actor), resident_id, str(purpose), act)
        look = self.looks.get(key)
        if look is None:
            look = self.looks[key] = Look(actor, resident_id, str(purpose), act=act, extra=extra)
        look.add(str(action), section)

    def listed(self, actor, resident_ids, *, purpose: str, action: str):
        key = (_actor_key(actor), str(action), str(purpose))
        listing = self.listings.get(key)
        if listing is None:
            listing = self.listings[key] = Listing(actor, str(action), str(purpose))
        listing.residents.update(dict.fromkeys(resident_ids))

    def flush(self) -> list:
        """Append every look and listing, in one transaction: one entry per resident shown,
        one per list."""
        from . import services as ledger

        rows = []
        looks = list(self.looks.values())
        self.looks, listings, self.listings = {}, list(self.listings.values()), {}
        if looks:
            hashes = ledger.current_version_hashes(
                "residents.resident", {look.resident_id for look in looks}
            )
            via = _references_for(looks)
            for look in looks:
                detail = {**look.extra, "sections": look.sections}
                if (look.purpose, look.resident_id) in via:
                    detail["via"] = via[look.purpose, look.resident_id]
                rows.append(
                    ledger.Row(
                        look.actor,
                        look.action,
                        ledger.Target(
                            resident_id=look.resident_id,
                            object_type="residents.resident",
                            object_id=str(look.resident_id),
                            version_sha256=hashes.get(str(look.resident_id), ""),
                        ),
                        look.purpose,
                        Outcome.ALLOWED,
                        canonical_json(detail).decode(),
                    )
                )
        for listing in listings:
            named = sorted(listing.residents)
            rows.append(
                ledger.Row(
                    listing.actor,
                    listing.action,
                    ledger.Target(),
                    listing.purpose,
                    Outcome.ALLOWED,
                    canonical_json({"residents": named}).decode(),
                    tuple(named),
                )
            )
        if not rows:
            return []
        with transaction.atomic():
            return ledger.append_rows(rows)


def _actor_key(actor):
    return getattr(actor, "pk", None) if actor is not None else None


def _references_for(looks) -> dict[tuple[str, int], str]:
    found = {}
    by_purpose: dict[tuple, list[Look]] = {}
    for look in looks:
        if look.purpose in _references:
            by_purpose.setdefault((look.purpose, _actor_key(look.actor)), []).append(look)
    for (purpose, _), group in by_purpose.items():
        refs = _references[purpose](group[0].actor, [look.resident_id for look in group])
        for resident_id, ref in refs.items():
            found[purpose, resident_id] = ref
    return found


_current: contextvars.ContextVar[Collector | None] = contextvars.ContextVar(
    "homecoming_looks", default=None
)
_act: contextvars.ContextVar[tuple[str, dict] | None] = contextvars.ContextVar(
    "homecoming_looks_act", default=None
)


@contextlib.contextmanager
def as_one(action: str, **detail):
    """The looks made inside are one act, written as one entry per resident named by `action`
    (with `detail` beside the sections): a resident downloading their record reads a dozen
    sections through the portal's own selectors, and their "who looked" says they downloaded
    it, once, not that they opened each page. Kept apart from the request's other looks."""
    token = _act.set((str(action), detail))
    try:
        with collecting() as collector:
            yield collector
    finally:
        _act.reset(token)


@contextlib.contextmanager
def collecting():
    """Collect the looks made inside; append them when the outermost block ends (also when it
    ends with an error: what was read before the error may have been shown)."""
    if _current.get() is not None:
        yield _current.get()
        return
    collector = Collector()
    token = _current.set(collector)
    try:
        yield collector
    finally:
        _current.reset(token)
        collector.flush()


def forget():
    """Drop the looks collected so far in this request: its work was rolled back and another
    answer is given in its place (core/idempotency.py: a retry that lost the race to its first
    request answers with the first's answer, whose looks were written by the first)."""
    collector = _current.get()
    if collector is not None:
        collector.looks.clear()
        collector.listings.clear()


def saw(actor, resident_id: int, action: str, section: str, purpose: str):
    with collecting() as collector:
        collector.saw(actor, resident_id, action, section, purpose)


def listed(actor, resident_ids, *, purpose: str, action: str = "resident.list"):
    with collecting() as collector:
        collector.listed(actor, resident_ids, purpose=purpose, action=action)


class Looks:
    """Middleware: every request is one `collecting()` block, flushed when its view is done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with collecting():
            return self.get_response(request)
