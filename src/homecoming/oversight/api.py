"""Complaints, investigations and investigators' grants over JSON: the same selectors and
services as the oversight pages (views_complaints.py, views_investigations.py, views_public.py),
so the same rules and the same ledger entries.

- A resident files a complaint about their own care, a member of staff as staff; the
  complaints officers and the oversight body list, read, answer, assign and move complaints;
  a member of staff named in a complaint reads it without learning who made it, and never
  handles it.
- The complainant of a public filing follows it up with the receipt code and passphrase they
  were given, with no account, counted against the same limits as the follow-up page. The
  public filing itself stays on the page (its receipt is shown once, in the browser).
- The oversight body opens and closes investigations and gives investigators read-only access
  for a fixed time; an investigator reads only what their grants in force cover.

Attachments are added on the pages (the API takes JSON only); their details are shown here to
whoever may open them.
"""

import datetime as dt
from typing import Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core import ratelimits
from homecoming.core.client_ip import client_ip
from homecoming.core.forms import messages_by_field
from homecoming.core.schemas import Error, Moment, Pages, problem
from homecoming.safety.models import Signal

from . import complaints, escalation, forms, investigations, public_limits, selectors
from .models import Complaint, ComplaintStatus, EventKind, Grant, Investigation

router = Router(tags=["oversight"])


# --- schemas -----------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str


class ComplaintEventOut(Schema):
    id: int
    kind: EventKind
    at: dt.datetime
    # The member of staff who did it; None for the complainant (never named here) and the system.
    by: str | None
    from_complainant: bool
    for_staff_only: bool
    body: str
    status: str | None  # a status change: the new status
    assignee: str | None  # an assignment: to whom
    attachments: list[AttachmentOut]
    # Attachments this reader may not open (staff named in the complaint): how many there are.
    attachments_withheld: int


class ComplaintSummary(Schema):
    id: int
    reference: str
    subject: str
    status: ComplaintStatus
    filed_via: str
    received_at: Moment
    touched_at: Moment
    escalations: int
    assignee: PersonOut | None


class HandledComplaint(ComplaintSummary):
    overdue: bool  # untouched by staff for longer than the escalation period


class ComplaintOut(ComplaintSummary):
    body: str
    outcome: str
    # Who made it, as this reader may be told: "withheld: ..." to staff it names; None to the
    # complainant themselves.
    complainant: str | None
    named_staff: list[PersonOut]
    you_filed_it: bool
    you_may_handle: bool  # write notes, assign, move it on
    events: list[ComplaintEventOut]


class ComplaintIn(Schema):
    subject: str = Field(max_length=200)
    body: str = Field(max_length=complaints.MAX_BODY)
    named_staff_ids: list[int] = []  # members of staff the complaint is about

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "subject": "My session note was changed after I read it",
                    "body": "On 3 March my caseworker's note said I declined the new medication; "
                    "on 5 March it said I agreed. I never agreed.",
                    "named_staff_ids": [7],
                }
            ]
        }
    }


class MessageIn(Schema):
    body: str = Field(max_length=complaints.MAX_BODY)
    # Handlers only: a note for those handling it, never shown to the complainant.
    for_staff_only: bool = False

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "body": "We have asked for the note's versions and will write by Friday.",
                    "for_staff_only": False,
                }
            ]
        }
    }


class AssignIn(Schema):
    assignee_id: int

    model_config = {"json_schema_extra": {"examples": [{"assignee_id": 4}]}}


class MoveIn(Schema):
    status: ComplaintStatus
    note: str = Field("", max_length=complaints.MAX_BODY)  # told to the complainant
    outcome: str = Field("", max_length=complaints.MAX_BODY)  # needed to resolve it

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "status": "resolved",
                    "note": "",
                    "outcome": "The note was restored to its signed text and the change is "
                    "on the ledger; the supervisor's edit rights were removed.",
                }
            ]
        }
    }


class ReceiptIn(Schema):
    reference: str = Field(max_length=40)
    passphrase: str = Field(max_length=60)

    model_config = {
        "json_schema_extra": {
            "examples": [{"reference": "HC-7K2M-Q9XD", "passphrase": "R4TW-8M2K-ZP6Q-31HN"}]
        }
    }


