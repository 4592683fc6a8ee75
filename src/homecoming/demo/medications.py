"""The demo center's medications, lived on the same simulated clock as the rest of its story.

On the first day the program director publishes a consent document for each medication protocol
(the trial drug Mnemosyne-7 under its ethics approval) and the medical lead adds the protocols to
the formulary. Over their stays, about half of the residents (the prescriber's caseload) sign
consent, are prescribed sertraline twice a day and/or trazodone at bedtime, and the nurse on the
round records each scheduled dose: mostly given, some refused, a held dose or two with the
reason, an occasional one missed. Three residents take part in the Mnemosyne-7 trial, having
signed its consent in person before a witness; every trial dose is witnessed. One resident's
history holds the two moments the medication rules exist for: a second dose inside the minimum
interval, stopped, and a dose inside the interval given with the prescriber's co-signature,
which alerts the program director and the oversight body.

Walter Cruz (the story's resident) consented in the portal and has two as-needed orders,
ibuprofen and melatonin, with older doses but none in the last day, so that a visitor (and the
browser tests) can give him a dose, see the next one stopped, and see a revoked consent stop it.

Administrations are kept modest in number (a course of weeks, not of every day of every stay)
so the 40-resident center still builds in seconds.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.consents import services as consents
from homecoming.consents.models import ConsentPurpose
from homecoming.medications import administering, formulary, orders, schedule
from homecoming.medications.administering import DoseStopped, Override, Witness
from homecoming.medications.models import Frequency

from . import allergies, safety
from .allergies import STOPPED_ORDER_DAYS
from .constants import DEMO_PASSWORD, SEED

# How long after the demo's "now" the trial's ethics approval runs.
TRIAL_APPROVAL = dt.timedelta(days=182)
TRIAL_REF = "IRB-2026-077"
# How many residents take part in the trial, and how many days before today they joined it
# (at most; at least three fewer).
TRIAL_PLACES = 3
TRIAL_JOINED_DAYS = 19
# Orders that run for a course and then end by themselves (sertraline runs on).
COURSE = {"trazodone": dt.timedelta(days=14), "mnemosyne": dt.timedelta(days=21)}
# The dose each protocol is ordered at, in the demo.
ORDERED = {
    "sertraline": ("50", "mg"),
    "trazodone": ("50", "mg"),
    "lorazepam": ("1", "mg"),
    "ibuprofen": ("400", "mg"),
    "melatonin": ("3", "mg"),
    "mnemosyne": ("250", "mcg"),
}
# What happens to a scheduled dose, by chance: the rest are given.
REFUSED, MISSED = 0.03, 0.015
HELD_REASONS = [
    "Very drowsy after the evening group and hard to rouse; held, and the prescriber told.",
    "Vomiting since the afternoon; held until the prescriber has seen them.",
]
REFUSAL_REASONS = [
    "Said it makes them feel flat today; will talk to the prescriber.",
    "",
    "Did not want it tonight.",
]

MEDICATION_BODY = (
    "I agree to take {drug} as my prescriber orders it. The prescriber has told me what it is "
    "for, its usual effects and side effects, and what to do if I feel unwell. I can refuse any "
    "dose, and I can withdraw this consent at any time: no dose is given after I withdraw."
)
# code, purpose, title, body (the trial's carries its ethics approval).
CONSENT_DOCUMENTS = [
    (
        f"medication-{drug.lower()}",
        ConsentPurpose.MEDICATION,
        f"Taking {drug} ({use})",
        MEDICATION_BODY.format(drug=drug.lower()),
    )
    for drug, use in [
        ("Sertraline", "an antidepressant"),
        ("Trazodone", "for sleep"),
        ("Lorazepam", "for acute anxiety"),
        ("Ibuprofen", "for pain"),
        ("Melatonin", "for sleep"),
    ]
] + [
    (
        "trial-mnemosyne",
        ConsentPurpose.INVESTIGATIONAL,
        "Taking part in the Mnemosyne-7 trial (an investigational drug)",
        "Mnemosyne-7 is an experimental drug: it is not approved for any use. The trial studies "
        "whether it eases intrusive memories after deployment. Its effects on memory are not "
        "fully known. Every dose is given before a witness and written in my record, which I can "
        "read. Taking part is my choice; I can stop at any time, without giving a reason and "
        "without any effect on my stay or my benefits. This consent counts only while the "
        "ethics board's approval of the trial is in force.",
    ),
]


def _protocol(drug, form, strength, unit, single, daily, interval_hours, code, **flags):
    data = {
        "drug": drug,
        "form": form,
        "strength_amount": strength,
        "strength_unit": unit,
        "limit_unit": unit,
        "max_single_dose": single,
        "max_daily_dose": daily,
        "min_interval_minutes": str(interval_hours * 60),
        "consent_code": code,
        **flags,
    }
    if form == "oral_liquid":
        data["strength_per_ml"] = "1"
    return data


PROTOCOLS = {
    "sertraline": _protocol(
        "Sertraline", "tablet", "50", "mg", "100", "200", 6, "medication-sertraline"
    ),
    "trazodone": _protocol(
        "Trazodone", "tablet", "50", "mg", "100", "200", 8, "medication-trazodone"
    ),
    "lorazepam": _protocol(
        "Lorazepam", "oral_liquid", "2", "mg", "2", "4", 4, "medication-lorazepam", controlled=True
    ),
    "ibuprofen": _protocol(
        "Ibuprofen",
        "tablet",
        "200",
        "mg",
        "800",
        "2400",
        6,
        "medication-ibuprofen",
        drug_class="NSAID",
    ),
    "melatonin": _protocol("Melatonin", "tablet", "3", "mg", "6", "6", 6, "medication-melatonin"),
    "mnemosyne": _protocol(
        "Mnemosyne-7",
        "capsule",
        "250",
        "mcg",
        "500",
        "1000",
        8,
        "trial-mnemosyne",
        investigational=True,
    ),
}


@dataclass
class Pharmacy:
    """What the residents' medication stories share: the formulary and its consent documents,
    who prescribes and who gives, and the story's one-off moments still to be placed."""

    documents: dict
    protocols: dict
    prescriber: object
    nurse: object
    trial_places: int = TRIAL_PLACES
    incidents_placed: bool = False
    held_left: list = field(default_factory=lambda: list(HELD_REASONS))
    discontinued_one: bool = False
    # The resident whose ibuprofen order an NSAID allergy stops (allergies.py), once chosen.
    allergy_stop_for: int | None = None

    def choose_allergy_stop(self, index, resident, admitted_on, until) -> bool:
        """Whether this resident is the one (the first fit, in the order they arrive)."""
        days_in = (timezone.localdate(until) - admitted_on).days
        if self.allergy_stop_for is not None or index == 0 or days_in not in STOPPED_ORDER_DAYS:
            return False
        if not resident.care_team.filter(user=self.prescriber, ended_at__isnull=True).exists():
            return False
        self.allergy_stop_for = resident.pk
        return True


