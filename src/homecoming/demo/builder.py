"""The demo center: the story behind the product, plus synthetic residents at any scale.

The center is Homecoming, run by the contractor Geist Group for a government sponsor. Heidi Bergman
is the caseworker, Walter Cruz a resident, Colin Belfast the supervisor, Thomas Carrasco the
sponsor's inspector. Everyone else comes from Faker with a fixed seed, so every build is the same
center. Everything is written through the services, so the demo's ledger is a real one.
"""

import datetime as dt
import hashlib
import math
import os
import random
import shutil
import sys

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tqdm import tqdm

from homecoming.accounts import services as account_services
from homecoming.accounts.models import Role, User
from homecoming.residents import services, setup
from homecoming.residents.models import Bed, Center, Resident, ServiceBranch

from . import allergies, alumni, clock, medications, messages, oversight, photos, story, vitals
from .constants import DEFAULT_RESIDENTS, DEMO_DEVICE_NAME, DEMO_PASSWORD, MAX_RESIDENTS, SEED

__all__ = [
    "DEFAULT_RESIDENTS",
    "MAX_RESIDENTS",
    "AlreadyBuilt",
    "DemoUnavailable",
    "build",
    "current_code",
    "existing_summary",
]

# username, full name, role, extra flags. The first four are the story's people.
STAFF = [
    ("heidi", "Heidi Bergman", Role.CASEWORKER, {}),
    ("colin", "Colin Belfast", Role.SUPERVISOR, {}),
    ("carrasco", "Thomas Carrasco", Role.OVERSIGHT, {}),
    ("director", None, Role.PROGRAM_DIRECTOR, {}),
    ("caseworker2", None, Role.CASEWORKER, {}),
    ("caseworker3", None, Role.CASEWORKER, {"is_trainee": True}),
    ("nurse", None, Role.CLINICIAN, {}),
    ("prescriber", None, Role.CLINICIAN, {"is_prescriber": True, "is_medical_lead": True}),
    ("geist", None, Role.CONTRACTOR, {}),
    ("investigator", None, Role.INVESTIGATOR, {}),
    ("sysadmin", None, Role.SYSADMIN, {}),
]
# How far back the demo center's history starts: the residents in residence arrived within the
# last 80 days; the former residents (alumni.py) over the last 460, a year of follow-up and more.
HISTORY_DAYS = alumni.HISTORY_DAYS
WINGS = ["North", "South", "East", "West"]
BEDS_PER_ROOM = 2
DEPLOYMENT_PLACES = [
    "Camp Lemonnier, Djibouti",
    "Al Asad Air Base, Iraq",
    "Bagram Airfield, Afghanistan",
    "Camp Arifjan, Kuwait",
    "USS Bataan, Red Sea",
    "Erbil, Iraq",
    "Rukla, Lithuania",
    "Al Udeid Air Base, Qatar",
    "Camp Buehring, Kuwait",
    "Mihail Kogalniceanu, Romania",
]


NICKNAMES = {
    "Michael": "Mike",
    "William": "Will",
    "Robert": "Rob",
    "Elizabeth": "Liz",
    "Jennifer": "Jen",
    "Christopher": "Chris",
    "Katherine": "Kate",
    "Joseph": "Joe",
    "Daniel": "Dan",
    "Matthew": "Matt",
    "Jessica": "Jess",
    "Anthony": "Tony",
    "Alexander": "Alex",
    "Rebecca": "Becca",
    "Nicholas": "Nick",
    "Samantha": "Sam",
    "Benjamin": "Ben",
    "Jonathan": "Jon",
    "Patricia": "Trish",
    "Timothy": "Tim",
    "Kimberly": "Kim",
}


class DemoUnavailable(Exception):
    pass


class AlreadyBuilt(Exception):
    pass


def _demo_key(username: str) -> str:
    """A fixed TOTP key per demo account, so a visitor can compute codes without a phone."""
    return hashlib.sha256(f"homecoming-demo:{username}".encode()).hexdigest()[:40]


