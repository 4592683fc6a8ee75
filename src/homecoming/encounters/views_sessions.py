"""Pages for the calendar: a caseworker's week, a resident's week, booking individual and group
sessions, and a session's page with check-in, no-show, held and cancel. Thin: parse, call
encounters.scheduling, render. A refused change re-renders its page with the reason and a 400."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.core.forms import apply_errors, form_status
from homecoming.record import banner
from homecoming.residents import selectors as residents
from homecoming.residents.models import Resident

from . import calendar_feed, recordings, scheduling
from .forms_sessions import (
    CancelForm,
    GroupSessionForm,
    IndividualSessionForm,
    RescheduleForm,
    WeekQuery,
)
from .models import Session, SessionAttendee, SessionKind


def _week_asked(request):
    query = WeekQuery(request.GET)
    if not query.is_valid():
        raise BadRequest("Give the week as a date (YYYY-MM-DD) and the caseworker as a number.")
    day = query.cleaned_data["week"] or timezone.localdate()
    return query.cleaned_data["caseworker"], scheduling.monday_of(day)


def week(request):
    user = request.user
    caseworker_id, monday = _week_asked(request)
    policy.require(user, Action.VIEW_CALENDAR)
    if caseworker_id is None and user.role == Role.CASEWORKER:
        caseworker_id = user.pk
    context = {
        "monday": monday,
        "picker": list(scheduling.caseworkers()) if user.role != Role.CASEWORKER else None,
        "chosen": caseworker_id,
    }
    if caseworker_id is not None:
        caseworker = scheduling.find_caseworker(caseworker_id)
        if caseworker is None:
            raise Http404(f"No caseworker #{caseworker_id}.")
        context["caseworker"] = caseworker
        context["week"] = scheduling.week(user, caseworker, monday)
        context["is_own"] = caseworker.pk == user.pk
    return render(request, "encounters/sessions/week.html", context)


def resident_week(request, resident_id):
    _, monday = _week_asked(request)
    try:
        found = scheduling.resident_week(request.user, resident_id, monday)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    may_schedule = policy.decide(request.user, Action.SCHEDULE_SESSION, found.resident).allowed
    return render(
        request,
        "encounters/sessions/resident_week.html",
        {
            "found": found,
            "week": found.week,
            "may_schedule": may_schedule,
            "banner": banner.banner(request.user, resident_id),
        },
    )


def _service_errors(exc: ValidationError, form) -> ValidationError:
    """The service names what it checks (starts_at, ends_at); say it beside the form's fields."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed = {form.SERVICE_FIELDS.get(k, k): v for k, v in exc.error_dict.items()}
    return ValidationError(renamed)


def _book(request, form, residents_chosen, kind, title=""):
    data = form.cleaned_data
    try:
        session = scheduling.schedule(
            request.user,
            caseworker=form.chosen_caseworker,
            residents=residents_chosen,
            kind=kind,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            title=title,
            location=data["location"],
        )
    except ValidationError as exc:
        apply_errors(_service_errors(exc, form), form)
        return None
    return session


def session_new_for(request, resident_id):
    """Book an individual session with one resident."""
    try:
        resident = residents.resident_for(request.user, resident_id, Action.SCHEDULE_SESSION)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    form = IndividualSessionForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        session = _book(request, form, [resident], SessionKind.INDIVIDUAL)
        if session is not None:
            return redirect("encounters:session", session_id=session.pk)
    context = {
        "form": form,
        "title": f"Schedule a session: {resident.display_name}",
        "submit": "Schedule session",
        "cancel_url": reverse("encounters:resident_week", args=[resident_id]),
        "banner": banner.banner(request.user, resident_id),
    }
    return render(request, "simple_form.html", context, status=form_status(request))


def session_new(request):
    """Book a group session. Offered to those who keep calendars (caseworkers, supervisors),
    who may book everyone they may list: the residents offered are their caseload (or the
    center's) with an open stay. The service still checks each one it is given."""
    user = request.user
    policy.require(user, Action.VIEW_CALENDAR)
    offered = [row.resident for row in residents.caseload(user)]
    form = GroupSessionForm(request.POST or None, actor=user, residents=offered)
    if request.method == "POST" and form.is_valid():
        session = _book(
            request,
            form,
            form.chosen_residents,
            SessionKind.GROUP,
            title=form.cleaned_data["title"],
        )
        if session is not None:
            return redirect("encounters:session", session_id=session.pk)
    context = {
        "form": form,
        "title": "Schedule a group session",
        "submit": "Schedule group session",
        "cancel_url": reverse("encounters:week"),
    }
    return render(request, "simple_form.html", context, status=form_status(request))


