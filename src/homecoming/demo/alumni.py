"""The demo's former residents: the story's last act, lived on the same simulated clock.

Eight people left the center over the last year and a quarter, each at a different point of
their year of follow-up: Rosa Delgado's year is complete; Marcus Webb (transferred to other
care) and Aisha Karimi are met at each contact; Daniel Osei returned to duty, with a clinician's
fitness assessment, his own acknowledgement and the oversight body told; Dana Whitfield checked
in herself through the link she was e-mailed; Luis Ortega's day-7 call was not made, and the
supervisor was told; Kevin Brandt did not answer three calls in a row and is lost to
follow-up, the alert waiting for the program director and the oversight body; Jordan Baines left
against advice a week ago, their day-7 call due today. The follow-up timers run every simulated
morning, as the worker would have. Everything goes through the services.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from homecoming.alerts import services as alerts
from homecoming.alerts.models import Delivery
from homecoming.discharge import services as discharges
from homecoming.followup import checkin, timers
from homecoming.followup import services as follow_up
from homecoming.followup.models import AttemptOutcome, Contact, ContactStatus, Method
from homecoming.measures import services as measures
from homecoming.measures.models import Instrument
from homecoming.residents import services
from homecoming.residents.models import ServiceBranch

from .constants import DEMO_PASSWORD
from .story import _answers

# Each former resident: who, how long they stayed and how it ended, and what happened at each
# follow-up contact so far (by day: "reached", "check_in" answered, "check_in_unanswered",
# "failed" three times, or nothing: due, overdue or missed by the calendar alone).


@dataclass
class Alumnus:
    given_name: str
    family_name: str
    born: dt.date
    branch: str
    admitted_days_ago: int
    stayed_days: int
    disposition: str
    caseworker: str
    clinician: str
    contacts: dict = field(default_factory=dict)  # interval day -> what happened
    portal: str = ""  # a published portal log-in (former residents keep theirs)
    pcl5_start: int = 50


ALUMNI = [
    Alumnus(
        "Rosa",
        "Delgado",
        dt.date(1990, 5, 2),
        ServiceBranch.NAVY,
        460,
        60,
        "home",
        "caseworker2",
        "nurse",
        {7: "reached", 30: "reached", 90: "reached", 180: "reached", 365: "reached"},
    ),
    Alumnus(
        "Marcus",
        "Webb",
        dt.date(1986, 11, 19),
        ServiceBranch.MARINE_CORPS,
        250,
        50,
        "transfer",
        "caseworker2",
        "prescriber",
        {7: "reached", 30: "reached", 90: "reached", 180: "reached"},
    ),
    Alumnus(
        "Aisha",
        "Karimi",
        dt.date(1994, 2, 8),
        ServiceBranch.AIR_FORCE,
        150,
        50,
        "home",
        "heidi",
        "nurse",
        # The day-90 check-in link went out and was never answered: "Questionnaires overdue".
        {7: "reached", 30: "reached", 90: "check_in_unanswered"},
        portal="aisha",  # the link goes to her portal address
    ),
    Alumnus(
        "Kevin",
        "Brandt",
        dt.date(1992, 7, 30),
        ServiceBranch.ARMY,
        100,
        40,
        "home",
        "heidi",
        "prescriber",
        {7: "reached", 30: "failed"},
        pcl5_start=58,
    ),
    Alumnus(
        "Daniel",
        "Osei",
        dt.date(1995, 9, 12),
        ServiceBranch.ARMY,
        95,
        55,
        "return_to_duty",
        "caseworker2",
        "prescriber",
        {7: "reached", 30: "reached"},
        portal="daniel",
    ),
    Alumnus(
        "Dana",
        "Whitfield",
        dt.date(1989, 1, 25),
        ServiceBranch.NATIONAL_GUARD,
        70,
        58,
        "home",
        "heidi",
        "nurse",
        {7: "check_in"},
        portal="dana",
    ),
    Alumnus(
        "Luis",
        "Ortega",
        dt.date(1993, 4, 3),
        ServiceBranch.COAST_GUARD,
        50,
        37,
        "home",
        "heidi",
        "prescriber",
    ),
    Alumnus(
        "Jordan",
        "Baines",
        dt.date(1997, 8, 21),
        ServiceBranch.ARMY,
        30,
        23,
        "against_advice",
        "heidi",
        "nurse",
    ),
]

OPEN = (ContactStatus.DUE, ContactStatus.MISSED)
# The center's history reaches back this far: Rosa Delgado arrived 460 days ago.
HISTORY_DAYS = 470


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _intake(a: Alumnus) -> dict:
    return {
        "given_name": a.given_name,
        "family_name": a.family_name,
        "preferred_name": "",
        "pronouns": "",
        "date_of_birth": a.born,
        "service_branch": a.branch,
        "service_start": dt.date(a.born.year + 19, 9, 1),
        "service_end": None,
        "emergency_contact_name": f"Sam {a.family_name}",
        "emergency_contact_relationship": "partner",
        "emergency_contact_phone": "(555) 010-0199",
    }


PLANS = {
    "home": "Going home to family. Outpatient therapy booked with the local VA clinic (first "
    "appointment within two weeks); prescriptions handed over; the sleep routine continues.",
    "transfer": "Transferred to a residential PTSD program nearer family, which has this "
    "summary; the center calls at each follow-up to hear how it goes.",
    "return_to_duty": "Returns to his unit. The unit's medical officer has the fitness "
    "assessment; therapy continues weekly with the unit's behavioral health clinic.",
    "against_advice": "Left the center this morning against the team's advice, after a family "
    "argument on the phone. They have the crisis numbers; the team calls at each follow-up.",
}
CONTACTS = (
    "The center, day and night: (555) 010-0100. Your caseworker: (555) 010-0111. "
    "Veterans Crisis Line: dial 988 then press 1, or text 838255."
)
FITNESS = (
    "Fit for full duty. PCL-5 and PHQ-9 below their thresholds for four weeks; sleeping "
    "through most nights; no risk indicators. Review at 30 days by the unit clinician."
)


def _questionnaires(actor, resident, admitted_on, discharged_on, rng, pcl5_start):
    """Every two weeks of the stay: PCL-5, PHQ-9 and GAD-7, most of them heading down."""
    starts = {Instrument.PCL5: pcl5_start, Instrument.PHQ9: 16, Instrument.GAD7: 13}
    waves = list(range(0, (discharged_on - admitted_on).days, 14))
    for n, day in enumerate(waves):
        yield _at(admitted_on + dt.timedelta(days=day), 11)
        for instrument, start in starts.items():
            total = round(start * (1 - 0.45 * n / max(1, len(waves) - 1)) + rng.randint(-2, 2))
            measures.record(actor, resident, instrument, _answers(rng, instrument, total))


def _check_in_answers(rng):
    return checkin.Answers(
        pcl5=_answers(rng, Instrument.PCL5, 22),
        phq9=_answers(rng, Instrument.PHQ9, 6),
        phq9_difficulty=1,
        housing="stable",
        work="working",
        wants_call=False,
        comments="Started at the hardware store on Monday. Sleeping better most nights.",
    )


def alumnus_story(people, index, a: Alumnus, bed, until):
    """One former resident's stay, discharge and follow-up so far (see clock.live)."""
    today = timezone.localdate(until)
    rng = random.Random(7000 + index)
    admitted = today - dt.timedelta(days=a.admitted_days_ago)
    leaves = admitted + dt.timedelta(days=a.stayed_days)
    caseworker, clinician = people[a.caseworker], people[a.clinician]
    yield _at(admitted, 9, 40 + index)
    resident = services.admit(
        people["colin"],
        services.Admission(
            intake=_intake(a),
            admitted_on=admitted,
            expected_length_days=a.stayed_days,
            bed=bed,
            primary_caseworker=caseworker,
            clinician=clinician,
        ),
    )
    if a.portal:
        services.grant_portal_access(
            caseworker, resident, a.portal, DEMO_PASSWORD, must_change_password=False
        )
        resident.refresh_from_db()
        alerts.set_preferences(
            resident.user, delivery=Delivery.IMMEDIATE, email=f"{a.portal}@example.org"
        )
    yield from _questionnaires(caseworker, resident, admitted, leaves, rng, a.pcl5_start)
    stay = resident.stays.get()

    if a.disposition == "against_advice":
        yield _at(leaves, 7, 40)
        plan = discharges.record_against_advice(
            caseworker, stay, plan=PLANS["against_advice"], contacts=CONTACTS, planned_on=leaves
        )
        yield _at(leaves, 9, 5)
        discharges.sign(caseworker, plan, DEMO_PASSWORD)
        yield _at(leaves + dt.timedelta(days=1), 10, 15)
        discharges.sign(clinician, plan, DEMO_PASSWORD)
    else:
        yield _at(leaves - dt.timedelta(days=4), 14)
        plan = discharges.write_plan(
            caseworker,
            stay,
            disposition=a.disposition,
            planned_on=leaves,
            plan=PLANS[a.disposition],
            contacts=CONTACTS,
        )
        yield _at(leaves - dt.timedelta(days=4), 15)
        discharges.sign(caseworker, plan, DEMO_PASSWORD)
        yield _at(leaves - dt.timedelta(days=3), 10)
        discharges.sign(clinician, plan, DEMO_PASSWORD)
        if a.disposition == "return_to_duty":
            yield _at(leaves - dt.timedelta(days=3), 11)
            discharges.assess_fitness(clinician, plan, FITNESS)
            yield _at(leaves - dt.timedelta(days=2), 18, 30)
            discharges.acknowledge(resident.user, plan, DEMO_PASSWORD)
        yield _at(leaves, 10)
        discharges.carry_out(caseworker, plan)

    for day, what in sorted(a.contacts.items()):
        due = leaves + dt.timedelta(days=day)
        contact = Contact.objects.get(discharge=plan, interval_days=day)
        if what == "check_in":
            yield _at(due - dt.timedelta(days=1), 9, 15)
            sent = checkin.send_link(caseworker, contact)
            yield _at(due, 19, 20)
            checkin.submit(sent.url.rstrip("/").rsplit("/", 1)[-1], _check_in_answers(rng))
        elif what == "check_in_unanswered":
            yield _at(due - dt.timedelta(days=1), 9, 15)
            checkin.send_link(caseworker, contact)
        elif what == "reached":
            yield _at(due, 11, 10)
            follow_up.record_attempt(
                caseworker,
                contact,
                method=Method.PHONE,
                outcome=AttemptOutcome.REACHED,
                notes="Doing well; keeps the outpatient appointments. No concerns raised.",
            )
        elif what == "failed":
            for after, outcome in ((0, "no_answer"), (2, "left_message"), (4, "no_answer")):
                yield _at(due + dt.timedelta(days=after), 16, 30)
                if Contact.objects.get(pk=contact.pk).status in OPEN:
                    follow_up.record_attempt(
                        caseworker, contact, method=Method.PHONE, outcome=outcome
                    )