def open_pharmacy(director, prescriber, nurse, until: dt.datetime) -> Pharmacy:
    """The consent documents and the formulary, on the center's first day."""
    expires = timezone.localdate(until) + TRIAL_APPROVAL
    documents = {}
    for code, purpose, title, body in CONSENT_DOCUMENTS:
        approval = (
            {"ethics_approval_ref": TRIAL_REF, "ethics_approval_expires": expires}
            if purpose == ConsentPurpose.INVESTIGATIONAL
            else {}
        )
        documents[code] = consents.publish(
            director, purpose=purpose, code=code, title=title, body=body, **approval
        )
    protocols = {key: formulary.add_protocol(prescriber, data) for key, data in PROTOCOLS.items()}
    return Pharmacy(documents=documents, protocols=protocols, prescriber=prescriber, nurse=nurse)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def merge(*stories):
    """Several stories of one resident as one, each step at its moment (see clock.live)."""
    pending = []
    for story in stories:
        moment = next(story, None)
        if moment is not None:
            pending.append([moment, story])
    while pending:
        pending.sort(key=lambda p: p[0])
        step = pending[0]
        yield step[0]
        moment = next(step[1], None)
        if moment is None:
            pending.pop(0)
        else:
            step[0] = moment


def resident_story(pharmacy: Pharmacy, index, resident, admitted_on, caseworker, until):
    """One resident's medications, as a generator of moments (see clock.live). Only the
    prescriber's caseload (every other resident) is on medication."""
    on_caseload = resident.care_team.filter(
        user=pharmacy.prescriber, ended_at__isnull=True
    ).exists()
    days_in = (timezone.localdate(until) - admitted_on).days
    if not on_caseload or days_in < 3:
        return

    today = timezone.localdate(until)

    def day(n):
        return admitted_on + dt.timedelta(days=n)

    def lately(n, days_ago):
        """Day `n` of the stay, or `days_ago` before today if that is later: on a long stay the
        medication began after weeks of sessions (which also keeps the doses to chart few)."""
        return max(day(n), today - dt.timedelta(days=days_ago))

    if index == 0:
        yield from _walters(pharmacy, resident, day, until)
        return
    rng = random.Random(SEED * 1000 + index)
    stories = []
    if rng.random() < 0.8:
        starts_on = lately(rng.randint(1, 3), rng.randint(7, 14))
        stories.append(_course(pharmacy, "sertraline", resident, starts_on, caseworker, rng, until))
    if rng.random() < 0.5 or not stories:
        starts_on = day(rng.randint(2, 6))
        stories.append(_course(pharmacy, "trazodone", resident, starts_on, caseworker, rng, until))
    if pharmacy.allergy_stop_for == resident.pk:
        # An NSAID allergy: no ibuprofen for this one, and the order that tries is stopped.
        stories.append(allergies.stopped_order_story(pharmacy, resident, day, caseworker, _consent))
    elif pharmacy.trial_places and days_in >= TRIAL_JOINED_DAYS + 2 and index % 4 == 2:
        pharmacy.trial_places -= 1
        # Far enough back that every report of safety.TRIAL_REPORTS (the last on day 15) has
        # been made by the end of the history, whatever the date: the signal must not hang on
        # the calendar.
        starts_on = lately(4, rng.randint(TRIAL_JOINED_DAYS - 3, TRIAL_JOINED_DAYS))
        withdraws = pharmacy.trial_places == 0
        stories.append(_trial(pharmacy, resident, starts_on, caseworker, rng, until, withdraws))
    elif not pharmacy.incidents_placed and days_in >= 8:
        pharmacy.incidents_placed = True
        stories.append(_incidents(pharmacy, resident, day, caseworker))
    elif rng.random() < 0.3:
        stories.append(_as_needed(pharmacy, "ibuprofen", resident, day(2), caseworker, rng, until))
    stories.append(safety.background_reports(index, caseworker, resident, admitted_on, until))
    yield from merge(*stories)


