"""The demo center's months of clinical work, lived in order on a simulated clock.

Consent documents are published on the first day; each resident then gets intake
questionnaires, weekly individual sessions with their caseworker (checked in, held, and a signed
DAP note after each), questionnaires every two weeks with scores that mostly improve, and the
next week's sessions already booked. Walter Cruz consents to recording in the portal and his
first session's audio is on file; one of his notes carries an addendum. The trainee
caseworker's latest note waits for Colin Belfast's co-signature. Everything goes through the
services, so the ledger holds the whole story with each entry at its moment.
"""

import contextlib
import datetime as dt
import io
import math
import struct
import wave
from dataclasses import dataclass, field
from unittest import mock

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from homecoming.accounts import reauth
from homecoming.consents import services as consents
from homecoming.consents.models import ConsentPurpose
from homecoming.corrections import services as corrections
from homecoming.encounters import notes, recordings, scheduling
from homecoming.encounters.models import NoteTemplate, SessionKind
from homecoming.measures import services as measures
from homecoming.measures.models import Instrument
from homecoming.safetyplans import services as safetyplans

from .constants import DEMO_PASSWORD

# Residents whose weeks of sessions and notes are written out (notes are signed with a
# password check, which is slow on purpose); the others get questionnaires only.
WITH_SESSIONS = 10
DOCUMENTS = [
    (
        ConsentPurpose.TREATMENT,
        "treatment-program",
        "Taking part in the transitional support program",
        "I agree to live at the center and take part in its program: individual sessions with my "
        "caseworker, group sessions, questionnaires about how I am doing, and care from the "
        "center's clinicians. I can ask questions at any time and can withdraw this consent at "
        "any time; withdrawing does not affect my benefits.",
    ),
    (
        ConsentPurpose.RECORDING,
        "session-recording",
        "Audio recording of my individual sessions",
        "I agree that my individual sessions may be audio-recorded, so that my caseworker's "
        "supervisor can review the quality of care. Recordings are kept in the center's record, "
        "every playback is recorded in the audit ledger that I can read, and I can withdraw this "
        "consent at any time: no session is recorded after I withdraw.",
    ),
    (
        ConsentPurpose.SPONSOR_SHARING,
        "sponsor-outcomes",
        "Sharing de-identified outcome scores with the sponsor",
        "I agree that my questionnaire scores, without my name or other identifying details, "
        "may be shared with the government sponsor to evaluate the program.",
    ),
]
# Where a resident's scores start, per instrument, and where they head.
START = {Instrument.PCL5: (38, 62), Instrument.PHQ9: (9, 20), Instrument.GAD7: (7, 17)}
ITEMS = {Instrument.PCL5: 20, Instrument.PHQ9: 9, Instrument.GAD7: 7}
TOP = {Instrument.PCL5: 4, Instrument.PHQ9: 3, Instrument.GAD7: 3}
# Walter's safety plan, written with him in his first days, then revised once he had a friend on
# the wing to call; and the plan written the day another resident answers PHQ-9 item 9 above 0.
SAFETY_PLAN = {
    "warning_signs": "Lying awake past 2 a.m.; skipping meals; not answering Ana's texts.",
    "coping": "Walk the track; box breathing (4-4-4-4); the guitar in the common room.",
    "distractions": "The gym at 6 p.m.; cards in the common room; the Thursday cook-out.",
    "help_people": "Ana Cruz (sister) (312) 555-0147",
    "professionals": (
        "My caseworker, or the nurse on shift (any hour). Veterans Crisis Line: call 988 and "
        "press 1, or text 838255. Emergency: 911."
    ),
    "environment": "No firearms at home (my brother keeps them); medicines kept by the nurse.",
    "reason_for_living": "My daughter, Lucia.",
}
SAFETY_PLAN_REVISED = SAFETY_PLAN | {
    "help_people": "Ana Cruz (sister) (312) 555-0147; Marcus on the wing (room N104).",
}


def sign_safety_plan(caseworker, resident, sections):
    safetyplans.sign(caseworker, resident, sections, DEMO_PASSWORD)