def current_code(username: str) -> str:
    device = TOTPDevice.objects.filter(
        user__username=username, name=DEMO_DEVICE_NAME, confirmed=True
    ).first()
    if device is None:
        raise LookupError(f"{username!r} is not a demo account with a demo authenticator.")
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):0{device.digits}d}"


def _staff(fake):
    people = {}
    for username, name, role, flags in STAFF:
        user = account_services.create_user(
            None,
            username=username,
            full_name=name or fake.name(),
            role=role,
            password=DEMO_PASSWORD,
            email=f"{username}@center.example",  # alerts go to var/outbox/ (file backend)
            check_policy=False,
            must_change_password=False,  # the demo's passwords are published on purpose
            **flags,
        )
        TOTPDevice.objects.create(
            user=user, name=DEMO_DEVICE_NAME, key=_demo_key(username), confirmed=True
        )
        people[username] = user
    return people


def _rooms(bed_count: int) -> list[Bed]:
    rooms = math.ceil(bed_count / BEDS_PER_ROOM)
    beds = []
    for i in range(rooms):
        wing = WINGS[i % len(WINGS)]
        room = setup.add_room(
            None,
            f"{wing[0]}{101 + i // len(WINGS)}",
            wing,
            "AB"[:BEDS_PER_ROOM],
            check_policy=False,
        )
        beds += list(room.beds.order_by("label"))
    return beds


def _synthetic_intake(fake, rng, today) -> tuple[dict, list[dict]]:
    # Drawn from our own `today` and seeded generator, not Faker's date_of_birth: that one reads
    # the machine's date (UTC, not the center's) and so would change with the hour of the build.
    born = today - dt.timedelta(days=rng.randint(22 * 365 + 10, 52 * 365))
    age = (today - born).days // 365
    start = born + dt.timedelta(days=365 * rng.randint(18, min(24, age - 3)) + rng.randint(0, 300))
    end = (
        None
        if rng.random() < 0.4
        else min(today, start + dt.timedelta(days=365 * rng.randint(4, 20)))
    )
    pronouns = rng.choice(["he/him", "he/him", "she/her", "she/her", "they/them", ""])
    given = {"he/him": fake.first_name_male, "she/her": fake.first_name_female}.get(
        pronouns, fake.first_name
    )()
    intake = {
        "given_name": given,
        "family_name": fake.last_name(),
        "preferred_name": NICKNAMES.get(given, "") if rng.random() < 0.5 else "",
        "pronouns": pronouns,
        "date_of_birth": born,
        "service_branch": rng.choice(ServiceBranch.values),
        "service_start": start,
        "service_end": end,
        "emergency_contact_name": fake.name(),
        "emergency_contact_relationship": rng.choice(["spouse", "parent", "sibling", "friend"]),
        "emergency_contact_phone": fake.numerify("(###) 555-####"),
    }
    deployments = []
    cursor = start + dt.timedelta(days=rng.randint(200, 700))
    for _ in range(rng.randint(1, 3)):
        length = rng.randint(120, 400)
        if cursor + dt.timedelta(days=length) > (end or today):
            break
        deployments.append(
            {
                "location": rng.choice(DEPLOYMENT_PLACES),
                "started_on": cursor,
                "ended_on": cursor + dt.timedelta(days=length),
            }
        )
        cursor += dt.timedelta(days=length + rng.randint(300, 900))
    return intake, deployments


WALTER = {
    "given_name": "Walter",
    "family_name": "Cruz",
    "preferred_name": "",
    "pronouns": "he/him",
    "date_of_birth": dt.date(1991, 3, 14),
    "service_branch": ServiceBranch.ARMY,
    "service_start": dt.date(2010, 6, 1),
    "service_end": None,
    "emergency_contact_name": "Ana Cruz",
    "emergency_contact_relationship": "sister",
    "emergency_contact_phone": "(312) 555-0147",
}
WALTER_DEPLOYMENTS = [
    {
        "location": "Kandahar Airfield, Afghanistan",
        "started_on": dt.date(2012, 2, 1),
        "ended_on": dt.date(2012, 11, 30),
    },
    {
        "location": "Al Asad Air Base, Iraq",
        "started_on": dt.date(2025, 9, 1),
        "ended_on": dt.date(2026, 9, 15),
    },
]


