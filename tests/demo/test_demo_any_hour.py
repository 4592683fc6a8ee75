"""The demo tells the same story whatever the date and hour it is built.

Each build runs on a controlled clock (time-machine) at a moment that once broke, or could break, a
story that hangs on the calendar: just after midnight, at noon, just before midnight, 29 February,
New Year's Eve, and both daylight-saving change days in the center's time zone. At each, every fact
the README's tour promises is asserted. Two builds on the same day, at 00:05 and at 23:55, must
write the very same history."""

import datetime as dt
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from homecoming.accounts.models import User
from homecoming.alerts.models import Alert
from homecoming.consents.services import active_consents
from homecoming.demo import builder
from homecoming.discharge.models import DischargePlan
from homecoming.encounters import notes_selectors
from homecoming.encounters.models import Addendum, Note, Recording, Session
from homecoming.followup import selectors as followup_selectors
from homecoming.followup.models import CheckIn, Contact, Lost
from homecoming.ledger import dbcheck, signing
from homecoming.ledger.models import Entry
from homecoming.medications.models import Administration
from homecoming.oversight.models import Complaint, Grant, Investigation
from homecoming.residents.models import Resident
from homecoming.safety.models import Signal

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def at(*args, fold=0):
    return dt.datetime(*args, tzinfo=NEW_YORK).replace(fold=fold)


MOMENTS = {
    "noon": at(2026, 12, 3, 12, 0),
    "29 February": at(2028, 2, 29, 9, 30),
    "New Year's Eve": at(2026, 12, 31, 23, 50),
    # 02:00 became 03:00 this morning: the history's last day had 23 hours.
    "spring forward": at(2027, 3, 14, 3, 30),
    # 01:30 for the second time (fold=1): the clocks went back an hour ago.
    "fall back": at(2026, 11, 1, 1, 30, fold=1),
}


class _Undo(Exception):
    pass


def build_at(moment, check):
    """Build the whole demo center at `moment`, run `check` on it, then roll it all back (the
    ledger's triggers refuse DELETE, never a rollback), so one test can build several."""
    if not signing.key_path().exists():
        signing.generate("homecoming.invalid/test-ledger")
    result = None
    try:
        with transaction.atomic(), time_machine.travel(moment, tick=False):
            builder.build(progress=False)
            result = check(moment)
            raise _Undo
    except _Undo:
        pass
    return result


