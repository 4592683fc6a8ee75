"""Adverse events and signals over JSON, with the pages' permissions (same services)."""

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.schemas import Day, Error, Pages
from homecoming.residents.models import Resident

from . import selectors, services, signals, terms
from .models import AdverseEvent, Signal

router = Router(tags=["safety"])


class TermOut(Schema):
    code: str
    name: str
    group: str


class SuspectOut(Schema):
    drug: str
    order_id: int


class EventOut(Schema):
    id: int
    resident_id: int
    term: str
    term_name: str
    description: str
    onset: dt.date
    seriousness: str
    outcome: str
    suspects: list[SuspectOut]
    reported_via: str
    reported_by: str | None  # None when the resident reported it themselves
    reported_at: dt.datetime


class EventIn(Schema):
    term: str
    onset: Day
    seriousness: str
    outcome: str = "unknown"
    description: str = ""
    suspect_order_ids: list[int] = []

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "term": "memory-impairment",
                    "onset": "2026-03-04",
                    "seriousness": "medically_important",
                    "outcome": "not_recovered",
                    "description": "Cannot recall the two days after the evening dose on 3 March.",
                    "suspect_order_ids": [58],
                }
            ]
        }
    }


class OutcomeIn(Schema):
    outcome: str

    model_config = {"json_schema_extra": {"examples": [{"outcome": "recovering"}]}}


class ReviewOut(Schema):
    assigned_to: str | None
    opened_at: dt.datetime
    conclusion: str
    assessment: str
    concluded_at: dt.datetime | None
    concluded_by: str | None


class SignalOut(Schema):
    id: int
    drug: str
    term: str
    term_name: str
    rules: list[str]
    status: str
    detected_at: dt.datetime
    measures: dict  # the 2x2 counts and every measure when raised
    latest: dict  # the same as of the latest scan that changed them
    latest_at: dt.datetime
    review: ReviewOut


class SignalDetailOut(SignalOut):
    cases: list[EventOut]  # the reports the caller may open (each read is on the ledger)
    hidden_cases: int


class ReviewIn(Schema):
    conclusion: str
    assessment: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "conclusion": "confirmed",
                    "assessment": "Five of seven cases within 48 hours of the first dose, none "
                    "on placebo; dechallenge positive in four. Orders suspended.",
                }
            ]
        }
    }


class ScanOut(Schema):
    reports: int
    pairs: int
    rules: list[str]
    raised: list[int]  # ids of the signals this scan raised


def _event(e: AdverseEvent) -> dict:
    return {
        "id": e.pk,
        "resident_id": e.resident_id,
        "term": e.term,
        "term_name": terms.name_of(e.term),
        "description": e.description,
        "onset": e.onset,
        "seriousness": e.seriousness,
        "outcome": e.outcome,
        "suspects": [{"drug": s.drug, "order_id": s.order_id} for s in e.suspects.all()],
        "reported_via": e.reported_via,
        "reported_by": None if e.reported_via == "resident" else str(e.reported_by),
        "reported_at": e.reported_at,
    }


def _signal(s: Signal) -> dict:
    r = s.review
    return {
        "id": s.pk,
        "drug": s.drug,
        "term": s.term,
        "term_name": terms.name_of(s.term),
        "rules": s.rules,
        "status": s.status,
        "detected_at": s.detected_at,
        "measures": s.measures,
        "latest": s.latest,
        "latest_at": s.latest_at,
        "review": {
            "assigned_to": str(r.assigned_to) if r.assigned_to else None,
            "opened_at": r.opened_at,
            "conclusion": r.conclusion,
            "assessment": r.assessment,
            "concluded_at": r.concluded_at,
            "concluded_by": str(r.concluded_by) if r.concluded_by else None,
        },
    }