class ReceiptMessageIn(ReceiptIn):
    body: str = Field(max_length=complaints.MAX_BODY)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "reference": "HC-7K2M-Q9XD",
                    "passphrase": "R4TW-8M2K-ZP6Q-31HN",
                    "body": "It happened again on Tuesday; my brother saw it too.",
                }
            ]
        }
    }


class TooMany(Error):
    retry_after: int = Field(description="Seconds to wait before trying again.")


class HandledQuery(Schema):
    status: Literal["open", "all"] | ComplaintStatus = "open"


class GrantOut(Schema):
    id: int
    investigation_id: int
    investigation_reference: str
    investigator: PersonOut
    granted_by: str
    granted_at: dt.datetime
    starts_at: dt.datetime
    expires_at: dt.datetime
    reason: str
    revoked_at: dt.datetime | None
    revoked_by: str | None
    in_force: bool
    # Resident record numbers (the oversight body sees numbers, not names), and the staff whose
    # ledger entries it covers.
    resident_ids: list[int]
    staff: list[PersonOut]


class InvestigationSummary(Schema):
    id: int
    reference: str
    title: str
    status: str
    complaint_id: int | None
    complaint_reference: str | None
    signal_id: int | None
    opened_by: str
    opened_at: Moment
    closed_at: Moment | None


class InvestigationOut(InvestigationSummary):
    findings: str
    recommendations: str
    outcome_for_complainant: str
    closed_by: str | None
    grants: list[GrantOut]  # all of them (oversight body), or the reader's own (investigator)


class InvestigationIn(Schema):
    title: str = Field(max_length=200)
    complaint_id: int | None = None
    signal_id: int | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [{"title": "Record steering on the north wing", "complaint_id": 12}]
        }
    }


class CloseIn(Schema):
    findings: str
    recommendations: str = ""
    outcome: str = ""  # what the complainant is told; needed when it came from a complaint

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "findings": "Three signed notes were rewritten by the supervisor through "
                    "addenda dated before the residents' complaints.",
                    "recommendations": "Remove the supervisor's addendum rights; audit monthly.",
                    "outcome": "Your complaint was upheld: the notes were changed, and the "
                    "changes are now corrected and on your record.",
                }
            ]
        }
    }


class GrantIn(Schema):
    investigator_id: int
    resident_ids: list[int] = []
    staff_ids: list[int] = []
    starts_at: Moment | None = None  # now when not given
    expires_at: Moment
    reason: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "investigator_id": 9,
                    "resident_ids": [12, 31],
                    "staff_ids": [4],
                    "expires_at": "2026-06-30T17:00:00",
                    "reason": "Investigation of complaint HC-7K2M-Q9XD: the notes of March.",
                }
            ]
        }
    }


class RevokeGrantIn(Schema):
    reason: str

    model_config = {
        "json_schema_extra": {
            "examples": [{"reason": "The investigator has left the oversight body's panel."}]
        }
    }


class GrantActionOut(Schema):
    seq: int
    at: dt.datetime
    actor: str | None
    role: str
    action: str
    resident_id: int | None
    object_type: str
    object_id: str
    purpose: str
    outcome: str


class StaffActionsOut(Schema):
    grant_id: int
    entries: list[GrantActionOut]
    # Pass as `before` for the next (older) page; None on the last page.
    older: int | None


# --- shaping -----------------------------------------------------------------------------------


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.full_name or user.username}


