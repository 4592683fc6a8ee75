"""The oversight body's investigations and the investigators' work under their grants: the
list, an investigation with its grants and closure, the staff actions a grant lets an
investigator read, and the evidence bundle download."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import apply_errors, form_status
from homecoming.ledger.signing import KeyMissing
from homecoming.safety.models import Signal

from . import evidence, investigations, selectors
from .forms import CloseForm, GrantForm, InvestigationForm, RevokeForm
from .models import Complaint, Grant, Investigation


def _causes():
    complaints = [
        (f"complaint:{c.pk}", f"Complaint {c.reference}: {c.subject}")
        for c in Complaint.objects.exclude(status="closed").order_by("-received_at")[:100]
    ]
    signals = [
        (f"signal:{s.pk}", f"Signal: {s}") for s in Signal.objects.order_by("-detected_at")[:100]
    ]
    return [("Complaints", complaints), ("Safety signals", signals)]


def _cause(value):
    kind, _, pk = (value or "").partition(":")
    if kind == "complaint":
        return {"complaint": Complaint.objects.filter(pk=pk).first()}
    if kind == "signal":
        return {"signal": Signal.objects.filter(pk=pk).first()}
    return {}


@require_http_methods(["GET", "POST"])
def overview(request):
    rows = selectors.investigations_for(request.user)
    can_open = policy.decide(request.user, Action.INVESTIGATE).allowed
    form = InvestigationForm(request.POST or None, causes=_causes()) if can_open else None
    initial = request.GET.get("from")
    if form is not None and request.method == "GET" and initial:
        form = InvestigationForm(initial={"cause": initial}, causes=_causes())
    if request.method == "POST":
        policy.require(request.user, Action.INVESTIGATE)
        if form.is_valid():
            cause = _cause(form.cleaned_data["cause"])
            try:
                opened = investigations.open_investigation(
                    request.user, form.cleaned_data["title"], **cause
                )
            except ValidationError as exc:
                apply_errors(exc, form)
            else:
                messages.success(request, f"Opened {opened.reference}.")
                return redirect("oversight:investigation", investigation_id=opened.pk)
    context = {"rows": rows, "form": form}
    return render(request, "oversight/investigations.html", context, status=form_status(request))


def _investigation_or_404(actor, investigation_id):
    try:
        return selectors.investigation_for(actor, investigation_id)
    except Investigation.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


@require_http_methods(["GET", "POST"])
def investigation(request, investigation_id):
    view = _investigation_or_404(request.user, investigation_id)
    oversight = policy.decide(request.user, Action.INVESTIGATE).allowed
    grant_form = GrantForm() if oversight else None
    close_form = CloseForm() if oversight else None
    if request.method == "POST":
        policy.require(request.user, Action.INVESTIGATE)
        doing = request.POST.get("do")
        target = view.investigation
        try:
            if doing == "grant":
                grant_form = GrantForm(request.POST)
                if grant_form.is_valid():
                    data = grant_form.cleaned_data
                    investigations.grant_access(
                        request.user,
                        target,
                        investigator=data["investigator"],
                        residents=investigations.residents_by_number(data["residents"]),
                        staff=list(data["staff"]),
                        expires_at=data["expires_at"],
                        reason=data["reason"],
                    )
                    messages.success(request, f"Access given to {data['investigator']}.")
                    return redirect("oversight:investigation", investigation_id=investigation_id)
            elif doing == "revoke":
                grant = Grant.objects.filter(pk=request.POST.get("grant"), investigation=target)
                form = RevokeForm(request.POST)
                if grant.exists() and form.is_valid():
                    investigations.revoke_grant(
                        request.user, grant.get(), form.cleaned_data["reason"]
                    )
                    messages.success(request, "The grant is revoked: its access ends now.")
                    return redirect("oversight:investigation", investigation_id=investigation_id)
                messages.error(request, "Say why the access ends now.")
                return redirect("oversight:investigation", investigation_id=investigation_id)
            elif doing == "close":
                close_form = CloseForm(request.POST)
                if close_form.is_valid():
                    investigations.close_investigation(
                        request.user, target, **close_form.cleaned_data
                    )
                    messages.success(request, f"{target.reference} is closed.")
                    return redirect("oversight:investigation", investigation_id=investigation_id)
        except ValidationError as exc:
            apply_errors(exc, grant_form if doing == "grant" else close_form)
    context = {
        "view": view,
        "oversight": oversight,
        "grant_form": grant_form,
        "close_form": close_form,
    }
    return render(request, "oversight/investigation.html", context, status=form_status(request))


@require_GET
def staff_actions(request, grant_id):
    try:
        before = int(request.GET["older"])
    except (KeyError, ValueError):
        before = None
    try:
        page = selectors.staff_entries(request.user, grant_id, before=before)
    except Grant.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return render(request, "oversight/staff_actions.html", {"page": page})


@require_POST
def evidence_bundle(request, grant_id):
    try:
        archive, name = evidence.bundle(request.user, grant_id)
    except KeyMissing as exc:
        return render(request, "400.html", {"message": str(exc)}, status=503)
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
