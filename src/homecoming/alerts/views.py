from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from homecoming.core.urls_safe import safe_next

from . import services


@login_required
@require_POST
def mark_read(request, alert_id):
    if not services.mark_read(request.user, alert_id):
        raise Http404("No such unread alert of yours.")
    return redirect(safe_next(request, "core:home"))
