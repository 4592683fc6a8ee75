"""Sessions on a caseworker's calendar: booking them, who came, holding, moving or cancelling
them, and the calendars that show them.

Writes follow the services' pattern (policy first, then one transaction that saves each row and
its ledger version). Booking is race-free: the transaction locks the caseworker's and the
residents' rows before it looks for a clash, so two bookings that would overlap queue behind each
other and the second one sees the first. (PostgreSQL takes the row locks; SQLite's IMMEDIATE
transactions already let one writer in at a time.)

Reads record what they put on a page: a LIST entry per resident named on a calendar, a VIEW
entry per attendee on a session's page, one VIEW entry for a resident's own week.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.core import dates
from homecoming.ledger import services as ledger
from homecoming.residents.models import OPEN_STAY, Resident, Stay
from homecoming.residents.selectors import existing, record_listing

from .models import Attendance, Session, SessionAttendee, SessionKind, SessionMove, SessionStatus

# The longest booking the calendar takes: a full working day.
LONGEST = dt.timedelta(hours=8)
# Residents may be checked in from this long before the start (they arrive early).
CHECK_IN_OPENS = dt.timedelta(hours=1)

SCHEDULE = "session.schedule"
CHECK_IN = "session.check_in"
NO_SHOW = "session.no_show"
HELD = "session.held"
CANCEL = "session.cancel"
RESCHEDULE = "session.reschedule"


class Clash(ValidationError):
    """The caseworker or a resident already has a session at that time (a conflict with what
    is booked, not a mistake in what was typed: the API answers 409)."""


def _now():
    """The clock every rule here reads (one place, so tests can move it)."""
    return timezone.now()


def center_zone():
    return timezone.get_default_timezone()


def local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment, center_zone())


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the center on `day`, as an aware time (each day on its own, so a week that
    crosses a clock change still starts and ends at local midnight)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), center_zone())


def at_center(wall: dt.datetime, field: str = "starts_at") -> dt.datetime:
    """A time as read on the center's clocks (naive), made aware. On the night the clocks go
    forward some times never happen: refused (on `field`) rather than guessed."""
    zone = center_zone()
    moment = timezone.make_aware(wall, zone)
    if moment.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != wall:
        raise ValidationError({field: "The clocks change at that time: choose another."})
    return moment


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def span_words(starts_at, ends_at) -> str:
    """ "10:00–11:00 on Tue Nov 24", in the center's time zone."""
    start, end = local(starts_at), local(ends_at)
    return (
        f"{dates.time_of_day(start)}–{dates.time_of_day(end)} on "
        f"{dates.weekday(start)} {dates.day_this_year(start)}"
    )


def staff_name(user) -> str:
    return user.full_name or user.username


def caseworkers():
    """Everyone whose calendar can hold sessions (active caseworkers): not resident data."""
    return (
        get_user_model()
        .objects.filter(role=Role.CASEWORKER, is_active=True)
        .order_by("full_name", "username")
    )


def find_caseworker(user_id: int):
    """A caseworker's account (active or not: past calendars stay readable), or None."""
    return get_user_model().objects.filter(pk=user_id, role=Role.CASEWORKER).first()


# ---------------------------------------------------------------------------------------------
# Finding the rows a page acts on


def find_attendee(actor, session_id: int, attendee_id: int) -> SessionAttendee:
    """One attendee of one session, to act on; DoesNotExist (recorded) if there is none."""
    attendee = (
        SessionAttendee.objects.select_related("session", "resident")
        .filter(pk=attendee_id, session_id=session_id)
        .first()
    )
    if attendee is None:
        error = SessionAttendee.DoesNotExist(
            f"No attendee #{attendee_id} at session #{session_id}."
        )
        policy.refuse_unknown(
            actor, Action.UPDATE_SESSION, "encounters.sessionattendee", attendee_id, error
        )
    return attendee


