"""When doses fall due: each frequency's times of day, and the nursing shifts that give them.

Times are the center's local times of day, turned into moments day by day, so a dose at 08:00
stays at 08:00 across a daylight-saving change. As-needed orders have no schedule: they are
given when asked for, within the hard stops.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from .models import Frequency

# The center's standard medication times for each frequency.
TIMES = {
    Frequency.DAILY: (dt.time(8),),
    Frequency.TWICE_DAILY: (dt.time(8), dt.time(20)),
    Frequency.THREE_TIMES_DAILY: (dt.time(8), dt.time(14), dt.time(20)),
    Frequency.FOUR_TIMES_DAILY: (dt.time(8), dt.time(12), dt.time(16), dt.time(20)),
    Frequency.AT_BEDTIME: (dt.time(21),),
    Frequency.AS_NEEDED: (),
}


def doses_per_day(frequency) -> int:
    return len(TIMES[frequency])


def shortest_gap(frequency) -> dt.timedelta | None:
    """The shortest time between two scheduled doses (across midnight too), or None."""
    times = TIMES[frequency]
    if len(times) < 2:
        return None
    minutes = [t.hour * 60 + t.minute for t in times]
    gaps = [b - a for a, b in zip(minutes, minutes[1:], strict=False)]
    gaps.append(minutes[0] + 24 * 60 - minutes[-1])
    return dt.timedelta(minutes=min(gaps))


@dataclass(frozen=True)
class Shift:
    key: str
    name: str
    start: dt.time
    hours: int


SHIFTS = (
    Shift("day", "Day shift", dt.time(7), 8),
    Shift("evening", "Evening shift", dt.time(15), 8),
    Shift("night", "Night shift", dt.time(23), 8),
)
SHIFT_BY_KEY = {s.key: s for s in SHIFTS}


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def shift_bounds(day: dt.date, shift: Shift) -> tuple[dt.datetime, dt.datetime]:
    """A shift's start and end on the clock on the wall (so its hours follow daylight saving)."""
    start = dt.datetime.combine(day, shift.start)
    end = start + dt.timedelta(hours=shift.hours)
    return timezone.make_aware(start), timezone.make_aware(end)


def current_shift(now=None) -> tuple[dt.date, Shift]:
    """The shift running at `now`, and the day it started."""
    local = timezone.localtime(now or timezone.now())
    for day in (local.date(), local.date() - dt.timedelta(days=1)):
        for shift in SHIFTS:
            start, end = shift_bounds(day, shift)
            if start <= local < end:
                return day, shift
    raise AssertionError("the shifts cover the whole day")


def due_times(order, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The order's scheduled dose times in [start, end) while the order runs."""
    times = TIMES[order.frequency]
    if not times:
        return []
    first = timezone.localtime(start).date() - dt.timedelta(days=1)
    last = timezone.localtime(end).date()
    due = []
    day = first
    while day <= last:
        for time in times:
            moment = _at(day, time)
            if start <= moment < end and order.active_at(moment):
                due.append(moment)
        day += dt.timedelta(days=1)
    return due


def is_scheduled(order, moment: dt.datetime) -> bool:
    """Whether `moment` is one of the order's dose times."""
    local = timezone.localtime(moment)
    return (
        local.timetz().replace(tzinfo=None) in TIMES[order.frequency]
        and local.second == 0
        and local.microsecond == 0
        and order.active_at(moment)
    )
