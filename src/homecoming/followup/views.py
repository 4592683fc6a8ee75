"""Follow-up pages: the worklist, one contact (attempts, a check-in link, closing "lost"), a
program's follow-up days, and the public self check-in page. Thin: parse, call, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.core.forms import apply_errors, form_status
from homecoming.core.ratelimits import too_many, usage
from homecoming.measures import instruments
from homecoming.record import banner

from . import checkin, selectors, services
from .forms import AttemptForm, CheckInForm, CloseLostForm, PrefixedAnswers, ProgramDaysForm

GUESS_GROUP = "followup.check_in.guess"
CRISIS_RESOURCES = (
    "If you are in crisis, call 988 and press 1 (Veterans Crisis Line), text 838255, or call 911."
)


def worklist(request):
    status = request.GET.get("status", "due")
    if status not in selectors.STATUSES:
        raise Http404(f"There is no follow-up list called {status!r}.")
    try:
        owner_id = int(request.GET.get("owner") or 0) or None
    except ValueError:
        owner_id = None
    found = selectors.worklist(request.user, status, owner_id=owner_id)
    return render(
        request,
        "followup/worklist.html",
        {
            "list": found,
            "statuses": selectors.STATUSES,
            "sees_all": selectors.sees_all(request.user),
            "grace_days": settings.HOMECOMING_FOLLOW_UP_GRACE_DAYS,
        },
    )


def _contact_page(
    request,
    contact_id,
    *,
    attempt_form=None,
    close_form=None,
    sent=None,
    link_errors=(),
    status=200,
):
    page = selectors.contact_for(request.user, contact_id)
    context = {
        "page": page,
        "contact": page.contact,
        "attempt_form": attempt_form or AttemptForm(),
        "close_form": close_form or CloseLostForm(),
        "sent": sent,
        "link_errors": link_errors,
        "banner": banner.banner(request.user, page.contact.resident_id),
    }
    return render(request, "followup/contact.html", context, status=status)


def contact(request, contact_id):
    return _contact_page(request, contact_id)


@require_POST
def record_attempt(request, contact_id):
    found = selectors.contact_to_act_on(request.user, contact_id, Action.RECORD_FOLLOW_UP)
    form = AttemptForm(request.POST)
    form.is_valid()
    try:
        services.record_attempt(
            request.user,
            found,
            method=form.cleaned_data.get("method") or "",
            outcome=form.cleaned_data.get("outcome") or "",
            notes=form.cleaned_data.get("notes") or "",
        )
    except ValidationError as exc:
        apply_errors(exc, form)
        return _contact_page(request, contact_id, attempt_form=form, status=400)
    messages.success(request, "The attempt is recorded.")
    return redirect("followup:contact", contact_id=contact_id)


@require_POST
def send_link(request, contact_id):
    found = selectors.contact_to_act_on(request.user, contact_id, Action.RECORD_FOLLOW_UP)
    try:
        sent = checkin.send_link(request.user, found)
    except ValidationError as exc:
        # Nothing was typed: the reason (no portal account, no e-mail, contact made) is shown
        # beside the button, and the attempt form stays as it was.
        return _contact_page(request, contact_id, link_errors=exc.messages, status=400)
    # Shown on this response only: the secret is not stored, so it cannot be shown again.
    return _contact_page(request, contact_id, sent=sent)


@require_POST
def close_lost(request, contact_id, lost_id):
    lost = selectors.lost_to_close(request.user, contact_id, lost_id)
    form = CloseLostForm(request.POST)
    form.is_valid()
    try:
        services.close_lost(request.user, lost, form.cleaned_data.get("reason") or "")
    except ValidationError as exc:
        apply_errors(exc, form)
        return _contact_page(request, contact_id, close_form=form, status=400)
    told = (
        "the oversight body is"
        if request.user.role == Role.PROGRAM_DIRECTOR
        else "the program director and the oversight body are"
    )
    messages.success(request, f"Lost to follow-up is closed; {told} told.")
    return redirect("followup:contact", contact_id=contact_id)


@require_http_methods(["GET", "POST"])
def program_days(request, program_id):
    program, current = selectors.program_schedule(request.user, program_id)
    form = ProgramDaysForm(
        request.POST if request.method == "POST" else None,
        initial={"days": ", ".join(str(d) for d in current)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_program_days(request.user, program, form.day_list())
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"The follow-up days of {program} are saved.")
            return redirect("residents:setup")
    return render(
        request,
        "followup/program_days.html",
        {"form": form, "program": program, "current": current},
        status=form_status(request),
    )


# The public self check-in page: no log-in, a link's secret in the address.


def _answers_forms(data=None):
    return (
        PrefixedAnswers(instruments.get("pcl5"), data, prefix="pcl5"),
        PrefixedAnswers(instruments.get("phq9"), data, prefix="phq9"),
        CheckInForm(data),
    )


def _refused(request, exc: checkin.LinkRefused):
    return render(
        request,
        "followup/check_in_refused.html",
        {"message": exc.message, "crisis_resources": CRISIS_RESOURCES},
        status=exc.status,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def check_in(request, secret):
    # Guessing links: only misses count, so a former resident fixing their answers is never
    # paused; past the rate, even a right link waits.
    rate = settings.HOMECOMING_CHECK_IN_RATE
    used = usage(request, GUESS_GROUP, rate, increment=False)
    if used is not None and used["should_limit"]:
        return too_many(request, used["time_left"], "Opening check-in links")
    try:
        checkin.open_link(secret, request.user)
    except checkin.LinkRefused as exc:
        if exc.status == 404:
            usage(request, GUESS_GROUP, rate, increment=True)
        return _refused(request, exc)
    pcl5, phq9, rest = _answers_forms(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        for form in (pcl5, phq9, rest):
            form.is_valid()
        answers = checkin.Answers(
            pcl5=pcl5.answers(),
            phq9=phq9.answers(),
            phq9_difficulty=phq9.difficulty(),
            housing=rest.cleaned_data.get("housing") or "",
            work=rest.cleaned_data.get("work") or "",
            wants_call=bool(rest.cleaned_data.get("wants_call")),
            comments=rest.cleaned_data.get("comments") or "",
        )
        try:
            done = checkin.submit(secret, answers, request.user)
        except checkin.LinkRefused as exc:
            return _refused(request, exc)
        except ValidationError as exc:
            _apply_check_in_errors(exc, pcl5, phq9, rest)
        else:
            return render(
                request,
                "followup/check_in_done.html",
                {
                    "check_in": done,
                    "item9": (done.phq9.findings or {}).get("item9_positive"),
                    "crisis_resources": CRISIS_RESOURCES,
                },
            )
    context = {
        "pcl5": pcl5,
        "phq9": phq9,
        "rest": rest,
        "pcl5_questions": pcl5.questions(),
        "phq9_questions": phq9.questions(),
        "crisis_resources": CRISIS_RESOURCES,
        "has_errors": request.method == "POST",
    }
    return render(request, "followup/check_in.html", context, status=form_status(request))


def _apply_check_in_errors(exc, pcl5, phq9, rest):
    for key, errors in exc.message_dict.items():
        prefix, _, field = key.partition("-")
        target = {"pcl5": pcl5, "phq9": phq9}.get(prefix)
        if target is None:
            rest.add_error(key if key in rest.fields else None, errors)
        elif field in target.fields:
            target.add_error(field, errors)
        else:
            target.add_error(None, errors)
