"""The dose guard's arithmetic: which hard stops a dose breaks, given the doses already given.

Pure functions over exact quantities (Fractions in the protocol's limit unit), so the rules can be
tested on their own, by hypothesis, with any sequence of doses in any order. The service gathers
the facts under a lock and adds the stops that need the database (consent, the order, residence).

A 24-hour window is the 24 hours ending at a moment: (end - 24 h, end]. Doses exactly 24 hours
apart are in no window together, so a dose a day at the same minute is one dose per window.
"""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from django.utils import timezone

from homecoming.core import dates

from .doses import describe

WINDOW = dt.timedelta(hours=24)


class Rule(StrEnum):
    """Each hard stop, in the order they are checked and shown."""

    UNIT = "unit"
    NOT_IN_RESIDENCE = "not_in_residence"
    ORDER_NOT_ACTIVE = "order_not_active"
    NO_CONSENT = "no_consent"
    ALREADY_RECORDED = "already_recorded"
    ABOVE_ORDER = "above_order"
    ABOVE_SINGLE_MAXIMUM = "above_single_maximum"
    ABOVE_DAILY_MAXIMUM = "above_daily_maximum"
    # The ingredient's ceilings, across every order of it (ingredient_limits.py).
    ABOVE_INGREDIENT_SINGLE = "above_ingredient_single"
    ABOVE_INGREDIENT_DAILY = "above_ingredient_daily"
    INTERVAL = "interval"
    # A product containing a substance the resident is allergic to (allergies.py).
    ALLERGY = "allergy"
    NO_WITNESS = "no_witness"
    SUSPENDED = "suspended"  # the medical lead suspended the drug (safety/decisions.py)


# The only rules a co-signed override may pass: a second clinician judges the dose cannot wait,
# or that this allergy does not forbid it. Dose ceilings never yield.
OVERRIDABLE = frozenset({Rule.INTERVAL, Rule.ALLERGY})


@dataclass(frozen=True)
class Stop:
    rule: Rule
    message: str

    @property
    def overridable(self) -> bool:
        return self.rule in OVERRIDABLE

    def as_json(self) -> dict:
        return {"rule": str(self.rule), "message": self.message}


@dataclass(frozen=True)
class Limits:
    unit: str  # a unit of mass; every quantity below is in it
    max_single: Fraction
    max_daily: Fraction
    min_interval: dt.timedelta


@dataclass(frozen=True)
class Dose:
    at: dt.datetime
    amount: Fraction  # in the limits' unit


def _clock(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{dates.moment_this_year(local)}"


def window_total(doses, end: dt.datetime) -> Fraction:
    """The amount given in the 24 hours ending at `end`."""
    return sum((d.amount for d in doses if end - WINDOW < d.at <= end), Fraction(0))


def heaviest_window(doses, new: Dose) -> tuple[Fraction, dt.datetime]:
    """The largest total of any 24-hour window holding `new`, with that window's end.

    A window's total only rises when its end reaches a dose, so the windows worth checking end
    at `new` or at a later dose less than 24 hours after it (a dose recorded late may fall before
    doses already given)."""
    everything = [*doses, new]
    ends = [new.at] + [d.at for d in doses if new.at < d.at < new.at + WINDOW]
    return max(((window_total(everything, end), end) for end in ends), key=lambda t: t[0])


def dose_stops(limits: Limits, ordered: Fraction, new: Dose, given) -> list[Stop]:
    """Every dose rule `new` breaks, given the doses of the same protocol already `given`."""
    unit = limits.unit
    stops = []
    if new.amount > ordered:
        stops.append(
            Stop(
                Rule.ABOVE_ORDER,
                f"{describe(new.amount, unit)} is more than the ordered dose of "
                f"{describe(ordered, unit)}.",
            )
        )
    if new.amount > limits.max_single:
        stops.append(
            Stop(
                Rule.ABOVE_SINGLE_MAXIMUM,
                f"{describe(new.amount, unit)} is more than the protocol's maximum single dose "
                f"of {describe(limits.max_single, unit)}.",
            )
        )
    total, end = heaviest_window(given, new)
    if total > limits.max_daily:
        stops.append(
            Stop(
                Rule.ABOVE_DAILY_MAXIMUM,
                f"This dose would make {describe(total, unit)} in the 24 hours up to "
                f"{_clock(end)}, more than the protocol's maximum of "
                f"{describe(limits.max_daily, unit)} in any 24 hours.",
            )
        )
    too_close = [d for d in given if abs(d.at - new.at) < limits.min_interval]
    if too_close:
        nearest = min(too_close, key=lambda d: abs(d.at - new.at))
        hours = _duration(limits.min_interval)
        if nearest.at <= new.at:
            last = max(d.at for d in too_close if d.at <= new.at)
            message = (
                f"The last dose was given at {_clock(last)}; doses must be at least "
                f"{hours} apart. The next dose may be given from "
                f"{_clock(last + limits.min_interval)}."
            )
        else:
            message = f"A dose was given at {_clock(nearest.at)}, less than {hours} after this one."
        stops.append(Stop(Rule.INTERVAL, message))
    return stops


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if hours == 0:
        return f"{rest} minutes"
    return f"{hours} h {rest} min"
