"""The caller's own alerts over JSON: list the open ones, acknowledge many at once."""

import datetime as dt

from ninja import Router, Schema

from homecoming.core.schemas import Error, problem

from . import selectors, services

router = Router(tags=["alerts"])


class AlertOut(Schema):
    id: int
    kind: str
    urgency: str
    level: int
    message: str
    resident_id: int | None
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None


class AcknowledgeIn(Schema):
    ids: list[int]


class AcknowledgedOut(Schema):
    acknowledged: list[int]


def _alert(a) -> dict:
    return {
        "id": a.pk,
        "kind": a.kind,
        "urgency": a.urgency,
        "level": a.level,
        "message": a.message,
        "resident_id": a.resident_id,
        "created_at": a.created_at,
        "acknowledged_at": a.read_at,
        "acknowledged_by": a.acknowledged_by.username if a.acknowledged_by_id else None,
    }


@router.get("/alerts", response=list[AlertOut])
def open_alerts(request):
    """Your alerts nobody has acknowledged yet, newest first."""
    return [_alert(a) for a in selectors.open_for(request.auth)]


@router.post("/alerts/acknowledge", response={200: AcknowledgedOut, 400: Error, 403: Error})
def acknowledge(request, payload: AcknowledgeIn):
    """Acknowledge your alerts, all or none; each is a ledger entry with your name. An id that is
    not an alert of yours refuses the whole request (403)."""
    try:
        done = services.acknowledge(request.auth, payload.ids)
    except services.NotYours as exc:
        return problem(403, str(exc), code="not_your_alert")
    return {"acknowledged": [a.pk for a in done]}
