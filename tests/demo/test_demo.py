"""The demo center retells the story, the same way every time, through the real services."""

import datetime as dt

import pytest

from homecoming.accounts.models import Role, User
from homecoming.demo import builder
from homecoming.demo.alumni import ALUMNI
from homecoming.ledger.models import Entry
from homecoming.residents.models import Bed, BedAssignment, Center, Resident
from tests.support.databases import sqlite_run_only


@pytest.fixture
def demo(db):
    builder.build(residents=6, progress=False)


def test_the_story_people_are_there(demo):
    center = Center.objects.get()
    assert (center.name, center.operator) == ("Homecoming", "Geist Group")
    story = {u.username: (u.full_name, u.role) for u in User.objects.all()}
    assert story["heidi"] == ("Heidi Bergman", Role.CASEWORKER)
    assert story["colin"] == ("Colin Belfast", Role.SUPERVISOR)
    assert story["carrasco"] == ("Thomas Carrasco", Role.OVERSIGHT)
    walter = Resident.objects.get(given_name="Walter", family_name="Cruz")
    assert walter.user.username == "walter"
    assert walter.care_team.get(team_role="primary_caseworker").user.username == "heidi"


def test_one_account_per_role_and_a_medical_lead(demo):
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.get(is_medical_lead=True).role == Role.CLINICIAN


def test_residents_have_beds_and_the_ledger_recorded_it_all(demo):
    # The residents asked for, and the former residents of the story's last act.
    assert Resident.objects.count() == 6 + len(ALUMNI)
    assert BedAssignment.objects.filter(released_at__isnull=True).count() == 6
    assert Bed.objects.count() >= 48
    assert Entry.objects.filter(action="resident.register").exists()
    seqs = list(Entry.objects.values_list("seq", flat=True))
    assert seqs == list(range(len(seqs)))


@sqlite_run_only("both builds are `make demo`'s, on SQLite")
def test_two_builds_from_scratch_are_the_same_center(tmp_path):
    """Build the demo twice, in two fresh databases, and compare who is in them."""
    import os
    import sqlite3
    import subprocess
    import sys

    def build(folder):
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["HOMECOMING_DATA_DIR"] = str(folder)
        for args in (["migrate"], ["demo", "--residents", "5", "--quiet"]):
            subprocess.run(
                [sys.executable, "-m", "homecoming.cli", *args],
                env=env,
                check=True,
                capture_output=True,
                timeout=300,
            )
        with sqlite3.connect(folder / "homecoming.sqlite3") as db:
            people = db.execute(
                "SELECT given_name, family_name, date_of_birth, service_branch, pronouns "
                "FROM residents_resident ORDER BY id"
            ).fetchall()
            staff = db.execute("SELECT username, full_name FROM accounts_user ORDER BY id")
            return people, staff.fetchall()

    first, second = build(tmp_path / "a"), build(tmp_path / "b")
    assert first == second
    assert ("Walter", "Cruz", "1991-03-14", "army", "he/him") in first[0]
    assert len(first[0]) == 5 + len(ALUMNI)


def test_a_second_build_refuses_rather_than_wiping(demo):
    with pytest.raises(builder.AlreadyBuilt):
        builder.build(residents=3, progress=False)
    assert Resident.objects.count() == 6 + len(ALUMNI)


def test_demo_codes_work_only_for_demo_authenticators(demo, make_user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    code = builder.current_code("heidi")
    assert len(code) == 6 and TOTPDevice.objects.get(user__username="heidi").verify_token(code)
    make_user(Role.CASEWORKER, username="real_person")
    with pytest.raises(LookupError):
        builder.current_code("real_person")


def test_the_study_and_the_sponsor_each_get_only_their_consenting_residents(demo):
    from homecoming.consents.services import active_consents
    from homecoming.sharing import exports

    director = User.objects.get(role=Role.PROGRAM_DIRECTOR)
    for code in ("sleep-recovery-study", "sponsor-outcomes"):
        consenting = set(active_consents(None, code=code).values_list("resident_id", flat=True))
        result = exports.export(director, code)
        # The former residents never consented: they are among those not included.
        everyone = 6 + len(ALUMNI)
        assert 0 < result.participants == len(consenting) < 6
        assert result.not_included == everyone - len(consenting)


@pytest.mark.parametrize("residents", [1, 2])
def test_the_smallest_centers_build(db, residents):
    """The story's people are all there even when Walter is the only resident (the full story
    at every hour is tests/demo/test_demo_any_hour.py)."""
    builder.build(residents=residents, progress=False)
    assert Resident.objects.filter(stays__status="in_residence").count() == residents
    assert Resident.objects.filter(given_name="Walter").exists()


def test_walter_has_a_two_version_plan_and_the_item9_answer_met_with_a_plan_that_day(demo):
    from homecoming.safetyplans.models import RiskFlag, SafetyPlan

    walter = Resident.objects.get(given_name="Walter", family_name="Cruz")
    assert list(walter.safety_plans.order_by("number").values_list("number", flat=True)) == [1, 2]
    flag = RiskFlag.objects.exclude(resident=walter).get()
    plan = SafetyPlan.objects.get(resident=flag.resident)
    assert flag.active and flag.source.answers[8] > 0
    assert flag.raised_at <= plan.signed_at < flag.raised_at + dt.timedelta(hours=24)


def test_walter_has_an_answered_thread_and_dana_a_message_waiting(demo):
    from homecoming.conversations import selectors as conversations

    walter = Resident.objects.get(user__username="walter")
    thread = walter.message_threads.get()
    authors = [(m.author.username, m.from_resident) for m in thread.messages.all()]
    assert authors == [("walter", True), ("heidi", False)]
    heidi = User.objects.get(username="heidi")
    waiting = conversations.waiting(heidi)
    assert [w.thread.resident.user.username for w in waiting] == ["dana"]


def test_walter_has_one_correction_answered_and_one_waiting_for_heidi(demo):
    from homecoming.corrections.models import CorrectionRequest

    walter = Resident.objects.get(given_name="Walter", family_name="Cruz")
    answered, waiting = CorrectionRequest.objects.filter(resident=walter).order_by("filed_at")
    assert answered.kind == "note" and answered.answer.outcome == "amended"
    assert answered.answer.addendum.note_id == answered.entry_id
    assert answered.answer.answered_by.username == "heidi"
    assert waiting.kind == "details" and not hasattr(waiting, "answer")