def build(residents: int = DEFAULT_RESIDENTS, progress: bool = True) -> str:
    if Center.objects.exists():
        raise AlreadyBuilt(
            "This database already holds a center. The record cannot be wiped (nothing is ever "
            "deleted); point HOMECOMING_DATA_DIR or DATABASE_URL at a fresh database instead."
        )
    try:
        # The demo's own dependency (the `demo` extra): a real center installs without it.
        from faker import Faker
    except ImportError as exc:
        raise DemoUnavailable(
            "The demo needs its extra dependencies: pip install 'homecoming[demo]' "
            "(make demo installs them)."
        ) from exc
    fake = Faker("en_US")
    fake.seed_instance(SEED)
    rng = random.Random(SEED)
    # One transaction: a build that fails half-way leaves nothing behind.
    with transaction.atomic():
        _build(fake, rng, timezone.now(), residents, progress)
    return existing_summary()


def history_end(now: dt.datetime) -> dt.datetime:
    """Where the demo's history stops: the midnight that began the center's current day. The
    story then depends on the date alone, never on the hour of the build (a report due at 17:40
    today would otherwise exist or not by the hour): the visitor's day starts fresh."""
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time(0, 0)))


def _build(fake, rng, now, residents, progress):
    # The center opens HISTORY_DAYS ago and lives up to the start of today on a simulated clock,
    # so that every ledger entry is dated when its event happened (see clock.py).
    until = history_end(now)
    today = timezone.localdate(until)
    opened = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=HISTORY_DAYS), dt.time(8, 0))
    )
    with clock.simulated(opened) as simulated, story.passwords_checked_once():
        setup.create_center(
            None,
            name="Homecoming",
            time_zone=settings.TIME_ZONE,
            operator="Geist Group",
            sponsor="Office of Service Member Transition (government sponsor)",
            check_policy=False,
        )
        people = _staff(fake)
        beds = _rooms(max(48, math.ceil(residents * 1.2), residents + len(alumni.ALUMNI)))
        ctx = story.Context(
            documents=story.publish_documents(people["director"], until),
            pharmacy=medications.open_pharmacy(
                people["director"], people["prescriber"], people["nurse"], until
            ),
        )
        caseworkers = [people["heidi"], people["caseworker2"], people["caseworker3"]]
        # The prescriber's caseload (Walter's among them) is the residents on medication; the
        # nurse gives their doses on the round, from outside their care teams.
        clinicians = [people["prescriber"], people["nurse"]]
        steps = tqdm(
            total=residents, desc="Admitting residents", unit="resident", disable=not progress
        )
        stories = []
        for i in range(residents):
            if i == 0:
                intake, deployments = WALTER, WALTER_DEPLOYMENTS
                actor, caseworker = people["heidi"], people["heidi"]
                admitted = today - dt.timedelta(days=23)
            else:
                intake, deployments = _synthetic_intake(fake, rng, today)
                actor, caseworker = people["colin"], caseworkers[i % len(caseworkers)]
                # From yesterday back: nobody's story is cut at midnight on their first day.
                admitted = today - dt.timedelta(days=rng.randint(1, 80))
                # Intake refuses a deployment that ends after the admission (issue 16).
                deployments = [d for d in deployments if d["ended_on"] <= admitted]
            admission = services.Admission(
                intake=intake,
                admitted_on=admitted,
                expected_length_days=rng.choice([28, 42, 56, 90]),
                bed=beds[i],
                primary_caseworker=caseworker,
                clinician=clinicians[i % len(clinicians)],
                deployments=deployments,
            )
            stories.append(
                _stay(ctx, i, actor, caseworker, admission, random.Random(SEED + i), until, steps)
            )
        stories.append(oversight.story(people, until))
        # The former residents take the beds the residents in residence leave free (there are
        # are enough: see _rooms above), each their own, as their stays overlap.
        spare = beds[residents:]
        stories += [
            alumni.alumnus_story(people, k, a, spare[k], until) for k, a in enumerate(alumni.ALUMNI)
        ]
        stories.append(alumni.plan_awaiting_signature(people, until))
        stories.append(alumni.timers_story(opened, until))
        stories.append(messages.story(until))
        stories.append(story.walters_corrections(people["heidi"], until))
        stories.append(story.draft_left_unsigned(people["heidi"], until))
        clock.live(simulated, stories, until)
        steps.close()
        story.cosign_backlog(people["colin"], ctx.awaiting_cosignature)
        # Booked at the end of the history, for a time later on the visitor's own day.
        story.book_today(people["heidi"], Resident.objects.get(family_name="Cruz"), now)


