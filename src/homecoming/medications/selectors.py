"""Every read of medication data: a resident's medication record, the shift's round, the formulary.

Reads are checked against the policy and recorded on the ledger like any other read of a record:
the resident sees that the nurse on the evening round looked at their medications.
"""

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core import numbered
from homecoming.ledger import services as ledger
from homecoming.residents import photos
from homecoming.residents.models import BedAssignment, Resident, Room, StayStatus
from homecoming.residents.selectors import existing

from . import allergies, schedule
from .administering import limits_of
from .allergies import Listed, Standing
from .doses import to_unit
from .guard import WINDOW
from .models import (
    Administration,
    AdministrationStatus,
    Allergy,
    DoseStop,
    Frequency,
    Ingredient,
    Order,
    OrderStop,
    Protocol,
)

VIEW = str(Action.VIEW_MEDICATIONS)
# How far back the record shows administrations and stopped doses on one page.
RECORD_DAYS = 14


@dataclass
class OrderLine:
    order: Order
    active: bool
    # Whether the resident's consent to the protocol counts now: without it every dose is
    # stopped, so the pages say so before anyone tries.
    consented: bool = True
    # For an as-needed order: when the last dose was given, and from when the next may be.
    last_given: Administration | None = None
    next_allowed: dt.datetime | None = None
    given_last_24h: object = None  # Fraction in the protocol's limit unit


@dataclass
class MedicationRecord:
    resident: Resident
    orders: list[OrderLine]
    administrations: list[Administration]
    stops: list[DoseStop]
    purpose: str
    since: dt.datetime | None  # None: the whole record
    allergies: Standing | None = None
    order_stops: list = field(default_factory=list)  # orders the hard stops refused


def _orders(resident_ids, now):
    return (
        Order.objects.filter(resident_id__in=resident_ids)
        .select_related("protocol", "prescribed_by", "discontinued_by")
        .order_by("resident_id", "-starts_at", "-id")
    )


def _consents_now(resident_ids, now) -> set[tuple[int, str]]:
    """(resident, consent document code) for every consent that counts now, in one query."""
    from homecoming.consents.services import active_consents

    return set(
        active_consents(None, now)
        .filter(resident_id__in=list(resident_ids))
        .values_list("resident_id", "document__code")
    )


def _line(order: Order, givens: list[Administration], now, consents=None) -> OrderLine:

    protocol = order.protocol
    line = OrderLine(order=order, active=order.active_at(now))
    if consents is not None:
        line.consented = (order.resident_id, protocol.consent_code) in consents
    mine = [a for a in givens if a.order.protocol_id == protocol.pk]
    if mine:
        last = max(mine, key=lambda a: a.at)
        line.last_given = last
        interval = limits_of(protocol).min_interval
        line.next_allowed = last.at + interval if last.at + interval > now else None
        line.given_last_24h = sum(
            (
                to_unit(a.dose_amount, a.dose_unit, protocol.limit_unit, protocol.strength)
                for a in mine
                if now - WINDOW < a.at <= now
            ),
            start=Fraction(0),
        )
    return line


def medication_record(
    actor, resident_id: int, *, days: int | None = RECORD_DAYS
) -> MedicationRecord:
    """The orders, and the doses and stopped doses of the last `days` (None: every one ever,
    for the resident's downloaded copy of their record)."""
    resident = existing(actor, resident_id, Action.VIEW_MEDICATIONS)
    decision = policy.require(actor, Action.VIEW_MEDICATIONS, resident)
    now = timezone.now()
    since = now - dt.timedelta(days=days) if days is not None else None
    after = {} if since is None else {"at__gte": since}
    attempted_after = {} if since is None else {"attempted_at__gte": since}
    administrations = list(
        Administration.objects.filter(resident=resident, **after)
        .select_related("order__protocol", "recorded_by", "witness", "override_cosigner")
        .order_by("-at", "-id")
    )
    givens = [a for a in administrations if a.status == AdministrationStatus.GIVEN]
    consents = _consents_now([resident.pk], now)
    orders = [_line(o, givens, now, consents) for o in _orders([resident.pk], now)]
    stops = list(
        DoseStop.objects.filter(resident=resident, **attempted_after)
        .select_related("order__protocol", "attempted_by")
        .order_by("-attempted_at", "-id")
    )
    order_stops = list(
        OrderStop.objects.filter(resident=resident, **attempted_after)
        .select_related("protocol", "attempted_by")
        .order_by("-attempted_at", "-id")
    )
    ledger.record_resident_read(actor, VIEW, resident, purpose=decision.purpose)
    standing = allergies.standing(resident.pk)
    ledger.record_sections(actor, VIEW, resident.pk, [allergies.SECTION], purpose=decision.purpose)
    return MedicationRecord(
        resident=resident,
        orders=orders,
        administrations=administrations,
        stops=stops,
        purpose=decision.purpose,
        since=since,
        allergies=standing,
        order_stops=order_stops,
    )


