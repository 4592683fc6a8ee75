"""The demo center's allergies, asked at intake on the same simulated clock as the rest.

Most residents are asked on their first morning: about half have no known allergies (said
explicitly), a quarter have one (a food, latex, penicillin or codeine: none of them in the
formulary, so no one's medication story meets it by chance), and the rest have not been asked
yet, which the chart shows in red. Walter Cruz is allergic to penicillin, confirmed by the
prescriber.

One resident on the prescriber's caseload has asthma set off by NSAIDs: the caseworker records
it at intake, the prescriber confirms it, and when a headache has the prescriber order ibuprofen
a few days later, the order is stopped (the refusal is on the ledger and the medical lead is
alerted). That resident's medication story is this one (medications.resident_story).
"""

import datetime as dt

from django.utils import timezone

from homecoming.medications import allergies, orders
from homecoming.medications.allergies import AllergyEntry
from homecoming.medications.ingredient_limits import OrderStopped
from homecoming.medications.models import Frequency

# The resident whose ibuprofen order is stopped is the first admitted on the prescriber's
# caseload (Walter aside) who has been in residence this many days: long enough for the story
# below, recent enough for the stopped order to be on their medication record's two weeks.
STOPPED_ORDER_DAYS = range(5, 13)
# Not in the formulary: a chance allergy never stops a demo order.
SUBSTANCES = [
    AllergyEntry("Penicillin", reaction="itchy rash over the chest", severity="moderate"),
    AllergyEntry("Peanuts", reaction="throat swelling (anaphylaxis)", severity="severe"),
    AllergyEntry("Latex", reaction="contact dermatitis on the hands", severity="mild"),
    AllergyEntry(
        "Codeine", kind="intolerance", reaction="vomiting and dizziness", severity="moderate"
    ),
    AllergyEntry("Shellfish", reaction="hives", severity="moderate"),
]
WALTER = AllergyEntry("Penicillin", reaction="rash and swollen lips in 2015", severity="moderate")
NSAID = AllergyEntry(
    "NSAID",
    reaction="wheezing and a tight chest (an asthma attack) after ibuprofen in 2019",
    severity="severe",
)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def intake_story(index, resident, admitted_on, caseworker, prescriber, rng, until):
    """What the caseworker asks about allergies on the resident's first morning (a generator of
    moments, as clock.live runs them)."""
    moment = _at(admitted_on, 10, 30)
    if moment >= until:
        return
    if index == 0:
        yield moment
        allergy = allergies.record(caseworker, resident, WALTER)
        yield _at(admitted_on + dt.timedelta(days=1), 9, 15)
        allergies.verify(prescriber, allergy)
        return
    chance = rng.random()
    if chance < 0.2:
        return  # not asked yet: the chart says so in red
    yield moment
    if chance < 0.75:
        allergies.record_none(caseworker, resident)
    else:
        allergies.record(caseworker, resident, SUBSTANCES[index % len(SUBSTANCES)])


def stopped_order_story(pharmacy, resident, day, caseworker, consent):
    """The NSAID allergy, recorded and confirmed; the ibuprofen order for a headache, stopped."""
    yield _at(day(0), 10, 30)
    allergy = allergies.record(caseworker, resident, NSAID)
    yield _at(day(1), 9, 20)
    allergies.verify(pharmacy.prescriber, allergy)
    yield _at(day(3), 15, 5)
    consent(pharmacy, "ibuprofen", resident, caseworker)
    yield _at(day(3), 15, 20)
    prescription = orders.Prescription(
        protocol=pharmacy.protocols["ibuprofen"],
        dose_amount="400",
        dose_unit="mg",
        route="oral",
        frequency=Frequency.AS_NEEDED,
        instructions="For the headache; with food.",
    )
    try:
        orders.prescribe(pharmacy.prescriber, resident, prescription)
    except OrderStopped:  # on the ledger and told to the medical lead: what this is for
        return
    raise RuntimeError("The demo's ibuprofen order for an NSAID allergy should have stopped.")
