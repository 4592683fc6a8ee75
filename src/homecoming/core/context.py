"""What every page shows: the center's name and who is logged in."""

from homecoming.residents.models import Center


def center(request):
    return {"center": Center.objects.first()}