WALTER_START = {Instrument.PCL5: 54, Instrument.PHQ9: 17, Instrument.GAD7: 14}
DAP = {
    "data": [
        "Met for a scheduled individual session. {name} arrived on time and engaged throughout.",
        "{name} reported sleeping 5-6 hours most nights, down on nightmares since last week.",
        "Discussed the first weeks back home: family visits, the job search, the VA enrolment.",
    ],
    "assessment": [
        "Mood brighter than at intake; some avoidance of crowded places persists.",
        "Progress consistent with the questionnaire trend. No risk indicators today.",
    ],
    "plan": [
        "Continue weekly sessions. Practise the grounding exercise daily; review next week.",
        "Refer to the sleep group; follow up on the housing application before discharge.",
    ],
}


@dataclass
class Context:
    """What the residents' stories share: the consent documents, the formulary (see
    medications.py), each caseworker's weekly slots (one per resident, so nobody is
    double-booked), and trainee notes to co-sign."""

    documents: dict
    pharmacy: object = None
    slots: dict = field(default_factory=dict)
    awaiting_cosignature: list = field(default_factory=list)

    def next_slot(self, caseworker) -> tuple[int, int]:
        """(weekday, hour): Monday to Friday, 9:00 to 16:00, in turn."""
        n = self.slots.get(caseworker.pk, 0)
        self.slots[caseworker.pk] = n + 1
        return (n // 8) % 5, 9 + n % 8


@contextlib.contextmanager
def passwords_checked_once():
    """Staff confirm their identity with their password at every signature. Argon2 makes each
    check take half a second on purpose; the demo's staff sign hundreds of notes with the same
    known password, so each person's password is really checked once and then remembered for
    the rest of the build (the services still call the check every time)."""
    confirmed = set()

    def confirm_once(user, secret):
        if (user.pk, secret) in confirmed:
            return True
        if real_confirm(user, secret):
            confirmed.add((user.pk, secret))
            return True
        return False

    real_confirm = reauth.confirm_identity
    with mock.patch.object(reauth, "confirm_identity", confirm_once):
        yield


# A study some residents take part in: its consent lets the program director export their
# questionnaires, de-identified, for the study team (homecoming.sharing).
STUDY = {
    "code": "sleep-recovery-study",
    "title": "Sleep and recovery after deployment (a research study)",
    "body": "I agree that my questionnaire answers, without my name, dates or other identifying "
    "details, may be given to the study team of the Sleep and Recovery study, approved by the "
    "university's ethics board. Taking part is voluntary and changes nothing in my care. I can "
    "withdraw at any time: nothing of mine is exported after I withdraw.",
    "ethics_approval_ref": "IRB-2026-031",
}


def publish_documents(director, until):
    documents = {
        code: consents.publish(director, purpose=purpose, code=code, title=title, body=body)
        for purpose, code, title, body in DOCUMENTS
    }
    documents[STUDY["code"]] = consents.publish(
        director,
        purpose=ConsentPurpose.RESEARCH,
        # A year from the visitor's day, whenever the center opened.
        ethics_approval_expires=timezone.localdate(until) + dt.timedelta(days=365),
        **STUDY,
    )
    return documents


def tone_wav(seconds=2, rate=8000) -> bytes:
    """A short sine tone: a stand-in for a session's audio that any browser plays."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = (
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
            for i in range(seconds * rate)
        )
        out.writeframes(b"".join(frames))
    return buffer.getvalue()


def _answers(rng, instrument, total):
    """Item answers that add up to `total` (spread over the items at random)."""
    items, top = ITEMS[instrument], TOP[instrument]
    total = max(0, min(total, items * top))
    answers = [0] * items
    for _ in range(total):
        choices = [i for i in range(items) if answers[i] < top]
        answers[rng.choice(choices)] += 1
    if instrument == Instrument.PHQ9:
        # Item 9 (thoughts of self-harm) stays 0 in the synthetic history: a positive answer
        # raises a real safety alert, and the demo shows one on purpose, once (below).
        spill = answers[8]
        answers[8] = 0
        for _ in range(spill):
            choices = [i for i in range(8) if answers[i] < top]
            if choices:
                answers[rng.choice(choices)] += 1
    return answers


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _note_text(rng, name):
    return {
        key: " ".join(rng.sample(lines, k=min(2, len(lines)))).format(name=name)
        for key, lines in DAP.items()
    }


def resident_story(ctx, index, resident, admitted_on, caseworker, rng, until):
    """One resident's stay so far, as a generator of moments (see clock.live)."""
    name = resident.preferred_name or resident.given_name
    is_walter = index == 0
    yield _at(admitted_on, 10, index % 60)

    def agrees(code):
        """Consent given in person: recorded by the caseworker, before the nurse as witness (one
        person alone cannot make a consent count; the nurse prescribes nothing)."""
        witness = ctx.pharmacy.nurse
        consents.sign(
            caseworker,
            resident,
            ctx.documents[code],
            witness=witness,
            witness_secret=DEMO_PASSWORD,
        )

    agrees("treatment-program")
    if is_walter:
        consents.sign(resident.user, resident, ctx.documents["session-recording"])
    elif rng.random() < 0.6:
        agrees("session-recording")
    if rng.random() < 0.5:
        agrees("sponsor-outcomes")
    if index % 3 == 1:  # (not drawn from rng: the rest of the story stays as it was)
        agrees(STUDY["code"])

    # Questionnaires at intake, then every two weeks, heading down with noise.
    starts = WALTER_START if is_walter else {i: rng.randint(*r) for i, r in START.items()}
    days_in = (timezone.localdate(until) - admitted_on).days
    waves = list(range(0, days_in + 1, 14))
    sessions_weeks = (
        list(range(1, days_in // 7 + 2)) if index < WITH_SESSIONS else []
    )  # the last one is next week's, booked ahead
    # Each caseworker sees each of their residents at a fixed weekly slot: no double-booking.
    slot = ctx.next_slot(caseworker)
    plan = sorted(
        [
            (_at(admitted_on + dt.timedelta(days=d), 11, index % 60), "measures", n)
            for n, d in enumerate(waves)
        ]
        + [
            (_at(admitted_on + dt.timedelta(days=7 * w - 3), 9, index % 60), "book", w)
            for w in sessions_weeks
        ]
        + [
            (_at(admitted_on + dt.timedelta(days=d), 15), "safety_plan", v)
            for v, d in ((1, 1), (2, 9))
            if is_walter and d <= days_in
        ]
    )
    booked = {}
    for moment, what, n in plan:
        yield moment
        if what == "measures":
            for instrument in (Instrument.PCL5, Instrument.PHQ9, Instrument.GAD7):
                drop = (0.55 if rng.random() < 0.85 else -0.2) * n * starts[instrument] / 8
                total = round(starts[instrument] - drop + rng.randint(-2, 2))
                actor = resident.user if (resident.user and n > 0) else caseworker
                answers = _answers(rng, instrument, total)
                if index == 3 and instrument == Instrument.PHQ9 and n == len(waves) - 1:
                    # The demo's one positive item 9: the care team is alerted at once, and the
                    # risk flag asks for a safety plan within the day.
                    answers[8], answers[0] = 1, max(0, answers[0] - 1)
                measures.record(actor, resident, instrument, answers)
            if index == 3 and n == len(waves) - 1:
                # The caseworker sits down with them within hours and they sign a plan (before
                # the history ends, whatever the day: the story never leaves the flag unmet).
                later = timezone.now() + dt.timedelta(hours=3)
                yield min(later, until - dt.timedelta(minutes=1))
                sign_safety_plan(caseworker, resident, SAFETY_PLAN)
        elif what == "safety_plan":
            sign_safety_plan(caseworker, resident, SAFETY_PLAN if n == 1 else SAFETY_PLAN_REVISED)
        else:
            week_start = admitted_on + dt.timedelta(days=7 * n)
            day = week_start + dt.timedelta(days=(slot[0] - week_start.weekday()) % 7)
            starts_at = _at(day, slot[1])
            booked[n] = scheduling.schedule(
                caseworker,
                caseworker=caseworker,
                residents=[resident],
                kind=SessionKind.INDIVIDUAL,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=50),
                location=f"Counselling room {1 + slot[1] % 3}",
            )
            yield from _hold(ctx, booked[n], resident, caseworker, rng, name, n, is_walter)


def _hold(ctx, session, resident, caseworker, rng, name, week, is_walter):
    """The session itself: check-in, held (or a no-show), the note signed after it."""
    yield session.starts_at - dt.timedelta(minutes=5)
    attendee = session.attendees.get()
    if not is_walter and rng.random() < 0.08:
        yield session.starts_at + dt.timedelta(minutes=20)
        scheduling.mark_no_show(caseworker, attendee)
        return
    scheduling.check_in(caseworker, attendee)
    yield session.ends_at
    scheduling.close(caseworker, session)
    if is_walter and week == 1:
        recordings.upload(
            caseworker,
            session,
            SimpleUploadedFile("session-1.wav", tone_wav(), content_type="audio/wav"),
        )
    yield session.ends_at + dt.timedelta(minutes=25)
    note = notes.start(caseworker, resident, NoteTemplate.DAP, session=session)
    note = notes.save_draft(caseworker, note, _note_text(rng, name), note.revision)
    note = notes.sign(caseworker, note, DEMO_PASSWORD)
    if caseworker.is_trainee:
        ctx.awaiting_cosignature.append(note)
    if is_walter and week == 2:
        yield session.ends_at + dt.timedelta(days=1, hours=1)
        notes.add_addendum(
            caseworker,
            note,
            "Correction: wrong medication name recorded",
            "Walter said he is taking melatonin from the pharmacy, not the prescription sleep "
            "aid written in the Data section. Nothing was prescribed by the center.",
            DEMO_PASSWORD,
        )


def cosign_backlog(supervisor, awaiting):
    """Colin co-signs every trainee note but the latest, which waits on his list."""
    for note in awaiting[:-1]:
        notes.cosign(supervisor, note, DEMO_PASSWORD)


def book_today(caseworker, resident, now):
    """A session later today on the caseworker's home page (or tomorrow, if the day is over)."""
    local = timezone.localtime(now)
    for hours_ahead in range(2, 40):
        starts_at = (local + dt.timedelta(hours=hours_ahead)).replace(
            minute=0, second=0, microsecond=0
        )
        if not 9 <= starts_at.hour <= 17:
            continue
        try:
            return scheduling.schedule(
                caseworker,
                caseworker=caseworker,
                residents=[resident],
                kind=SessionKind.INDIVIDUAL,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=50),
                location="Counselling room 1",
            )
        except ValidationError:
            continue  # that hour is taken: try the next
    return None


def draft_left_unsigned(heidi, until):
    """Yesterday afternoon Heidi began a note after a phone call and was called away before
    signing it: the draft waits under "My unsigned notes" on her home page."""
    from homecoming.residents.models import Resident, StayStatus, TeamRole

    yield until - dt.timedelta(days=1, hours=3)
    resident = (
        Resident.objects.filter(
            care_team__user=heidi,
            care_team__team_role=TeamRole.PRIMARY_CASEWORKER,
            care_team__ended_at__isnull=True,
            stays__status=StayStatus.IN_RESIDENCE,
        )
        .exclude(family_name="Cruz")
        .order_by("pk")
        .first()
    )
    if resident is None:  # a center too small for a second resident of Heidi's
        return
    note = notes.start(heidi, resident, NoteTemplate.DAP)
    notes.save_draft(
        heidi,
        note,
        {
            "data": f"Phone call with {resident.given_name}'s sister about the weekend pass; "
            "she will drive up on Saturday morning.",
            "assessment": "",
            "plan": "",
        },
        note.revision,
    )


def walters_corrections(heidi, until):
    """Walter asks for two corrections from his portal: his first session note has his
    daughter's age wrong (Heidi amends it the next day, by a signed addendum), and his emergency
    contact's number changed (asked two days ago, waiting on Heidi's home page)."""
    from homecoming.encounters.models import Note
    from homecoming.residents.models import Resident

    yield until - dt.timedelta(days=8, hours=2)
    walter = Resident.objects.get(family_name="Cruz")
    first = (
        Note.objects.filter(resident=walter, signed_at__isnull=False).order_by("signed_at").first()
    )
    if first is None:  # a history too short for a session
        return
    asked = corrections.file_request(
        walter.user,
        walter,
        "note",
        first.pk,
        "It says my daughter Sofia is six. She turned seven in March.",
        "Sofia, 7.",
    )
    yield until - dt.timedelta(days=7, hours=5)
    corrections.answer(
        heidi,
        asked,
        "amended",
        "Walter's daughter Sofia is seven, not six as the Data section says.",
        DEMO_PASSWORD,
    )
    yield until - dt.timedelta(days=2, hours=3)
    corrections.file_request(
        walter.user,
        walter,
        "details",
        walter.pk,
        "My sister Ana has a new number since last week.",
        "Ana Cruz, (312) 555-0199",
    )
