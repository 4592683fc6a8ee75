"""Sessions and progress notes over JSON: the calendar's bookings and the changes made to them,
and notes from the draft to the signature, its addenda, co-signature and release decisions.

The same services and selectors as the pages (views_sessions.py, views_notes.py), so the same
permissions, rules and ledger entries. A signature (a note, an addendum, a co-signature) carries
the signer's password or current authenticator code in `secret`, as the pages ask for it: a
wrong one is refused (400 on `secret`), written to the ledger, and counts towards the typist's
lock-out. Times sent without an offset are the center's local time."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from homecoming.access.policy import Action
from homecoming.core.forms import messages_by_field
from homecoming.core.schemas import Error, Moment, Pages, problem
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import notes, scheduling
from . import notes_selectors as selectors
from .models import (
    Addendum,
    CoSignature,
    Note,
    NoteRelease,
    NoteTemplate,
    Session,
    SessionAttendee,
    SessionKind,
    WithholdingReason,
)

router = Router(tags=["sessions and notes"])


# --- schemas: sessions --------------------------------------------------------------------


class AttendeeOut(Schema):
    id: int
    session_id: int
    resident_id: int
    resident_name: str
    attendance: str  # expected, checked_in, attended, no_show, cancelled
    checked_in_at: dt.datetime | None


class MoveOut(Schema):
    from_starts_at: dt.datetime
    from_ends_at: dt.datetime
    to_starts_at: dt.datetime
    to_ends_at: dt.datetime
    reason: str
    moved_by: str
    moved_at: dt.datetime


class SessionOut(Schema):
    id: int
    kind: str  # individual or group
    title: str
    caseworker_id: int
    caseworker: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    status: str  # scheduled, held, cancelled
    scheduled_at: dt.datetime
    cancelled_at: dt.datetime | None
    cancellation_reason: str
    attendees: list[AttendeeOut]
    moves: list[MoveOut]  # every move, oldest first


class SessionDetailOut(SessionOut):
    # The attendees the caller may check in or mark as no-shows; the session may be held,
    # moved or cancelled by the caller only when that is all of them.
    may_update: list[int]
    started: bool
    check_in_open: bool  # from an hour before the start until the end


class ResidentSessionOut(Schema):
    """One session of the resident's, with their own place in it (a group's other attendees
    are not shown)."""

    id: int
    kind: str
    title: str
    caseworker_id: int
    caseworker: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    status: str
    cancelled_at: dt.datetime | None
    cancellation_reason: str
    attendee_id: int
    attendance: str
    checked_in_at: dt.datetime | None
    moved_from: dt.datetime | None  # where it was before its latest move, if it moved
    move_reason: str | None

    # Read from the selector's rows as a page of them is cut (sessions_of: `mine` is the
    # resident's own place, `moved_from` and `move_reason` annotations).
    @staticmethod
    def resolve_caseworker(s) -> str:
        return scheduling.staff_name(s.caseworker)

    @staticmethod
    def resolve_attendee_id(s) -> int:
        return s.mine[0].pk

    @staticmethod
    def resolve_attendance(s) -> str:
        return s.mine[0].attendance

    @staticmethod
    def resolve_checked_in_at(s):
        return s.mine[0].checked_in_at


class WhenIn(Schema):
    starts_at: Moment
    ends_at: Moment
    location: str = Field("", max_length=100)
    # Whose calendar (a supervisor books on any caseworker's); a caseworker books on their own,
    # and may leave it out.
    caseworker_id: int | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "starts_at": "2026-03-10T10:00:00",
                    "ends_at": "2026-03-10T10:50:00",
                    "location": "Room 2",
                }
            ]
        }
    }


class GroupIn(WhenIn):
    title: str = Field(min_length=1, max_length=200)
    resident_ids: list[int] = Field(min_length=2)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "title": "Sleep skills",
                    "resident_ids": [12, 15, 21],
                    "starts_at": "2026-03-10T14:00:00",
                    "ends_at": "2026-03-10T15:30:00",
                    "location": "Group room",
                    "caseworker_id": 4,
                }
            ]
        }
    }


class RescheduleIn(Schema):
    starts_at: Moment
    ends_at: Moment
    reason: str = Field(max_length=1000)  # the resident reads it beside the session

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "starts_at": "2026-03-11T09:00:00",
                    "ends_at": "2026-03-11T09:50:00",
                    "reason": "The caseworker is at a training day on Tuesday.",
                }
            ]
        }
    }


class CancelIn(Schema):
    reason: str = Field(max_length=1000)

    model_config = {
        "json_schema_extra": {"examples": [{"reason": "The resident is at the hospital today."}]}
    }


# --- schemas: notes -----------------------------------------------------------------------


class AddendumOut(Schema):
    id: int
    note_id: int
    author_id: int
    author: str
    written_at: dt.datetime
    reason: str
    text: str


class CoSignatureOut(Schema):
    note_id: int
    cosigner_id: int
    cosigner: str
    cosigned_at: dt.datetime


class ReleaseDecisionOut(Schema):
    """A decision about showing the note to its resident (staff only: never the resident's)."""

    id: int
    note_id: int
    withheld: bool
    reason: str  # risk_of_harm or third_party when withheld
    explanation: str
    decided_by: str
    decided_at: dt.datetime


class NoteOut(Schema):
    id: int
    resident_id: int
    session_id: int | None
    author_id: int
    author: str
    template: str  # dap or soap
    status: str  # draft, signed, withheld, awaiting co-signature
    sections: dict[str, str]  # each section of the template, in order, with its text
    revision: int  # send it back with a draft's save or signature
    created_at: dt.datetime
    updated_at: dt.datetime
    signed_at: dt.datetime | None
    signed_sha256: str  # the SHA-256 of the signed sections' canonical JSON
    needs_cosignature: bool
    awaiting_cosignature: bool
    withheld: bool
    released_to_resident: bool
    cosignature: CoSignatureOut | None
    addenda: list[AddendumOut]
    decisions: list[ReleaseDecisionOut]


class StaleOut(Error):
    """A 409 about a note: `stale_revision` (with the stored draft's `revision`: read the note
    again, then save) or `note_signed` (final: add an addendum instead)."""

    revision: int | None = None


class NewNoteIn(Schema):
    template: NoteTemplate
    session_id: int | None = None  # the session the note is about, which the resident attended

    model_config = {"json_schema_extra": {"examples": [{"template": "dap", "session_id": 31}]}}


SECTIONS_EXAMPLE = {
    "data": "Slept five hours; two nightmares this week.",
    "assessment": "Sleep improving; hyperarousal persists.",
    "plan": "Continue sleep hygiene; review in one week.",
}


class DraftIn(Schema):
    # The sections sent replace those sections' text; a section left out keeps its text.
    sections: dict[str, str]
    revision: int = Field(ge=0)  # the revision the text was based on (from the note)

    model_config = {
        "json_schema_extra": {"examples": [{"sections": SECTIONS_EXAMPLE, "revision": 1}]}
    }


class SignNoteIn(Schema):
    secret: str = Field(min_length=1)  # the author's password or current authenticator code
    # Given: exactly this revision is signed (a newer save elsewhere is a 409). With
    # `sections`, they are saved first (based on `revision`), then that text is signed.
    revision: int | None = Field(None, ge=0)
    sections: dict[str, str] | None = None

    model_config = {
        "json_schema_extra": {"examples": [{"secret": "correct horse battery", "revision": 3}]}
    }


class AddendumIn(Schema):
    reason: str = Field(max_length=300)
    text: str
    secret: str  # the writer's password or current authenticator code: they sign it

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "reason": "Correction: the date of the incident",
                    "text": "The nightmare described happened on Tuesday, not Monday.",
                    "secret": "123456",
                }
            ]
        }
    }