def allergies_of(actor, resident, action=Action.VIEW_MEDICATIONS) -> allergies.Standing:
    """The resident's allergies as they stand, shown beside something else about them (a dose
    about to be given, the chart): the read is checked and named in the request's look."""
    decision = policy.require(actor, action, resident)
    standing = allergies.standing(resident.pk)
    ledger.record_sections(
        actor, str(action), resident.pk, [allergies.SECTION], purpose=decision.purpose
    )
    return standing


# --- the shift's medication round ----------------------------------------------------------


@dataclass
class Slot:
    due: dt.datetime
    record: Administration | None
    state: str  # "given", "refused", "held", "missed", "due", "overdue", "later"


@dataclass
class RoundLine:
    order: Order
    slots: list[Slot]
    line: OrderLine  # as-needed orders: last dose and next allowed time, as of now
    in_shift: list[Administration] = field(default_factory=list)  # as-needed doses this shift

    @property
    def as_needed(self) -> bool:
        return self.order.frequency == Frequency.AS_NEEDED


@dataclass(frozen=True)
class Place:
    """Where the nurse finds a resident on the round: their bed now."""

    wing: str
    room: str
    bed: str

    def __str__(self):
        return f"{self.room}-{self.bed}"


@dataclass
class RoundResident:
    resident: Resident
    lines: list[RoundLine] = field(default_factory=list)
    bed: Place | None = None  # where the nurse finds them (None: not in a bed now)
    allergies: Listed | None = None  # read before any dose is given
    photo_id: int | None = None  # their current photo, to know them by at the bedside


@dataclass
class Round:
    day: dt.date
    shift: schedule.Shift
    start: dt.datetime
    end: dt.datetime
    residents: list[RoundResident]
    columns: list[dt.datetime]  # the distinct dose times of the shift, for the grid's header
    # The round is walked a wing at a time, in room and bed order, a page of ROUND_PAGE
    # residents at a time: what one page costs does not grow with the center.
    wing: str | None = None  # None: every wing
    wings: list[tuple[str, int]] = field(default_factory=list)  # (wing, residents on the round)
    page: int = 1
    pages: int = 1
    total: int = 0  # residents on the round in the wing (or the center) shown


ROUND_PAGE = 20
NO_BED = ""  # the "wing" of residents in residence who are not in a bed now


class UnknownWing(ValueError):
    pass


# A scheduled dose not recorded this long after its time shows as overdue.
OVERDUE_AFTER = dt.timedelta(hours=1)


def _state(due, record, now, order=None) -> str:
    if record is not None:
        return record.status
    if order is not None and not order.active_at(due):
        return "discontinued"
    if due > now:
        return "later"
    return "overdue" if now - due > OVERDUE_AFTER else "due"


def _in_bed_now(field_name):
    """The resident's current bed's `field_name` (through the bed), as a subquery: the round
    reads where each resident is with its list of residents, not in a query of its own."""
    return Subquery(
        BedAssignment.objects.filter(
            stay__resident=OuterRef("pk"),
            stay__status=StayStatus.IN_RESIDENCE,
            released_at__isnull=True,
        ).values(field_name)[:1]
    )


