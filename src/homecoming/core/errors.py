"""Error pages that say what went wrong in words a user can act on."""

from django.shortcuts import render
from django.urls import Resolver404


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
    return render(request, "500.html", status=500)
