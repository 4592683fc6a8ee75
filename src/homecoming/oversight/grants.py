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
    about = [entry.resident_id, *entry.residents_named]
    return scope.filter(
        Q(resident_id__in=[r for r in about if r is not None], resident__isnull=False)
        | Q(staff_id=entry.actor_id, staff__isnull=False)
    ).exists()


def grant_references(user, resident_ids) -> dict[int, str]:
    """The grant each look by an investigator went through (ledger/looks.py names it)."""
    scopes = GrantScope.objects.filter(grant__in=current(user), resident_id__in=resident_ids)
    return {s.resident_id: f"oversight.grant#{s.grant_id}" for s in scopes.order_by("grant_id")}
