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


class PlanOut(Schema):
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
        **{f: getattr(plan, f) for f in PlanOut.model_fields if hasattr(plan, f)},
        "missing": services.missing(plan) if plan.status == "draft" else [],
        "follow_ups": list(plan.follow_ups.order_by("due_on")),
    }


def _plan_of(request, stay_id):
    stay, plan = selectors.for_stay(request.auth, stay_id)
    if plan is None:
        from django.http import Http404

        raise Http404("This stay has no discharge plan.")
    return plan


@router.get("/stays/{stay_id}/discharge", response={200: PlanOut, 403: Error, 404: Error})
def get_discharge(request, stay_id: int):
    """The stay's discharge plan (cancelled ones aside), with what it still needs."""
    return _out(_plan_of(request, stay_id))


@router.post(
    "/stays/{stay_id}/discharge",
    response={200: PlanOut, 400: Error, 403: Error, 404: Error, 409: NotReadyOut},
)
def discharge(request, stay_id: int):
    """Carry out the stay's fully signed plan, in one transaction. 409 names what is missing."""
    plan = _plan_of(request, stay_id)
    try:
        plan = services.carry_out(request.auth, plan)
    except services.NotReady as exc:
        return problem(409, exc.messages[0], code="plan_not_ready", missing=exc.wanting)
    return _out(plan)
