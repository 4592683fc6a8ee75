"""The demo center's adverse event reports, on the simulated clock.

Residents on the trial drug Mnemosyne-7 lose time: their caseworkers report memory impairment
and amnesia, mostly suspecting the trial drug (one report ticks nothing, and counts against it
by the doses the record shows), while residents on the usual medicines report the usual
side effects (headache, nausea, a dry mouth, poor sleep). Signal detection runs after each
report, as the worker does, so the Mnemosyne-7 signal is raised on the day the pattern became
clear, and the medical lead's review, the program director and the oversight body are alerted
then.
"""

import datetime as dt
import random

from django.utils import timezone

from homecoming.safety import services as safety
from homecoming.safety import signals

from .constants import SEED

TRIAL_REPORTS = [
    (
        6,
        "memory-impairment",
        "Could not recall this morning's group at all, nor who led it; upset by the gap.",
    ),
    (
        11,
        "memory-impairment",
        "Asked twice in our session what we agreed last week; no memory of that conversation.",
    ),
    (15, "amnesia", "No memory of the weekend visit from family; the visitor log shows it."),
]
UNTICKED_DAY = 11
WITHDRAWN_REPORT = (
    5,
    "amnesia",
    "Lost most of Saturday: does not remember the outing or the call home. Wants to stop.",
)
BACKGROUND = [
    ("headache", "Dull headache most afternoons since the dose went up."),
    ("nausea", "Queasy for an hour after the morning dose; better with food."),
    ("dry-mouth", "Dry mouth, drinking a lot of water; no other complaint."),
    ("insomnia", "Lying awake until three; tired in the morning group."),
    ("nightmares", "Vivid dreams, not the usual deployment nightmares, since starting it."),
    ("dizziness", "Light-headed on standing up quickly; no fall."),
]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def report(actor, resident, term, description, orders, seriousness="not_serious"):
    """A report as a caseworker makes it, and the scan the worker runs after it."""
    safety.report(
        actor,
        resident,
        safety.Report(
            term=term,
            onset=timezone.localdate(),
            seriousness=seriousness,
            outcome="not_recovered" if term in ("memory-impairment", "amnesia") else "recovering",
            description=description,
            suspect_order_ids=[o.pk for o in orders],
        ),
    )
    signals.scan("report")


def trial_reports(caseworker, resident, order, until, withdraws):
    """The trial resident's lost time, as their caseworker reports it (generator of moments)."""
    started = timezone.localdate(order.starts_at)
    plan = [WITHDRAWN_REPORT] if withdraws else TRIAL_REPORTS
    for days, term, words in plan:
        moment = _at(started + dt.timedelta(days=days), 17, 40)
        if moment > until:
            return
        yield moment
        seriousness = "medically_important" if term == "amnesia" else "not_serious"
        # The second report ticks no medicine (the caseworker did not connect it to the trial):
        # it counts against Mnemosyne-7 all the same, from the doses in the medication record.
        suspects = [] if days == UNTICKED_DAY else [order]
        report(caseworker, resident, term, words, suspects, seriousness)


def background_reports(index, caseworker, resident, admitted_on, until):
    """One or two everyday side effects for most residents on medication, some weeks in."""
    rng = random.Random(SEED * 7000 + index)
    if rng.random() > 0.7:
        return
    today = timezone.localdate(until)
    for n in sorted(rng.sample(range(6, 40), rng.choice([1, 2]))):
        day = max(admitted_on + dt.timedelta(days=n), today - dt.timedelta(days=rng.randint(1, 20)))
        moment = _at(day, rng.choice([11, 15, 19]), rng.randint(0, 59))
        if moment > until:
            return
        yield moment
        given = [o for o in safety.suspectable_orders(resident) if not o.protocol.investigational]
        if not given:
            continue
        term, words = rng.choice(BACKGROUND)
        report(caseworker, resident, term, words, [rng.choice(given)])