def _consent(pharmacy, key, resident, recorded_by, witness=None):
    """Consent to a protocol: in the portal (the resident records it), or in person before a
    witness who is not the recorder (the nurse, unless another is named), who signs with their
    own password."""
    document = pharmacy.documents[pharmacy.protocols[key].consent_code]
    if recorded_by.role == Role.RESIDENT:
        return consents.sign(recorded_by, resident, document)
    witness = witness or pharmacy.nurse
    return consents.sign(
        recorded_by, resident, document, witness=witness, witness_secret=DEMO_PASSWORD
    )


def _prescribe(pharmacy, key, resident, frequency, instructions, ends_at=None):
    dose, unit = ORDERED[key]
    return orders.prescribe(
        pharmacy.prescriber,
        resident,
        orders.Prescription(
            protocol=pharmacy.protocols[key],
            dose_amount=dose,
            dose_unit=unit,
            route="oral",
            frequency=frequency,
            ends_at=ends_at,
            instructions=instructions,
        ),
    )


def _give(pharmacy, order, **fields):
    """The nurse gives the ordered dose (as written on the order, unless said otherwise)."""
    fields.setdefault("dose_amount", order.dose_amount)
    fields.setdefault("dose_unit", order.dose_unit)
    return administering.give(pharmacy.nurse, order, **fields)


