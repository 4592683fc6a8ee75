"""Follow-ups over JSON: the caller's worklist (due, overdue, lost; supervisors and the director
see everyone's) and recording a contact attempt. The same selectors and services as the pages,
so the same policy and the same ledger entries."""

import datetime as dt
from typing import Literal

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from homecoming.core.schemas import Error, Pages

from . import selectors, services
from .models import AttemptOutcome, Method

router = Router(tags=["follow-ups"])


class ContactOut(Schema):
    id: int
    resident_id: int
    resident: str
    interval_days: int
    due_on: dt.date
    status: str
    owner: str
    escalated: bool
    lost_id: int | None = None


class WorklistQuery(Schema):
    status: Literal["due", "overdue", "lost"] = "due"
    owner: int | None = None  # supervisors and the director: one staff member's contacts


class AttemptIn(Schema):
    method: Literal["phone", "message", "visit"]
    outcome: AttemptOutcome
    notes: str = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "method": "phone",
                    "outcome": "left_message",
                    "notes": "Voicemail at the number on the discharge plan; asked him to call.",
                }
            ]
        }
    }


class AttemptOut(Schema):
    id: int
    contact_id: int
    method: Method
    outcome: AttemptOutcome
    notes: str
    made_at: dt.datetime
    contact_status: str
    lost: bool  # the person is (now) lost to follow-up


@router.get("/follow-ups", response={200: list[ContactOut], 403: Error})
@paginate(Pages)
def list_contacts(request, query: Query[WorklistQuery]):
    """List follow-up contacts: due now, overdue, or of people lost to follow-up. Staff who
    follow up get the contacts they own; supervisors and the program director everyone's
    (`owner` narrows to one). `status`: due (the day has come, within the grace days), overdue
    (past them), lost (open contacts of people lost to follow-up); another value is refused
    with 422 `invalid_request`. At most the 500 soonest due; each resident listed is on the
    ledger (a list entry). Errors: 403 `forbidden` (a role that does no follow-up: on the
    ledger)."""
    found = selectors.worklist(request.user, query.status, owner_id=query.owner)
    return [
        {
            "id": c.pk,
            "resident_id": c.resident_id,
            "resident": c.resident.display_name,
            "interval_days": c.interval_days,
            "due_on": c.due_on,
            "status": c.status,
            "owner": c.owner.full_name,
            "escalated": c.escalated_at is not None,
            "lost_id": found.lost[c.discharge_id].pk if c.discharge_id in found.lost else None,
        }
        for c in found.rows
    ]


@router.post(
    "/follow-ups/{contact_id}/attempts",
    response={201: AttemptOut, 400: Error, 403: Error, 404: Error},
)
def record_attempt(request, contact_id: int, payload: AttemptIn):
    """Record an attempt at a follow-up contact. The former resident's caseworker or clinician, a
    supervisor or the program director. Reached makes the contact; the third failed attempt in a row
    (no answer, left a message, wrong number) marks the person lost to follow-up and alerts the
    program director and the oversight body. The attempt is a ledger entry. A self check-in is
    recorded by its link, never here. Errors: 400 `invalid` (a contact already made or closed, by
    field), 403 `forbidden` (not yours to record: on the ledger), 404 `not_found` (no such contact;
    the probe is on the ledger)."""
    from homecoming.access.policy import Action

    from .models import Lost

    contact = selectors.contact_to_act_on(request.user, contact_id, Action.RECORD_FOLLOW_UP)
    attempt = services.record_attempt(
        request.user,
        contact,
        method=payload.method,
        outcome=payload.outcome,
        notes=payload.notes,
    )
    contact.refresh_from_db()
    lost = Lost.objects.filter(discharge_id=contact.discharge_id, closed_at__isnull=True).exists()
    return Status(
        201,
        {
            "id": attempt.pk,
            "contact_id": contact.pk,
            "method": attempt.method,
            "outcome": attempt.outcome,
            "notes": attempt.notes,
            "made_at": attempt.made_at,
            "contact_status": contact.status,
            "lost": lost,
        },
    )
