"""Vital signs pages: a resident's vitals (the form, the latest set, a chart per measure, the
table), marking a set entered in error, and the resident's own vitals in the portal.

Thin: parse, call a selector or service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core import errors
from homecoming.core.forms import apply_errors
from homecoming.core.own_record import is_own, own_resident
from homecoming.record import banner
from homecoming.residents.models import Resident

from . import selectors, services, words
from .forms import VitalsForm
from .models import VitalSigns
from .ranges import MEASURES


def _record_or_404(actor, resident_id, before=None):
    try:
        return selectors.vitals_record(actor, resident_id, before)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _page(request, resident_id, form=None, error_form=None, status=200):
    try:
        before = selectors.before_asked(request.GET) if request.method == "GET" else None
        record = _record_or_404(request.user, resident_id, before)
    except selectors.BadCursor as exc:
        return errors.bad_request(request, exc)
    may_record = policy.decide(request.user, Action.RECORD_VITALS, record.resident).allowed
    context = {
        "record": record,
        "resident": record.resident,
        "may_record": may_record,
        "form": form or (VitalsForm() if may_record else None),
        "error_form": error_form,  # (set id, the refused reason, its error) to show again
        "measures": MEASURES,
        "banner": banner.banner(request.user, resident_id),
    }
    return render(request, "vitals/resident.html", context, status=status)


@require_http_methods(["GET", "POST"])
def resident_vitals(request, resident_id):
    if is_own(request, resident_id):
        return redirect("vitals:mine")
    if request.method == "GET":
        return _page(request, resident_id)
    record = _record_or_404(request.user, resident_id)
    policy.require(request.user, Action.RECORD_VITALS, record.resident)
    form = VitalsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        reading = services.Reading(
            taken_at=data.get("taken_at"),
            note=data.get("note", ""),
            **{f: data.get(f) for f in services.FIELDS},
        )
        try:
            row = services.record(request.user, record.resident, reading)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"Recorded: {words.summary(row.values())}.")
            return redirect("vitals:resident", resident_id=resident_id)
    return _page(request, resident_id, form=form, status=400)


@require_POST
def entered_in_error(request, resident_id, vitals_id):
    try:
        row = selectors.vitals_for(request.user, vitals_id)
    except VitalSigns.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    if row.resident_id != resident_id:
        raise Http404("No such vital signs on this record.")
    reason = request.POST.get("reason", "")
    try:
        services.mark_entered_in_error(request.user, row, reason)
    except ValidationError as exc:
        return _page(
            request, resident_id, error_form=(row.pk, reason, " ".join(exc.messages)), status=400
        )
    messages.success(
        request, "Marked entered in error: the set stays on the record, struck through."
    )
    return redirect("vitals:resident", resident_id=resident_id)


@require_GET
def my_vitals(request):
    resident = own_resident(request)
    try:
        before = selectors.before_asked(request.GET)
        record = selectors.vitals_record(request.user, resident.pk, before)
    except selectors.BadCursor as exc:
        return errors.bad_request(request, exc)
    return render(request, "vitals/mine.html", {"record": record, "measures": MEASURES})
