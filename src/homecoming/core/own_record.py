"""A resident's own record: the pages a resident reads about themselves live at /my-record/,
and a resident who opens their own record by its staff address is sent there."""

from django.http import Http404

from homecoming.accounts.models import Role


def own_resident(request):
    """The resident record linked to this log-in, or a 404 for an account that has none."""
    resident = getattr(request.user, "resident", None)
    if request.user.role != Role.RESIDENT or resident is None:
        raise Http404("Your account is not linked to a resident record.")
    return resident


def is_own(request, resident_id) -> bool:
    """Whether a resident is asking for their own record by its staff address."""
    if request.user.role != Role.RESIDENT:
        return False
    own = getattr(request.user, "resident", None)
    return own is not None and own.pk == resident_id
