"""The home page: each role lands on what it works with."""

from django.shortcuts import redirect, render

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.alerts.selectors import open_for
from homecoming.conversations import selectors as conversations
from homecoming.core import errors, numbered
from homecoming.core import home as worklists
from homecoming.corrections import selectors as corrections
from homecoming.encounters import scheduling
from homecoming.followup.selectors import due_count as follow_ups_due
from homecoming.outcomes.selectors import occupancy
from homecoming.oversight import selectors as oversight_selectors
from homecoming.residents import selectors
from homecoming.safetyplans import selectors as safetyplans


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
    if role in (Role.CASEWORKER, Role.CLINICIAN, Role.SUPERVISOR, Role.PROGRAM_DIRECTOR):
        try:
            caseload = selectors.caseload_page(user, numbered.page_asked(request.GET))
        except numbered.BadPage as exc:
            return errors.bad_request(request, exc)
        context["caseload"] = caseload
        context["rows"] = caseload.rows
        context["whole_center"] = role in (Role.SUPERVISOR, Role.PROGRAM_DIRECTOR)
        # A positive PHQ-9 item 9: the safety plan is reviewed within the day (safetyplans).
        context["safety_reviews"] = safetyplans.reviews_due(user)
        # Residents' messages nobody on the team has answered yet (conversations).
        context["messages_waiting"] = conversations.waiting(user)
        # Residents' requests to correct their record, answered within 60 days (corrections).
        context["correction_requests"] = corrections.open_requests(user)
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
