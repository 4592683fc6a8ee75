"""Correction request pages: the resident's (ask, see the answers, disagree) and the care team's
(a resident's requests, each answered once). Thin: parse, call a selector or service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import apply_errors
from homecoming.core.own_record import own_resident
from homecoming.record import banner
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import selectors, services
from .forms import AnswerForm, AskForm, DisagreeForm
from .models import CorrectionRequest


def _request_or_404(actor, request_id, action):
    try:
        return selectors.request_for(actor, request_id, action)
    except CorrectionRequest.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


# --- the resident's own ---------------------------------------------------------------------


def _mine(request, own, disagree_forms=None, status=200):
    shown = selectors.requests_of(request.user, own)
    disagree_forms = disagree_forms or {}
    for item in shown:
        item.form = disagree_forms.get(item.request.pk, DisagreeForm())
    return render(request, "corrections/mine.html", {"requests": shown}, status=status)


def mine(request):
    """The resident's correction requests, each with its status and answer."""
    return _mine(request, own_resident(request))


@require_http_methods(["GET", "POST"])
def ask(request):
    """The form for one entry (?kind=…&entry=…, checked against the resident's own record);
    without either, the places in the record to ask from."""
    own = own_resident(request)
    kind, entry_id = request.GET.get("kind", ""), request.GET.get("entry", "")
    if request.method == "GET" and not kind and not entry_id:
        # Nothing pointed at yet: where in the record each kind of entry is asked about.
        return render(request, "corrections/choose.html", {"resident": own})
    entry = selectors.pointed_at(request.user, own, kind, entry_id)
    form = AskForm(request.POST or None)
    if request.method == "POST":
        form.is_valid()
        try:
            services.file_request(
                request.user,
                own,
                kind,
                entry_id,
                form.cleaned_data.get("what_is_wrong", ""),
                form.cleaned_data.get("should_say", ""),
            )
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(
                request,
                "Your request is with your care team. They answer within 60 days; "
                "the answer will be here.",
            )
            return redirect("corrections:mine")
    status = 400 if form.errors else 200
    return render(request, "corrections/ask.html", {"entry": entry, "form": form}, status=status)


@require_POST
def disagree(request, request_id):
    # The policy first: a member of staff posting here is a refused attempt on the ledger.
    item = _request_or_404(request.user, request_id, Action.REQUEST_CORRECTION)
    own = own_resident(request)
    form = DisagreeForm(request.POST)
    form.is_valid()
    try:
        services.disagree(request.user, item, form.cleaned_data.get("text", ""))
    except ValidationError as exc:
        apply_errors(exc, form)
        return _mine(request, own, {item.pk: form}, status=400)
    messages.success(request, "Your statement of disagreement is kept with your record.")
    return redirect("corrections:mine")


# --- the care team's ------------------------------------------------------------------------


def _page(request, resident: Resident, answer_forms=None, status=200):
    shown = selectors.requests_of(request.user, resident)
    may_answer = policy.decide(request.user, Action.ANSWER_CORRECTION, resident).allowed
    answer_forms = answer_forms or {}
    for item in shown:
        item.form = answer_forms.get(item.request.pk, AnswerForm()) if may_answer else None
    context = {
        "resident": resident,
        "requests": shown,
        "may_answer": may_answer,
        "banner": banner.banner(request.user, resident.pk),
    }
    return render(request, "corrections/resident.html", context, status=status)


def resident(request, resident_id):
    try:
        found = existing(request.user, resident_id, Action.VIEW)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return _page(request, found)


@require_POST
def answer(request, resident_id, request_id):
    item = _request_or_404(request.user, request_id, Action.ANSWER_CORRECTION)
    if item.resident_id != resident_id:
        raise Http404("No such correction request on this record.")
    form = AnswerForm(request.POST)
    form.is_valid()
    try:
        services.answer(
            request.user,
            item,
            form.cleaned_data.get("outcome", ""),
            form.cleaned_data.get("statement", ""),
            form.cleaned_data.get("secret", ""),
        )
    except ValidationError as exc:
        apply_errors(exc, form)
        return _page(request, item.resident, {item.pk: form}, status=400)
    messages.success(request, "Answered: the resident sees the answer in their portal.")
    return redirect("corrections:resident", resident_id=resident_id)
