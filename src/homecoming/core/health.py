"""`GET /healthz` (the process answers) and `GET /readyz` (the center can serve: database,
migrations, ledger key, worker), for a load balancer, a container's health check or a monitor.
Both are open without a log-in and say nothing about any resident."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from . import readiness as checks


@login_not_required
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@login_not_required
@require_GET
def readyz(request):
    result = checks.readiness()
    return JsonResponse(result.as_json(), status=200 if result.ready else 503)