def _events(request, resident_id):
    try:
        return selectors.events_of(request.auth, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


@router.get("/safety/terms", response={200: list[TermOut]})
@paginate(Pages)
def list_terms(request):
    """List the coded terms an adverse event report chooses from. Each with its code, its name
    and its group. Anyone logged in: the list is built in, with no resident data."""
    return [{"code": t.code, "name": t.name, "group": t.group} for t in terms.TERMS]


@router.get(
    "/residents/{resident_id}/adverse-events",
    response={200: list[EventOut], 403: Error, 404: Error},
)
@paginate(Pages)
def list_events(request, resident_id: int):
    """List a resident's adverse event reports, each with its suspects and outcome. The care
    team, the supervisors, the program director and the resident; the medical lead reviewing
    a signal. The read is a look at the resident on the ledger. Errors: 403 `forbidden` (on
    the ledger), 404 `not_found` (no such resident you may know of)."""
    return [_event(e) for e in _events(request, resident_id).events]


@router.post(
    "/residents/{resident_id}/adverse-events",
    response={201: EventOut, 400: Error, 403: Error, 404: Error},
)
def report_event(request, resident_id: int, payload: EventIn):
    """Report an adverse event: a suspected harm, coded from `GET /safety/terms`. The care team
    or the resident themselves. Suspects are the ids of the resident's orders that were given.
    The report is a ledger entry, and the next signal scan counts it. Errors: 400 `invalid`
    (an unknown term or seriousness, an onset in the future, a suspect that is not an order
    of the resident's that was given: by field), 403 `forbidden` (on the ledger), 404
    `not_found` (no such resident)."""
    record = _events(request, resident_id)
    event = services.report(request.auth, record.resident, services.Report(**payload.dict()))
    return Status(201, _event(event))


@router.post(
    "/adverse-events/{event_id}/outcome",
    response={200: EventOut, 400: Error, 403: Error, 404: Error},
)
def record_outcome(request, event_id: int, payload: OutcomeIn):
    """Record how the resident is now, after an adverse event. Whoever may report one for the
    resident; the new outcome is a ledger entry. Errors: 400 `invalid` (an unknown outcome, or
    the one already recorded), 403 `forbidden` (on the ledger), 404 `not_found` (no such
    report)."""
    event = AdverseEvent.objects.select_related("resident").filter(pk=event_id).first()
    if event is None:
        raise Http404(f"No adverse event report #{event_id}.")
    return _event(services.follow_up(request.auth, event, payload.outcome))


@router.get("/safety/signals", response={200: list[SignalOut], 403: Error})
@paginate(Pages)
def list_signals(request):
    """List the safety signals: drug and event pairs whose reports stand out. With their 2x2
    counts and measures, and their review; no resident. Clinicians, supervisors, the program
    director and the oversight body; anyone else is refused (403 `forbidden`, on the
    ledger)."""
    return [_signal(s) for s in selectors.dashboard(request.auth).signals]


@router.get("/safety/signals/{signal_id}", response={200: SignalDetailOut, 403: Error, 404: Error})
def get_signal(request, signal_id: int):
    """Read a signal with the reports behind it that you may open. The cases each read is a
    look at its resident on the ledger; `hidden_cases` counts those you may not open. Whoever
    may list signals. Errors: 403 `forbidden` (on the ledger), 404 `not_found` (no such
    signal)."""
    try:
        detail = selectors.signal_detail(request.auth, signal_id)
    except Signal.DoesNotExist as exc:
        raise Http404(f"No signal #{signal_id}.") from exc
    body = _signal(detail.signal)
    body["cases"] = [_event(e) for e in detail.cases]
    body["hidden_cases"] = detail.hidden
    return body


@router.post(
    "/safety/signals/{signal_id}/review",
    response={200: SignalOut, 400: Error, 403: Error, 404: Error},
)
def conclude_review(request, signal_id: int, payload: ReviewIn):
    """Conclude a signal's review: confirmed, keep monitoring, or refuted. With the assessment
    behind it. Only the medical lead; the conclusion is a ledger entry. Errors: 400 `invalid` (no
    conclusion, an assessment under 20 characters), 403 `forbidden` (on the ledger), 404 `not_found`
    (no such signal)."""
    found = Signal.objects.filter(pk=signal_id).first()
    if found is None:
        raise Http404(f"No signal #{signal_id}.")
    services.conclude_review(request.auth, found, payload.conclusion, payload.assessment)
    return _signal(Signal.objects.select_related("review").get(pk=signal_id))


@router.post("/safety/scan", response={200: ScanOut, 403: Error})
def scan_signals(request):
    """Run signal detection now over every drug and event pair. Only the medical lead; the worker
    runs it anyway after each report. Answers how many reports and pairs it read, the rules it
    applied and the ids of the signals it raised (each raised signal alerts the medical lead, the
    program director and the oversight body). Errors: 403 `forbidden` (on the ledger)."""
    policy.require(request.auth, Action.REVIEW_SIGNAL)
    result = signals.scan("manual")
    return {
        "reports": result.scan.reports,
        "pairs": result.scan.pairs,
        "rules": result.scan.rules,
        "raised": [s.pk for s in result.raised],
    }
