"""Program-level aggregates: counts only, never a resident. The contractor sees nothing else.

Counts are computed in SQL; no resident row is loaded, so no resident's record is read."""

from dataclasses import dataclass

from django.db.models import Count, Q

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.residents.models import Bed, BedAssignment, Stay, StayStatus


@dataclass
class Occupancy:
    beds: int
    occupied: int
    in_residence: int
    expected: int
    discharged: int

    @property
    def free(self) -> int:
        return self.beds - self.occupied

    @property
    def percent(self) -> int:
        return round(100 * self.occupied / self.beds) if self.beds else 0


def occupancy(actor) -> Occupancy:
    policy.require(actor, Action.VIEW_AGGREGATES)
    return occupancy_counts()


def occupancy_counts() -> Occupancy:
    """The counts, with no permission check (outcomes.aggregates checks its own)."""
    stays = Stay.objects.aggregate(
        in_residence=Count("id", filter=Q(status=StayStatus.IN_RESIDENCE)),
        expected=Count("id", filter=Q(status=StayStatus.EXPECTED)),
        discharged=Count("id", filter=Q(status=StayStatus.DISCHARGED)),
    )
    return Occupancy(
        # Beds that can take someone: out-of-service beds and rooms are not free places.
        beds=Bed.objects.filter(in_service=True, room__in_service=True).count(),
        occupied=BedAssignment.objects.filter(released_at__isnull=True).count(),
        **stays,
    )
