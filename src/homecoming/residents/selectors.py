"""Every read of resident data: policy check first, then the rows, then one ledger entry per
resident read, in one transaction. Views never query these models themselves."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Min, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core import numbered
from homecoming.ledger import services as ledger

from .models import (
    OPEN_STAY,
    Bed,
    BedAssignment,
    CareTeamMember,
    Deployment,
    Resident,
    Stay,
    StayStatus,
)


@dataclass
class Chart:
    resident: Resident
    stay: Stay | None
    bed: Bed | None
    care_team: list[CareTeamMember]
    past_stays: list[Stay]
    deployments: list[Deployment]
    purpose: str
    # The decision that opened the chart, and those on what the page offers: the page's other
    # sections (notes, measures) take them rather than loading the resident and asking again.
    decision: policy.Decision | None = None
    offers: dict = field(default_factory=dict)

    @property
    def last_discharge(self) -> Stay | None:
        """The latest stay that ended by discharge (a cancelled planned admission never began)."""
        return next((s for s in self.past_stays if s.status == StayStatus.DISCHARGED), None)


@dataclass
class Row:
    """A resident as a line in a caseload, search result or bed board."""

    resident: Resident
    stay: Stay | None
    bed: Bed | None


def _open_stays_prefetch():
    current_bed = BedAssignment.objects.filter(released_at__isnull=True).select_related("bed__room")
    return Prefetch(
        "stays",
        queryset=Stay.objects.filter(OPEN_STAY).prefetch_related(
            Prefetch("bed_assignments", queryset=current_bed, to_attr="current_beds")
        ),
        to_attr="open_stays",
    )


def _row(resident) -> Row:
    stay = resident.open_stays[0] if resident.open_stays else None
    bed = stay.current_beds[0].bed if stay and stay.current_beds else None
    return Row(resident, stay, bed)


def record_listing(actor, residents):
    """One LIST entry per resident shown, with the viewer's standing purpose."""
    ledger.record_reads(
        actor,
        str(Action.LIST),
        residents,
        resident_of=lambda r: r.pk,
        purpose=policy.standing_purpose(actor),
    )


def window(actor, queryset, offset: int, count: int) -> tuple[list[Resident], int]:
    """`count` residents from `offset` of those in `queryset` the actor may see (in its order),
    and how many there are: one LIST entry naming the residents shown (a FHIR search's page)."""
    qs = queryset.visible_to(actor)
    total = qs.count()
    shown = list(qs[offset : offset + count])
    record_listing(actor, shown)
    return shown, total


def _list(actor, queryset, limit=None) -> list[Row]:
    qs = queryset.visible_to(actor).prefetch_related(_open_stays_prefetch())
    residents = list(qs[:limit] if limit else qs)
    record_listing(actor, residents)
    return [_row(r) for r in residents]


def _with_open_stay():
    return Resident.objects.filter(stays__in=Stay.objects.filter(OPEN_STAY))


def caseload(actor) -> list[Row]:
    """The residents in residence (or expected) whom the actor may see."""
    return _list(actor, _with_open_stay())


CASELOAD_PAGE = 25


@dataclass
class CaseloadPage:
    rows: list[Row]
    page: int
    pages: int
    total: int  # residents on the whole caseload


def caseload_page(actor, page: int = 1, size: int = CASELOAD_PAGE) -> CaseloadPage:
    """A page of the caseload, by name (core/numbered.py: a caseload is bounded by the beds).
    Only the residents on the page are listed on the ledger: the others were not shown."""
    visible = _with_open_stay().visible_to(actor)
    total = visible.count()
    at = numbered.place(total, page, size)
    residents = list(visible.prefetch_related(_open_stays_prefetch())[at.start : at.stop])
    record_listing(actor, residents)
    return CaseloadPage([_row(r) for r in residents], at.page, at.pages, total)


def _named(words):
    qs = Resident.objects.all()
    for word in words:
        qs = qs.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    return qs


def search(actor, query: str, limit: int = 50) -> list[Row]:
    """Residents the actor may see whose legal or preferred name contains every word typed."""
    words = query.split()
    if not words:
        return []
    return _list(actor, _named(words), limit)


def _listed(actor, query: str):
    words = query.split()
    return (_named(words) if words else _with_open_stay()).visible_to(actor)


def listing_page(actor, query: str, offset: int, count: int) -> list[Row]:
    """A page of the caseload (no `query`) or of a name search, by name (the API's list): one
    LIST entry naming only the residents on the page, the others were not shown."""
    qs = _listed(actor, query).prefetch_related(_open_stays_prefetch())
    residents = list(qs[offset : offset + count])
    record_listing(actor, residents)
    return [_row(r) for r in residents]


def listing_count(actor, query: str) -> int:
    """How many residents `listing_page` pages through in all."""
    return _listed(actor, query).count()


def with_bed(residents):
    """Annotate a query of residents with their bed now (`bed_room`, `bed_label`; None when not
    in a bed), read with them: the banner's one query, not a query of its own."""
    current = BedAssignment.objects.filter(
        stay__resident=OuterRef("pk"),
        stay__status=StayStatus.IN_RESIDENCE,
        released_at__isnull=True,
    )
    return residents.annotate(
        bed_room=Subquery(current.values("bed__room__name")[:1]),
        bed_label=Subquery(current.values("bed__label")[:1]),
    )


