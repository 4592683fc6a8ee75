"""Pages for intake, the chart, beds and care teams. Thin: parse, call a selector or service,
render. Bad input re-renders the form with what the user typed and a 400."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from homecoming.access import policy
from homecoming.access import services as access_services
from homecoming.access.policy import AccessDenied, Action
from homecoming.consents.services import active_consents
from homecoming.core.forms import apply_errors, form_status
from homecoming.core.own_record import is_own, own_resident
from homecoming.encounters import notes_selectors, scheduling
from homecoming.ledger.selectors import disclosures
from homecoming.measures import selectors as measures_selectors

from . import selectors, services
from .forms import (
    AdmissionForm,
    BedForm,
    BreakGlassForm,
    CareTeamForm,
    DeploymentFormSet,
    IntakeForm,
    PortalAccessForm,
    StayForm,
    deployments_from,
)
from .models import Resident


def _resident_or_404(actor, resident_id, action):
    try:
        return selectors.resident_for(actor, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def search(request):
    query = request.GET.get("q", "").strip()
    rows = selectors.search(request.user, query) if query else []
    template = "residents/_search_results.html" if request.htmx else "residents/search.html"
    return render(request, template, {"rows": rows, "query": query})


def intake(request):
    policy.require(request.user, Action.REGISTER)
    data = request.POST if request.method == "POST" else None
    person = IntakeForm(data, prefix="person")
    admission = AdmissionForm(data, prefix="stay", actor=request.user)
    deployments = DeploymentFormSet(data, prefix="deployments")
    forms_ok = data is not None and all(f.is_valid() for f in (person, admission, deployments))
    if forms_ok:
        stay = admission.cleaned_data
        try:
            resident = services.admit(
                request.user,
                services.Admission(
                    intake=person.cleaned_data,
                    admitted_on=stay["admitted_on"],
                    expected_length_days=stay["expected_length_days"],
                    bed=stay["bed"],
                    program=stay["program"],
                    primary_caseworker=stay["primary_caseworker"],
                    clinician=stay["clinician"],
                    deployments=deployments_from(deployments),
                ),
            )
        except ValidationError as exc:
            apply_errors(exc, person, admission)
        else:
            return redirect("residents:chart", resident_id=resident.pk)
    context = {"person": person, "admission": admission, "deployments": deployments}
    return render(request, "residents/intake.html", context, status=form_status(request))


# What the chart offers (its buttons and links), decided with the read itself.
CAN = (
    Action.EDIT,
    Action.ASSIGN_BED,
    Action.ASSIGN_CARE_TEAM,
    Action.GRANT_PORTAL,
    Action.OPEN_STAY,
    Action.SCHEDULE_SESSION,
    Action.WRITE_NOTE,
    Action.VIEW_HISTORY,
    Action.VIEW_MEDICATIONS,
    Action.VIEW_ADVERSE_EVENTS,
    Action.PLAN_DISCHARGE,
    Action.SIGN_DISCHARGE,
)
CHART_OFFERS = (*CAN, Action.RECORD_MEASURE)


def chart(request, resident_id):
    if is_own(request, resident_id):
        # Residents read their own record on their own page; anyone else's is refused there.
        return redirect("residents:my_record")
    try:
        chart = selectors.chart(request.user, resident_id, offers=CHART_OFFERS)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    except AccessDenied:
        resident = Resident.objects.filter(pk=resident_id).first()
        if policy.decide(request.user, Action.BREAK_GLASS, resident).allowed:
            return render(
                request,
                "residents/break_glass.html",
                {"resident_id": resident_id, "form": BreakGlassForm()},
                status=403,
            )
        raise
    user = request.user
    decisions = {action: chart.offers[action] for action in CAN}
    can = {action.name.lower(): d.allowed for action, d in decisions.items()}
    opened = (chart.resident, chart.decision)
    # The chart's one recorded read covers its summaries; the notes listed are each recorded.
    context = {
        "chart": chart,
        "can": can,
        "upcoming": scheduling.upcoming_for_resident(chart.resident),
        "notes": notes_selectors.notes_for(user, resident_id, limit=5, opened=opened),
        "measures": measures_selectors.trends(
            user,
            resident_id,
            opened=opened,
            may_record=chart.offers[Action.RECORD_MEASURE].allowed,
        ),
        "consents_in_force": active_consents(chart.resident).select_related("document"),
    }
    return render(request, "residents/chart.html", context)


@require_POST
def break_glass(request, resident_id):
    resident = Resident.objects.filter(pk=resident_id).first()
    if resident is None:
        raise Http404(f"No resident #{resident_id}.")
    form = BreakGlassForm(request.POST)
    if form.is_valid():
        try:
            access_services.open_break_glass(request.user, resident, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            return redirect("residents:chart", resident_id=resident_id)
    return render(
        request,
        "residents/break_glass.html",
        {"resident_id": resident_id, "form": form},
        status=400,
    )


def _form_page(request, resident_id, action, make_form, perform, title, submit):
    """GET shows the form; POST calls the service and returns to the chart. A refused POST
    re-renders the form, with what was typed, and a 400."""
    resident = _resident_or_404(request.user, resident_id, action)
    form = make_form(request.POST or None, resident)
    if request.method == "POST" and form.is_valid():
        try:
            perform(request.user, resident, form)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            return redirect("residents:chart", resident_id=resident_id)
    context = {
        "form": form,
        "title": f"{title}: {resident.display_name}",
        "submit": submit,
        "cancel_url": reverse("residents:chart", args=[resident_id]),
    }
    return render(request, "simple_form.html", context, status=form_status(request))


def edit(request, resident_id):
    return _form_page(
        request,
        resident_id,
        Action.EDIT,
        # The ModelForm writes into the instance while validating; only changed fields are sent.
        lambda data, r: IntakeForm(data, instance=r),
        lambda actor, r, form: services.update_intake(
            actor, r, {k: form.cleaned_data[k] for k in form.changed_data}
        ),
        "Correct the intake record",
        "Save correction",
    )


def bed(request, resident_id):
    return _form_page(
        request,
        resident_id,
        Action.ASSIGN_BED,
        lambda data, r: BedForm(data),
        lambda actor, r, form: services.assign_bed(actor, r, form.cleaned_data["bed"]),
        "Assign a bed",
        "Assign bed",
    )


def open_stay(request, resident_id):
    return _form_page(
        request,
        resident_id,
        Action.OPEN_STAY,
        lambda data, r: StayForm(data),
        lambda actor, r, form: services.open_stay(
            actor, r, form.cleaned_data["admitted_on"], form.cleaned_data["expected_length_days"]
        ),
        "Open a new stay",
        "Open stay",
    )


def care_team(request, resident_id):
    return _form_page(
        request,
        resident_id,
        Action.ASSIGN_CARE_TEAM,
        lambda data, r: CareTeamForm(data),
        lambda actor, r, form: services.assign_care_team(
            actor, r, form.cleaned_data["team_role"], form.cleaned_data["user"]
        ),
        "Change the care team",
        "Assign",
    )


def portal_access(request, resident_id):
    return _form_page(
        request,
        resident_id,
        Action.GRANT_PORTAL,
        lambda data, r: PortalAccessForm(data),
        lambda actor, r, form: services.grant_portal_access(
            actor, r, form.cleaned_data["username"], form.cleaned_data["password"]
        ),
        "Give portal access",
        "Create portal log-in",
    )


def bed_board(request):
    board = selectors.bed_board(request.user)
    wings = {}
    for item in board:
        wings.setdefault(item.bed.room.wing, []).append(item)
    occupied = sum(1 for item in board if item.occupied)
    in_service = sum(1 for item in board if item.bed.usable)
    return render(
        request,
        "residents/bed_board.html",
        {
            "wings": wings,
            "occupied": occupied,
            "total": in_service,
            "out_of_service": len(board) - in_service,
        },
    )


def _page_from(request) -> int | None:
    try:
        return int(request.GET["older"])
    except (KeyError, ValueError):
        return None


def my_record(request):
    resident = own_resident(request)
    chart = selectors.chart(request.user, resident.pk)
    context = {
        "chart": chart,
        "upcoming": scheduling.upcoming_for_resident(resident),
        "my_notes": notes_selectors.notes_for(request.user, resident.pk, limit=3),
        "measures": measures_selectors.trends(request.user, resident.pk),
        "consents_in_force": active_consents(resident).select_related("document"),
        "disclosures": disclosures(resident, before=_page_from(request)),
    }
    return render(request, "residents/my_record.html", context)