def _place(resident) -> Place | None:
    if resident.round_room is None:
        return None
    return Place(resident.round_wing, resident.round_room, resident.round_bed)


def _walking_order(resident: Resident, place: Place | None):
    """Wing by wing, room by room, bed by bed; those not in a bed last, by name."""
    if place is None:
        return (1, "", "", "", resident.family_name, resident.given_name, resident.pk)
    return (0, place.wing, place.room, place.bed, "", "", resident.pk)


def medication_round(
    actor, day: dt.date, shift: schedule.Shift, *, wing: str | None = None, page: int = 1
) -> Round:
    """The shift's grid: the residents in residence with an order running in the shift, in
    the order a nurse walks them (wing, room, bed), a page at a time, optionally one wing's;
    each order's dose times in the shift and what was recorded for them. Each resident shown is
    a recorded read of their medication record; those on other pages are not shown, so not
    read. `wing` NO_BED: the residents who are not in a bed now. An unknown wing raises
    UnknownWing; a page past the last shows the last."""
    policy.require(actor, Action.VIEW_MAR)
    start, end = schedule.shift_bounds(day, shift)
    now = timezone.now()
    running = Q(starts_at__lt=end) & (Q(ends_at__isnull=True) | Q(ends_at__gt=start))
    running &= Q(discontinued_at__isnull=True) | Q(discontinued_at__gt=start)
    # The photo (the two-identifier check, with the date of birth) is read with the list too.
    residents = list(
        photos.with_photo(
            allergies.listed_with(
                Resident.objects.filter(
                    stays__status=StayStatus.IN_RESIDENCE,
                    medication_orders__in=Order.objects.filter(running),
                )
            )
        )
        .annotate(
            round_wing=_in_bed_now("bed__room__wing"),
            round_room=_in_bed_now("bed__room__name"),
            round_bed=_in_bed_now("bed__label"),
        )
        .distinct()
    )
    decisions = policy.decide_for_residents(actor, Action.VIEW_MEDICATIONS, residents)
    allowed = [r for r in residents if decisions[r.pk].allowed]
    beds = {r.pk: _place(r) for r in allowed}
    allowed.sort(key=lambda r: _walking_order(r, beds[r.pk]))
    wing_of = {r.pk: beds[r.pk].wing if beds[r.pk] else NO_BED for r in allowed}
    counts: dict[str, int] = {}
    for r in allowed:
        counts[wing_of[r.pk]] = counts.get(wing_of[r.pk], 0) + 1
    if wing is not None:
        if wing not in counts and not Room.objects.filter(wing=wing).exists() and wing != NO_BED:
            raise UnknownWing(wing)
        allowed = [r for r in allowed if wing_of[r.pk] == wing]
    at = numbered.place(len(allowed), page, ROUND_PAGE)
    on_page = allowed[at.start : at.stop]
    ids = [r.pk for r in on_page]
    orders = list(_orders(ids, now).filter(running))
    # What the grid shows: the shift's scheduled doses and its as-needed doses; and what the
    # as-needed lines need to say where things stand now (whichever shift is shown): every
    # dose given within the longest minimum interval or the 24-hour window.
    reach = max([WINDOW] + [limits_of(o.protocol).min_interval for o in orders])
    records = list(
        Administration.objects.filter(resident_id__in=ids)
        .filter(
            Q(scheduled_for__gte=start, scheduled_for__lt=end)
            | Q(scheduled_for__isnull=True, at__gte=start, at__lt=end)
            | Q(status=AdministrationStatus.GIVEN, at__gt=now - reach, at__lte=now)
        )
        .select_related("order__protocol", "recorded_by")
    )
    by_slot = {(a.order_id, a.scheduled_for): a for a in records if a.scheduled_for}
    consents = _consents_now(ids, now)
    in_shift = {}
    givens_by_resident = {}
    for a in records:
        if a.scheduled_for is None and start <= a.at < end:
            in_shift.setdefault(a.order_id, []).append(a)
        if a.status == AdministrationStatus.GIVEN and now - reach < a.at <= now:
            givens_by_resident.setdefault(a.resident_id, []).append(a)
    lines_by_resident = {}
    columns = set()
    for order in orders:
        dues = schedule.due_times(order, start, end)
        columns.update(dues)
        slots = [Slot(d, by_slot.get((order.pk, d)), "") for d in dues]
        for slot in slots:
            slot.state = _state(slot.due, slot.record, now, order)
        line = _line(order, givens_by_resident.get(order.resident_id, []), now, consents)
        given = sorted(in_shift.get(order.pk, []), key=lambda a: a.at)
        lines_by_resident.setdefault(order.resident_id, []).append(
            RoundLine(order=order, slots=slots, line=line, in_shift=given)
        )
    shown = [r for r in on_page if r.pk in lines_by_resident]
    ledger.record_reads_each(
        actor, VIEW, shown, resident_of=lambda r: r.pk, purpose_of=lambda r: decisions[r.pk].purpose
    )
    for r in shown:
        sections = [allergies.SECTION] + ([photos.SECTION] if r.photo_id else [])
        ledger.record_sections(actor, VIEW, r.pk, sections, purpose=decisions[r.pk].purpose)
    return Round(
        day=day,
        shift=shift,
        start=start,
        end=end,
        residents=[
            RoundResident(
                r, lines_by_resident[r.pk], beds.get(r.pk), allergies.listed(r), r.photo_id
            )
            for r in shown
        ],
        columns=sorted(columns),
        wing=wing,
        wings=sorted(counts.items(), key=lambda item: (item[0] == NO_BED, item[0])),
        page=at.page,
        pages=at.pages,
        total=len(allowed),
    )


