"""The page of a signal's decisions: what is in force and every earlier one, to all who may see
the safety dashboard, and the form to decide, to the medical lead. Thin: the service decides."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import apply_errors, form_status

from . import decisions, terms
from .forms import DecisionForm
from .models import Signal


@require_http_methods(["GET", "POST"])
def decide(request, signal_id):
    policy.require(request.user, Action.VIEW_SAFETY)
    signal = Signal.objects.filter(pk=signal_id).first()
    if signal is None:
        raise Http404(f"No signal #{signal_id}.")
    can_decide = policy.decide(request.user, Action.DECIDE_SIGNAL).allowed
    people = list(decisions.prescribers()) if can_decide else []
    form = DecisionForm(prescribers=people) if can_decide else None
    if request.method == "POST":
        policy.require(request.user, Action.DECIDE_SIGNAL)
        form = DecisionForm(request.POST, prescribers=people)
        if form.is_valid():
            choice = decisions.Choice(
                kind=form.cleaned_data["kind"],
                reasons=form.cleaned_data["reasons"],
                prescriber_ids=form.prescriber_ids,
            )
            try:
                made = decisions.decide(request.user, signal, choice)
            except ValidationError as exc:
                apply_errors(exc, form)
            else:
                messages.success(
                    request,
                    f"Decided: {made.short.lower()} {made.drug}. In force now; the oversight "
                    "body and the program director are told.",
                )
                return redirect("safety:decide", signal_id=signal.pk)
    context = {
        "signal": signal,
        "term_name": terms.name_of(signal.term),
        "history": decisions.history(signal),
        "form": form,
    }
    return render(request, "safety/decision.html", context, status=form_status(request))
