"""Every read of vital signs: checked against the policy, each a recorded look at the resident
(the "vital signs" section of their record)."""

from dataclasses import dataclass

from django.db.models import Q

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import charts
from .models import VitalSigns
from .ranges import MEASURES

VIEW = str(Action.VIEW_VITALS)
SECTION = "vital signs"
# The sets a page shows and charts: enough for a stay's trend; older ones a page further on.
SHOWN = 60


class BadCursor(ValueError):
    """`?before=` is not the number of one of this resident's sets."""


@dataclass
class Trend:
    measure: object
    plot: charts.Plot | None  # None when fewer than one reading


@dataclass
class VitalsRecord:
    resident: Resident
    sets: list  # newest first, entered in error included (struck through)
    purpose: str
    older: int | None = None  # the `before` of the next page of older sets, when there is one
    paged: bool = False  # this page is not the latest

    @property
    def latest(self):
        return next((s for s in self.sets if not s.in_error), None)

    @property
    def trends(self) -> list:
        """A chart per measure taken, oldest first, entered-in-error sets left out."""
        valid = [s for s in reversed(self.sets) if not s.in_error]
        trends = []
        for m in MEASURES:
            points = [(s.taken_at, getattr(s, m.field)) for s in valid]
            points = [(t, v) for t, v in points if v is not None]
            if points:
                trends.append(Trend(m, charts.plot(m, points)))
        return trends


def vitals_record(
    actor, resident_id: int, before: int | None = None, *, shown: int | None = SHOWN
) -> VitalsRecord:
    """A resident's vital signs, a page of `shown` sets by the time they were taken, newest
    first (None: every one, for the resident's downloaded copy); `before` (a set's id) asks for
    the sets taken before that one. Pages are keyed on (taken_at, id), not on the id alone,
    because a set may be entered after a later one was (a paper chart typed in at the end of
    the shift). The read is checked, and named in the request's look."""
    resident = existing(actor, resident_id, Action.VIEW_VITALS)
    decision = policy.require(actor, Action.VIEW_VITALS, resident)
    rows = VitalSigns.objects.filter(resident=resident)
    if before is not None:
        mark = rows.filter(pk=before).values_list("taken_at", flat=True).first()
        if mark is None:
            raise BadCursor(f"“before” must be one of this resident's sets, not {before}.")
        rows = rows.filter(Q(taken_at__lt=mark) | Q(taken_at=mark, pk__lt=before))
    query = rows.select_related("recorded_by", "error_by").order_by("-taken_at", "-id")
    if shown is None:
        sets, older = list(query), None
    else:
        sets = list(query[: shown + 1])
        older = sets[shown - 1].pk if len(sets) > shown else None
        sets = sets[:shown]
    ledger.record_reads(
        actor, VIEW, sets, resident_of=lambda s: s.resident_id, purpose=decision.purpose
    )
    ledger.record_sections(actor, VIEW, resident.pk, [SECTION], purpose=decision.purpose)
    return VitalsRecord(resident, sets, decision.purpose, older, before is not None)


def before_asked(query) -> int | None:
    """The `?before=` of a vitals page: None for the latest sets; BadCursor says why not."""
    raw = query.get("before") or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise BadCursor(f"“before” must be a set's number, not {raw!r}.")
    return int(raw)


def vitals_for(actor, vitals_id: int, action=Action.RECORD_VITALS) -> VitalSigns:
    """One set to act on (mark entered in error): a probe for one that does not exist is
    recorded like any refused access."""
    row = VitalSigns.objects.select_related("resident").filter(pk=vitals_id).first()
    if row is None:
        error = VitalSigns.DoesNotExist(f"No vital signs #{vitals_id}.")
        policy.refuse_unknown(actor, action, "vitals.vitalsigns", vitals_id, error)
    policy.require(actor, action, row.resident)
    return row
