"""Safety pages: a resident's adverse event reports (and reporting one), the resident's own
reports in the portal, the safety dashboard, and a signal with its cases and review.

Thin: parse, call a selector or service, render; refused input comes back with a 400 and what
was typed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import apply_errors, form_status
from homecoming.core.own_record import is_own, own_resident
from homecoming.record import banner
from homecoming.residents.models import Resident

from . import decisions, selectors, services, signals, terms
from .forms import FollowUpForm, ReportForm, ReviewForm
from .models import Signal


def _events_or_404(actor, resident_id):
    try:
        return selectors.events_of(actor, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _submit(request, record, form):
    """Report what the bound form says; the event, or None with the errors on the form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.report(
            request.user,
            record.resident,
            services.Report(
                term=data["term"],
                onset=data["onset"],
                seriousness=data["seriousness"],
                outcome=data["outcome"],
                description=data["description"],
                suspect_order_ids=form.suspect_order_ids,
            ),
        )
    except ValidationError as exc:
        apply_errors(exc, form)
        return None


def _follow_up(request, record):
    try:
        event_id = int(request.POST.get("event", ""))
    except ValueError as exc:
        raise Http404("No such report on this record.") from exc
    event = next((e for e in record.events if e.pk == event_id), None)
    if event is None:
        raise Http404("No such report on this record.")
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.follow_up(request.user, event, form.cleaned_data["outcome"])
        except ValidationError as exc:
            return " ".join(exc.messages)
        return None
    return "Say how it stands now."


@require_http_methods(["GET", "POST"])
def resident_events(request, resident_id):
    if is_own(request, resident_id):
        return redirect("safety:mine")
    record = _events_or_404(request.user, resident_id)
    resident = record.resident
    can_report = policy.decide(request.user, Action.REPORT_ADVERSE_EVENT, resident).allowed
    orders = services.suspectable_orders(resident) if can_report else []
    form = ReportForm(orders=orders) if can_report else None
    follow_up_error = None
    if request.method == "POST":
        if request.POST.get("do") == "follow_up":
            follow_up_error = _follow_up(request, record)
            if follow_up_error is None:
                messages.success(request, "The outcome is updated; the earlier one is kept.")
                return redirect("safety:resident", resident_id=resident_id)
        else:
            policy.require(request.user, Action.REPORT_ADVERSE_EVENT, resident)
            form = ReportForm(request.POST, orders=orders)
            event = _submit(request, record, form)
            if event is not None:
                messages.success(
                    request,
                    f"Reported: {terms.name_of(event.term)}. The medical lead reviews every "
                    "report; signal detection runs within the minute.",
                )
                return redirect("safety:resident", resident_id=resident_id)
    context = {
        "record": record,
        "form": form,
        "can_report": can_report,
        "follow_up_error": follow_up_error,
        "outcome_form": FollowUpForm(),
        "banner": banner.banner(request.user, resident_id),
    }
    return render(request, "safety/resident.html", context, status=form_status(request))


@require_http_methods(["GET", "POST"])
def my_events(request):
    resident = own_resident(request)
    record = selectors.events_of(request.user, resident.pk)
    orders = services.suspectable_orders(resident)
    form = ReportForm(orders=orders, for_resident=True)
    if request.method == "POST":
        form = ReportForm(request.POST, orders=orders, for_resident=True)
        if _submit(request, record, form) is not None:
            messages.success(
                request,
                "Thank you. Your report is in your record, and your care team and the "
                "center's medical lead will see it.",
            )
            return redirect("safety:mine")
    return render(
        request, "safety/mine.html", {"record": record, "form": form}, status=form_status(request)
    )


@require_GET
def dashboard(request):
    board = selectors.dashboard(request.user)
    can_scan = policy.decide(request.user, Action.REVIEW_SIGNAL).allowed
    return render(request, "safety/dashboard.html", {"board": board, "can_scan": can_scan})


@require_http_methods(["GET", "POST"])
def signal(request, signal_id):
    form = None
    can_review = policy.decide(request.user, Action.REVIEW_SIGNAL).allowed
    if request.method == "POST":
        policy.require(request.user, Action.REVIEW_SIGNAL)
        form = ReviewForm(request.POST)
        if form.is_valid():
            found = Signal.objects.filter(pk=signal_id).first()
            if found is None:
                raise Http404(f"No signal #{signal_id}.")
            try:
                services.conclude_review(
                    request.user,
                    found,
                    form.cleaned_data["conclusion"],
                    form.cleaned_data["assessment"],
                )
            except ValidationError as exc:
                apply_errors(exc, form)
            else:
                messages.success(request, "The review is concluded and the signal closed.")
                return redirect("safety:signal", signal_id=signal_id)
    try:
        detail = selectors.signal_detail(request.user, signal_id)
    except Signal.DoesNotExist as exc:
        raise Http404(f"No signal #{signal_id}.") from exc
    if can_review and form is None and detail.signal.review.concluded_at is None:
        form = ReviewForm()
    context = {
        "detail": detail,
        "form": form,
        "term_name": terms.name_of(detail.signal.term),
        "decision": decisions.current(detail.signal),
        "can_decide": policy.decide(request.user, Action.DECIDE_SIGNAL).allowed,
        "exposure_days": signals.exposure_days(),
    }
    return render(request, "safety/signal.html", context, status=form_status(request))


@require_POST
def scan_now(request):
    """The medical lead runs a scan at once (the worker also runs one after each report)."""
    policy.require(request.user, Action.REVIEW_SIGNAL)
    result = signals.scan("manual")
    raised = len(result.raised)
    messages.success(
        request,
        f"Scanned {result.scan.reports} reports over {result.scan.pairs} medicine–event pairs: "
        f"{raised} new signal{'s' if raised != 1 else ''}.",
    )
    return redirect("safety:dashboard")