def existing(actor, resident_id: int, action: Action) -> Resident:
    """The resident, or DoesNotExist after recording the attempt: probing for records that do
    not exist is accounted for like any other refused access."""
    resident = Resident.objects.filter(pk=resident_id).first()
    if resident is None:
        error = Resident.DoesNotExist(f"No resident #{resident_id}.")
        policy.refuse_unknown(actor, action, "residents.resident", resident_id, error)
    return resident


def chart(actor, resident_id: int, offers=()) -> Chart:
    """A resident's chart: the read is checked, and recorded against the resident version read.
    `offers`: the actions the page offers, decided with the read (the care team asked once)."""
    resident = existing(actor, resident_id, Action.VIEW)
    # The stays and the care team are what the policy asks about: loaded first, they answer it
    # (nothing is shown before the decision).
    stays = list(
        resident.stays.prefetch_related(
            Prefetch(
                "bed_assignments",
                queryset=BedAssignment.objects.filter(released_at__isnull=True).select_related(
                    "bed__room"
                ),
                to_attr="current_beds",
            )
        )
    )
    team = list(resident.care_team.filter(ended_at__isnull=True).select_related("user"))
    decisions = policy.decide_many(
        actor,
        (Action.VIEW, *offers),
        resident,
        member=any(m.user_id == actor.pk for m in team),
        stay_statuses=[s.status for s in stays],
    )
    decision = decisions[Action.VIEW]
    if not decision.allowed:
        policy.require(actor, Action.VIEW, resident)  # records the refusal, raises
    open_stay = next((s for s in stays if s.is_open), None)
    bed = open_stay.current_beds[0].bed if open_stay and open_stay.current_beds else None
    deployments = list(resident.deployments.all())
    ledger.record_resident_read(actor, str(Action.VIEW), resident, purpose=decision.purpose)
    return Chart(
        resident=resident,
        stay=open_stay,
        bed=bed,
        care_team=team,
        past_stays=[s for s in stays if not s.is_open],
        deployments=deployments,
        purpose=decision.purpose,
        decision=decision,
        offers=decisions,
    )


@dataclass
class BoardBed:
    bed: Bed
    occupied: bool
    resident: Resident | None  # only when the viewer may see who it is
    # The first day a planned admission (not yet arrived) holds the bed: it is free until then.
    reserved_from: dt.date | None = None


def bed_board(actor, offset: int = 0, count: int | None = None) -> list[BoardBed]:
    """Every bed and whether it is taken; names only of residents the viewer may see. A bed
    reserved for a planned admission is free (and says from when it is reserved) until the
    resident's arrival is recorded; never whose reservation it is. A page of `count` beds from
    `offset` when asked (the API): only the residents in those beds are on the ledger."""
    policy.require(actor, Action.VIEW_BED_BOARD)
    reserved = dict(
        Stay.objects.filter(status=StayStatus.EXPECTED, reserved_bed__isnull=False)
        .values("reserved_bed_id")
        .annotate(first=Min("admitted_on"))
        .values_list("reserved_bed_id", "first")
    )
    stop = None if count is None else offset + count
    beds = list(Bed.objects.select_related("room")[offset:stop])
    current = {
        a.bed_id: a
        for a in BedAssignment.objects.filter(
            released_at__isnull=True, bed__in=[b.pk for b in beds]
        ).select_related("stay__resident")
    }
    visible_ids = set(
        Resident.objects.visible_to(actor)
        .filter(pk__in=[a.stay.resident_id for a in current.values()])
        .values_list("pk", flat=True)
    )
    shown = [a.stay.resident for a in current.values() if a.stay.resident_id in visible_ids]
    record_listing(actor, shown)
    return [
        BoardBed(
            bed=b,
            occupied=b.pk in current,
            resident=(
                current[b.pk].stay.resident
                if b.pk in current and current[b.pk].stay.resident_id in visible_ids
                else None
            ),
            reserved_from=reserved.get(b.pk),
        )
        for b in beds
    ]


def bed_count() -> int:
    """How many beds the bed board shows in all (the total of the API's pages)."""
    return Bed.objects.count()


def free_beds():
    """Beds in service that nobody occupies now nor is due in (no resident data: the intake
    form's choices). A bed reserved for a later planned admission is listed with the date it is
    reserved from: it can still take a stay that ends by then."""
    today = timezone.localdate()
    taken = BedAssignment.objects.filter(released_at__isnull=True).values("bed_id")
    expected = Stay.objects.filter(status=StayStatus.EXPECTED, reserved_bed__isnull=False)
    due = expected.filter(admitted_on__lte=today).values("reserved_bed_id")
    return (
        Bed.objects.select_related("room")
        .filter(in_service=True, room__in_service=True)
        .exclude(pk__in=taken)
        .exclude(pk__in=due)
        .annotate(
            reserved_from=Min(
                "reservations__admitted_on",
                filter=Q(reservations__status=StayStatus.EXPECTED),
            )
        )
    )


def resident_for(actor, resident_id: int, action: Action) -> Resident:
    """Open one resident to take `action` on (an edit form, a bed move): the action is checked,
    and showing the current record is recorded as a read."""
    resident = existing(actor, resident_id, action)
    decision = policy.require(actor, action, resident)
    with transaction.atomic():
        ledger.record_resident_read(actor, str(Action.VIEW), resident, purpose=decision.purpose)
    return resident
