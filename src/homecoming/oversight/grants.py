"""What an investigator's current grants cover: named residents' records, and the ledger
entries of named staff. Asked at every access, never cached, so an expiry or a revocation
takes effect on the very next request."""

from django.db.models import Q
from django.utils import timezone

from .models import Grant, GrantScope


def current(user, at=None):
    """The user's grants in force at `at` (now by default)."""
    at = at or timezone.now()
    return Grant.objects.filter(investigator=user, starts_at__lte=at, expires_at__gt=at).filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=at)
    )


def covers(user, resident, at=None) -> bool:
    resident_id = getattr(resident, "pk", resident)
    return GrantScope.objects.filter(grant__in=current(user, at), resident_id=resident_id).exists()


def covered_residents(user, at=None):
    return GrantScope.objects.filter(grant__in=current(user, at), resident__isnull=False).values(
        "resident_id"
    )


def covered_staff(user, at=None):
    return GrantScope.objects.filter(grant__in=current(user, at), staff__isnull=False).values(
        "staff_id"
    )


def covers_entry(user, entry, at=None) -> bool:
    """Whether a ledger entry is in the user's scope: about a covered resident, or made by a
    covered member of staff."""
    scope = GrantScope.objects.filter(grant__in=current(user, at))
    return scope.filter(
        Q(resident_id=entry.resident_id, resident__isnull=False)
        | Q(staff_id=entry.actor_id, staff__isnull=False)
    ).exists()
