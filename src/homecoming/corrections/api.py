"""Correction requests over JSON: the same selectors and services as the pages, so the same
permissions and ledger entries. The resident files and lists their own (their own resident id);
the care team lists a resident's, the open ones of their residents, and answers."""

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from homecoming.access.policy import Action
from homecoming.core.paging import Window
from homecoming.core.schemas import Error, Pages
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

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "vitals",
                    "entry_id": 1842,
                    "what_is_wrong": "My weight was never 104 kg; I was weighed with my pack on.",
                    "should_say": "About 86 kg.",
                }
            ]
        }
    }


class AnswerIn(Schema):
    outcome: str  # "amended" or "declined"
    statement: str = ""
    secret: str = ""  # to amend a note: the answerer signs the addendum

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "outcome": "amended",
                    "statement": "Weight on 3 March was taken with kit on; about 86 kg.",
                    "secret": "",
                }
            ]
        }
    }


class DisagreementIn(Schema):
    text: str = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"text": "I never said I had thoughts of harming anyone; please keep my words."}
            ]
        }
    }


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
@paginate(Pages)
def list_requests(request, resident_id: int):
    """List a resident's correction requests, newest first, each with its answer. The resident
    (their own) and their care team may list them; the list is a look at the resident on the
    ledger. Errors: 403 `forbidden` (on the ledger), 404 `not_found` (no such resident you may
    know of)."""
    resident = _resident(request, resident_id)
    return [_out(item) for item in selectors.requests_of(request.auth, resident)]


@router.post(
    "/residents/{resident_id}/corrections",
    response={201: RequestOut, 400: Error, 403: Error, 404: Error},
)
def file_request(request, resident_id: int, payload: RequestIn):
    """File a request to correct one entry of the resident's own record. Only the resident, for
    an entry they may read (`kind`: note, questionnaire, vitals, medication or details, and
    its id); the request is a ledger entry and the care team is alerted. The answer is due
    within 60 days. Errors: 400 `invalid` (no text saying what is wrong, by field), 403
    `forbidden` (someone else, or no entry of that kind and id the resident may read: the
    attempt is on the ledger), 404 `not_found` (no such resident)."""
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
@paginate(Pages)
def list_open_requests(request):
    """List the unanswered correction requests of your residents, oldest first. Staff get
    those of their caseload, a supervisor the center's; someone with no residents gets an
    empty list. The page is one list entry on the ledger naming the residents it shows (only
    those)."""
    user = request.auth
    return Window(
        lambda offset, count: [_out(item) for item in selectors.open_requests(user, offset, count)],
        lambda: selectors.open_count(user),
    )


@router.post(
    "/corrections/{request_id}/answer",
    response={200: RequestOut, 400: Error, 403: Error, 404: Error},
)
def answer_request(request, request_id: int, payload: AnswerIn):
    """Answer a correction request, once: amend the entry, or decline with the reason. Someone
    on the resident's care team (a supervisor too). A note is amended by an addendum the
    answerer signs with `secret` (their password or authenticator code); anything else by the
    amendment written in `statement`. Declining is never done by the entry's own author, and
    the supervisors are alerted. The answer (and an addendum) are ledger entries. Errors: 400
    `invalid` (no statement, no signature for a note, a wrong secret, already answered: by
    field), 403 `forbidden` (not on the care team, or declining your own entry: on the
    ledger), 404 `not_found` (no such request you may know of)."""
    item = _request(request, request_id, Action.ANSWER_CORRECTION)
    services.answer(request.auth, item, payload.outcome, payload.statement, payload.secret)
    return _fresh(request, request_id)


@router.post(
    "/corrections/{request_id}/disagreement",
    response={201: RequestOut, 400: Error, 403: Error, 404: Error},
)
def file_disagreement(request, request_id: int, payload: DisagreementIn):
    """File the resident's statement of disagreement with a declined request. Only the
    resident, once per request; the statement is kept with the request, is a ledger entry,
    and the care team is alerted. Errors: 400 `invalid` (no text, a request not declined, a
    statement already kept), 403 `forbidden`, 404 `not_found` (no such request)."""
    item = _request(request, request_id, Action.REQUEST_CORRECTION)
    services.disagree(request.auth, item, payload.text)
    return Status(201, _fresh(request, request_id))
