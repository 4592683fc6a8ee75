"""Safety plan pages: the care team's (the plan, its versions, the flags, a new version) and the
resident's own, in the portal. Thin: parse, call a selector or service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import apply_errors
from homecoming.core.own_record import is_own, own_resident
from homecoming.measures.views import CRISIS_RESOURCES
from homecoming.record import banner
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import selectors, services
from .forms import ClearForm, PlanForm
from .models import SECTIONS, RiskFlag, SafetyPlan


def _resident_or_404(actor, resident_id, action=Action.VIEW) -> Resident:
    try:
        return existing(actor, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _version_asked(request) -> int | None:
    raw = request.GET.get("version")
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise Http404("A version is a number.") from exc


def _page(request, resident, form=None, clear_form=None, status=200):
    try:
        plan = selectors.plan_of(request.user, resident, _version_asked(request))
    except SafetyPlan.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    may_write = policy.decide(request.user, Action.WRITE_SAFETY_PLAN, resident).allowed
    if form is None and may_write:
        current = plan.current
        initial = {k: getattr(current, k) for k, _ in SECTIONS} if current else {}
        form = PlanForm(initial=initial)
    may_clear = policy.decide(request.user, Action.CLEAR_RISK_FLAG, resident).allowed
    context = {
        "plan": plan,
        "form": form if may_write else None,
        "clear_form": (clear_form or ClearForm()) if may_clear else None,
        "banner": banner.banner(request.user, resident.pk),
    }
    return render(request, "safetyplans/plan.html", context, status=status)


@require_http_methods(["GET", "POST"])
def plan(request, resident_id):
    """GET: the plan (a past version with ?version=N) and the flags. POST: a new version."""
    if is_own(request, resident_id):
        return redirect("safetyplans:mine")
    resident = _resident_or_404(request.user, resident_id)
    if request.method != "POST":
        return _page(request, resident)
    form = PlanForm(request.POST)
    form.is_valid()
    try:
        version = services.sign(
            request.user, resident, form.sections(), form.cleaned_data.get("secret", "")
        )
    except ValidationError as exc:
        apply_errors(exc, form)
        return _page(request, resident, form=form, status=400)
    messages.success(request, f"Signed: {version} of {resident.display_name}'s safety plan.")
    return redirect("safetyplans:plan", resident_id=resident_id)


@require_POST
def clear_flag(request, resident_id, flag_id):
    try:
        flag = selectors.flag_for(request.user, flag_id)
    except RiskFlag.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    if flag.resident_id != resident_id:
        raise Http404("No such risk flag on this record.")
    form = ClearForm(request.POST)
    form.is_valid()
    try:
        services.clear(request.user, flag, form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        apply_errors(exc, form)
        return _page(request, flag.resident, clear_form=form, status=400)
    messages.success(request, "Risk flag cleared; the supervisors have been told.")
    return redirect("safetyplans:plan", resident_id=resident_id)


def mine(request):
    own = own_resident(request)
    return render(
        request,
        "safetyplans/mine.html",
        {"plan": selectors.own_plan(request.user, own), "crisis": CRISIS_RESOURCES},
    )