def find_session(actor, session_id: int) -> Session:
    """One session with its attendees, to act on; DoesNotExist (recorded) if there is none."""
    session = (
        Session.objects.prefetch_related(_attendees_with_residents()).filter(pk=session_id).first()
    )
    if session is None:
        error = Session.DoesNotExist(f"No session #{session_id}.")
        policy.refuse_unknown(actor, Action.UPDATE_SESSION, "encounters.session", session_id, error)
    return session


# ---------------------------------------------------------------------------------------------
# Writes


def _refuse(actor, action, residents, reason):
    """A rule the policy tables cannot express (whose calendar a caseworker books): the denied
    attempt is committed on its own, against each resident concerned, then refused."""
    *others, last = residents
    for resident in others:
        policy.record_denial(actor, action, resident)
    policy.refuse(actor, action, last, reason=reason)


def _check_times(starts_at, ends_at):
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("Session times must be aware (make_aware in the center's time zone).")
    # Compared in UTC: Python compares times sharing a zone by their wall clocks, which is wrong
    # on the nights the clocks change.
    starts_at, ends_at = starts_at.astimezone(dt.UTC), ends_at.astimezone(dt.UTC)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "A session must end after it starts."})
    if ends_at - starts_at > LONGEST:
        raise ValidationError({"ends_at": "A session lasts at most 8 hours."})
    if starts_at < _now():
        raise ValidationError({"starts_at": "A session cannot start in the past."})


def _check_people(kind, residents, title, caseworker):
    if kind not in SessionKind.values:
        raise ValidationError({"kind": f"Unknown kind of session {kind!r}."})
    if kind == SessionKind.INDIVIDUAL and len(residents) != 1:
        raise ValidationError({"residents": "An individual session is with exactly one resident."})
    if kind == SessionKind.GROUP:
        if len(residents) < 2:
            raise ValidationError({"residents": "A group session needs at least two residents."})
        if not title:
            raise ValidationError({"title": "Give the group session a title."})
    if caseworker.role != Role.CASEWORKER or not caseworker.is_active:
        raise ValidationError(
            {"caseworker": f"{staff_name(caseworker)} is not an active caseworker."}
        )


def _check_stays(residents, starts_at):
    """Sessions are for residents of the center: each needs an open stay that has begun (or
    begins) by the day of the session."""
    stays = {s.resident_id: s for s in Stay.objects.filter(OPEN_STAY, resident__in=residents)}
    day = local(starts_at).date()
    for resident in residents:
        stay = stays.get(resident.pk)
        if stay is None:
            raise ValidationError(
                {"residents": f"{resident.display_name} has no open stay at the center."}
            )
        if stay.admitted_on > day:
            raise ValidationError(
                {
                    "residents": f"{resident.display_name} is expected on "
                    f"{dates.weekday(stay.admitted_on)} {dates.day_this_year(stay.admitted_on)}, "
                    "after this session."
                }
            )


def _overlapping(starts_at, ends_at):
    """Sessions still on the calendar that share any moment with [starts_at, ends_at):
    back-to-back sessions (one ends as the next starts) do not overlap."""
    return Session.objects.exclude(status=SessionStatus.CANCELLED).filter(
        starts_at__lt=ends_at, ends_at__gt=starts_at
    )


def _check_clashes(caseworker, residents, starts_at, ends_at, besides=None):
    """Neither the caseworker nor any resident may be in two sessions at once. Called with
    their rows locked, so what it finds cannot change before the booking commits. `besides`:
    a session being moved, which does not clash with itself."""
    overlapping = _overlapping(starts_at, ends_at)
    if besides is not None:
        overlapping = overlapping.exclude(pk=besides.pk)
    mine = overlapping.filter(caseworker=caseworker).first()
    if mine is not None:
        raise Clash(
            {
                "caseworker": f"{staff_name(caseworker)} already has a session "
                f"{span_words(mine.starts_at, mine.ends_at)}."
            }
        )
    theirs = (
        SessionAttendee.objects.filter(resident__in=residents, session__in=overlapping)
        .exclude(attendance=Attendance.CANCELLED)
        .select_related("session", "resident")
        .order_by("session__starts_at")
        .first()
    )
    if theirs is not None:
        raise Clash(
            {
                "residents": f"{theirs.resident.display_name} already has a session "
                f"{span_words(theirs.session.starts_at, theirs.session.ends_at)}."
            }
        )


