"""What every page shows: the center's name and who is logged in."""

from homecoming.residents.models import Center


def center(request):
    # The time-zone middleware has usually read the row already for this request.
    if hasattr(request, "center"):
        return {"center": request.center}
    return {"center": Center.objects.first()}
