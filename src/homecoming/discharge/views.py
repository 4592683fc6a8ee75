"""Discharge pages: the plan and its signatures from the chart, left against advice, the
summary (page and PDF), and the resident's own discharge in the portal. Thin: parse, call a
selector or service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import apply_errors, form_status
from homecoming.core.own_record import is_own, own_resident
from homecoming.record import banner
from homecoming.residents.models import Resident

from . import pdf, selectors, services
from .forms import AgainstAdviceForm, CancelForm, FitnessForm, PlanForm, SignForm
from .models import Disposition


def _page(actor, resident_id):
    try:
        return selectors.page(actor, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _render_page(request, page, status=200, **forms):
    context = {
        "page": page,
        "sign_form": forms.get("sign_form") or SignForm(),
        "fitness_form": forms.get("fitness_form") or FitnessForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "carry_out_errors": forms.get("carry_out_errors", []),
        "banner": banner.banner(request.user, page.resident.pk),
    }
    return render(request, "discharge/plan.html", context, status=status)


def plan_page(request, resident_id):
    if is_own(request, resident_id):
        return redirect("discharge:mine")
    return _render_page(request, _page(request.user, resident_id))


def _form_page(request, form, title, submit, cancel_url, status=200, note="", resident_id=None):
    context = {"form": form, "title": title, "submit": submit, "cancel_url": cancel_url}
    context["note"] = note
    if resident_id is not None:
        context["banner"] = banner.banner(request.user, resident_id)
    return render(request, "simple_form.html", context, status=status)


def _stay(actor, resident_id, action):
    try:
        return selectors.stay_to_discharge(actor, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


@require_http_methods(["GET", "POST"])
def new_plan(request, resident_id):
    resident, stay = _stay(request.user, resident_id, Action.PLAN_DISCHARGE)
    back = f"/residents/{resident_id}/discharge/"
    form = PlanForm(request.POST or None, initial={"planned_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.write_plan(request.user, stay, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, "The discharge plan is written. It needs its signatures.")
            return redirect("discharge:plan", resident_id=resident_id)
    return _form_page(
        request,
        form,
        f"Discharge plan for {resident.display_name}",
        "Write the plan",
        back,
        status=form_status(request),
        resident_id=resident_id,
    )


@require_http_methods(["GET", "POST"])
def edit_plan(request, plan_id):
    plan = selectors.find(request.user, plan_id)
    policy.require(request.user, Action.PLAN_DISCHARGE, plan.resident)
    back = f"/residents/{plan.resident_id}/discharge/"
    initial = {
        "disposition": plan.disposition,
        "disposition_other": plan.disposition_other,
        "planned_on": plan.planned_on,
        "plan": plan.plan,
        "contacts": plan.contacts,
        "follow_up_days": ", ".join(str(d) for d in plan.follow_up_days),
    }
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_plan(request.user, plan, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, "The discharge plan is changed.")
            return redirect("discharge:plan", resident_id=plan.resident_id)
    return _form_page(
        request,
        form,
        "Change the discharge plan",
        "Save",
        back,
        status=form_status(request),
        resident_id=plan.resident_id,
    )


@require_http_methods(["GET", "POST"])
def against_advice(request, resident_id):
    resident, stay = _stay(request.user, resident_id, Action.PLAN_DISCHARGE)
    back = f"/residents/{resident_id}/discharge/"
    form = AgainstAdviceForm(request.POST or None, initial={"planned_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_against_advice(request.user, stay, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(
                request,
                "Recorded: the resident left against advice and is discharged. The primary "
                "caseworker and a clinician sign it now.",
            )
            return redirect("discharge:plan", resident_id=resident_id)
    return _form_page(
        request,
        form,
        f"{resident.display_name} left against advice",
        "Record and discharge now",
        back,
        status=form_status(request),
        resident_id=resident_id,
        note="This ends the stay at once: the bed is freed, orders end, sessions are cancelled "
        "and the follow-up schedule starts.",
    )


def _after(request, plan, done: str, **forms):
    """Back to the plan page: a confirmation, or the page again with the form's errors."""
    if not forms:
        messages.success(request, done)
        return redirect("discharge:plan", resident_id=plan.resident_id)
    return _render_page(request, _page(request.user, plan.resident_id), status=400, **forms)


def _act_on_plan(request, plan_id, form_class, form_name, act, done):
    """A form posted on the plan page: `act(actor, plan, cleaned_data)` on a valid form, then a
    confirmation; or the plan page again with every error, what was typed kept."""
    plan = selectors.find(request.user, plan_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(request.user, plan, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            return _after(request, plan, done)
    return _after(request, plan, "", **{form_name: form})


@require_POST
def sign(request, plan_id):
    return _act_on_plan(
        request,
        plan_id,
        SignForm,
        "sign_form",
        lambda actor, plan, data: services.sign(actor, plan, data["secret"]),
        "Your signature is on the discharge plan.",
    )


@require_POST
def fitness(request, plan_id):
    return _act_on_plan(
        request,
        plan_id,
        FitnessForm,
        "fitness_form",
        lambda actor, plan, data: services.assess_fitness(actor, plan, data["fitness_assessment"]),
        "The fitness assessment is recorded.",
    )


@require_POST
def cancel(request, plan_id):
    return _act_on_plan(
        request,
        plan_id,
        CancelForm,
        "cancel_form",
        lambda actor, plan, data: services.cancel(actor, plan, data["reason"]),
        "The discharge plan is cancelled; the stay goes on.",
    )


@require_POST
def carry_out(request, plan_id):
    plan = selectors.find(request.user, plan_id)
    try:
        services.carry_out(request.user, plan)
    except ValidationError as exc:
        return _after(request, plan, "", carry_out_errors=exc.messages)
    follow_up = (
        "no follow-up is scheduled after a death"
        if plan.disposition == Disposition.DECEASED
        else "the follow-up schedule has started"
    )
    return _after(
        request,
        plan,
        "Discharged: the stay has ended, the bed is free, orders and future sessions have "
        f"ended, and {follow_up}.",
    )


def summary(request, plan_id):
    s = selectors.summary(request.user, plan_id)
    return render(
        request, "discharge/summary.html", {"s": s, "own": is_own(request, s.resident.pk)}
    )


def summary_pdf(request, plan_id):
    s = selectors.summary(request.user, plan_id)
    response = HttpResponse(pdf.render(s), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="discharge-summary-{plan_id}.pdf"'
    return response


# The resident's own discharge, in the portal


def mine(request):
    resident = own_resident(request)
    page = selectors.page(request.user, resident.pk)
    return render(
        request,
        "discharge/mine.html",
        {"page": page, "form": SignForm(), "can_acknowledge": _awaits_acknowledgement(page)},
    )


def _awaits_acknowledgement(page) -> bool:
    plan = page.plan
    return bool(
        plan
        and plan.returns_to_duty
        and plan.status == "draft"
        and plan.fitness_assessed_at is not None  # the resident acknowledges it with the plan
        and plan.resident_acknowledged_at is None
    )


@require_POST
def acknowledge(request, plan_id):
    resident = own_resident(request)
    plan = selectors.find(request.user, plan_id)
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            services.acknowledge(request.user, plan, form.cleaned_data["secret"])
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, "You have acknowledged your return-to-duty plan.")
            return redirect("discharge:mine")
    page = selectors.page(request.user, resident.pk)
    return render(
        request,
        "discharge/mine.html",
        {"page": page, "form": form, "can_acknowledge": _awaits_acknowledgement(page)},
        status=400,
    )
