"""Correction requests over JSON: the same selectors and services as the pages, so the same
permissions and ledger entries. The resident files and lists their own (their own resident id);
the care team lists a resident's, the open ones of their residents, and answers."""

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status

from homecoming.access.policy import Action
from homecoming.core.schemas import Error
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import selectors, services
from .models import CorrectionRequest

router = Router(tags=["correction requests"])


class AnswerOut(Schema):
    outcome: str  # "amended" or "declined"
    statement: str  # the amendment, or why the request was declined
    addendum_id: int | None  # a note's amendment: the signed addendum
    answered_by: str
    answered_at: dt.datetime


class DisagreementOut(Schema):
    text: str
    filed_at: dt.datetime


class RequestOut(Schema):
    id: int
    resident_id: int
    kind: str  # note, questionnaire, vitals, medication, details
    entry_id: int
    entry_label: str
    what_is_wrong: str
    should_say: str
    filed_at: dt.datetime
    answer_due: dt.datetime
    status: str
    answer: AnswerOut | None
    disagreement: DisagreementOut | None


class RequestIn(Schema):
    kind: str
    entry_id: int
    what_is_wrong: str = ""
    should_say: str = ""


class AnswerIn(Schema):
    outcome: str  # "amended" or "declined"
    statement: str = ""
    secret: str = ""  # to amend a note: the answerer signs the addendum


class DisagreementIn(Schema):
    text: str = ""


def _out(item: selectors.Shown) -> dict:
    q, a, d = item.request, item.answer, item.disagreement
    return {
        "id": q.pk,
        "resident_id": q.resident_id,
        "kind": q.kind,
        "entry_id": q.entry_id,
        "entry_label": q.entry_label,
        "what_is_wrong": q.what_is_wrong,
        "should_say": q.should_say,
        "filed_at": q.filed_at,
        "answer_due": item.answer_due,
        "status": item.status,
        "answer": None
        if a is None
        else {
            "outcome": a.outcome,
            "statement": a.statement,
            "addendum_id": a.addendum_id,
            "answered_by": str(a.answered_by),
            "answered_at": a.answered_at,
        },
        "disagreement": None if d is None else {"text": d.text, "filed_at": d.filed_at},
    }


def _resident(request, resident_id: int, action=Action.VIEW) -> Resident:
    try:
        return existing(request.auth, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _request(request, request_id: int, action) -> CorrectionRequest:
    try:
        return selectors.request_for(request.auth, request_id, action)
    except CorrectionRequest.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _fresh(request, request_id: int) -> dict:
    return _out(selectors.Shown(_request(request, request_id, Action.VIEW)))


@router.get(
    "/residents/{resident_id}/corrections",
    response={200: list[RequestOut], 403: Error, 404: Error},
)
def list_requests(request, resident_id: int):
    """The resident's correction requests, newest first, each with its answer."""
    resident = _resident(request, resident_id)
    return [_out(item) for item in selectors.requests_of(request.auth, resident)]


@router.post(
    "/residents/{resident_id}/corrections",
    response={201: RequestOut, 400: Error, 403: Error, 404: Error},
)
def file_request(request, resident_id: int, payload: RequestIn):
    """The resident asks for a correction of one entry of their own record (an entry they may
    read; any other is refused, 403, and the attempt is on the ledger)."""
    resident = _resident(request, resident_id, Action.REQUEST_CORRECTION)
    filed = services.file_request(
        request.auth,
        resident,
        payload.kind,
        payload.entry_id,
        payload.what_is_wrong,
        payload.should_say,
    )
    return Status(201, _fresh(request, filed.pk))


@router.get("/corrections/open", response={200: list[RequestOut], 403: Error})
def open_requests(request):
    """The unanswered requests of the caller's residents (their caseload; a supervisor's, the
    center), oldest first."""
    return [_out(item) for item in selectors.open_requests(request.auth)]


@router.post(
    "/corrections/{request_id}/answer",
    response={200: RequestOut, 400: Error, 403: Error, 404: Error},
)
def answer(request, request_id: int, payload: AnswerIn):
    """Amend (a note: a signed addendum) or decline with the reason, once."""
    item = _request(request, request_id, Action.ANSWER_CORRECTION)
    services.answer(request.auth, item, payload.outcome, payload.statement, payload.secret)
    return _fresh(request, request_id)


@router.post(
    "/corrections/{request_id}/disagreement",
    response={201: RequestOut, 400: Error, 403: Error, 404: Error},
)
def disagree(request, request_id: int, payload: DisagreementIn):
    """The resident's statement of disagreement with a declined request."""
    item = _request(request, request_id, Action.REQUEST_CORRECTION)
    services.disagree(request.auth, item, payload.text)
    return Status(201, _fresh(request, request_id))