def formulary(actor, include_retired=False) -> list[Protocol]:
    policy.require(actor, Action.VIEW_FORMULARY)
    qs = Protocol.objects.select_related("added_by", "retired_by")
    if not include_retired:
        qs = qs.filter(retired_at__isnull=True)
    return list(qs)


def order_for(actor, order_id: int, action=Action.ADMINISTER) -> Order:
    """One order, for acting on it: the policy decides on its resident (a probe for an order
    that does not exist is recorded like one for a resident)."""
    order = (
        Order.objects.select_related("protocol", "resident", "prescribed_by")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        error = Order.DoesNotExist(f"No medication order #{order_id}.")
        policy.refuse_unknown(actor, action, "medications.order", order_id, error)
    policy.require(actor, action, order.resident)
    return order


def order_status(actor, order: Order) -> OrderLine:
    """Where one order stands now (last dose of its protocol, the 24-hour total, the next time
    allowed, consent): what the nurse reads before giving a dose. A recorded read."""
    decision = policy.require(actor, Action.VIEW_MEDICATIONS, order.resident)
    now = timezone.now()
    reach = max(WINDOW, limits_of(order.protocol).min_interval)
    givens = list(
        Administration.objects.filter(
            resident_id=order.resident_id,
            order__protocol=order.protocol,
            status=AdministrationStatus.GIVEN,
            at__gt=now - reach,
            at__lte=now,
        ).select_related("order__protocol", "recorded_by")
    )
    line = _line(order, givens, now, _consents_now([order.resident_id], now))
    ledger.record_resident_read(actor, VIEW, order.resident, purpose=decision.purpose)
    return line


def allergy_for(actor, allergy_id: int, action=Action.REVIEW_ALLERGY) -> Allergy:
    """One allergy, for acting on it: the policy decides on its resident (a probe for one that
    does not exist is recorded like one for a resident)."""
    allergy = Allergy.objects.select_related("resident").filter(pk=allergy_id).first()
    if allergy is None:
        error = Allergy.DoesNotExist(f"No allergy #{allergy_id}.")
        policy.refuse_unknown(actor, action, "medications.allergy", allergy_id, error)
    policy.require(actor, action, allergy.resident)
    return allergy


def substances() -> list[str]:
    """What the allergy form suggests: the formulary's ingredients and classes (no resident)."""
    names = set()
    for name, drug_class in Ingredient.objects.values_list("name", "drug_class"):
        names.add(name)
        if drug_class:
            names.add(drug_class)
    return sorted(names, key=str.casefold)