def _event(e, *, attachments_shown: bool) -> dict:
    files = list(e.attachments.all())
    return {
        "id": e.pk,
        "kind": e.kind,
        "at": e.at,
        # As the pages: the complainant is "the complainant", never named on their own events.
        "by": e.actor.full_name if e.actor_id and not e.from_complainant else None,
        "from_complainant": e.from_complainant,
        "for_staff_only": e.kind == EventKind.NOTE,
        "body": e.body,
        "status": e.status or None,
        "assignee": e.assignee.full_name if e.assignee_id else None,
        "attachments": [
            {
                "id": a.pk,
                "name": a.original_name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in files
        ]
        if attachments_shown
        else [],
        "attachments_withheld": 0 if attachments_shown else len(files),
    }


def _summary(c) -> dict:
    return {
        "id": c.pk,
        "reference": c.reference,
        "subject": c.subject,
        "status": c.status,
        "filed_via": c.filed_via,
        "received_at": c.received_at,
        "touched_at": c.touched_at,
        "escalations": c.escalations,
        "assignee": _person(c.assignee),
    }


def _complaint(view: selectors.ComplaintView, *, public=False) -> dict:
    c = view.complaint
    return {
        **_summary(c),
        # The follow-up page shows its public complainant neither assignee nor named staff.
        "assignee": None if public else _person(c.assignee),
        "body": c.body,
        "outcome": c.outcome,
        "complainant": None if view.as_complainant and not view.may_handle else view.complainant,
        "named_staff": [_person(u) for u in view.named],
        "you_filed_it": view.as_complainant,
        "you_may_handle": view.may_handle,
        "events": [_event(e, attachments_shown=view.attachments_shown) for e in view.events],
    }


def _complaint_view(actor, complaint_id: int) -> selectors.ComplaintView:
    try:
        return selectors.complaint_for(actor, complaint_id)
    except Complaint.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _grant(g) -> dict:
    return {
        "id": g.pk,
        "investigation_id": g.investigation_id,
        "investigation_reference": g.investigation.reference,
        "investigator": _person(g.investigator),
        "granted_by": g.granted_by.full_name,
        "granted_at": g.granted_at,
        "starts_at": g.starts_at,
        "expires_at": g.expires_at,
        "reason": g.reason,
        "revoked_at": g.revoked_at,
        "revoked_by": g.revoked_by.full_name if g.revoked_by_id else None,
        "in_force": g.in_force,
        "resident_ids": [s.resident_id for s in g.resident_scope],
        "staff": [_person(s.staff) for s in g.staff_scope],
    }


def _investigation_summary(i) -> dict:
    return {
        "id": i.pk,
        "reference": i.reference,
        "title": i.title,
        "status": i.status,
        "complaint_id": i.complaint_id,
        "complaint_reference": i.complaint.reference if i.complaint_id else None,
        "signal_id": i.signal_id,
        "opened_by": i.opened_by.full_name,
        "opened_at": i.opened_at,
        "closed_at": i.closed_at,
    }


def _investigation(view: selectors.InvestigationView) -> dict:
    i = view.investigation
    return {
        **_investigation_summary(i),
        "findings": i.findings,
        "recommendations": i.recommendations,
        "outcome_for_complainant": i.outcome_for_complainant,
        "closed_by": i.closed_by.full_name if i.closed_by_id else None,
        "grants": [_grant(g) for g in view.grants],
    }


def _investigation_view(actor, investigation_id: int) -> selectors.InvestigationView:
    try:
        return selectors.investigation_for(actor, investigation_id)
    except Investigation.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A time sent without an offset is the center's local time, as on the pages."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment)


def _renamed(exc: ValidationError, names: dict) -> ValidationError:
    """A service's refusal with its field names as this API spells them."""
    by_field = messages_by_field(exc)
    return ValidationError({names.get(f, f): msgs for f, msgs in by_field.items()})


# --- complaints --------------------------------------------------------------------------------


@router.get("/complaints", response={200: list[HandledComplaint], 403: Error})
@paginate(Pages)
def handled_complaints(request, query: Query[HandledQuery]):
    """List the complaints for those handling them.

    Newest first. Supervisors, the program director and the oversight body only; anyone else is
    refused (403, on the ledger). `status`: `open` (the default: received, acknowledged, being
    looked into or with the oversight body), `all`, or one status. Each complaint listed is a read
    on the ledger, on its resident's record when a resident filed it. `overdue` marks those
    untouched by staff for longer than the escalation period."""
    rows = selectors.handled_complaints(
        request.auth, status=None if query.status == "all" else query.status
    )
    overdue = set(escalation.untouched().values_list("pk", flat=True))
    return [{**_summary(c), "overdue": c.pk in overdue} for c in rows]


@router.get("/complaints/mine", response={200: list[ComplaintSummary], 403: Error})
@paginate(Pages)
def my_complaints(request):
    """List the complaints you filed.

    A resident's from the portal, or a member of staff's; newest first. Each one listed is a read on
    the ledger."""
    return [_summary(c) for c in selectors.own_complaints(request.auth)]


@router.post("/complaints", response={201: ComplaintOut, 400: Error, 403: Error})
def file_complaint(request, payload: ComplaintIn):
    """File a complaint, as a resident or as a member of staff.

    A resident complains about their own care; staff about anything in the center. A resident's
    complaint is on their record's ledger; a staff complaint is the filer's. Staff named
    (`named_staff_ids`, or by their full name in the words) never learn who complained and never
    handle it. The complaints officers and the oversight body are alerted (except anyone named); a
    complaint nobody acts on escalates to the oversight body by itself. It can never be deleted.
    400: a field is missing or too short, an id in `named_staff_ids` is not a member of staff, or a
    member of staff names themselves. 403: an investigator or the oversight body (they receive
    complaints; the public form is for everyone else)."""
    actor = request.auth
    resident_filing = actor.role == "resident"
    if resident_filing:
        policy.require(actor, Action.FILE_COMPLAINT, getattr(actor, "resident", None))
    else:
        policy.require(actor, Action.FILE_STAFF_COMPLAINT)
    wanted = list(dict.fromkeys(payload.named_staff_ids))
    found = {u.pk: u for u in forms.staff_members().filter(pk__in=wanted)}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValidationError(
            {"named_staff_ids": f"No member of staff #{', #'.join(map(str, missing))}."}
        )
    filing = complaints.Filing(
        subject=payload.subject, body=payload.body, named_staff=[found[n] for n in wanted]
    )
    try:
        complaint = (
            complaints.file_own(actor, filing)
            if resident_filing
            else complaints.file_as_staff(actor, filing)
        )
    except ValidationError as exc:
        raise _renamed(exc, {"named_staff": "named_staff_ids"}) from exc
    return Status(201, _complaint(_complaint_view(actor, complaint.pk)))


# --- following a public complaint up with its receipt ----------------------------------------
# Declared before /complaints/{complaint_id}: ninja matches the paths in order.


def _over_limit(request, response, *groups):
    """The follow-up page's own limits, counted in its groups for this address: 429 with the
    seconds to wait (and Retry-After), or None."""
    for group, setting in groups:
        wait = ratelimits.wait_for(request, group, setting)
        if wait is not None:
            wait = max(1, wait)
            response["Retry-After"] = str(wait)
            return problem(
                429,
                f"Too many tries from here: wait {-(-wait // 60)} minutes.",
                code="too_many_requests",
                retry_after=wait,
            )
    return None


OPEN_LIMIT = ("complaint.open", "HOMECOMING_RECEIPT_RATE")
MESSAGE_LIMIT = ("complaint.message", "HOMECOMING_RECEIPT_RATE")


def _opened_with_receipt(request, response, payload: ReceiptIn):
    try:
        return complaints.open_with_receipt(
            payload.reference, payload.passphrase, source=client_ip(request)
        ), None
    except public_limits.ReceiptLocked as exc:
        wait = public_limits.WRONG_TRIES_MINUTES * 60
        response["Retry-After"] = str(wait)
        return None, problem(429, exc.messages[0], code="receipt_locked", retry_after=wait)
    except complaints.ReceiptRefused as exc:
        return None, problem(403, exc.messages[0], code="receipt_refused")


@router.post(
    "/complaints/receipt",
    auth=None,
    response={200: ComplaintOut, 403: Error, 429: TooMany},
)
def open_receipt(request, payload: ReceiptIn, response: HttpResponse):
    """Read a public complaint with its receipt code and passphrase.

    No account needed.

    The same as the follow-up page: what the complainant may read (no staff notes, no assignee,
    no named staff). Each wrong passphrase is on the ledger (403, code `receipt_refused`);
    after five wrong ones for a receipt from one address in 15 minutes, that address is refused
    for a while (429, code `receipt_locked`), never any other. Each address may open receipts
    at the follow-up page's rate (HOMECOMING_RECEIPT_RATE, shared with the page; 429, code
    `too_many_requests`). The read is on the ledger."""
    limited = _over_limit(request, response, OPEN_LIMIT)
    if limited is not None:
        return limited
    complaint, refused = _opened_with_receipt(request, response, payload)
    if refused is not None:
        return refused
    return _complaint(selectors.with_receipt(complaint), public=True)


@router.post(
    "/complaints/receipt/messages",
    auth=None,
    response={201: ComplaintEventOut, 400: Error, 403: Error, 429: TooMany},
)
def write_with_receipt(request, payload: ReceiptMessageIn, response: HttpResponse):
    """Write on a public complaint with its receipt code and passphrase.

    No account needed.

    The receipt is checked exactly as by `open_receipt` (same refusals, same limits, counted
    together with the page's), and the message is counted against the page's writing rate
    too. A complaint takes at most HOMECOMING_RECEIPT_MESSAGES_PER_DAY messages from its
    receipt in 24 hours (400 on `body`). 400 also: an empty message, or the complaint is
    closed. Those handling it are alerted through its assignee."""
    limited = _over_limit(request, response, OPEN_LIMIT, MESSAGE_LIMIT)
    if limited is not None:
        return limited
    complaint, refused = _opened_with_receipt(request, response, payload)
    if refused is not None:
        return refused
    event = complaints.write(None, complaint, payload.body)
    return Status(201, _event(event, attachments_shown=True))


@router.get("/complaints/{complaint_id}", response={200: ComplaintOut, 403: Error, 404: Error})
def get_complaint(request, complaint_id: int):
    """Read a complaint with its timeline.

    For those handling it, its complainant, and the staff it names. The complaints officers and the
    oversight body read everything, staff notes included. The complainant reads what is shown to
    them (no staff notes). A member of staff named in it reads it with `complainant` withheld and no
    attachments, and `you_may_handle` false. Anyone else: 403, on the ledger. The read is on the
    ledger (on the resident's record when a resident filed it)."""
    return _complaint(_complaint_view(request.auth, complaint_id))


@router.post(
    "/complaints/{complaint_id}/messages",
    response={201: ComplaintEventOut, 400: Error, 403: Error, 404: Error},
)
def write_on_complaint(request, complaint_id: int, payload: MessageIn):
    """Write a message or a staff-only note on a complaint.

    Its complainant writes to those handling it; a handler writes to the complainant, or a note for
    staff only (`for_staff_only`). A handler's message restarts the escalation timer; a
    complainant's alerts the assignee. A member of staff named in the complaint is refused (403, on
    the ledger), as is anyone else who neither filed nor handles it. 400: an empty message,
    `for_staff_only` from the complainant, or the complaint is closed."""
    view = _complaint_view(request.auth, complaint_id)
    event = complaints.write(
        request.auth, view.complaint, payload.body, for_staff_only=payload.for_staff_only
    )
    return Status(201, _event(event, attachments_shown=True))


@router.post(
    "/complaints/{complaint_id}/assign",
    response={200: ComplaintOut, 400: Error, 403: Error, 404: Error},
)
def assign_complaint(request, complaint_id: int, payload: AssignIn):
    """Assign a complaint to a complaints officer or the oversight body.

    Supervisors, the program director and the oversight body, unless named in it (403, on the
    ledger). The assignee is alerted; the escalation timer restarts. 400: the assignee is not
    a complaints officer or the oversight body, or is named in the complaint."""
    view = _complaint_view(request.auth, complaint_id)
    assignee = get_user_model().objects.filter(pk=payload.assignee_id).first()
    if assignee is None:
        complaints.require_handler(request.auth, view.complaint)  # a stranger learns nothing
        raise ValidationError({"assignee_id": f"No member of staff #{payload.assignee_id}."})
    try:
        complaints.assign(request.auth, view.complaint, assignee)
    except ValidationError as exc:
        raise _renamed(exc, {"assignee": "assignee_id"}) from exc
    return _complaint(_complaint_view(request.auth, complaint_id))


@router.post(
    "/complaints/{complaint_id}/status",
    response={200: ComplaintOut, 400: Error, 403: Error, 404: Error},
)
def move_complaint(request, complaint_id: int, payload: MoveIn):
    """Move a complaint on to a new status.

    Acknowledge, look into, refer to the oversight body, resolve (with the outcome the complainant
    reads), close. Supervisors, the program director and the oversight body, unless named in it
    (403, on the ledger); a complaint referred to the oversight body is moved on by the oversight
    body only (400). 400 also: a move its status does not allow, or resolving without an outcome of
    20 characters. Resolving and closing close the alerts about it."""
    view = _complaint_view(request.auth, complaint_id)
    complaints.move(
        request.auth, view.complaint, payload.status, note=payload.note, outcome=payload.outcome
    )
    return _complaint(_complaint_view(request.auth, complaint_id))


# --- investigations and grants -----------------------------------------------------------------


@router.get("/investigations", response={200: list[InvestigationSummary], 403: Error})
@paginate(Pages)
def list_investigations(request):
    """List the investigations you may read.

    Newest first: all of them for the oversight body; for an investigator, those they hold a
    grant in (in force or not).

    Anyone else: 403, on the ledger."""
    return [_investigation_summary(i) for i in selectors.investigations_for(request.auth)]


@router.post("/investigations", response={201: InvestigationOut, 400: Error, 403: Error})
def open_investigation(request, payload: InvestigationIn):
    """Open an investigation from a complaint or a safety signal.

    The oversight body only.

    A complaint it comes from is referred to the oversight body (only the oversight body moves
    it on from then). Anyone else: 403, on the ledger. 400: no title, no cause, or an id that
    names no complaint or signal."""
    policy.require(request.auth, Action.INVESTIGATE)
    cause, errors = {}, {}
    if payload.complaint_id is not None:
        cause["complaint"] = Complaint.objects.filter(pk=payload.complaint_id).first()
        if cause["complaint"] is None:
            errors["complaint_id"] = f"No complaint #{payload.complaint_id}."
    if payload.signal_id is not None:
        cause["signal"] = Signal.objects.filter(pk=payload.signal_id).first()
        if cause["signal"] is None:
            errors["signal_id"] = f"No safety signal #{payload.signal_id}."
    if errors:
        raise ValidationError(errors)
    opened = investigations.open_investigation(request.auth, payload.title, **cause)
    return Status(201, _investigation(_investigation_view(request.auth, opened.pk)))


@router.get(
    "/investigations/{investigation_id}",
    response={200: InvestigationOut, 403: Error, 404: Error},
)
def get_investigation(request, investigation_id: int):
    """Read an investigation with its grants.

    Every grant for the oversight body, an investigator's own only.

    An investigator with no grant in it, and anyone else: 403, on the ledger. Residents are
    given by record number; an investigator's look at the residents of their grants in force is
    on those residents' ledgers."""
    return _investigation(_investigation_view(request.auth, investigation_id))


@router.post(
    "/investigations/{investigation_id}/close",
    response={200: InvestigationOut, 400: Error, 403: Error, 404: Error},
)
def close_investigation(request, investigation_id: int, payload: CloseIn):
    """Close an investigation with its findings.

    The oversight body only.

    Its grants still in force end now; the complaint it came from is resolved with `outcome`,
    which the complainant reads. Anyone else, investigators included: 403, on the ledger. 400:
    findings under 20 characters, no outcome (20 characters) for a complaint, or already
    closed."""
    view = _investigation_view(request.auth, investigation_id)
    policy.require(request.auth, Action.INVESTIGATE)
    investigations.close_investigation(
        request.auth,
        view.investigation,
        findings=payload.findings,
        recommendations=payload.recommendations,
        outcome=payload.outcome,
    )
    return _investigation(_investigation_view(request.auth, investigation_id))


@router.get(
    "/investigations/{investigation_id}/grants",
    response={200: list[GrantOut], 403: Error, 404: Error},
)
@paginate(Pages)
def investigation_grants(request, investigation_id: int):
    """List an investigation's grants.

    Newest first: all of them for the oversight body, an investigator's own only (403 when
    they hold none in it)."""
    return [_grant(g) for g in _investigation_view(request.auth, investigation_id).grants]


@router.post(
    "/investigations/{investigation_id}/grants",
    response={201: GrantOut, 400: Error, 403: Error, 404: Error},
)
def grant_access(request, investigation_id: int, payload: GrantIn):
    """Give an investigator read-only access for a fixed time.

    The oversight body only. The access covers named residents' records, and everything named
    members of staff did, as the ledger has it.

    Each resident named is told: the grant is on their record's ledger. The investigator is
    alerted. Anyone else: 403, on the ledger. 400: the investigator is not an active
    investigator's account, nothing is named, an id names no resident or member of staff, the
    period ends before it starts, ends in the past or is longer than 180 days, no reason, or
    the investigation is closed. Times without an offset are the center's local time."""
    view = _investigation_view(request.auth, investigation_id)
    policy.require(request.auth, Action.INVESTIGATE)
    errors = {}
    investigator = get_user_model().objects.filter(pk=payload.investigator_id).first()
    try:
        residents = investigations.residents_by_number(payload.resident_ids)
    except ValidationError as exc:
        residents, errors = [], _renamed(exc, {"residents": "resident_ids"}).message_dict
    wanted = list(dict.fromkeys(payload.staff_ids))
    found = {u.pk: u for u in forms.staff_members().filter(pk__in=wanted)}
    missing = [n for n in wanted if n not in found]
    if missing:
        errors["staff_ids"] = [f"No member of staff #{', #'.join(map(str, missing))}."]
    if errors:
        raise ValidationError(errors)
    try:
        grant = investigations.grant_access(
            request.auth,
            view.investigation,
            investigator=investigator,
            residents=residents,
            staff=[found[n] for n in wanted],
            starts_at=_aware(payload.starts_at),
            expires_at=_aware(payload.expires_at),
            reason=payload.reason,
        )
    except ValidationError as exc:
        names = {
            "investigator": "investigator_id",
            "residents": "resident_ids",
            "staff": "staff_ids",
            "investigation": "investigation_id",
        }
        raise _renamed(exc, names) from exc
    fresh = _investigation_view(request.auth, investigation_id)
    return Status(201, _grant(next(g for g in fresh.grants if g.pk == grant.pk)))


@router.post(
    "/investigations/{investigation_id}/grants/{grant_id}/revoke",
    response={200: GrantOut, 400: Error, 403: Error, 404: Error},
)
def revoke_grant(request, investigation_id: int, grant_id: int, payload: RevokeGrantIn):
    """Revoke a grant now, saying why.

    The oversight body only.

    The investigator is alerted; from the next request the grant gives nothing. Anyone else:
    403, on the ledger. 404: no such grant in this investigation. 400: no reason, or the grant
    has already ended."""
    view = _investigation_view(request.auth, investigation_id)
    policy.require(request.auth, Action.INVESTIGATE)
    grant = next((g for g in view.grants if g.pk == grant_id), None)
    if grant is None:
        raise Http404(f"No grant #{grant_id} in {view.investigation.reference}.")
    investigations.revoke_grant(request.auth, grant, payload.reason)
    fresh = _investigation_view(request.auth, investigation_id)
    return _grant(next(g for g in fresh.grants if g.pk == grant_id))


@router.get("/grants/mine", response={200: list[GrantOut], 403: Error})
@paginate(Pages)
def my_grants(request):
    """List your grants in force now.

    An investigator's, with the residents and staff each covers.

    A grant that has expired or was revoked is not listed: it gives nothing. Each resident
    covered is a look on their record's ledger."""
    policy.require(request.auth, Action.VIEW_INVESTIGATIONS)
    return [_grant(g) for g in selectors.my_current_grants(request.auth)]


@router.get(
    "/grants/{grant_id}/actions",
    response={200: StaffActionsOut, 403: Error, 404: Error},
)
def staff_actions(request, grant_id: int, before: int | None = None):
    """Read what the staff a grant names did, as the ledger has it.

    Newest first, 50 at a time (pass `older` back as `before` for the next page).

    The investigator holding the grant only, while it is in force: an expired or revoked grant,
    or someone else's, is refused (403, on the ledger). 404: the grant names no member of
    staff. The reading is itself on the ledger."""
    try:
        page = selectors.staff_entries(request.auth, grant_id, before=before)
    except Grant.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return {
        "grant_id": page.grant.pk,
        "entries": [
            {
                "seq": e.seq,
                "at": e.time,
                "actor": e.actor.full_name if e.actor_id else None,
                "role": e.actor_role,
                "action": e.action,
                "resident_id": e.resident_id,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "purpose": e.purpose,
                "outcome": e.outcome,
            }
            for e in page.entries
        ],
        "older": page.older,
    }