class CosignIn(Schema):
    secret: str = Field(min_length=1)  # the co-signer's password or authenticator code

    model_config = {"json_schema_extra": {"examples": [{"secret": "123456"}]}}


class WithholdIn(Schema):
    reason: WithholdingReason
    explanation: str  # kept with the decision for review; the resident does not see it

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "reason": "third_party",
                    "explanation": "The note describes his brother's treatment in detail.",
                }
            ]
        }
    }


class ReleaseIn(Schema):
    explanation: str = ""

    model_config = {
        "json_schema_extra": {
            "examples": [{"explanation": "Reviewed with the resident; he may read it now."}]
        }
    }


# --- helpers ------------------------------------------------------------------------------

# The services name what they check; the API's fields are ids.
API_FIELD = {"caseworker": "caseworker_id", "residents": "resident_ids", "session": "session_id"}


def _renamed(exc: ValidationError) -> dict[str, list[str]]:
    return {API_FIELD.get(k, k): v for k, v in messages_by_field(exc).items()}


def _refused_input(exc: ValidationError):
    """A service's refusal with its fields named as the API's body names them."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {field: [ValidationError(m) for m in msgs] for field, msgs in _renamed(exc).items()}
    )


def _clash(exc: scheduling.Clash):
    return problem(409, " ".join(exc.messages), code="session_clash", errors=_renamed(exc))


def _aware(moment: dt.datetime, field: str) -> dt.datetime:
    """A time sent without an offset is the center's local time, as on the pages."""
    if moment.tzinfo is not None:
        return moment
    return scheduling.at_center(moment, field)