def the_tour_holds(now):
    """Every fact the README's tour promises, as a visitor at `now` would find it."""
    # The trial drug's memory-impairment reports raised a signal awaiting the medical lead.
    signal = Signal.objects.get()
    assert (signal.drug, signal.term, signal.status) == ("Mnemosyne-7", "memory-impairment", "open")
    assert signal.latest["reports"]["a"] >= 3
    assert signal.review.assigned_to.is_medical_lead

    # The sister's public complaint sat untouched, escalated once, and led to an investigation
    # whose grant (in force now) covers the trial residents, the supervisor and the prescriber.
    sister = Complaint.objects.get(filed_via="public")
    assert sister.escalations == 1
    investigation = Investigation.objects.get(complaint=sister)
    assert investigation.status == "open"
    grant = Grant.objects.get(investigation=investigation)
    assert grant.in_force and grant.investigator.username == "investigator"
    trial = set(
        Resident.objects.filter(medication_orders__protocol__investigational=True).values_list(
            "pk", flat=True
        )
    )
    assert len(trial) == 3
    assert set(grant.scope.exclude(resident=None).values_list("resident_id", flat=True)) == trial
    assert {s.staff.username for s in grant.scope.exclude(staff=None)} == {"colin", "prescriber"}
    assert Complaint.objects.get(filed_via="staff").named.get().user.username == "colin"

    # Colin has a trainee's note waiting for his co-signature.
    waiting = Note.objects.filter(needs_cosignature=True, cosignature__isnull=True)
    assert waiting.filter(author__is_trainee=True).count() == 1

    # Walter: his consents, signed notes (one corrected by an addendum, one amended at his
    # request), a recording, his noise complaint resolved, and no dose in the last day, so the
    # visitor can give him one.
    walter = Resident.objects.get(given_name="Walter", family_name="Cruz")
    codes = set(active_consents(walter, at=now).values_list("document__code", flat=True))
    assert {
        "treatment-program",
        "session-recording",
        "medication-ibuprofen",
        "medication-melatonin",
    } <= codes
    assert Note.objects.filter(resident=walter, signed_at__isnull=False).count() >= 2
    # One addendum of the story's own, and one answering his correction request (corrections).
    addenda = Addendum.objects.filter(note__resident=walter)
    assert addenda.count() == 2
    assert addenda.filter(correction__isnull=False).count() == 1
    assert Recording.objects.filter(resident=walter).exists()
    noise = Complaint.objects.get(filed_via="portal")
    assert noise.status == "resolved" and "soft-close hinge" in noise.outcome
    assert not Administration.objects.filter(
        resident=walter, status="given", at__gt=now - dt.timedelta(hours=24)
    ).exists()

    # Heidi has Walter on her calendar within the next day and a half.
    heidi = User.objects.get(username="heidi")
    assert Session.objects.filter(
        caseworker=heidi,
        attendees__resident=walter,
        starts_at__gt=now,
        starts_at__lt=now + dt.timedelta(hours=40),
    ).exists()

    # One resident's PHQ-9 item 9 alerted their care team.
    assert User.objects.filter(alerts__kind="safety").exists()

    # The story's last act: former residents at every stage of their year of follow-up.
    today = timezone.localdate(now)
    made = set(
        Contact.objects.filter(status="made").values_list("interval_days", flat=True).distinct()
    )
    assert made == {7, 30, 90, 180, 365}
    rosa = DischargePlan.objects.get(resident__family_name="Delgado")
    assert set(rosa.follow_ups.values_list("status", flat=True)) == {"made"}
    # Daniel Osei returned to duty: a clinician's fitness assessment, his own acknowledgement,
    # and the oversight body told.
    daniel = DischargePlan.objects.get(disposition="return_to_duty")
    assert daniel.status == "discharged" and daniel.fitness_assessed_by.role == "clinician"
    assert daniel.resident_acknowledged_at is not None
    assert Alert.objects.filter(
        kind="discharge_return_to_duty", recipient__username="carrasco"
    ).exists()
    # Kevin Brandt is lost to follow-up; the alert waits for the program director.
    lost = Lost.objects.get(closed_at__isnull=True)
    assert lost.resident.family_name == "Brandt"
    assert Alert.objects.filter(
        kind="follow_up_lost", recipient__username="director", read_at__isnull=True
    ).exists()
    # Dana Whitfield checked in through her link; Luis Ortega's call is overdue and the
    # supervisor was told; Jordan Baines left against advice, their day-7 call due today.
    assert CheckIn.objects.get().resident.family_name == "Whitfield"
    luis = Contact.objects.get(resident__family_name="Ortega", interval_days=7)
    assert luis.status == "due" and luis.due_on < today and luis.escalated_at is not None
    tyler = DischargePlan.objects.get(disposition="against_advice")
    assert tyler.clinician_signed_at and tyler.caseworker_signed_at
    assert tyler.follow_ups.get(interval_days=7).due_on == today
    # Heidi's home has work waiting: the note she began yesterday and did not sign, and Aisha
    # Karimi's day-90 check-in, sent eleven days ago and unanswered.
    heidi = User.objects.get(username="heidi")
    drafts = notes_selectors.unsigned_drafts(heidi)
    assert drafts.total == 1 and drafts.rows[0].resident.family_name != "Cruz"
    overdue = followup_selectors.questionnaires_overdue(heidi)
    assert [row.link.resident.family_name for row in overdue.rows] == ["Karimi"]
    # A plan waiting for the clinician's signature, for the visitor to sign.
    waiting = DischargePlan.objects.get(status="draft")
    assert waiting.caseworker_signed_at and not waiting.clinician_signed_at

    # The ledger: gap-free, in time order, nothing after now, and it checks out.
    times = list(Entry.objects.order_by("seq").values_list("time", flat=True))
    assert times == sorted(times) and times[-1] <= now
    from homecoming.ledger.checkpoints import make_checkpoint

    make_checkpoint()
    report = dbcheck.check()
    assert report.ok, report.problems


def history(now):
    """What the build wrote before the visitor's day: each entry's action, actor, time and
    resident."""
    the_tour_holds(now)
    day_began = builder.history_end(now)
    return Counter(
        # Names, not ids: PostgreSQL's sequences do not roll back with the first build.
        Entry.objects.filter(time__lt=day_began).values_list(
            "action",
            "actor__username",
            "time",
            "resident__given_name",
            "resident__family_name",
            "object_type",
            "outcome",
        )
    )


@pytest.mark.parametrize("moment", MOMENTS.values(), ids=MOMENTS.keys())
def test_the_tour_holds_whenever_the_demo_is_built(db, moment):
    build_at(moment, the_tour_holds)


def test_the_hour_of_the_build_changes_nothing_in_its_history(db):
    just_after_midnight = build_at(at(2026, 12, 3, 0, 5), history)
    just_before_midnight = build_at(at(2026, 12, 3, 23, 55), history)
    assert just_after_midnight == just_before_midnight
    assert sum(just_after_midnight.values()) > 1000


def test_the_history_ends_at_the_midnight_that_began_the_day():
    with timezone.override(NEW_YORK):
        for moment in (at(2026, 12, 3, 0, 5), at(2026, 12, 3, 23, 55)):
            assert builder.history_end(moment) == at(2026, 12, 3, 0, 0)
        assert builder.history_end(at(2027, 3, 14, 3, 30)) == at(2027, 3, 14, 0, 0)
