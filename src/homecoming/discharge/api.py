"""A stay's discharge over JSON: read its plan, and carry out a fully signed one. Writing and
signing stay on the pages, where each signer types their own password."""

import datetime as dt

from ninja import Router, Schema

from homecoming.core.schemas import Error, problem

from . import selectors, services

router = Router(tags=["discharge"])


class FollowUpOut(Schema):
    interval_days: int
    due_on: dt.date


class DischargePlanOut(Schema):
    id: int
    stay_id: int
    resident_id: int
    status: str
    disposition: str
    disposition_text: str
    planned_on: dt.date
    plan: str
    contacts: str
    follow_up_days: list[int]
    caseworker_signed_at: dt.datetime | None
    clinician_signed_at: dt.datetime | None
    fitness_assessed_at: dt.datetime | None
    resident_acknowledged_at: dt.datetime | None
    discharged_at: dt.datetime | None
    missing: list[str]  # what the plan needs before it is carried out; empty when it may be
    ended: dict
    follow_ups: list[FollowUpOut]


class NotReadyOut(Error):
    missing: list[str]


def _out(plan) -> dict:
    return {
        **{f: getattr(plan, f) for f in DischargePlanOut.model_fields if hasattr(plan, f)},
        "missing": services.missing(plan) if plan.status == "draft" else [],
        "follow_ups": list(plan.follow_ups.order_by("due_on")),
    }


def _plan_of(request, stay_id):
    stay, plan = selectors.for_stay(request.auth, stay_id)
    if plan is None:
        from django.http import Http404

        raise Http404("This stay has no discharge plan.")
    return plan


# Its URL keeps its first name: safety plans have a get_plan of their own.
@router.get(
    "/stays/{stay_id}/discharge",
    response={200: DischargePlanOut, 403: Error, 404: Error},
    url_name="get_discharge",
)
def get_plan(request, stay_id: int):
    """Read a stay's discharge plan, with what it still needs before it is carried out. The
    plan in force (cancelled ones aside), its signatures, disposition and follow-up schedule;
    `missing` names what a draft still lacks. The resident's care team and the resident may
    read it; the read is a look at the resident on the ledger. Errors: 403 `forbidden` (on the
    ledger), 404 `not_found` (no such stay you may know of, or the stay has no plan)."""
    return _out(_plan_of(request, stay_id))


@router.post(
    "/stays/{stay_id}/discharge",
    response={200: DischargePlanOut, 400: Error, 403: Error, 404: Error, 409: NotReadyOut},
)
def carry_out(request, stay_id: int):
    """Carry out a stay's fully signed discharge plan, all or nothing. The resident's caseworker or
    clinician, a supervisor or the program director. In one transaction the stay ends, the bed is
    freed, running orders end, future sessions are cancelled and the follow-up schedule starts;
    every change is a ledger entry. Writing and signing the plan stay on the pages, where each
    signer types their own password. Errors: 400 `invalid` (the plan is not a draft, or the resident
    is not in residence), 403 `forbidden` (on the ledger), 404 `not_found` (no such stay, or no
    plan), 409 `plan_not_ready` (signatures or fields still missing, named in `missing`)."""
    plan = _plan_of(request, stay_id)
    try:
        plan = services.carry_out(request.auth, plan)
    except services.NotReady as exc:
        return problem(409, exc.messages[0], code="plan_not_ready", missing=exc.wanting)
    return _out(plan)
