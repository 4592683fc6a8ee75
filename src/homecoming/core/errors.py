"""Error pages that say what went wrong in words a user can act on."""

import sys

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404

from homecoming.accounts.middleware import MACHINE_PREFIXES

from .readiness import DATABASE_ERRORS


def bad_request(request, exception=None):
    return render(request, "400.html", {"message": str(exception or "")}, status=400)


def forbidden(request, exception=None):
    return render(request, "403.html", {"message": str(exception or "")}, status=403)


def not_found(request, exception=None):
    # A URL that matches no page says only that: Django's resolver puts every URL pattern it
    # tried into its exception, which is the map of the application, not a message for anyone.
    message = "" if isinstance(exception, Resolver404) else str(exception or "")
    return render(request, "404.html", {"message": message}, status=404)


def server_error(request):
    # Django calls this inside its `except`, whichever view or middleware raised: a lost
    # database is not a bug but an outage, answered 503 so a proxy or monitor can tell, and
    # rendered without the request's context (whose center name would need the database).
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_ERRORS):
        return database_unavailable(request)
    return render(request, "500.html", status=500)


def database_unavailable(request):
    headers = {"Retry-After": "30", "Cache-Control": "no-store"}
    if request.path.startswith(MACHINE_PREFIXES):
        return JsonResponse(
            {"detail": "The database cannot be reached. Try again in a minute."},
            status=503,
            headers=headers,
        )
    return HttpResponse(render_to_string("503.html"), status=503, headers=headers)
