"""Safety plans and risk flags over JSON: the same selectors and services as the pages, so the
same permissions, signatures and ledger entries."""

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from homecoming.access.policy import Action
from homecoming.core.schemas import Error, Pages
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import selectors, services
from .models import RiskFlag, SafetyPlan

router = Router(tags=["safety plans"])


class PlanOut(Schema):
    id: int
    resident_id: int
    number: int  # 1 for the first version, one more for each
    warning_signs: str
    coping: str
    distractions: str
    help_people: str
    professionals: str
    environment: str
    reason_for_living: str
    signed_by: str
    signed_at: dt.datetime


class SafetyPlanOut(Schema):
    resident_id: int
    current: PlanOut | None
    versions: list[int]  # every version's number, newest first (GET ?version=N reads one)
    review_due: dt.datetime | None  # a flag raised and no version signed since
    review_overdue: bool


class PlanIn(Schema):
    warning_signs: str = ""
    coping: str = ""
    distractions: str = ""
    help_people: str = ""
    professionals: str = ""
    environment: str = ""
    reason_for_living: str = ""
    secret: str  # the writer's password or authenticator code: they sign this version

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "warning_signs": "Not sleeping; skipping meals; replaying the convoy.",
                    "coping": "Run the river loop; box breathing for five minutes.",
                    "distractions": "The workshop; calling Marcus about the game.",
                    "help_people": "My sister Ana, 555-0139.",
                    "professionals": "Caseworker Jordan Lee, 555-0100; 988 and press 1.",
                    "environment": "Rifle kept at my brother's; no pills stored at home.",
                    "reason_for_living": "My daughter's graduation in June.",
                    "secret": "492817",
                }
            ]
        }
    }


class FlagOut(Schema):
    id: int
    resident_id: int
    active: bool
    reason: str
    raised_at: dt.datetime
    source_questionnaire_id: int | None
    cleared_at: dt.datetime | None
    cleared_by: str | None
    cleared_reason: str


class ClearIn(Schema):
    reason: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"reason": "Seen the same day: no intent or plan; safety plan reviewed and signed."}
            ]
        }
    }


def _plan(p) -> dict:
    return {
        "id": p.pk,
        "resident_id": p.resident_id,
        "number": p.number,
        **{k: getattr(p, k) for k in services.SECTION_KEYS},
        "signed_by": str(p.signed_by),
        "signed_at": p.signed_at,
    }


def _flag(f: RiskFlag) -> dict:
    return {
        "id": f.pk,
        "resident_id": f.resident_id,
        "active": f.active,
        "reason": f.reason,
        "raised_at": f.raised_at,
        "source_questionnaire_id": f.source_id,
        "cleared_at": f.cleared_at,
        "cleared_by": str(f.cleared_by) if f.cleared_by_id else None,
        "cleared_reason": f.cleared_reason,
    }


def _resident(request, resident_id: int, action=Action.VIEW) -> Resident:
    try:
        return existing(request.auth, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


@router.get(
    "/residents/{resident_id}/safety-plan",
    response={200: SafetyPlanOut, 403: Error, 404: Error},
)
def get_plan(request, resident_id: int, version: int | None = None):
    """Read a resident's safety plan in force (or `version` N). With every version's number, newest
    first, and whether a review is due since a risk flag was raised. The care team, supervisors, the
    program director and the resident themselves; the read is a look at the resident on the ledger.
    Errors: 403 `forbidden` (on the ledger), 404 `not_found` (no such resident you may know of, or
    no such version)."""
    resident = _resident(request, resident_id)
    try:
        plan = selectors.plan_of(request.auth, resident, version)
    except SafetyPlan.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return {
        "resident_id": resident.pk,
        "current": _plan(plan.shown) if plan.shown else None,
        "versions": [v.number for v in plan.versions],
        "review_due": plan.review_due,
        "review_overdue": plan.review_overdue,
    }


@router.post(
    "/residents/{resident_id}/safety-plan",
    response={201: PlanOut, 400: Error, 403: Error, 404: Error},
)
def sign_plan(request, resident_id: int, payload: PlanIn):
    """Sign a new version of a resident's safety plan. Someone on the care team doing clinical
    work, with their own password or authenticator code in `secret`; every version is kept.
    The version is a ledger entry. Errors: 400 `invalid` (every section empty, a wrong secret:
    the refusal is on the ledger), 403 `forbidden` (on the ledger), 404 `not_found` (no such
    resident)."""
    resident = _resident(request, resident_id, Action.WRITE_SAFETY_PLAN)
    sections = payload.dict()
    secret = sections.pop("secret")
    return Status(201, _plan(services.sign(request.auth, resident, sections, secret)))


@router.get(
    "/residents/{resident_id}/risk-flags",
    response={200: list[FlagOut], 403: Error, 404: Error},
)
@paginate(Pages)
def list_flags(request, resident_id: int):
    """List a resident's risk flags, newest first: active, or cleared with who and why. The
    care team, supervisors and the program director; the read is a look at the resident on the
    ledger. Errors: 403 `forbidden` (on the ledger), 404 `not_found` (no such resident you may
    know of)."""
    resident = _resident(request, resident_id)
    return [_flag(f) for f in selectors.flags_of(request.auth, resident)]


@router.post(
    "/risk-flags/{flag_id}/clear",
    response={200: FlagOut, 400: Error, 403: Error, 404: Error},
)
def clear_flag(request, flag_id: int, payload: ClearIn):
    """Clear a risk flag, with the reason. A clinician on the resident's care team; the flag
    stays on the record, cleared with who and why, the clearing is a ledger entry and the
    supervisors are alerted. Errors: 400 `invalid` (no reason, a flag already cleared), 403
    `forbidden` (on the ledger), 404 `not_found` (no such flag you may know of)."""
    try:
        flag = selectors.flag_for(request.auth, flag_id)
    except RiskFlag.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return _flag(services.clear(request.auth, flag, payload.reason))