def _scheduled_doses(pharmacy, order, rng, until, witness=None, stop_at=None):
    """Every scheduled dose of the order from its start until it ends (or `stop_at`, or now),
    recorded by the nurse a little after it falls due."""
    for due in schedule.due_times(order, order.starts_at, min(until, stop_at or until)):
        draw = rng.random()
        if draw < REFUSED:
            yield due + dt.timedelta(minutes=rng.randint(0, 20))
            administering.not_given(
                pharmacy.nurse,
                order,
                status="refused",
                scheduled_for=due,
                reason=rng.choice(REFUSAL_REASONS),
            )
        elif draw < REFUSED + MISSED:
            # Noticed at the next handover, and charted as missed.
            yield due + dt.timedelta(hours=2, minutes=rng.randint(0, 30))
            administering.not_given(pharmacy.nurse, order, status="missed", scheduled_for=due)
        elif pharmacy.held_left and order.frequency == Frequency.AT_BEDTIME and draw > 0.93:
            # Taken before the yield: other residents' stories run while this one waits, and
            # one of them could take the last reason in between.
            reason = pharmacy.held_left.pop(0)
            yield due + dt.timedelta(minutes=rng.randint(0, 10))
            administering.not_given(
                pharmacy.nurse, order, status="held", scheduled_for=due, reason=reason
            )
        else:
            yield due + dt.timedelta(minutes=rng.randint(0, 25))
            _give(pharmacy, order, scheduled_for=due, witness=witness)


def _course(pharmacy, key, resident, starts_on, caseworker, rng, until):
    """Consent, an order, and its scheduled doses. Sertraline runs on; trazodone is a course of
    two weeks (the order ends by itself), and one trazodone order in the center is stopped
    early, at the resident's wish."""
    yield _at(starts_on, 13, rng.randint(0, 29))
    _consent(pharmacy, key, resident, caseworker)
    yield _at(starts_on, 14, rng.randint(0, 29))
    if key == "sertraline":
        order = _prescribe(
            pharmacy,
            key,
            resident,
            Frequency.TWICE_DAILY,
            "With food. Review the dose with the resident every four weeks.",
        )
    else:
        order = _prescribe(
            pharmacy,
            key,
            resident,
            Frequency.AT_BEDTIME,
            "For sleep, for two weeks; then review.",
            ends_at=timezone.now() + COURSE[key],
        )
    stop_early = key == "trazodone" and not pharmacy.discontinued_one and rng.random() < 0.5
    if not stop_early:
        yield from _scheduled_doses(pharmacy, order, rng, until)
        return
    pharmacy.discontinued_one = True
    stopped = order.starts_at + dt.timedelta(days=6, hours=20)
    yield from _scheduled_doses(pharmacy, order, rng, until, stop_at=stopped)
    if stopped <= until:
        yield stopped
        orders.discontinue(
            pharmacy.prescriber,
            order,
            "Sleeping through the night without it; stopped at the resident's request.",
        )


def _trial(pharmacy, resident, starts_on, caseworker, rng, until, withdraws):
    """Mnemosyne-7 for three weeks: consent signed in person, recorded by the prescriber before
    the caseworker as witness (never the prescriber), and every dose witnessed by the caseworker
    (neither the nurse who gives it nor the prescriber); the oversight body is told of the order
    and of every dose. The last resident to join withdraws
    after a week; the order is stopped within the hour."""
    yield _at(starts_on, 11, rng.randint(0, 29))
    _consent(pharmacy, "mnemosyne", resident, pharmacy.prescriber, witness=caseworker)
    yield _at(starts_on, 12, rng.randint(0, 29))
    order = _prescribe(
        pharmacy,
        "mnemosyne",
        resident,
        Frequency.TWICE_DAILY,
        f"Trial protocol {TRIAL_REF}. Witnessed doses only; report any memory complaint.",
        ends_at=timezone.now() + COURSE["mnemosyne"],
    )
    witness = Witness(caseworker, DEMO_PASSWORD)
    withdrawn = order.starts_at + dt.timedelta(days=7, hours=-2) if withdraws else None
    yield from merge(
        _scheduled_doses(pharmacy, order, rng, until, witness=witness, stop_at=withdrawn),
        safety.trial_reports(caseworker, resident, order, until, withdraws),
    )
    if withdrawn is None or withdrawn > until:
        return
    yield withdrawn
    consent = consents.active_consent(
        resident, ConsentPurpose.INVESTIGATIONAL, code=order.protocol.consent_code
    )
    consents.revoke(
        caseworker,
        consent,
        f"{resident.display_name} told me in our session that they want to stop the trial.",
    )
    yield withdrawn + dt.timedelta(hours=1)
    orders.discontinue(pharmacy.prescriber, order, "Consent to the trial withdrawn.")


