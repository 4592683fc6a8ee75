"""Every read of adverse event data: one resident's reports, the safety dashboard (counts and
measures, no resident), and a signal with the cases behind it, each case opened only for those
the policy lets read that resident's reports, and recorded on that resident's ledger."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import signals
from .models import AdverseEvent, Scan, Signal, Suspect

VIEW = str(Action.VIEW_ADVERSE_EVENTS)


def _with_suspects(qs):
    return qs.select_related("reported_by", "outcome_updated_by", "resident").prefetch_related(
        Prefetch("suspects", queryset=Suspect.objects.select_related("order__protocol"))
    )


@dataclass
class ResidentEvents:
    resident: Resident
    events: list[AdverseEvent]
    purpose: str


def events_of(actor, resident_id: int) -> ResidentEvents:
    resident = existing(actor, resident_id, Action.VIEW_ADVERSE_EVENTS)
    decision = policy.require(actor, Action.VIEW_ADVERSE_EVENTS, resident)
    events = list(_with_suspects(AdverseEvent.objects.filter(resident=resident)))
    ledger.record_resident_read(actor, VIEW, resident, purpose=decision.purpose)
    return ResidentEvents(resident=resident, events=events, purpose=decision.purpose)


@dataclass
class Dashboard:
    signals: list[Signal]
    last_scan: Scan | None
    reports: int
    by_term: list[dict]  # {"term": code, "n": reports}, most reported first


def dashboard(actor) -> Dashboard:
    policy.require(actor, Action.VIEW_SAFETY)
    signals = list(Signal.objects.select_related("review__assigned_to", "review__concluded_by"))
    by_term = list(
        AdverseEvent.objects.values("term").annotate(n=Count("id")).order_by("-n", "term")[:15]
    )
    return Dashboard(
        signals=signals,
        last_scan=Scan.objects.order_by("-started_at", "-id").first(),
        reports=AdverseEvent.objects.count(),
        by_term=by_term,
    )


@dataclass
class SignalDetail:
    signal: Signal
    cases: list[AdverseEvent] = field(default_factory=list)  # those the reader may open
    hidden: int = 0  # cases behind the counts that the reader may not open


def signal_detail(actor, signal_id: int) -> SignalDetail:
    policy.require(actor, Action.VIEW_SAFETY)
    signal = Signal.objects.select_related("review__assigned_to", "review__concluded_by").get(
        pk=signal_id
    )
    # Every report the signal counts: suspected or not, given in the exposure window.
    ids = signals.case_ids(signal.drug, signal.term)
    cases = list(_with_suspects(AdverseEvent.objects.filter(pk__in=ids)))
    residents = {e.resident_id: e.resident for e in cases}
    decisions = policy.decide_for_residents(actor, Action.VIEW_ADVERSE_EVENTS, residents.values())
    shown = [e for e in cases if decisions[e.resident_id].allowed]
    ledger.record_reads_each(
        actor,
        VIEW,
        shown,
        resident_of=lambda e: e.resident_id,
        purpose_of=lambda e: decisions[e.resident_id].purpose,
    )
    return SignalDetail(signal=signal, cases=shown, hidden=len(cases) - len(shown))
