"""What intake refuses as nonsense, and the likely duplicates it warns of.

Each check returns every problem it finds, keyed by the field it is about, so the page and the
API show them all at once; a value left out is skipped (the form or the schema names it as
missing). A check needs only the date it counts from ("today" in the center's zone), so tests
and the service agree on where midnight falls.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q

from homecoming.core import dates

from .models import Bed, BedAssignment, Resident, Stay, StayStatus

YOUNGEST, OLDEST = 17, 100  # ages a resident may be on the admission date
PLANNED_AHEAD_DAYS = 365  # a planned admission further off than this is a typing slip
DIFFERENT_PERSON = "different_person_confirmed"  # the field that confirms a warned duplicate


def day(d: dt.date) -> str:
    return dates.day(d)


def age_on(born: dt.date, on: dt.date) -> int:
    """Whole years: a birthday on 29 February comes on 1 March in a common year."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def person_problems(intake: dict, today: dt.date, admitted_on: dt.date | None) -> dict:
    """Date of birth, service dates: the age is counted on the admission date (today if none)."""
    errors: dict[str, list[str]] = {}
    dob, start, end = (intake.get(k) for k in ("date_of_birth", "service_start", "service_end"))
    if dob is not None:
        if dob >= today:
            errors["date_of_birth"] = ["The date of birth must be in the past."]
        else:
            on = admitted_on or today
            age = age_on(dob, on)
            if not YOUNGEST <= age <= OLDEST:
                errors["date_of_birth"] = [
                    f"That makes them {age} on the admission date ({day(on)}); residents are "
                    f"{YOUNGEST} to {OLDEST}. Check the date of birth."
                ]
    if dob is not None and start is not None and start <= dob:
        errors["service_start"] = ["Service cannot start before the date of birth."]
    if start is not None and end is not None and end < start:
        errors["service_end"] = ["Service cannot end before it started."]
    return errors


def admission_date_problems(admitted_on: dt.date | None, today: dt.date) -> dict:
    if admitted_on is not None and admitted_on > today + dt.timedelta(days=PLANNED_AHEAD_DAYS):
        return {
            "admitted_on": [
                f"A planned admission is at most {PLANNED_AHEAD_DAYS} days ahead "
                f"(until {day(today + dt.timedelta(days=PLANNED_AHEAD_DAYS))})."
            ]
        }
    return {}


def deployment_field(index: int, name: str) -> str:
    """The key of a deployment's field in an error (index from 0, as in the JSON list)."""
    return f"deployments.{index}.{name}"


def deployment_problems(deployments, born: dt.date | None, admitted_on: dt.date | None) -> dict:
    """Each deployment starts after birth, has ended by the admission date, and ends after it
    starts."""
    errors: dict[str, list[str]] = {}
    for i, d in enumerate(deployments):
        name = f"Deployment {i + 1} ({d.get('location') or 'no place given'})"
        started, ended = d.get("started_on"), d.get("ended_on")
        if started is not None and born is not None and started <= born:
            errors[deployment_field(i, "started_on")] = [
                f"{name} starts before the date of birth ({day(born)})."
            ]
        if started is not None and ended is not None and ended < started:
            errors[deployment_field(i, "ended_on")] = [f"{name} ends before it starts."]
        elif ended is None and started is not None:
            errors[deployment_field(i, "ended_on")] = [
                f"{name}: give the date it ended (deployments at intake are over by the "
                "admission date)."
            ]
        elif ended is not None and admitted_on is not None and ended > admitted_on:
            errors[deployment_field(i, "ended_on")] = [
                f"{name} ends after the admission date ({day(admitted_on)})."
            ]
    return errors


def booked_period(admitted_on: dt.date, length_days: int, today: dt.date):
    """The days a stay holds its bed: from its admission (today, for one already begun) to its
    expected end, at least one night."""
    start = max(admitted_on, today)
    end = max(admitted_on + dt.timedelta(days=length_days), start + dt.timedelta(days=1))
    return start, end


def bed_problems(bed, start: dt.date, end: dt.date, today: dt.date, stay=None) -> list[str]:
    """Can `bed` be booked for [start, end)? It must be in service, not occupied by a stay
    expected to run past `start`, and not reserved by a planned admission for days that
    overlap. `stay`: the stay being placed (its own assignment and reservation do not count)."""
    bed = Bed.objects.select_related("room").get(pk=bed.pk)
    if not bed.in_service:
        return [f"Bed {bed} is out of service ({bed.out_of_service_reason}). Choose another."]
    if not bed.room.in_service:
        return [
            f"Room {bed.room} is out of service ({bed.room.out_of_service_reason}). "
            "Choose another bed."
        ]
    others = Q() if stay is None else ~Q(stay=stay)
    occupant = (
        BedAssignment.objects.filter(others, bed=bed, released_at__isnull=True)
        .select_related("stay")
        .first()
    )
    if occupant is not None and (start <= today or occupant.stay.expected_end > start):
        if start <= today:
            return [f"Bed {bed} is already occupied. Choose a free bed."]
        return [
            f"Bed {bed} is occupied by a stay expected to last until "
            f"{day(occupant.stay.expected_end)}. Choose another bed."
        ]
    reservations = Stay.objects.filter(status=StayStatus.EXPECTED, reserved_bed=bed)
    if stay is not None:
        reservations = reservations.exclude(pk=stay.pk)
    for r in reservations.order_by("admitted_on"):
        if r.admitted_on < end and start < r.expected_end:
            return [
                f"Bed {bed} is reserved from {day(r.admitted_on)} to {day(r.expected_end)} "
                "for a planned admission. Choose another bed, or a stay that ends by then."
            ]
    return []


def normal_service_number(number: str | None) -> str:
    return re.sub(r"[\s-]", "", number or "").upper()


@dataclass
class Duplicate:
    """An existing resident intake's person may be: who, and why we think so."""

    resident: Resident
    reasons: list[str]

    @property
    def words(self) -> str:
        return f"resident #{self.resident.pk} ({' and '.join(self.reasons)})"


def likely_duplicates(intake: dict) -> list[Duplicate]:
    """Residents with the same legal name and date of birth, or the same service number."""
    given, family, born = (intake.get(k) for k in ("given_name", "family_name", "date_of_birth"))
    number = normal_service_number(intake.get("service_number"))
    match = Q(pk__in=[])
    if given and family and born:
        match |= Q(given_name__iexact=given, family_name__iexact=family, date_of_birth=born)
    if number:
        match |= Q(service_number=number)
    found = []
    same_name = (given or "").lower(), (family or "").lower()
    for r in Resident.objects.filter(match).order_by("pk"):
        reasons = []
        if (
            born
            and r.date_of_birth == born
            and (r.given_name.lower(), r.family_name.lower()) == (same_name)
        ):
            reasons.append("same name and date of birth")
        if number and r.service_number == number:
            reasons.append("same service number")
        found.append(Duplicate(r, reasons))
    return found


def duplicate_message(duplicates: list[Duplicate]) -> str:
    return (
        "This may be someone already registered: "
        + "; ".join(d.words for d in duplicates)
        + ". Open their record to check; if this is a different person, tick "
        "“This is a different person” and admit again."
    )
