"""Messages over JSON, for the resident and for staff: the same selectors and services as the
pages, so the same permissions, receipts and ledger entries. There is no author in what is
sent: the author is whoever the token or session belongs to."""

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from homecoming.access.policy import Action
from homecoming.core.schemas import Error, Pages
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import selectors, services
from .models import Thread

router = Router(tags=["messages"])


class ThreadOut(Schema):
    id: int
    resident_id: int
    subject: str
    started_by: str
    started_at: dt.datetime
    last_message_at: dt.datetime | None
    waiting_for_care_team: bool  # the resident wrote last
    messages: int


class ReceiptOut(Schema):
    reader: str
    read_at: dt.datetime


class MessageOut(Schema):
    id: int
    thread_id: int
    author: str
    from_resident: bool
    body: str
    sent_at: dt.datetime
    read_by: list[ReceiptOut]


class ConversationOut(Schema):
    thread: ThreadOut
    messages: list[MessageOut]
    may_write: bool
    why_not: str


class StartIn(Schema):
    subject: str
    body: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "subject": "Weekend pass",
                    "body": "Could we talk about a pass for my daughter's birthday on the 14th?",
                }
            ]
        }
    }


class ReplyIn(Schema):
    body: str

    model_config = {
        "json_schema_extra": {
            "examples": [{"body": "Yes: let's go over it at Thursday's session."}]
        }
    }


def _thread(t: Thread, count=None) -> dict:
    return {
        "id": t.pk,
        "resident_id": t.resident_id,
        "subject": t.subject,
        "started_by": str(t.started_by),
        "started_at": t.started_at,
        "last_message_at": getattr(t, "last_at", None),
        "waiting_for_care_team": bool(getattr(t, "waiting", False)),
        "messages": getattr(t, "count", count or 0),
    }


def _message(m) -> dict:
    return {
        "id": m.pk,
        "thread_id": m.thread_id,
        "author": str(m.author),
        "from_resident": m.from_resident,
        "body": m.body,
        "sent_at": m.sent_at,
        "read_by": [
            {"reader": str(r.reader), "read_at": r.read_at}
            for r in getattr(m, "read_list", None) or m.receipts.all()
        ],
    }


def _resident(request, resident_id: int, action) -> Resident:
    try:
        return existing(request.auth, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _thread_for(request, thread_id: int, action=Action.VIEW_MESSAGES) -> Thread:
    try:
        return selectors.thread_for(request.auth, thread_id, action)
    except Thread.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


@router.get(
    "/residents/{resident_id}/message-threads",
    response={200: list[ThreadOut], 403: Error, 404: Error},
)
@paginate(Pages)
def list_threads(request, resident_id: int):
    """List a resident's message threads, latest activity first. A resident: their own; staff:
    a resident on their care team. The list is a look at the resident on the ledger; the
    messages themselves are read with `GET /message-threads/{thread_id}`. Errors: 403
    `forbidden` (on the ledger), 404 `not_found` (no such resident you may know of)."""
    resident = _resident(request, resident_id, Action.VIEW_MESSAGES)
    return [_thread(t) for t in selectors.threads_of(request.auth, resident).threads]


@router.post(
    "/residents/{resident_id}/message-threads",
    response={201: ConversationOut, 400: Error, 403: Error, 404: Error},
)
def start_thread(request, resident_id: int, payload: StartIn):
    """Start a thread with its first message. The resident writes to their care team, or
    someone on the care team to the resident; the author is whoever the token or session
    belongs to. A former resident may write only while in follow-up. The thread and its
    first message are ledger entries. Errors: 400 `invalid` (an empty or too
    long subject or text: every problem at once, by field), 403 `forbidden`, 404 `not_found`
    (no such resident)."""
    resident = _resident(request, resident_id, Action.SEND_MESSAGE)
    thread = services.start(request.auth, resident, payload.subject, payload.body)
    return Status(201, _conversation(request, thread))


def _conversation(request, thread) -> dict:
    read = selectors.read(request.auth, thread)
    return {
        "thread": _thread(thread, len(read.messages)),
        "messages": [_message(m) for m in read.messages],
        "may_write": read.may_write,
        "why_not": read.why_not,
    }


@router.get(
    "/message-threads/{thread_id}",
    response={200: ConversationOut, 403: Error, 404: Error},
)
def read_thread(request, thread_id: int):
    """Read a thread: its messages in order, each with who read it. The resident and their
    care team may read it. Reading leaves the reader's receipts and is a look at the resident
    on the ledger (their "who looked at my record"). `may_write` and `why_not` say whether the
    caller may reply. Errors: 403 `forbidden`, 404 `not_found` (no such thread you may know
    of; the probe is on the ledger)."""
    return _conversation(request, _thread_for(request, thread_id))


@router.post(
    "/message-threads/{thread_id}",
    response={201: MessageOut, 400: Error, 403: Error, 404: Error},
)
def reply(request, thread_id: int, payload: ReplyIn):
    """Reply in a thread, as whoever is logged in (never as someone else). The resident or
    someone on their care team; a reply from the team closes the unanswered-message alerts.
    The message is a ledger entry. Errors: 400 `invalid` (an empty or too long text), 403
    `forbidden` (not on the thread's care team, or a former resident past follow-up), 404
    `not_found` (no such thread)."""
    thread = _thread_for(request, thread_id, Action.SEND_MESSAGE)
    message = services.reply(request.auth, thread, payload.body)
    return Status(201, _message(message))
