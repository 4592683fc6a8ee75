"""The alerts page (acknowledge one or many), and each person's e-mail preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from homecoming.accounts.models import Role
from homecoming.core.urls_safe import safe_next

from . import selectors, services
from .models import Delivery


def _staff(request):
    if request.user.role == Role.RESIDENT:
        raise Http404("Alerts are for staff.")


@login_required
def alert_list(request):
    _staff(request)
    return render(request, "alerts/list.html", selectors.page(request.user))


@login_required
@require_POST
def acknowledge(request):
    _staff(request)
    # "Acknowledge all shown" (the home page) takes the alerts the person had in front of them,
    # never whatever has arrived since: one acknowledges only what one has seen.
    chosen = "shown" if request.POST.get("all_shown") else "alert"
    try:
        done = services.acknowledge(request.user, request.POST.getlist(chosen))
    except ValidationError as exc:
        # Nothing chosen, or not alert numbers: said on the alerts page, with the list to choose
        # from, and a 400 (nothing was done).
        messages.error(request, " ".join(exc.messages))
        return render(request, "alerts/list.html", selectors.page(request.user), status=400)
    except services.NotYours as exc:
        raise PermissionDenied(str(exc)) from exc
    n = len(done)
    messages.success(request, f"{n} alert{'s' if n != 1 else ''} acknowledged.")
    return redirect(safe_next(request, "alerts:list"))


@login_required
@require_POST
def mark_read(request, alert_id):
    _staff(request)
    try:
        services.mark_read(request.user, alert_id)
    except services.NotYours as exc:
        raise PermissionDenied(str(exc)) from exc
    return redirect(safe_next(request, "core:home"))


@login_required
def preferences(request):
    _staff(request)
    user = request.user
    errors = {}
    values = {"delivery": services.preference_of(user), "email": user.email}
    if request.method == "POST":
        values = {
            "delivery": request.POST.get("delivery", ""),
            "email": request.POST.get("email", ""),
        }
        try:
            services.set_preferences(user, **values)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, "Your alert e-mail settings are saved.")
            return redirect("alerts:preferences")
    return render(
        request,
        "alerts/preferences.html",
        {"values": values, "errors": errors, "choices": Delivery.choices},
        status=400 if errors else 200,
    )