def _detail_page(request, session_id, *, cancel_form=None, refusal=None, move_form=None):
    try:
        detail = scheduling.session_detail(request.user, session_id)
    except Session.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    user = request.user
    # What may be written or heard for each attendee: a note (by a member of their team), and,
    # for an individual session, its recordings.
    residents = [a.resident for a in detail.attendees]
    writable = policy.decide_for_residents(user, Action.WRITE_NOTE, residents)
    note_for = [a for a in detail.attendees if writable[a.resident_id].allowed]
    viewing = policy.decide_for_residents(user, Action.VIEW, residents)
    viewable = all(viewing[a.resident_id].allowed for a in detail.attendees)
    context = {
        "detail": detail,
        "session": detail.session,
        "cancel_form": cancel_form or CancelForm(),
        "move_form": move_form or _move_form(user, detail.session),
        "moves": detail.moves,
        "refusal": refusal,
        "note_for": note_for if detail.session.status != "cancelled" else [],
        "session_recordings": (
            recordings.recordings_for_session(user, detail.session) if viewable else None
        ),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "encounters/sessions/detail.html", context, status=status)


def session(request, session_id):
    return _detail_page(request, session_id)


def _change(request, session_id, work, cancel_form=None):
    """Run a change; on success go back to the session, on refusal show it there with a 400."""
    try:
        work()
    except ValidationError as exc:
        if cancel_form is not None and hasattr(exc, "error_dict"):
            apply_errors(exc, cancel_form)
            return _detail_page(request, session_id, cancel_form=cancel_form)
        return _detail_page(request, session_id, cancel_form=cancel_form, refusal=exc.messages)
    return redirect("encounters:session", session_id=session_id)


def _attendee_or_404(request, session_id, attendee_id):
    try:
        return scheduling.find_attendee(request.user, session_id, attendee_id)
    except SessionAttendee.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _session_or_404(request, session_id):
    try:
        return scheduling.find_session(request.user, session_id)
    except Session.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


@require_POST
def check_in(request, session_id, attendee_id):
    attendee = _attendee_or_404(request, session_id, attendee_id)
    return _change(request, session_id, lambda: scheduling.check_in(request.user, attendee))


@require_POST
def no_show(request, session_id, attendee_id):
    attendee = _attendee_or_404(request, session_id, attendee_id)
    return _change(request, session_id, lambda: scheduling.mark_no_show(request.user, attendee))


@require_POST
def held(request, session_id):
    found = _session_or_404(request, session_id)
    return _change(request, session_id, lambda: scheduling.close(request.user, found))


def _move_form(user, session, data=None):
    local = timezone.localtime(session.starts_at)
    minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
    initial = {"date": local.date(), "start_time": local.time(), "minutes": minutes}
    return RescheduleForm(data, actor=user, initial=initial)


@require_POST
def reschedule(request, session_id):
    found = _session_or_404(request, session_id)
    form = _move_form(request.user, found, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            scheduling.reschedule(
                request.user, found, data["starts_at"], data["ends_at"], data["reason"]
            )
        except ValidationError as exc:
            for field, target in form.SERVICE_FIELDS.items():
                if hasattr(exc, "error_dict") and field in exc.error_dict:
                    exc.error_dict[target] = exc.error_dict.pop(field)
            apply_errors(exc, form)
        else:
            messages.success(request, "The session is moved; the resident sees the new time.")
            return redirect("encounters:session", session_id=session_id)
    return _detail_page(request, session_id, move_form=form)


@require_POST
def cancel(request, session_id):
    found = _session_or_404(request, session_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, session_id, cancel_form=form)
    return _change(
        request,
        session_id,
        lambda: scheduling.cancel(request.user, found, form.cleaned_data["reason"]),
        cancel_form=form,
    )


# --- the calendar feed ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def calendar_link(request):
    """The member of staff's own secret calendar link: make one (shown once), or stop it."""
    user = request.user
    policy.require(user, Action.VIEW_CALENDAR)
    made = None
    if request.method == "POST":
        doing = request.POST.get("do")
        if doing == "make":
            made = calendar_feed.make(user)
        elif doing == "stop":
            if calendar_feed.stop(user) is not None:
                messages.success(request, "The calendar link is stopped: it shows nothing now.")
            return redirect("encounters:calendar_link")
        else:
            raise BadRequest("Choose to make a calendar link or to stop it.")
    context = {"feed": calendar_feed.live_feed(user), "made": made}
    return render(request, "encounters/sessions/calendar_link.html", context)


@login_not_required
@require_GET
def calendar_feed_ics(request, secret):
    """What a subscribed calendar fetches: 404 for a link never made (on the ledger as
    refused), 410 for one stopped or of someone who has left."""
    try:
        owner = calendar_feed.owner_of(secret, request.user)
    except calendar_feed.Unknown as exc:
        raise Http404("No such calendar link.") from exc
    except calendar_feed.Ended:
        return HttpResponse(
            "This calendar link was stopped.", status=410, content_type="text/plain"
        )
    response = HttpResponse(calendar_feed.ics(owner), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