def schedule(
    actor, *, caseworker, residents, kind, starts_at, ends_at, title="", location=""
) -> Session:
    """Book a session on `caseworker`'s calendar with one resident (individual) or several
    (group). A caseworker books only on their own calendar; supervisors on anyone's."""
    residents = list({r.pk: r for r in residents}.values())
    if not residents:
        raise ValidationError({"residents": "Choose who the session is with."})
    decisions = {r.pk: policy.require(actor, Action.SCHEDULE_SESSION, r) for r in residents}
    if actor.role == Role.CASEWORKER and caseworker.pk != actor.pk:
        _refuse(
            actor,
            SCHEDULE,
            residents,
            "A caseworker schedules sessions on their own calendar only.",
        )
    title, location = (title or "").strip(), (location or "").strip()
    _check_people(kind, residents, title, caseworker)
    _check_times(starts_at, ends_at)
    _check_stays(residents, starts_at)

    session = Session(
        kind=kind,
        title=title,
        caseworker=caseworker,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        scheduled_by=actor,
    )
    with transaction.atomic():
        # Lock in a fixed order (the caseworker, then residents by id) so two bookings never
        # wait on each other in a circle. NO KEY: rows referring to these (ledger entries)
        # can still be written meanwhile.
        list(get_user_model().objects.select_for_update(no_key=True).filter(pk=caseworker.pk))
        ids = [r.pk for r in residents]
        list(Resident.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
        _check_clashes(caseworker, residents, starts_at, ends_at)

        session.scheduled_at = _now()
        session.full_clean(exclude=["caseworker", "scheduled_by"])
        session.save()
        individual = residents[0].pk if kind == SessionKind.INDIVIDUAL else None
        first = decisions[residents[0].pk]
        ledger.record_write(actor, SCHEDULE, session, resident_id=individual, purpose=first.purpose)
        for resident in residents:
            attendee = SessionAttendee.objects.create(session=session, resident=resident)
            _write_attendee(actor, SCHEDULE, attendee, decisions[resident.pk].purpose)
    return session


def _session_resident_id(session, attendees):
    """Whose record a write of the session row belongs to: the one resident of an individual
    session; nobody's for a group (each attendee's own row carries them)."""
    if session.kind == SessionKind.INDIVIDUAL:
        return attendees[0].resident_id
    return None


def _write_session(actor, action, session, attendees, decisions):
    """The session row's new version, with the purpose the actor has on the first attendee."""
    ledger.record_write(
        actor,
        action,
        session,
        resident_id=_session_resident_id(session, attendees),
        purpose=decisions[attendees[0].resident_id].purpose,
    )


def _write_attendee(actor, action, attendee, purpose):
    """An attendee row's new version, on that resident's record."""
    ledger.record_write(actor, action, attendee, resident_id=attendee.resident_id, purpose=purpose)


def _locked(session_id):
    """The session and its attendees, locked in that order (every change here locks the same
    way, so two changes to one session queue instead of deadlocking)."""
    session = Session.objects.select_for_update().get(pk=session_id)
    attendees = list(
        SessionAttendee.objects.select_for_update(of=("self",))
        .select_related("resident")
        .filter(session=session)
        .order_by("pk")
    )
    return session, attendees


def _require_scheduled(session):
    if session.status != SessionStatus.SCHEDULED:
        raise ValidationError(
            f"This session is {session.get_status_display().lower()}; it cannot be changed."
        )


def _at(moment) -> str:
    return dates.time_of_day(local(moment))


def check_in(actor, attendee: SessionAttendee) -> SessionAttendee:
    """The resident has arrived: from an hour before the start until the session ends."""
    decision = policy.require(actor, Action.UPDATE_SESSION, attendee.resident)
    with transaction.atomic():
        session, attendees = _locked(attendee.session_id)
        attendee = next(a for a in attendees if a.pk == attendee.pk)
        _require_scheduled(session)
        now = _now()
        if now < session.starts_at - CHECK_IN_OPENS:
            raise ValidationError(
                f"Check-in opens at {_at(session.starts_at - CHECK_IN_OPENS)}, an hour before "
                "the session starts."
            )
        if now >= session.ends_at:
            raise ValidationError(
                f"Check-in closed when the session ended at {_at(session.ends_at)}."
            )
        name = attendee.resident.display_name
        if attendee.attendance == Attendance.CHECKED_IN:
            raise ValidationError(f"{name} is already checked in.")
        if attendee.attendance not in (Attendance.EXPECTED, Attendance.NO_SHOW):
            raise ValidationError(
                f"{name} is marked {attendee.get_attendance_display().lower()} here."
            )
        # A no-show who turns up late is checked in after all: the no-show stays in the history.
        attendee.attendance = Attendance.CHECKED_IN
        attendee.checked_in_at = now
        attendee.save(update_fields=["attendance", "checked_in_at"])
        _write_attendee(actor, CHECK_IN, attendee, decision.purpose)
    return attendee


def mark_no_show(actor, attendee: SessionAttendee) -> SessionAttendee:
    """The resident did not come: only once the session has started."""
    decision = policy.require(actor, Action.UPDATE_SESSION, attendee.resident)
    with transaction.atomic():
        session, attendees = _locked(attendee.session_id)
        attendee = next(a for a in attendees if a.pk == attendee.pk)
        _require_scheduled(session)
        if _now() < session.starts_at:
            raise ValidationError(
                f"A no-show can be marked once the session has started ({_at(session.starts_at)})."
            )
        if attendee.attendance != Attendance.EXPECTED:
            raise ValidationError(
                f"{attendee.resident.display_name} is "
                f"{attendee.get_attendance_display().lower()}, not expected."
            )
        attendee.attendance = Attendance.NO_SHOW
        attendee.save(update_fields=["attendance"])
        _write_attendee(actor, NO_SHOW, attendee, decision.purpose)
    return attendee


def _require_all(actor, action, session):
    """The action on every attendee's record (the first refusal is recorded and raised)."""
    return {
        a.resident_id: policy.require(actor, action, a.resident) for a in session.attendees.all()
    }


def close(actor, session: Session) -> Session:
    """Mark the session held, once it has started: whoever was checked in attended, whoever is
    still expected did not come (written as a no-show, so their record says so)."""
    decisions = _require_all(actor, Action.UPDATE_SESSION, session)
    with transaction.atomic():
        session, attendees = _locked(session.pk)
        _require_scheduled(session)
        if _now() < session.starts_at:
            raise ValidationError(
                f"A session can be marked as held once it has started ({_at(session.starts_at)})."
            )
        session.status = SessionStatus.HELD
        session.save(update_fields=["status"])
        _write_session(actor, HELD, session, attendees, decisions)
        for attendee in attendees:
            if attendee.attendance == Attendance.CHECKED_IN:
                attendee.attendance, action = Attendance.ATTENDED, HELD
            elif attendee.attendance == Attendance.EXPECTED:
                attendee.attendance, action = Attendance.NO_SHOW, NO_SHOW
            else:
                continue  # a no-show or a cancelled place stays as it is
            attendee.save(update_fields=["attendance"])
            _write_attendee(actor, action, attendee, decisions[attendee.resident_id].purpose)
    return session


def cancel(actor, session: Session, reason: str) -> Session:
    """Take a scheduled session off the calendar, with the reason; every place in it goes too."""
    decisions = _require_all(actor, Action.UPDATE_SESSION, session)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for cancelling."})
    with transaction.atomic():
        session, attendees = _locked(session.pk)
        _require_scheduled(session)
        session.status = SessionStatus.CANCELLED
        session.cancelled_at = _now()
        session.cancellation_reason = reason
        session.save(update_fields=["status", "cancelled_at", "cancellation_reason"])
        _write_session(actor, CANCEL, session, attendees, decisions)
        for attendee in attendees:
            if attendee.attendance == Attendance.CANCELLED:
                continue
            attendee.attendance = Attendance.CANCELLED
            attendee.save(update_fields=["attendance"])
            _write_attendee(actor, CANCEL, attendee, decisions[attendee.resident_id].purpose)
    return session


def reschedule(actor, session: Session, starts_at, ends_at, reason: str) -> Session:
    """Move a scheduled session that has not begun to another time, with the reason: the same
    rules as booking it (not in the past, no clash, an open stay), every problem named at once.
    The move is kept (SessionMove) and the resident sees it beside the session."""
    decisions = _require_all(actor, Action.UPDATE_SESSION, session)
    attendees = list(session.attendees.select_related("resident"))
    residents = [a.resident for a in attendees if a.attendance != Attendance.CANCELLED]
    if actor.role == Role.CASEWORKER and session.caseworker_id != actor.pk:
        _refuse(
            actor,
            RESCHEDULE,
            residents or [a.resident for a in attendees],
            "A caseworker moves sessions on their own calendar only.",
        )
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Give the reason for moving the session: the resident reads it."
    for check in (
        lambda: _check_times(starts_at, ends_at),
        lambda: _check_stays(residents, starts_at),
    ):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    caseworker = session.caseworker
    with transaction.atomic():
        # The booking's lock order: the caseworker, the residents by id, then the session.
        list(get_user_model().objects.select_for_update(no_key=True).filter(pk=caseworker.pk))
        ids = [r.pk for r in residents]
        list(Resident.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
        session, attendees = _locked(session.pk)
        _require_scheduled(session)
        if session.starts_at <= _now():
            raise ValidationError("A session that has begun cannot be moved: cancel it instead.")
        if (session.starts_at, session.ends_at) == (starts_at, ends_at):
            raise ValidationError({"starts_at": "The session is already at that time."})
        _check_clashes(caseworker, residents, starts_at, ends_at, besides=session)
        move = SessionMove.objects.create(
            session=session,
            from_starts_at=session.starts_at,
            from_ends_at=session.ends_at,
            to_starts_at=starts_at,
            to_ends_at=ends_at,
            reason=reason,
            moved_by=actor,
            moved_at=_now(),
        )
        session.starts_at, session.ends_at = starts_at, ends_at
        session.save(update_fields=["starts_at", "ends_at"])
        _write_session(actor, RESCHEDULE, session, attendees, decisions)
        ledger.record_write(
            actor,
            RESCHEDULE,
            move,
            resident_id=_session_resident_id(session, attendees),
            purpose=decisions[attendees[0].resident_id].purpose,
        )
    return session


# ---------------------------------------------------------------------------------------------
# Reads


def _attendees_with_residents():
    return Prefetch("attendees", queryset=SessionAttendee.objects.select_related("resident"))


def _residents_named(sessions):
    """The residents a calendar names, each once, in the order they first appear."""
    seen = {}
    for session in sessions:
        for attendee in session.attendees.all():
            seen.setdefault(attendee.resident_id, attendee.resident)
    return list(seen.values())


@dataclass
class Day:
    date: dt.date
    sessions: list = field(default_factory=list)


@dataclass
class Week:
    monday: dt.date
    days: list[Day]

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)


def _week_of(monday, sessions) -> Week:
    days = [Day(monday + dt.timedelta(days=i)) for i in range(7)]
    for session in sessions:
        days[(local(session.starts_at).date() - monday).days].sessions.append(session)
    return Week(monday, days)


def _week_bounds(monday):
    return start_of_day(monday), start_of_day(monday + dt.timedelta(days=7))


def week(actor, caseworker, monday: dt.date) -> Week:
    """A caseworker's sessions in the week starting `monday` (any day picks its week), with
    their attendees. A caseworker sees only their own calendar; supervisors anyone's."""
    policy.require(actor, Action.VIEW_CALENDAR)
    if actor.role == Role.CASEWORKER and caseworker.pk != actor.pk:
        reason = "A caseworker sees their own calendar only."
        policy.refuse(actor, Action.VIEW_CALENDAR, ledger.Target.of(caseworker), reason=reason)
    monday = monday_of(monday)
    start, end = _week_bounds(monday)
    with transaction.atomic():
        sessions = list(
            Session.objects.filter(caseworker=caseworker, starts_at__gte=start, starts_at__lt=end)
            .select_related("caseworker")
            .prefetch_related(_attendees_with_residents())
        )
        record_listing(actor, _residents_named(sessions))
    return _week_of(monday, sessions)


@dataclass
class ResidentWeek:
    resident: Resident
    week: Week
    purpose: str


def resident_week(actor, resident_id: int, monday: dt.date) -> ResidentWeek:
    """One resident's sessions in a week. Each session carries `mine`, the resident's own
    place in it; other attendees of a group are not shown (nor recorded)."""
    resident = existing(actor, resident_id, Action.VIEW)
    decision = policy.require(actor, Action.VIEW, resident)
    monday = monday_of(monday)
    start, end = _week_bounds(monday)
    with transaction.atomic():
        sessions = list(
            Session.objects.filter(
                attendees__resident=resident, starts_at__gte=start, starts_at__lt=end
            )
            .select_related("caseworker")
            .prefetch_related(
                Prefetch(
                    "attendees",
                    queryset=SessionAttendee.objects.filter(resident=resident),
                    to_attr="mine",
                )
            )
        )
        for session in sessions:
            session.mine = session.mine[0]
        ledger.record_resident_read(actor, str(Action.VIEW), resident, purpose=decision.purpose)
    return ResidentWeek(resident, _week_of(monday, sessions), decision.purpose)


def sessions_of(actor, resident_id: int):
    """Every session of one resident, newest first (the API's paged list; a page of it is
    loaded when it is sliced), each with `mine`, the resident's own place in it (a list of that
    one row, as prefetched), and where and why it last moved. Other attendees of a group are
    not loaded. One VIEW entry for the resident, as for their week."""
    resident = existing(actor, resident_id, Action.VIEW)
    decision = policy.require(actor, Action.VIEW, resident)
    with transaction.atomic():
        ledger.record_resident_read(actor, str(Action.VIEW), resident, purpose=decision.purpose)
    return (
        Session.objects.filter(attendees__resident=resident)
        .select_related("caseworker")
        .annotate(**_last_move())
        .prefetch_related(
            Prefetch(
                "attendees",
                queryset=SessionAttendee.objects.filter(resident=resident),
                to_attr="mine",
            )
        )
        .order_by("-starts_at", "-id")
    )


@dataclass
class SessionDetail:
    session: Session
    attendees: list[SessionAttendee]
    may_update: set = field(default_factory=set)  # ids of attendees the viewer may check in
    moves: list = field(default_factory=list)  # every move of the session, oldest first
    started: bool = False  # no-shows and "held" are offered from the start
    check_in_open: bool = False  # from an hour before the start until the end

    @property
    def updatable(self) -> bool:
        """Whether the viewer may hold or cancel the session (it needs every attendee)."""
        return len(self.may_update) == len(self.attendees)


def session_detail(actor, session_id: int) -> SessionDetail:
    """A session's page. Whoever may view every attendee's record sees it; so does the
    caseworker who leads it (their group may include residents from other caseloads, whom
    they see by name only). Each attendee shown is recorded."""
    session = (
        Session.objects.select_related("caseworker", "scheduled_by")
        .prefetch_related(_attendees_with_residents())
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        error = Session.DoesNotExist(f"No session #{session_id}.")
        policy.refuse_unknown(actor, Action.VIEW, "encounters.session", session_id, error)
    attendees = list(session.attendees.select_related("resident"))
    # A group session's attendees decided together: a few queries, however many attend.
    by_resident = policy.decide_for_residents(actor, Action.VIEW, [a.resident for a in attendees])
    decisions = {a.pk: by_resident[a.resident_id] for a in attendees}
    leads = session.caseworker_id == actor.pk
    refused = [a for a in attendees if not decisions[a.pk].allowed]
    if refused and not leads:
        policy.require(actor, Action.VIEW, refused[0].resident)  # records the denial, raises
    with transaction.atomic():
        by_purpose = {}
        for a in attendees:
            if decisions[a.pk].allowed:
                by_purpose.setdefault(decisions[a.pk].purpose, []).append(a)
        for purpose, rows in by_purpose.items():
            ledger.record_reads(
                actor, str(Action.VIEW), rows, resident_of=lambda a: a.resident_id, purpose=purpose
            )
        record_listing(actor, [a.resident for a in refused])
    updatable = policy.decide_for_residents(
        actor, Action.UPDATE_SESSION, [a.resident for a in attendees]
    )
    may_update = {a.pk for a in attendees if updatable[a.resident_id].allowed}
    now = _now()
    return SessionDetail(
        session,
        attendees,
        may_update,
        moves=list(session.moves.select_related("moved_by")),
        started=now >= session.starts_at,
        check_in_open=session.starts_at - CHECK_IN_OPENS <= now < session.ends_at,
    )


def today(actor) -> list[Session]:
    """Today's sessions for the home page: a caseworker's own; the whole center's for
    supervisors. Each resident named is recorded as listed."""
    policy.require(actor, Action.VIEW_CALENDAR)
    day = timezone.localdate(timezone=center_zone())
    sessions = Session.objects.filter(
        starts_at__gte=start_of_day(day), starts_at__lt=start_of_day(day + dt.timedelta(days=1))
    )
    if actor.role == Role.CASEWORKER:
        sessions = sessions.filter(caseworker=actor)
    with transaction.atomic():
        sessions = list(
            sessions.select_related("caseworker").prefetch_related(_attendees_with_residents())
        )
        record_listing(actor, _residents_named(sessions))
    return sessions


def upcoming_for_resident(resident: Resident, limit: int = 10) -> list[Session]:
    """The resident's coming sessions (not cancelled, not over), each with `mine`, their own
    place in it. No policy check and no ledger entry here: it is shown only on pages that
    have just opened this resident's chart through residents.selectors.chart (the resident's
    own portal, the staff chart), which checked the access and recorded the VIEW. Other
    attendees of a group are not loaded, so a page cannot name them by accident."""
    sessions = list(
        Session.objects.filter(
            # One filter() call: both conditions hold for the same attendee row, the resident's.
            attendees__resident=resident,
            attendees__attendance__in=[Attendance.EXPECTED, Attendance.CHECKED_IN],
            ends_at__gt=_now(),
            status=SessionStatus.SCHEDULED,
        )
        .select_related("caseworker")
        .annotate(**_last_move())
        .prefetch_related(
            Prefetch(
                "attendees",
                queryset=SessionAttendee.objects.filter(resident=resident),
                to_attr="mine",
            )
        )[:limit]
    )
    for session in sessions:
        session.mine = session.mine[0]
    return sessions


def _last_move() -> dict:
    """Annotations: where the session was before its latest move, and why it moved (None when
    it never moved), read with the sessions rather than in a query of their own."""
    latest = SessionMove.objects.filter(session=OuterRef("pk")).order_by("-moved_at", "-id")
    return {
        "moved_from": Subquery(latest.values("from_starts_at")[:1]),
        "move_reason": Subquery(latest.values("reason")[:1]),
    }


# How long a cancelled session stays on the resident's own page.
CANCELLED_SHOWN = dt.timedelta(days=7)


def cancelled_for_resident(resident: Resident) -> list[Session]:
    """The resident's sessions cancelled lately (those that were still to come, or are within
    the last week), with the reason, for their own page. Like upcoming_for_resident: shown
    only on a page that has just opened the resident's record."""
    return list(
        Session.objects.filter(
            attendees__resident=resident,
            status=SessionStatus.CANCELLED,
            starts_at__gt=_now() - CANCELLED_SHOWN,
        )
        .select_related("caseworker")
        .order_by("starts_at", "id")[:10]
    )
