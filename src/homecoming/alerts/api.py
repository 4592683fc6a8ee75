"""The caller's own alerts over JSON: list the open ones, acknowledge many at once."""

import datetime as dt

from ninja import Router, Schema
from ninja.pagination import paginate

from homecoming.core.paging import Window
from homecoming.core.schemas import Error, Pages, problem

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

    model_config = {"json_schema_extra": {"examples": [{"ids": [412, 415]}]}}


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


@router.get("/alerts", response={200: list[AlertOut]})
@paginate(Pages)
def list_open(request):
    """List your alerts nobody has acknowledged yet. Anyone logged in may call it: it answers
    the caller's own alerts, newest first, never anyone else's. An alert about a resident names
    them, so each one on the page is a read of that resident on the ledger (purpose `alert`);
    only the alerts on the page asked for are recorded."""
    user = request.auth
    return Window(
        lambda offset, count: [_alert(a) for a in selectors.open_for(user, offset, count)],
        lambda: selectors.open_count(user),
    )


@router.post("/alerts/acknowledge", response={200: AcknowledgedOut, 400: Error, 403: Error})
def acknowledge(request, payload: AcknowledgeIn):
    """Acknowledge some of your alerts, all or none. Any logged-in recipient, for their own
    alerts only. Each alert acknowledged is a ledger entry in your name; one already
    acknowledged is left as it is. Errors: 400 `invalid` when `ids` is empty; 403
    `not_your_alert` when an id is not an alert of yours (or does not exist): the whole request
    is refused, and each refused id is on the ledger as denied."""
    try:
        done = services.acknowledge(request.auth, payload.ids)
    except services.NotYours as exc:
        return problem(403, str(exc), code="not_your_alert")
    return {"acknowledged": [a.pk for a in done]}
