"""Where each FHIR resource type comes from: a `Source` is one of our tables mapped to one type.

A type may have several sources (an Observation is a questionnaire's total or a set of vital
signs; a DocumentReference a signed note or a discharge summary): their ids carry the source's
prefix ("vitals-12"), so a read finds its row, and a search pages across them in order. One row
is one resource, so a page of rows is a page of resources and a total is a count.

The mapping modules (`map_*.py`) declare their sources with `register`; nothing here reads the
database or checks the policy (reads.py does, through the ledger, like every page)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from homecoming.access.policy import Action


@dataclass(frozen=True)
class Source:
    type: str  # the FHIR resource type it produces
    # Every row that is part of the record, related rows loaded (None for a `fixed` source).
    rows: Callable[[], QuerySet] | None
    resource: Callable[[object], dict]  # one row as one resource
    # The policy action that reads these rows; None for rows about no resident (a room, a
    # questionnaire's definition, a member of staff), which any member of staff may read.
    action: Action | None
    # The part of the record, in the resident's words, named in the look ("vital signs").
    section: str = ""
    prefix: str = ""  # the id's prefix, for a type with several sources ("vitals")
    resident: str = "resident"  # the lookup from a row to its resident's id
    date: str | None = None  # the field `date` searches
    # The field `_lastUpdated` searches (and meta.lastUpdated); None: the time of the row's newest
    # version in the ledger, for the rows it versions (reads.py).
    updated: str | None = None
    # FHIR status code -> which rows have it; codes as "system|code" and as the bare code.
    statuses: dict[str, Q] = field(default_factory=dict)
    codes: dict[str, Q] = field(default_factory=dict)
    # What the resident sees of their own record (the portal's rules): applied when the reader
    # is the resident themself, so the portal, its copy and FHIR show the same.
    own: Callable[[QuerySet], QuerySet] | None = None
    # What the code defines rather than a table holds (the questionnaires' items): objects with
    # a `pk`, about no resident, searched by _id only.
    fixed: Callable[[], list] | None = None
    # Reference data that holds nothing private (a questionnaire's form, which the portal shows
    # the resident filling it in): anyone logged in may read it.
    public: bool = False

    @property
    def about_residents(self) -> bool:
        return self.action is not None

    def id_of(self, pk) -> str:
        return f"{self.prefix}-{pk}" if self.prefix else str(pk)

    def pk_in(self, resource_id: str) -> int | str | None:
        """The row's pk an id names, if it is one of this source's; else None (a fixed
        source's items have words for keys: "phq-9")."""
        text = resource_id
        if self.prefix:
            if not resource_id.startswith(f"{self.prefix}-"):
                return None
            text = resource_id.removeprefix(f"{self.prefix}-")
        if self.fixed is not None:
            return text or None
        return int(text) if text.isdigit() else None


SOURCES: dict[str, list[Source]] = {}


def register(*sources: Source) -> None:
    for source in sources:
        kept = SOURCES.setdefault(source.type, [])
        if len(kept) and not (source.prefix and all(s.prefix for s in kept)):
            raise ValueError(f"{source.type} has several sources: each needs its id prefix.")
        kept.append(source)


def of_type(name: str) -> list[Source]:
    _load()
    return SOURCES.get(name, [])


def types() -> list[str]:
    _load()
    return sorted(SOURCES)


def resident_types() -> list[str]:
    """Types that hold parts of a resident's record ($everything, a patient's search)."""
    return [t for t in types() if any(s.about_residents for s in SOURCES[t])]


def _load():
    # The mappings register on import; imported here, once, so a view or a command asking for
    # the types gets them all without the app registry knowing FHIR.
    from . import mappings  # noqa: F401