def _stay(ctx, i, actor, caseworker, admission, rng, until, steps):
    """One resident: admitted on their day (before now, even if that is today), then their
    story of sessions, notes and questionnaires, and their medications alongside."""
    arrives = timezone.make_aware(dt.datetime.combine(admission.admitted_on, dt.time(9, i % 60)))
    yield min(arrives, until - dt.timedelta(seconds=60 - i % 60))
    resident = services.admit(actor, admission)
    steps.update()
    if i == 0:
        # Walter's demo password is published; a real resident replaces theirs at once.
        services.grant_portal_access(
            actor, resident, "walter", DEMO_PASSWORD, must_change_password=False
        )
        resident.refresh_from_db()
    chosen = ctx.pharmacy.choose_allergy_stop(i, resident, admission.admitted_on, until)
    # The one whose ibuprofen order is stopped is asked about allergies in that story instead.
    asked = (
        ()
        if chosen
        else (
            allergies.intake_story(
                i,
                resident,
                admission.admitted_on,
                caseworker,
                ctx.pharmacy.prescriber,
                random.Random(SEED * 7 + i),
                until,
            ),
        )
    )
    yield from medications.merge(
        *asked,
        photos.photo_story(i, resident, admission.admitted_on, caseworker, until),
        story.resident_story(ctx, i, resident, admission.admitted_on, caseworker, rng, until),
        medications.resident_story(
            ctx.pharmacy, i, resident, admission.admitted_on, caseworker, until
        ),
        vitals.vitals_story(
            i,
            resident,
            admission.admitted_on,
            ctx.pharmacy.prescriber,
            admission.clinician == ctx.pharmacy.prescriber,
            random.Random(SEED * 11 + i),
            until,
        ),
    )


def existing_summary() -> str:
    center = Center.objects.get()
    lines = [
        f"{center.name}, operated by {center.operator} for the {center.sponsor}:",
        f"  {Resident.objects.count()} residents, {Bed.objects.count()} beds.",
        "",
        "Demo log-ins (password for all: " + DEMO_PASSWORD + "):",
    ]
    command = own_command()
    story = ["heidi", "walter", "colin", "carrasco"]
    users = sorted(
        User.objects.all(),
        key=lambda u: (
            u.username not in story,
            story.index(u.username) if u.username in story else 0,
            u.role,
            u.username,
        ),
    )
    for user in users:
        second = (
            "no second factor"
            if not user.needs_second_factor
            else (f"code: {command} demo-code {user.username}")
        )
        lines.append(
            f"  {user.username:<13} {user.get_role_display():<22} {user.full_name:<22} {second}"
        )
    lines.append("")
    lines.append("Staff log in with a second factor; the demo-code command prints the current code")
    lines.append("(it works only for the demo's published authenticators).")
    return "\n".join(lines)


def own_command() -> str:
    """How the operator just called us, so the printed commands can be pasted as they are."""
    invoked = sys.argv[0] if sys.argv else ""
    if os.path.basename(invoked) == "homecoming" and shutil.which("homecoming") != invoked:
        return os.path.relpath(invoked)
    return "homecoming"
