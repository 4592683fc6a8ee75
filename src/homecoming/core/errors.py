"""Error pages that say what went wrong in words a user can act on."""

from django.shortcuts import render


def bad_request(request, exception=None):
    return render(request, "400.html", {"message": str(exception or "")}, status=400)


def forbidden(request, exception=None):
    return render(request, "403.html", {"message": str(exception or "")}, status=403)


def not_found(request, exception=None):
    return render(request, "404.html", {"message": str(exception or "")}, status=404)


def server_error(request):
    return render(request, "500.html", status=500)
