"""Medication pages: the shift's round (the MAR grid), giving a dose, a resident's medication
record with order entry, the resident's own medications, and the formulary.

Thin: parse, call a selector or service, render. The selectors check the policy and record each
read; the services hold every rule. A refused POST shows the page again with what was typed and
a 400; a stopped dose shows every reason it was stopped."""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core import dates, errors, numbered
from homecoming.core.forms import apply_errors, form_status
from homecoming.core.own_record import is_own, own_resident
from homecoming.core.urls_safe import safe_next
from homecoming.record import banner
from homecoming.residents import selectors as residents_selectors
from homecoming.residents.models import Resident

from . import administering, allergies, formulary, ingredient_limits, orders, schedule, selectors
from .doses import plain
from .forms import (
    AllergyForm,
    DiscontinueForm,
    GiveForm,
    InteractionForm,
    NotGivenForm,
    OrderForm,
    ProtocolForm,
    RuleOutForm,
    found,
)
from .models import Allergy, Order

# The days a round may be asked for: the center's plausible life (beyond, the dates overflow).
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)


def _clock(moment) -> str:
    return dates.time_of_day(moment)


def _record_or_404(actor, resident_id):
    try:
        return selectors.medication_record(actor, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _order_or_404(actor, order_id, action):
    try:
        return selectors.order_for(actor, order_id, action)
    except Order.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


# --- the shift's round ---------------------------------------------------------------------


def _which_shift(query):
    """The day and shift asked for; the current shift for what is not said."""
    day, shift = schedule.current_shift()
    if query.get("shift"):
        shift = schedule.SHIFT_BY_KEY.get(query["shift"])
        if shift is None:
            raise ValueError("Choose the day, evening or night shift.")
    if query.get("day"):
        try:
            day = dt.date.fromisoformat(query["day"])
        except ValueError:
            raise ValueError(
                f"“{query['day']}” is not a day of the calendar: give it as YYYY-MM-DD."
            ) from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(f"Choose a day between {FIRST_DAY.year} and {LAST_DAY.year}.")
    return day, shift


def _neighbours(day, shift):
    """The shifts before and after this one, as (day, shift)."""
    i = schedule.SHIFTS.index(shift)
    one_day = dt.timedelta(days=1)
    before = (day, schedule.SHIFTS[i - 1]) if i > 0 else (day - one_day, schedule.SHIFTS[-1])
    after = (
        (day, schedule.SHIFTS[i + 1])
        if i + 1 < len(schedule.SHIFTS)
        else (day + one_day, schedule.SHIFTS[0])
    )
    return before, after


def _round_url(day, shift, wing=None, page=1):
    url = f"{reverse('medications:round')}?day={day.isoformat()}&shift={shift.key}"
    if wing is not None:
        url += f"&wing={quote(wing)}"
    return url + (f"&page={page}" if page > 1 else "")


def _round_or_400(request):
    problems, day, shift, wing, page = [], None, None, None, 1
    try:
        day, shift = _which_shift(request.GET)
    except ValueError as exc:
        problems.append(str(exc))
    wing = request.GET.get("wing")  # None: every wing
    try:
        page = numbered.page_asked(request.GET)
    except numbered.BadPage as exc:
        problems.append(str(exc))
    if not problems:
        try:
            return selectors.medication_round(request.user, day, shift, wing=wing, page=page)
        except selectors.UnknownWing:
            problems.append(f"There is no wing “{wing}” in the center.")
    raise ValueError(" ".join(problems))


@dataclass
class RoundCard:
    """One resident on the round: scheduled orders as rows under that resident's own dose
    times, and as-needed orders apart, each with where it stands now."""

    resident: object
    columns: list
    scheduled: list  # (line, [slot or None per column])
    as_needed: list
    bed: object = None
    allergies: object = None
    photo_id: int | None = None


def _cards(mar):
    for entry in mar.residents:
        scheduled = [line for line in entry.lines if not line.as_needed]
        columns = sorted({slot.due for line in scheduled for slot in line.slots})
        rows = []
        for line in scheduled:
            by_due = {slot.due: slot for slot in line.slots}
            rows.append((line, [by_due.get(column) for column in columns]))
        as_needed = [line for line in entry.lines if line.as_needed]
        yield RoundCard(
            entry.resident, columns, rows, as_needed, entry.bed, entry.allergies, entry.photo_id
        )


@require_GET
def medication_round(request):
    policy.require(request.user, Action.VIEW_MAR)
    try:
        mar = _round_or_400(request)
    except ValueError as exc:
        return errors.bad_request(request, exc)
    day, shift, wing = mar.day, mar.shift, mar.wing
    before, after = _neighbours(day, shift)
    context = {
        "round": mar,
        "cards": list(_cards(mar)),
        "today": timezone.localdate(),
        "now": timezone.now(),
        "current": schedule.current_shift() == (day, shift),
        "before": (before[1], _round_url(*before, wing)),
        "after": (after[1], _round_url(*after, wing)),
        "wings": [
            (name, count, _round_url(day, shift, name), name == wing) for name, count in mar.wings
        ],
        "every_wing": _round_url(day, shift),
        "first_shown": (mar.page - 1) * selectors.ROUND_PAGE + 1,
        "last_shown": (mar.page - 1) * selectors.ROUND_PAGE + len(mar.residents),
        "earlier_page": _round_url(day, shift, wing, mar.page - 1) if mar.page > 1 else None,
        "later_page": _round_url(day, shift, wing, mar.page + 1) if mar.page < mar.pages else None,
        "here": request.get_full_path(),
    }
    return render(request, "medications/round.html", context)


# --- giving a dose -------------------------------------------------------------------------


def _scheduled_from(request):
    """The dose time the page was opened for (from a slot of the round), or None."""
    raw = (request.POST.get("scheduled_for") or request.GET.get("scheduled_for") or "").strip()
    if not raw:
        return None
    moment = parse_datetime(raw)
    if moment is None:
        raise ValueError("That is not a dose time.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _given_message(row):
    resident = row.resident.display_name
    drug = row.order.protocol.drug
    if row.override_cosigner_id:
        return (
            f"{drug} {plain(row.dose_amount)} {row.dose_unit} for {resident}, given at "
            f"{_clock(row.at)}, is recorded with the override co-signed by "
            f"{row.override_cosigner}. The program director and the oversight body are told."
        )
    return (
        f"{drug} {plain(row.dose_amount)} {row.dose_unit} for {resident}, given at "
        f"{_clock(row.at)}, is recorded."
    )


def _not_given_message(row):
    what = row.get_status_display().lower()
    return (
        f"The {_clock(row.scheduled_for)} dose of {row.order.protocol.drug} for "
        f"{row.resident.display_name} is recorded as {what}."
    )


def _give(request, order, form):
    """Give the dose the bound form describes: the row, or the DoseStopped raised."""
    data = form.cleaned_data
    witness = None
    if data.get("witness"):
        witness = administering.Witness(found(data["witness"]), data["witness_secret"])
    override = None
    if form.overriding:
        override = administering.Override(
            found(data["cosigner"]), data["cosigner_secret"], data["override_reason"]
        )
    return administering.give(
        request.user,
        order,
        dose_amount=data["dose_amount"],
        dose_unit=data["dose_unit"],
        at=data.get("at"),
        scheduled_for=data.get("scheduled_for"),
        witness=witness,
        override=override,
    )


@require_http_methods(["GET", "POST"])
def give(request, order_id):
    order = _order_or_404(request.user, order_id, Action.ADMINISTER)
    try:
        scheduled = _scheduled_from(request)
    except ValueError as exc:
        return errors.bad_request(request, exc)
    back = safe_next(request, "medications:round")
    doing = request.POST.get("do") if request.method == "POST" else None
    initial = {"scheduled_for": scheduled}
    give_form = GiveForm(initial=initial, order=order)
    not_given_form = NotGivenForm(initial=initial, auto_id="id_not_given_%s")
    stopped = None
    if doing in ("give", "override"):
        give_form = GiveForm(request.POST, order=order, overriding=doing == "override")
        if give_form.is_valid():
            try:
                row = _give(request, order, give_form)
            except administering.DoseStopped as exc:
                stopped = exc
            except ValidationError as exc:
                apply_errors(exc, give_form)
            else:
                messages.success(request, _given_message(row))
                return redirect(back)
    elif doing == "not_given":
        not_given_form = NotGivenForm(request.POST, auto_id="id_not_given_%s")
        if not_given_form.is_valid():
            data = not_given_form.cleaned_data
            try:
                row = administering.not_given(
                    request.user,
                    order,
                    status=data["status"],
                    scheduled_for=data["scheduled_for"],
                    reason=data["reason"],
                )
            except ValidationError as exc:
                apply_errors(exc, not_given_form)
            else:
                messages.success(request, _not_given_message(row))
                return redirect(back)
    elif request.method == "POST":
        return errors.bad_request(request, "Choose to record the dose given, or not given.")
    context = {
        "order": order,
        "line": selectors.order_status(request.user, order),
        "allergy_standing": selectors.allergies_of(request.user, order.resident),
        "resident": order.resident,
        "protocol": order.protocol,
        "scheduled": scheduled,
        "give_form": give_form,
        "not_given_form": not_given_form,
        "stopped": stopped,
        "offer_override": (stopped is not None and stopped.overridable)
        or (doing == "override" and stopped is None),
        "back": back,
        "next": request.POST.get("next") or request.GET.get("next") or "",
    }
    return render(request, "medications/give.html", context, status=form_status(request))


# --- a resident's medication record ------------------------------------------------------


def _discontinue_form(order_id, data=None):
    # One form per active order on the page: distinct ids keep each label on its own field.
    return DiscontinueForm(data, auto_id=f"id_stop{order_id}_%s")


def _current(line, now) -> bool:
    """Running now, or written to start later (and not stopped)."""
    order = line.order
    return line.active or (order.discontinued_at is None and order.starts_at > now)


def _record_page(request, record, order_form=None, refused_stop=None, status=200):
    user = request.user
    resident = record.resident
    can_prescribe = policy.decide(user, Action.PRESCRIBE, resident).allowed
    if can_prescribe and order_form is None:
        order_form = OrderForm(
            protocols=selectors.formulary(user), initial={"dose_unit": "mg", "route": "oral"}
        )
    now = timezone.now()
    current = []
    for line in record.orders:
        if not _current(line, now):
            continue
        form = None
        if can_prescribe:
            refused = refused_stop is not None and refused_stop[0] == line.order.pk
            form = refused_stop[1] if refused else _discontinue_form(line.order.pk)
        current.append((line, form))
    context = {
        "record": record,
        "current": current,
        "past": [line for line in record.orders if not _current(line, now)],
        "now": now,
        "can_prescribe": can_prescribe,
        "can_administer": policy.decide(user, Action.ADMINISTER, resident).allowed,
        "can_read_formulary": policy.decide(user, Action.VIEW_FORMULARY).allowed,
        "order_form": order_form,
        "here": request.get_full_path(),
        "banner": banner.banner(user, resident.pk),
    }
    return render(request, "medications/record.html", context, status=status)


@require_GET
def resident_medications(request, resident_id):
    if is_own(request, resident_id):
        return redirect("medications:mine")
    return _record_page(request, _record_or_404(request.user, resident_id))


def _resident_for(actor, resident_id, action):
    try:
        return residents_selectors.resident_for(actor, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _interaction_override(data):
    if not (data.get("cosigner") or data.get("override_reason")):
        return None
    return ingredient_limits.InteractionOverride(
        data.get("cosigner"), data.get("cosigner_secret"), data.get("override_reason")
    )


@require_POST
def prescribe(request, resident_id):
    resident = _resident_for(request.user, resident_id, Action.PRESCRIBE)
    form = OrderForm(request.POST, protocols=selectors.formulary(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            order = orders.prescribe(
                request.user,
                resident,
                orders.Prescription(
                    protocol=data["protocol"],
                    dose_amount=data["dose_amount"],
                    dose_unit=data["dose_unit"],
                    route=data["route"],
                    frequency=data["frequency"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    instructions=data["instructions"],
                    acknowledge_duplicates=data["acknowledge_duplicates"],
                    interaction_override=_interaction_override(data),
                ),
            )
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"Ordered: {order}, {order.get_frequency_display().lower()}.")
            return redirect("medications:record", resident_id=resident_id)
    record = _record_or_404(request.user, resident_id)
    return _record_page(request, record, order_form=form, status=400)


@require_POST
def discontinue(request, resident_id, order_id):
    order = _order_or_404(request.user, order_id, Action.PRESCRIBE)
    if order.resident_id != resident_id:
        raise Http404("No such order on this record.")
    form = _discontinue_form(order_id, request.POST)
    if form.is_valid():
        try:
            orders.discontinue(request.user, order, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"Discontinued: {order}.")
            return redirect("medications:record", resident_id=resident_id)
    record = _record_or_404(request.user, resident_id)
    return _record_page(request, record, refused_stop=(order_id, form), status=400)


@require_GET
def my_medications(request):
    resident = own_resident(request)
    record = selectors.medication_record(request.user, resident.pk)
    now = timezone.now()
    context = {
        "record": record,
        "current": [line for line in record.orders if _current(line, now)],
        "past": [line for line in record.orders if not _current(line, now)],
        "now": now,
    }
    return render(request, "medications/mine.html", context)


# --- allergies -----------------------------------------------------------------------------


def _allergies_page(request, resident_id, form=None, rule_out=None, none_error=None, status=200):
    """The resident's allergies: those active (each to confirm or rule out), the statement of
    none known, those ruled out, and the form to record one."""
    record = _record_or_404(request.user, resident_id)
    resident = record.resident
    user = request.user
    may_record = policy.decide(user, Action.RECORD_ALLERGY, resident).allowed
    may_review = policy.decide(user, Action.REVIEW_ALLERGY, resident).allowed
    if may_record and form is None:
        form = AllergyForm(may_confirm=may_review)
    rule_out_forms = []
    for allergy in record.allergies.active:
        refused = rule_out is not None and rule_out[0] == allergy.pk
        rule_out_forms.append(
            (
                allergy,
                rule_out[1] if refused else RuleOutForm(auto_id=f"id_rule_out{allergy.pk}_%s"),
            )
        )
    context = {
        "record": record,
        "resident": resident,
        "standing": record.allergies,
        "active": rule_out_forms,
        "form": form,
        "may_record": may_record,
        "may_review": may_review,
        "none_error": none_error,
        "substances": selectors.substances() if may_record else [],
        "banner": banner.banner(user, resident_id),
    }
    return render(request, "medications/allergies.html", context, status=status)


@require_http_methods(["GET", "POST"])
def resident_allergies(request, resident_id):
    if is_own(request, resident_id):
        return redirect("medications:mine")
    if request.method == "GET":
        return _allergies_page(request, resident_id)
    resident = _resident_for(request.user, resident_id, Action.RECORD_ALLERGY)
    may_confirm = policy.decide(request.user, Action.REVIEW_ALLERGY, resident).allowed
    form = AllergyForm(request.POST, may_confirm=may_confirm)
    if form.is_valid():
        data = form.cleaned_data
        entry = allergies.AllergyEntry(
            substance=data["substance"],
            kind=data["kind"],
            reaction=data["reaction"],
            severity=data["severity"],
            verified=data.get("verified", False),
        )
        try:
            allergy = allergies.record(request.user, resident, entry)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"Recorded: {allergy} ({allergy.reaction}).")
            return redirect("medications:allergies", resident_id=resident_id)
    return _allergies_page(request, resident_id, form=form, status=400)


@require_POST
def no_known_allergies(request, resident_id):
    resident = _resident_for(request.user, resident_id, Action.RECORD_ALLERGY)
    try:
        allergies.record_none(request.user, resident)
    except ValidationError as exc:
        return _allergies_page(request, resident_id, none_error=" ".join(exc.messages), status=400)
    messages.success(request, f"Recorded: {resident.display_name} has no known allergies.")
    return redirect("medications:allergies", resident_id=resident_id)


def _allergy_or_404(actor, allergy_id, resident_id):
    try:
        allergy = selectors.allergy_for(actor, allergy_id)
    except Allergy.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    if allergy.resident_id != resident_id:
        raise Http404("No such allergy on this record.")
    return allergy


@require_POST
def verify_allergy(request, resident_id, allergy_id):
    allergy = _allergy_or_404(request.user, allergy_id, resident_id)
    try:
        allergies.verify(request.user, allergy)
    except ValidationError as exc:
        return _allergies_page(request, resident_id, none_error=" ".join(exc.messages), status=400)
    messages.success(request, f"Confirmed: {allergy}.")
    return redirect("medications:allergies", resident_id=resident_id)


@require_POST
def rule_out_allergy(request, resident_id, allergy_id):
    allergy = _allergy_or_404(request.user, allergy_id, resident_id)
    form = RuleOutForm(request.POST, auto_id=f"id_rule_out{allergy_id}_%s")
    if form.is_valid():
        try:
            allergies.rule_out(
                request.user, allergy, form.cleaned_data["status"], form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(
                request,
                f"{allergy} is no longer active. The medical lead and the program director are "
                "told.",
            )
            return redirect("medications:allergies", resident_id=resident_id)
    return _allergies_page(request, resident_id, rule_out=(allergy_id, form), status=400)


# --- the formulary -------------------------------------------------------------------------


def _formulary_page(request, form=None, retire_error=None, status=200, interaction_form=None):
    protocols = selectors.formulary(request.user, include_retired=True)
    can_manage = policy.decide(request.user, Action.MANAGE_FORMULARY).allowed
    ingredients, interactions = ingredient_limits.ingredients(request.user)
    context = {
        "ingredients": ingredients,
        "interactions": interactions,
        "interaction_form": (interaction_form or InteractionForm()) if can_manage else None,
        "protocols": [p for p in protocols if p.retired_at is None],
        "retired": [p for p in protocols if p.retired_at is not None],
        "can_manage": can_manage,
        "form": (form or ProtocolForm()) if can_manage else None,
        "retire_error": retire_error,
    }
    return render(request, "medications/formulary.html", context, status=status)


@require_http_methods(["GET", "POST"])
def formulary_list(request):
    if request.method == "GET":
        return _formulary_page(request)
    policy.require(request.user, Action.MANAGE_FORMULARY)
    form = ProtocolForm(request.POST)
    if form.is_valid():
        try:
            protocol = formulary.add_protocol(request.user, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"Added to the formulary: {protocol}.")
            return redirect("medications:formulary")
    return _formulary_page(request, form=form, status=400)


@require_POST
def retire(request, protocol_id):
    protocols = selectors.formulary(request.user, include_retired=True)
    protocol = next((p for p in protocols if p.pk == protocol_id), None)
    if protocol is None:
        raise Http404(f"No protocol #{protocol_id} in the formulary.")
    try:
        formulary.retire_protocol(request.user, protocol)
    except ValidationError as exc:
        return _formulary_page(request, retire_error=" ".join(exc.messages), status=400)
    messages.success(
        request, f"Retired: {protocol}. Orders already running keep it; no new order may use it."
    )
    return redirect("medications:formulary")


@require_POST
def add_interaction(request):
    policy.require(request.user, Action.MANAGE_FORMULARY)
    form = InteractionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            row = ingredient_limits.add_interaction(
                request.user, data["first"], data["second"], data["description"]
            )
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"Listed as interacting: {row}.")
            return redirect("medications:formulary")
    return _formulary_page(request, interaction_form=form, status=400)
