"""Vital signs over JSON: the same selectors and services as the pages, so the same permissions,
checks and ledger entries. Decimal values travel as strings ("36.8"), never floats."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.paging import Shaped
from homecoming.core.schemas import Error, Moment, Pages
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import selectors, services
from .models import VitalSigns

router = Router(tags=["vitals"])


class VitalsIn(Schema):
    taken_at: Moment | None = None  # default: now; up to 12 hours late, never future
    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    temperature: str | None = None  # °C, one decimal: "36.8"
    respiratory_rate: int | None = None
    spo2: int | None = None
    weight: str | None = None  # kg, one decimal
    pain: int | None = None
    note: str = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "taken_at": "2026-03-02T07:45:00",
                    "systolic": 128,
                    "diastolic": 82,
                    "pulse": 76,
                    "temperature": "36.8",
                    "respiratory_rate": 16,
                    "spo2": 97,
                    "weight": "84.2",
                    "pain": 2,
                    "note": "Morning round, seated.",
                }
            ]
        }
    }


class VitalSignFlagOut(Schema):
    measure: str
    value: str
    flag: str  # "low", "high", "critical low", "critical high"


class VitalsOut(Schema):
    id: int
    resident_id: int
    taken_at: dt.datetime
    recorded_at: dt.datetime
    recorded_by: str
    systolic: int | None
    diastolic: int | None
    pulse: int | None
    temperature: str | None
    respiratory_rate: int | None
    spo2: int | None
    weight: str | None
    pain: int | None
    note: str
    summary: str  # "BP 128/82, pulse 76, …"
    flags: list[VitalSignFlagOut]
    entered_in_error: bool
    error_by: str | None
    error_at: dt.datetime | None
    error_reason: str


class ErrorIn(Schema):
    reason: str

    model_config = {
        "json_schema_extra": {
            "examples": [{"reason": "Typed into the wrong resident's chart; re-entered there."}]
        }
    }


def _out(row: VitalSigns) -> dict:
    def text(v):
        return None if v is None else str(v)

    return {
        "id": row.pk,
        "resident_id": row.resident_id,
        "taken_at": row.taken_at,
        "recorded_at": row.recorded_at,
        "recorded_by": str(row.recorded_by),
        "systolic": row.systolic,
        "diastolic": row.diastolic,
        "pulse": row.pulse,
        "temperature": text(row.temperature),
        "respiratory_rate": row.respiratory_rate,
        "spo2": row.spo2,
        "weight": text(row.weight),
        "pain": row.pain,
        "note": row.note,
        "summary": row.summary,
        "flags": [
            {"measure": m.field, "value": str(v), "flag": f} for m, v, f in row.readings() if f
        ],
        "entered_in_error": row.in_error,
        "error_by": str(row.error_by) if row.error_by_id else None,
        "error_at": row.error_at,
        "error_reason": row.error_reason,
    }


def _record(request, resident_id, before=None):
    try:
        return selectors.vitals_record(request.auth, resident_id, before, shown=None)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    except selectors.BadCursor as exc:
        raise ValidationError(str(exc)) from exc


@router.get(
    "/residents/{resident_id}/vitals",
    response={200: list[VitalsOut], 400: Error, 403: Error, 404: Error},
)
@paginate(Pages)
def list_vitals(request, resident_id: int, before: int | None = None):
    """List a resident's vital signs by the time they were taken, newest first. `before` (a
    set's id) keeps only the sets taken before that one. Entered-in-error sets are included
    and marked. The care team's clinicians and caseworkers, supervisors, the program director
    and the resident; the read is a look at the resident on the ledger. Errors: 400 `invalid`
    (`before` is not one of the resident's sets), 403 `forbidden` (on the ledger), 404
    `not_found` (no such resident you may know of)."""
    return Shaped(_record(request, resident_id, before).sets, _out)


@router.post(
    "/residents/{resident_id}/vitals",
    response={201: VitalsOut, 400: Error, 403: Error, 404: Error},
)
def record_vitals(request, resident_id: int, payload: VitalsIn):
    """Record one set of vital signs: any of the measures, at least one. A clinician on the
    resident's care team. Up to 12 hours late, never in the future; times without an offset
    are the center's local time. The set is a ledger entry; a value past a critical threshold
    alerts the care team. Errors: 400 `invalid` (every impossible value named at once, by
    field), 403 `forbidden` (on the ledger), 404 `not_found` (no such resident)."""
    try:
        resident = existing(request.auth, resident_id, Action.RECORD_VITALS)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    policy.require(request.auth, Action.RECORD_VITALS, resident)
    row = services.record(request.auth, resident, services.Reading(**payload.dict()))
    return Status(201, _out(row))


@router.post(
    "/vitals/{vitals_id}/entered-in-error",
    response={200: VitalsOut, 400: Error, 403: Error, 404: Error},
)
def mark_entered_in_error(request, vitals_id: int, payload: ErrorIn):
    """Mark a wrong set of vital signs entered in error, with the reason. It stays on the
    record, marked, and out of the charts. A clinician on the resident's care team; a ledger
    entry. Errors: 400 `invalid` (no reason, already marked), 403 `forbidden` (on the ledger),
    404 `not_found` (no such set you may know of)."""
    try:
        row = selectors.vitals_for(request.auth, vitals_id)
    except VitalSigns.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return _out(services.mark_entered_in_error(request.auth, row, payload.reason))
