"""Questionnaire pages: a resident's questionnaires for staff, administering one, and the
resident's own list and self-completion. Thin: parse, call a selector or service, render."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.core import errors, keyset
from homecoming.core.forms import apply_errors, form_status
from homecoming.core.own_record import is_own, own_resident
from homecoming.record import banner
from homecoming.residents import selectors as resident_selectors
from homecoming.residents.models import Resident

from . import instruments, selectors, services
from .forms import AnswersForm

# Shown to a resident after every questionnaire, prominently after a PHQ-9 item 9 above 0.
CRISIS_RESOURCES = (
    "If you are in crisis, call 988 and press 1 (Veterans Crisis Line), text 838255, "
    "or tell any staff member now."
)


def _definition_or_404(code):
    definition = instruments.get(code)
    if definition is None:
        raise Http404(f"There is no questionnaire called {code!r}.")
    return definition


def resident(request, resident_id):
    if is_own(request, resident_id):
        return redirect("measures:mine")
    try:
        cursor = keyset.Cursor.from_query(request.GET)
    except keyset.BadCursor as exc:
        return errors.bad_request(request, exc)
    try:
        history = selectors.history(request.user, resident_id, cursor)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    context = {
        "history": history,
        "measures": history.trends,
        "recorded": history.find(request.GET.get("recorded")),
        "banner": banner.banner(request.user, resident_id),
    }
    return render(request, "measures/resident.html", context)


def _answer_page(request, resident, definition, *, back, saved_param, template, extra):
    """GET shows the questionnaire; POST saves it. A refused POST shows it again with the
    answers given still checked, the missing items named, and a 400. Saved, it returns to
    `back`, naming the questionnaire in `saved_param` so that page can confirm it."""
    # An empty POST is still a submission (nothing answered), not a first visit.
    form = AnswersForm(definition, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire = services.record(
                request.user,
                resident,
                definition.code,
                form.answers(),
                difficulty=form.difficulty(),
            )
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            return redirect(f"{back}?{saved_param}={questionnaire.pk}")
    context = {
        "form": form,
        "questions": form.questions(),
        "definition": definition,
        "resident": resident,
        "cancel_url": back,
        **extra,
    }
    if request.user.role != Role.RESIDENT:  # a resident answering their own has no banner
        context["banner"] = banner.banner(request.user, resident.pk)
    return render(request, template, context, status=form_status(request))


def administer(request, resident_id, instrument):
    definition = _definition_or_404(instrument)
    if is_own(request, resident_id):
        return redirect("measures:self", instrument=definition.code)
    try:
        resident = resident_selectors.resident_for(request.user, resident_id, Action.RECORD_MEASURE)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    back = reverse("measures:resident", args=[resident_id])
    return _answer_page(
        request,
        resident,
        definition,
        back=back,
        saved_param="recorded",
        template="measures/administer.html",
        extra={},
    )


def mine(request):
    own = own_resident(request)
    try:
        cursor = keyset.Cursor.from_query(request.GET)
    except keyset.BadCursor as exc:
        return errors.bad_request(request, exc)
    history = selectors.history(request.user, own.pk, cursor)
    completed = history.find(request.GET.get("completed"))
    context = {
        "history": history,
        "measures": history.trends,
        "completed": completed,
        "crisis_resources": CRISIS_RESOURCES,
    }
    return render(request, "measures/mine.html", context)


def self_complete(request, instrument):
    definition = _definition_or_404(instrument)
    own = own_resident(request)
    resident = resident_selectors.resident_for(request.user, own.pk, Action.RECORD_MEASURE)
    back = reverse("measures:mine")
    return _answer_page(
        request,
        resident,
        definition,
        back=back,
        saved_param="completed",
        template="measures/self.html",
        extra={"crisis_resources": CRISIS_RESOURCES},
    )