def _times(payload) -> tuple[dt.datetime, dt.datetime]:
    errors = {}
    times = []
    for field in ("starts_at", "ends_at"):
        try:
            times.append(_aware(getattr(payload, field), field))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return times[0], times[1]


def _caseworker(request, caseworker_id: int | None):
    if caseworker_id is None:
        return request.auth
    found = scheduling.find_caseworker(caseworker_id)
    if found is None:
        raise ValidationError({"caseworker_id": f"No caseworker #{caseworker_id}."})
    return found


def _resident(request, resident_id: int, action: Action) -> Resident:
    try:
        return existing(request.auth, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _session(request, session_id: int) -> Session:
    try:
        return scheduling.find_session(request.auth, session_id)
    except Session.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _attendee(request, session_id: int, attendee_id: int) -> SessionAttendee:
    try:
        return scheduling.find_attendee(request.auth, session_id, attendee_id)
    except SessionAttendee.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _attendee_out(a: SessionAttendee) -> dict:
    return {
        "id": a.pk,
        "session_id": a.session_id,
        "resident_id": a.resident_id,
        "resident_name": a.resident.display_name,
        "attendance": a.attendance,
        "checked_in_at": a.checked_in_at,
    }


def _move_out(m) -> dict:
    return {
        "from_starts_at": m.from_starts_at,
        "from_ends_at": m.from_ends_at,
        "to_starts_at": m.to_starts_at,
        "to_ends_at": m.to_ends_at,
        "reason": m.reason,
        "moved_by": scheduling.staff_name(m.moved_by),
        "moved_at": m.moved_at,
    }


def _session_fields(s: Session) -> dict:
    return {
        "id": s.pk,
        "kind": s.kind,
        "title": s.title,
        "caseworker_id": s.caseworker_id,
        "caseworker": scheduling.staff_name(s.caseworker),
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "location": s.location,
        "status": s.status,
        "cancelled_at": s.cancelled_at,
        "cancellation_reason": s.cancellation_reason,
    }


def _session_out(s: Session, attendees=None, moves=None) -> dict:
    """A session just written: its attendees and moves are the rows the write touched."""
    if attendees is None:
        attendees = s.attendees.select_related("resident").order_by("pk")
    if moves is None:
        moves = s.moves.select_related("moved_by")
    return {
        **_session_fields(s),
        "scheduled_at": s.scheduled_at,
        "attendees": [_attendee_out(a) for a in attendees],
        "moves": [_move_out(m) for m in moves],
    }


def _person(user) -> str:
    return user.full_name or user.username


def _addendum_out(a: Addendum) -> dict:
    return {
        "id": a.pk,
        "note_id": a.note_id,
        "author_id": a.author_id,
        "author": _person(a.author),
        "written_at": a.written_at,
        "reason": a.reason,
        "text": a.text,
    }


def _cosignature_out(c: CoSignature | None) -> dict | None:
    if c is None:
        return None
    return {
        "note_id": c.note_id,
        "cosigner_id": c.cosigner_id,
        "cosigner": _person(c.cosigner),
        "cosigned_at": c.cosigned_at,
    }


def _decision_out(d: NoteRelease) -> dict:
    return {
        "id": d.pk,
        "note_id": d.note_id,
        "withheld": d.withheld,
        "reason": d.reason,
        "explanation": d.explanation,
        "decided_by": _person(d.decided_by),
        "decided_at": d.decided_at,
    }


def _note_out(view: selectors.NoteView) -> dict:
    n = view.note
    return {
        "id": n.pk,
        "resident_id": n.resident_id,
        "session_id": n.session_id,
        "author_id": n.author_id,
        "author": _person(n.author),
        "template": n.template,
        "status": view.status,
        "sections": {key: text for key, _, text in n.section_texts()},
        "revision": n.revision,
        "created_at": n.created_at,
        "updated_at": n.updated_at,
        "signed_at": n.signed_at,
        "signed_sha256": n.signed_sha256,
        "needs_cosignature": n.needs_cosignature,
        "awaiting_cosignature": view.awaiting_cosignature,
        "withheld": view.withheld,
        "released_to_resident": view.released_to_resident,
        "cosignature": _cosignature_out(view.cosignature),
        "addenda": [_addendum_out(a) for a in view.addenda],
        "decisions": [_decision_out(d) for d in view.decisions],
    }


def _written(note: Note) -> dict:
    """A draft just saved or signed by its author: no addenda, co-signature or decisions yet."""
    return _note_out(selectors.NoteView(note=note, addenda=[], cosignature=None))


def _note_to_change(request, note_id: int) -> Note:
    try:
        return selectors.note_to_change(request.auth, note_id)
    except Note.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _stale(exc: notes.DraftConflict):
    return problem(
        409,
        " ".join(exc.messages),
        code="stale_revision",
        revision=exc.revision,
        errors=messages_by_field(exc),
    )


def _final(exc: notes.SignedIsFinal):
    return problem(409, " ".join(exc.messages), code="note_signed")


# --- sessions -----------------------------------------------------------------------------


@router.get(
    "/residents/{resident_id}/sessions",
    response={200: list[ResidentSessionOut], 403: Error, 404: Error},
)
@paginate(Pages)
def resident_sessions(request, resident_id: int):
    """A resident's sessions, newest first, each with the resident's own attendance.

    Whoever may read the resident's record may call it (their care team, the supervisors and
    the director, the resident themself); the read is on the ledger. Other attendees of a group
    session are not listed. 403: you may not read this record (the refusal is on the ledger);
    404: no such resident."""
    return scheduling.sessions_of(request.auth, resident_id)


@router.post(
    "/residents/{resident_id}/sessions",
    response={201: SessionOut, 400: Error, 403: Error, 404: Error, 409: Error},
)
def schedule_session(request, resident_id: int, payload: WhenIn):
    """Schedule an individual session with a resident.

    A caseworker on the resident's care team books on their own calendar (`caseworker_id`
    left out, or their own); a supervisor or the director books on any active caseworker's.
    The resident needs an open stay that has begun by the session's day; a session is in the
    future, ends after it starts and lasts at most 8 hours. The session and the resident's
    place in it are written to the ledger. 400: a rule refused what was sent (`errors` names
    each field); 403: you may not book for this resident or on that calendar (the refusal is
    on the ledger); 409 `session_clash`: the caseworker or the resident already has a session
    at that time."""
    resident = _resident(request, resident_id, Action.SCHEDULE_SESSION)
    caseworker = _caseworker(request, payload.caseworker_id)
    starts_at, ends_at = _times(payload)
    try:
        session = scheduling.schedule(
            request.auth,
            caseworker=caseworker,
            residents=[resident],
            kind=SessionKind.INDIVIDUAL,
            starts_at=starts_at,
            ends_at=ends_at,
            location=payload.location,
        )
    except scheduling.Clash as exc:
        return _clash(exc)
    except ValidationError as exc:
        raise _refused_input(exc) from exc
    return Status(201, _session_out(session))


@router.post("/sessions", response={201: SessionOut, 400: Error, 403: Error, 409: Error})
def schedule_group(request, payload: GroupIn):
    """Schedule a group session with two or more residents.

    The same rules as an individual session, for every resident: a caseworker books only
    residents of their own caseload, on their own calendar; a supervisor or the director
    anyone in residence, on any active caseworker's. Each resident's place is on their ledger.
    400: a rule refused what was sent, or no resident with one of the ids; 403: one of the
    residents or the calendar is not yours to book (on the ledger); 409 `session_clash`: the
    caseworker or a resident already has a session at that time."""
    people = []
    for resident_id in payload.resident_ids:
        try:
            people.append(existing(request.auth, resident_id, Action.SCHEDULE_SESSION))
        except Resident.DoesNotExist as exc:  # an id in the body: a field of it, not a 404
            raise ValidationError({"resident_ids": str(exc)}) from exc
    caseworker = _caseworker(request, payload.caseworker_id)
    starts_at, ends_at = _times(payload)
    try:
        session = scheduling.schedule(
            request.auth,
            caseworker=caseworker,
            residents=people,
            kind=SessionKind.GROUP,
            starts_at=starts_at,
            ends_at=ends_at,
            title=payload.title,
            location=payload.location,
        )
    except scheduling.Clash as exc:
        return _clash(exc)
    except ValidationError as exc:
        raise _refused_input(exc) from exc
    return Status(201, _session_out(session))


@router.get("/sessions/{session_id}", response={200: SessionDetailOut, 403: Error, 404: Error})
def get_session(request, session_id: int):
    """A session with its attendees, its moves, and what the caller may do with it.

    Whoever may read every attendee's record may call it, and so may the caseworker who leads
    it (a group may include residents of other caseloads, shown by name only). Each attendee
    shown is on the ledger. 403: an attendee's record is not yours to read (on the ledger)."""
    try:
        detail = scheduling.session_detail(request.auth, session_id)
    except Session.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return {
        **_session_out(detail.session, detail.attendees, detail.moves),
        "may_update": sorted(detail.may_update),
        "started": detail.started,
        "check_in_open": detail.check_in_open,
    }


@router.post(
    "/sessions/{session_id}/reschedule",
    response={200: SessionOut, 400: Error, 403: Error, 404: Error, 409: Error},
)
def reschedule_session(request, session_id: int, payload: RescheduleIn):
    """Move a scheduled session that has not begun to another time, with the reason.

    The same rules as booking it (not in the past, an open stay, at most 8 hours), every
    problem named at once; a caseworker moves only the sessions on their own calendar. The move
    is kept, and the resident sees it with the reason. 400: refused (`errors` by field, or the
    session has begun, is held or cancelled); 403: not yours to move (on the ledger); 409
    `session_clash`: the caseworker or a resident already has a session at the new time."""
    session = _session(request, session_id)
    starts_at, ends_at = _times(payload)
    try:
        session = scheduling.reschedule(request.auth, session, starts_at, ends_at, payload.reason)
    except scheduling.Clash as exc:
        return _clash(exc)
    except ValidationError as exc:
        raise _refused_input(exc) from exc
    return _session_out(session)


@router.post(
    "/sessions/{session_id}/cancel",
    response={200: SessionOut, 400: Error, 403: Error, 404: Error},
)
def cancel_session(request, session_id: int, payload: CancelIn):
    """Cancel a scheduled session, with the reason.

    Every attendee's place goes with it.
    Whoever may update every attendee's sessions may call it (their caseworker, a supervisor,
    the director). The reason is kept with the session and shown to the resident. 400: no
    reason, or the session is already held or cancelled; 403: not yours to cancel (on the
    ledger)."""
    session = _session(request, session_id)
    return _session_out(scheduling.cancel(request.auth, session, payload.reason))


@router.post(
    "/sessions/{session_id}/close",
    response={200: SessionOut, 400: Error, 403: Error, 404: Error},
)
def close_session(request, session_id: int):
    """Mark a session held, once it has started.

    Whoever was checked in attended; whoever is still expected is written as a no-show, on
    their record. Whoever may update every attendee's sessions may call it. 400: the session
    has not started, or is already held or cancelled; 403: not yours to close (on the
    ledger)."""
    session = _session(request, session_id)
    return _session_out(scheduling.close(request.auth, session))


@router.post(
    "/sessions/{session_id}/attendees/{attendee_id}/check-in",
    response={200: AttendeeOut, 400: Error, 403: Error, 404: Error},
)
def check_in(request, session_id: int, attendee_id: int):
    """Check a resident in at a session: they have arrived.

    Open from an hour before the start until the session ends; a resident marked as a no-show
    who turns up late is checked in after all (the no-show stays in the history). 400: outside
    those times, already checked in, or the session is not scheduled; 403: you may not update
    this resident's sessions (on the ledger)."""
    attendee = _attendee(request, session_id, attendee_id)
    return _attendee_out(scheduling.check_in(request.auth, attendee))


@router.post(
    "/sessions/{session_id}/attendees/{attendee_id}/no-show",
    response={200: AttendeeOut, 400: Error, 403: Error, 404: Error},
)
def no_show(request, session_id: int, attendee_id: int):
    """Mark a resident as a no-show at a session that has started.

    400: the session has not started, is not scheduled, or the resident is not expected (checked
    in, or already a no-show); 403: you may not update this resident's sessions (on the
    ledger)."""
    attendee = _attendee(request, session_id, attendee_id)
    return _attendee_out(scheduling.mark_no_show(request.auth, attendee))


# --- notes --------------------------------------------------------------------------------


@router.get(
    "/residents/{resident_id}/notes",
    response={200: list[NoteOut], 403: Error, 404: Error},
)
@paginate(Pages)
def resident_notes(request, resident_id: int):
    """A resident's progress notes, newest first, as the caller may see them.

    Staff who may read the record see every signed note and their own drafts, with addenda,
    co-signature and every decision about showing the note to the resident. The resident sees
    their own signed notes, except those withheld from them and a trainee's note not yet
    co-signed, and never the decisions. Each note listed is on the ledger as read. 403: you may
    not read this record (on the ledger)."""
    try:
        listing = selectors.notes_for(request.auth, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return [_note_out(v) for v in listing.notes]


@router.post(
    "/residents/{resident_id}/notes",
    response={201: NoteOut, 400: Error, 403: Error, 404: Error},
)
def start_note(request, resident_id: int, payload: NewNoteIn):
    """Start a draft note about a resident, from a template (DAP or SOAP).

    Staff who write notes about the resident may call it (the care team, the supervisors, the
    director); the draft is the author's own until signed. With `session_id`, the note is
    about that session, which the resident attended and which was not cancelled. 400: the
    session is unknown, cancelled, or not the resident's; 403: you may not write notes about
    this resident (on the ledger)."""
    resident = _resident(request, resident_id, Action.WRITE_NOTE)
    try:
        session = selectors.session_for_note(payload.session_id)
        note = notes.start(request.auth, resident, payload.template, session)
    except ValidationError as exc:
        raise _refused_input(exc) from exc
    return Status(201, _written(note))


@router.get(
    "/notes/awaiting-cosignature",
    response={200: list[NoteOut], 403: Error},
)
@paginate(Pages)
def notes_to_cosign(request):
    """Trainees' signed notes no supervisor has co-signed yet, oldest first.

    For those who co-sign (the supervisors and the director); each note listed is on the ledger
    as read. 403: your role co-signs no notes (on the ledger)."""
    return [_note_out(v) for v in selectors.notes_to_cosign(request.auth)]


@router.get("/notes/{note_id}", response={200: NoteOut, 403: Error, 404: Error})
def get_note(request, note_id: int):
    """One note with its addenda, co-signature and release decisions.

    A draft is read only by its author; a note withheld from the resident (or a trainee's note
    awaiting its co-signature) is not read by the resident, who never sees the decisions.
    The read is on the ledger. 403: not yours to read (on the ledger); 404: no such note."""
    try:
        view = selectors.note_detail(request.auth, note_id)
    except Note.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return _note_out(view)


@router.patch(
    "/notes/{note_id}/draft",
    response={200: NoteOut, 400: Error, 403: Error, 404: Error, 409: StaleOut},
)
def save_draft(request, note_id: int, payload: DraftIn):
    """Save the author's draft: the sections sent, based on the revision sent.

    Only the author edits their draft; the sections left out keep their text, and saving what
    is already stored writes nothing. 400: a section the template does not have; 403: not your
    draft (on the ledger); 409 `stale_revision`: the draft was saved elsewhere since that
    revision (`revision` is the stored one: read the note again, then save); 409 `note_signed`:
    the note is signed and final, add an addendum instead."""
    note = _note_to_change(request, note_id)
    try:
        note = notes.save_draft(request.auth, note, payload.sections, payload.revision)
    except notes.DraftConflict as exc:
        return _stale(exc)
    except notes.SignedIsFinal as exc:
        return _final(exc)
    return _written(note)


@router.post(
    "/notes/{note_id}/sign",
    response={200: NoteOut, 400: Error, 403: Error, 404: Error, 409: StaleOut},
)
def sign_note(request, note_id: int, payload: SignNoteIn):
    """Sign a draft, confirming it is you with your password or authenticator code.

    Only the author signs, once every section is written and the session it is about has
    begun; from then on the note is final (corrections are addenda). A trainee's note then
    awaits a supervisor's co-signature. With `sections`, they are saved first and exactly that
    text is signed, so nothing sent is lost even when the secret is wrong. 400: empty sections,
    a session not begun, or a wrong secret (`errors.secret`; the refusal is on the ledger and
    five in 15 minutes stop further attempts); 403: not your note (on the ledger); 409
    `stale_revision`: the draft changed since `revision`; 409 `note_signed`: already signed."""
    note = _note_to_change(request, note_id)
    revision = payload.revision
    if payload.sections and revision is None:
        raise ValidationError({"revision": "Send the revision the sections were written on."})
    try:
        if payload.sections:
            note = notes.save_draft(request.auth, note, payload.sections, revision)
            revision = note.revision
        note = notes.sign(request.auth, note, payload.secret, revision=revision)
    except notes.DraftConflict as exc:
        return _stale(exc)
    except notes.SignedIsFinal as exc:
        return _final(exc)
    return _written(note)


@router.post(
    "/notes/{note_id}/addenda",
    response={201: AddendumOut, 400: Error, 403: Error, 404: Error},
)
def add_addendum(request, note_id: int, payload: AddendumIn):
    """Add an addendum to a signed note, with the reason, signed by you.

    Signed with your password or authenticator code in `secret`.

    A correction or addition beside the original, which stays as it was signed. Staff who
    write notes about the resident may add one. 400: the note is a draft (edit it instead), the
    reason or text is empty, or the secret is wrong (`errors.secret`, on the ledger); 403: you
    may not add to this resident's notes (on the ledger)."""
    note = _note_to_change(request, note_id)
    addendum = notes.add_addendum(request.auth, note, payload.reason, payload.text, payload.secret)
    return Status(201, _addendum_out(addendum))


@router.post(
    "/notes/{note_id}/cosign",
    response={201: CoSignatureOut, 400: Error, 403: Error, 404: Error},
)
def cosign_note(request, note_id: int, payload: CosignIn):
    """Co-sign a trainee's signed note, confirming who you are.

    Confirmed with your password or authenticator code in `secret`.

    For the supervisors and the director, once per note, never on their own note; the alert
    asking for it is closed. 400: the note is not signed, needs no co-signature, is already
    co-signed, or the secret is wrong (`errors.secret`, on the ledger); 403: not yours to
    co-sign (on the ledger)."""
    note = _note_to_change(request, note_id)
    return Status(201, _cosignature_out(notes.cosign(request.auth, note, payload.secret)))


@router.post(
    "/notes/{note_id}/withhold",
    response={201: ReleaseDecisionOut, 400: Error, 403: Error, 404: Error},
)
def withhold_note(request, note_id: int, payload: WithholdIn):
    """Withhold a signed note from its resident, for a documented reason.

    A clinician on the care team, a supervisor or the director judges that reading it would
    likely cause serious harm, or that it is about another person; the explanation is kept for
    review and the resident does not see it. 400: the note is a draft, is already withheld, or
    no explanation; 403: you may not decide this (on the ledger)."""
    note = _note_to_change(request, note_id)
    decision = notes.withhold(request.auth, note, payload.reason, payload.explanation)
    return Status(201, _decision_out(decision))


@router.post(
    "/notes/{note_id}/release",
    response={201: ReleaseDecisionOut, 400: Error, 403: Error, 404: Error},
)
def release_note(request, note_id: int, payload: ReleaseIn):
    """Show a withheld note to its resident again.

    The same people as withholding it. 400: the note is a draft or not withheld; 403: you may
    not decide this (on the ledger)."""
    note = _note_to_change(request, note_id)
    return Status(201, _decision_out(notes.release(request.auth, note, payload.explanation)))
