"""Program-level aggregates: counts only, never a resident. The contractor sees nothing else.

Counts are computed in SQL; no resident row is loaded, so no resident's record is read."""

from dataclasses import dataclass

from django.db.models import Count, Q

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
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


@dataclass
class ShownOccupancy:
    """Occupancy as the contractor's home page shows it: each count from 1 to 10 as "<11", and
    the share occupied with it (outcomes/suppression.py, as on the outcomes page)."""

    beds: int
    occupied: int | str
    in_residence: int | str
    expected: int | str
    discharged: int | str
    percent: int | str


def _suppressed(o: Occupancy) -> ShownOccupancy:
    from .suppression import MARK, small

    def shown(n):
        return MARK if small(n) else n

    return ShownOccupancy(
        beds=o.beds,
        occupied=shown(o.occupied),
        in_residence=shown(o.in_residence),
        expected=shown(o.expected),
        discharged=shown(o.discharged),
        percent=MARK if small(o.occupied) else o.percent,
    )


def occupancy(actor) -> Occupancy | ShownOccupancy:
    policy.require(actor, Action.VIEW_AGGREGATES)
    counts = occupancy_counts()
    # The contractor sees every count under 11 suppressed, here as on the outcomes page.
    return _suppressed(counts) if actor.role == Role.CONTRACTOR else counts


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
