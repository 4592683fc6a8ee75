"""The medical lead's decisions on signals over JSON (same service and permissions as the page):
the decisions on a signal, newest first, and recording a new one."""

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.schemas import Error, Pages

from . import decisions
from .models import Decision, Signal

router = Router(tags=["safety"])


class DecisionIn(Schema):
    kind: str  # monitor, restrict or suspend
    reasons: str
    prescriber_ids: list[int] = []  # for a restriction: who may still order the medicine

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "restrict",
                    "reasons": "Confirmed signal of memory impairment; only the two "
                    "psychiatrists who know the protocol may order it while it is reviewed.",
                    "prescriber_ids": [15, 21],
                }
            ]
        }
    }


class DecisionOut(Schema):
    id: int
    signal_id: int
    drug: str
    kind: str
    reasons: str
    prescribers: list[str]  # named by a restriction
    prescriber_ids: list[int]
    decided_at: dt.datetime
    decided_by: str


def _out(d: Decision) -> dict:
    named = list(d.named.select_related("prescriber"))
    return {
        "id": d.pk,
        "signal_id": d.signal_id,
        "drug": d.drug,
        "kind": d.kind,
        "reasons": d.reasons,
        "prescribers": [str(n.prescriber) for n in named],
        "prescriber_ids": [n.prescriber_id for n in named],
        "decided_at": d.decided_at,
        "decided_by": str(d.decided_by),
    }


def _signal(signal_id: int) -> Signal:
    found = Signal.objects.filter(pk=signal_id).first()
    if found is None:
        raise Http404(f"No signal #{signal_id}.")
    return found


@router.get(
    "/safety/signals/{signal_id}/decisions",
    response={200: list[DecisionOut], 403: Error, 404: Error},
)
@paginate(Pages)
def list_decisions(request, signal_id: int):
    """List every decision on a signal, newest (the one in force) first. Whoever may list
    signals. Errors: 403 `forbidden` (on the ledger), 404 `not_found` (no such signal)."""
    policy.require(request.auth, Action.VIEW_SAFETY)
    return [_out(d) for d in decisions.history(_signal(signal_id))]


@router.post(
    "/safety/signals/{signal_id}/decisions",
    response={201: DecisionOut, 400: Error, 403: Error, 404: Error},
)
def decide_signal(request, signal_id: int, payload: DecisionIn):
    """Record the medical lead's decision on a signal: monitor, restrict or suspend. Only the
    medical lead. Restrict names the prescribers who may still order the medicine; suspend stops
    every new order and dose of it. A decision is final: a later one replaces it, and every one
    stays. It is a ledger entry, and the oversight body and the program director are alerted.
    Errors: 400 `invalid` (an unknown kind, no reasons, a restriction naming nobody or someone who
    is not a prescriber: by field), 403 `forbidden` (on the ledger), 404 `not_found` (no such
    signal)."""
    policy.require(request.auth, Action.DECIDE_SIGNAL)
    made = decisions.decide(request.auth, _signal(signal_id), decisions.Choice(**payload.dict()))
    return Status(201, _out(made))
