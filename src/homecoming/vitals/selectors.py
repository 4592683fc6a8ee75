"""Every read of vital signs: checked against the policy, each a recorded look at the resident
(the "vital signs" section of their record)."""

from dataclasses import dataclass

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
# The sets a page shows and charts: the latest, enough for a stay's trend.
SHOWN = 60


@dataclass
class Trend:
    measure: object
    plot: charts.Plot | None  # None when fewer than one reading


@dataclass
class VitalsRecord:
    resident: Resident
    sets: list  # newest first, entered in error included (struck through)
    purpose: str

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


def vitals_record(actor, resident_id: int, *, shown: int | None = SHOWN) -> VitalsRecord:
    """A resident's vital signs, the latest `shown` sets (None: every one, for the resident's
    downloaded copy): the read is checked, and named in the request's look."""
    resident = existing(actor, resident_id, Action.VIEW_VITALS)
    decision = policy.require(actor, Action.VIEW_VITALS, resident)
    query = (
        VitalSigns.objects.filter(resident=resident)
        .select_related("recorded_by", "error_by")
        .order_by("-taken_at", "-id")
    )
    sets = list(query if shown is None else query[:shown])
    ledger.record_reads(
        actor, VIEW, sets, resident_of=lambda s: s.resident_id, purpose=decision.purpose
    )
    ledger.record_sections(actor, VIEW, resident.pk, [SECTION], purpose=decision.purpose)
    return VitalsRecord(resident, sets, decision.purpose)


def vitals_for(actor, vitals_id: int, action=Action.RECORD_VITALS) -> VitalSigns:
    """One set to act on (mark entered in error): a probe for one that does not exist is
    recorded like any refused access."""
    row = VitalSigns.objects.select_related("resident").filter(pk=vitals_id).first()
    if row is None:
        error = VitalSigns.DoesNotExist(f"No vital signs #{vitals_id}.")
        policy.refuse_unknown(actor, action, "vitals.vitalsigns", vitals_id, error)
    policy.require(actor, action, row.resident)
    return row
