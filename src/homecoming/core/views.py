"""The home page: each role lands on what it works with."""

from django.shortcuts import redirect, render

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.alerts.selectors import open_for
from homecoming.core import errors, numbered
from homecoming.core import home as worklists
from homecoming.encounters import scheduling
from homecoming.followup.selectors import due_count as follow_ups_due
from homecoming.outcomes.selectors import occupancy
from homecoming.oversight import selectors as oversight_selectors
from homecoming.residents import selectors


def home(request):
    user = request.user
    role = user.role
    if role == Role.RESIDENT:
        return redirect("residents:my_record")
    if role == Role.SYSADMIN:
        return redirect("accounts:staff_list")
    context = {"alerts": open_for(user)}
    if policy.decide(user, Action.VIEW_CALENDAR).allowed:
        # Those who keep calendars start the day with its sessions, above the caseload.
        context["today_sessions"] = scheduling.today(user)
    if role in worklists.CARE:
        try:
            caseload = selectors.caseload_page(user, numbered.page_asked(request.GET))
        except numbered.BadPage as exc:
            return errors.bad_request(request, exc)
        context["caseload"] = caseload
        context["rows"] = caseload.rows
        context["whole_center"] = role in (Role.SUPERVISOR, Role.PROGRAM_DIRECTOR)
    context["follow_ups_due"] = follow_ups_due(user)  # a count: names no one
    # What this person must do, each a short list (core/home.py: one key per list).
    context.update(worklists.worklists(user))
    if role in (Role.CONTRACTOR, Role.SUPERVISOR, Role.PROGRAM_DIRECTOR, Role.OVERSIGHT):
        context["occupancy"] = occupancy(user)
    if role == Role.OVERSIGHT:
        context["oversight"] = oversight_selectors.summary(user)
    if role == Role.INVESTIGATOR:
        context["grants"] = oversight_selectors.my_current_grants(user)
    return render(request, "core/home.html", context)
