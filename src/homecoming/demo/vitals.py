"""The demo center's vital signs, taken on the same simulated clock as the rest.

The residents on the prescriber's caseload have their vital signs taken by the prescriber on
their first morning and then every few days, each around a baseline of their own (a
random.Random of its own per resident: the same demo every time, whatever the wall clock).
Walter Cruz (index 0) runs a fever on his third day: 38.4 °C, pain 7, both flagged beside the
value on his vitals page (not critical, so no alert).
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.vitals import services
from homecoming.vitals.services import Reading

# Days between two sets, at most: a stay's trend, not a hospital's chart.
EVERY_DAYS = (3, 6)
WALTER_FEVER = Reading(
    systolic=134,
    diastolic=86,
    pulse=104,
    temperature="38.4",
    respiratory_rate=20,
    spo2=96,
    pain=7,
    note="Headache and chills since the night; fluids, and the prescriber told.",
)


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _reading(base: dict, rng) -> Reading:
    def near(field, spread):
        return base[field] + rng.randint(-spread, spread)

    systolic = near("systolic", 8)
    return Reading(
        systolic=systolic,
        diastolic=min(near("diastolic", 6), systolic - 30),
        pulse=near("pulse", 8),
        temperature=str(Decimal(base["temperature"] + rng.randint(-3, 3)) / 10),
        respiratory_rate=near("respiratory_rate", 2),
        spo2=min(100, near("spo2", 1)),
        weight=str(Decimal(base["weight"] * 10 + rng.randint(-8, 8)) / 10),
        pain=max(0, min(10, near("pain", 1))),
    )


def vitals_story(index, resident, admitted_on, nurse, on_caseload, rng, until):
    """Vital signs of one resident over their stay (a generator of moments, as clock.live runs
    them). `nurse` takes them; `on_caseload`: whether the resident is on the nurse's caseload
    (only they have vital signs in the demo)."""
    if not on_caseload:
        return
    base = {
        "systolic": rng.randint(112, 132),
        "diastolic": rng.randint(70, 82),
        "pulse": rng.randint(60, 82),
        "temperature": rng.randint(364, 370),  # tenths of a degree
        "respiratory_rate": rng.randint(12, 17),
        "spo2": rng.randint(96, 99),
        "weight": rng.randint(62, 98),
        "pain": rng.randint(0, 2),
    }
    day = admitted_on
    first = True
    while True:
        # On the first day after the admission (at 9:00) and the allergy question (10:30).
        moment = _at(day, 11 if first else 8, rng.randint(0, 50))
        if moment >= until:
            return
        yield moment
        # A resident discharged meanwhile is no longer seen on the round: no set taken.
        if not policy.decide(nurse, Action.RECORD_VITALS, resident).allowed:
            return
        reading = _reading(base, rng)
        if not first:
            reading.weight = None  # weighed on admission, then weekly at most
        services.record(nurse, resident, reading)
        if index == 0 and first:
            fever = _at(admitted_on + dt.timedelta(days=2), 21, 40)
            if fever < until:
                yield fever
                services.record(nurse, resident, WALTER_FEVER)
        first = False
        day += dt.timedelta(days=rng.randint(*EVERY_DAYS))