def _as_needed(pharmacy, key, resident, starts_on, caseworker, rng, until):
    """An as-needed order and a few doses asked for over the following days."""
    yield _at(starts_on, 15, rng.randint(0, 29))
    _consent(pharmacy, key, resident, caseworker)
    yield _at(starts_on, 15, 45)
    order = _prescribe(pharmacy, key, resident, Frequency.AS_NEEDED, "For pain; with food.")
    for n in sorted(rng.sample(range(1, 12), 3)):
        moment = _at(starts_on + dt.timedelta(days=n), rng.choice([10, 14, 19]), rng.randint(0, 59))
        if moment > until:
            return
        yield moment
        _give(pharmacy, order)


def _incidents(pharmacy, resident, day, caseworker):
    """The two moments the interval rule is for. Ibuprofen given, and a second dose asked for
    two and a half hours later: stopped. Lorazepam for a panic attack, witnessed; a second
    attack inside the four hours: given early with the prescriber's co-signature and reason."""
    yield _at(day(2), 15, 10)
    _consent(pharmacy, "ibuprofen", resident, caseworker)
    _consent(pharmacy, "lorazepam", resident, caseworker)
    yield _at(day(2), 15, 40)
    ibuprofen = _prescribe(
        pharmacy,
        "ibuprofen",
        resident,
        Frequency.AS_NEEDED,
        "For the knee pain; with food. No more often than every six hours.",
    )
    lorazepam = _prescribe(
        pharmacy,
        "lorazepam",
        resident,
        Frequency.AS_NEEDED,
        "For a panic attack that grounding does not settle: 0.5 mL of the 2 mg/mL liquid.",
    )
    yield _at(day(4), 10, 5)
    _give(pharmacy, ibuprofen)
    yield _at(day(4), 12, 35)
    try:
        _give(pharmacy, ibuprofen)
    except DoseStopped as stopped:  # kept, and on the ledger: what this moment is for
        if not stopped.overridable:
            raise
    else:
        raise RuntimeError("The demo's second ibuprofen dose should have been stopped.")
    witness = Witness(caseworker, DEMO_PASSWORD)
    yield _at(day(6), 14, 20)
    _give(pharmacy, lorazepam, dose_amount="0.5", dose_unit="mL", witness=witness)
    yield _at(day(6), 16, 50)
    _give(
        pharmacy,
        lorazepam,
        dose_amount="0.5",
        dose_unit="mL",
        witness=witness,
        override=Override(
            pharmacy.prescriber,
            DEMO_PASSWORD,
            "A second panic attack, hyperventilating and not settling with grounding; "
            "the prescriber saw the resident and co-signs the early dose.",
        ),
    )


def _walters(pharmacy, resident, day, until):
    """Walter consents in the portal. Ibuprofen as needed from his first days (a back strain);
    melatonin as needed from day 21, once his caseworker's addendum has set the record straight
    (it is written at the latest on day 21 in the afternoon: see story._hold). His last dose of
    either is more than a day old: the next one is the visitor's to give."""
    walter = resident.user
    clear_of = until - dt.timedelta(hours=25)
    yield _at(day(2), 10, 30)
    _consent(pharmacy, "ibuprofen", resident, walter)
    yield _at(day(2), 11, 15)
    ibuprofen = _prescribe(
        pharmacy,
        "ibuprofen",
        resident,
        Frequency.AS_NEEDED,
        "For the back strain; with food. No more often than every six hours.",
    )
    for moment in (_at(day(4), 13, 10), _at(day(9), 19, 40), _at(day(15), 9, 15)):
        if moment <= clear_of:
            yield moment
            _give(pharmacy, ibuprofen)
    yield _at(day(21), 18, 0)
    _consent(pharmacy, "melatonin", resident, walter)
    yield _at(day(21), 18, 30)
    melatonin = _prescribe(
        pharmacy,
        "melatonin",
        resident,
        Frequency.AS_NEEDED,
        "At night if he cannot sleep; replaces the melatonin he was buying at the pharmacy.",
    )
    moment = _at(day(21), 22, 10)
    if moment <= clear_of:
        yield moment
        _give(pharmacy, melatonin)