def timers_story(opened: dt.datetime, until: dt.datetime):
    """The worker's follow-up job, each simulated morning (the demo has no worker running)."""
    day = timezone.localdate(opened) + dt.timedelta(days=1)
    while True:
        yield _at(day, 6)
        timers.run(day)
        day += dt.timedelta(days=1)


def plan_awaiting_signature(people, until):
    """A resident in residence whose discharge plan waits for the clinician's signature."""
    today = timezone.localdate(until)
    yield _at(today - dt.timedelta(days=1), 14, 30)
    from homecoming.residents.models import Stay

    stay = (
        Stay.objects.filter(status="in_residence")
        .exclude(resident__family_name="Cruz")
        .order_by("admitted_on", "id")
        .first()
    )
    if stay is None:  # a center of Walter alone
        return
    caseworker = stay.resident.care_team.get(
        team_role="primary_caseworker", ended_at__isnull=True
    ).user
    plan = discharges.write_plan(
        caseworker,
        stay,
        disposition="home",
        planned_on=today,  # the visitor can carry it out once the clinician has signed
        plan=PLANS["home"],
        contacts=CONTACTS,
    )
    yield _at(today - dt.timedelta(days=1), 14, 45)
    discharges.sign(caseworker, plan, DEMO_PASSWORD)
