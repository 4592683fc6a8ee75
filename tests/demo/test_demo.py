"""The demo center retells the story, the same way every time, through the real services."""

import pytest

from homecoming.accounts.models import Role, User
from homecoming.demo import builder
from homecoming.ledger.models import Entry
from homecoming.residents.models import Bed, BedAssignment, Center, Resident


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
    assert Resident.objects.count() == 6
    assert BedAssignment.objects.filter(released_at__isnull=True).count() == 6
    assert Bed.objects.count() >= 48
    assert Entry.objects.filter(action="resident.register").exists()
    seqs = list(Entry.objects.values_list("seq", flat=True))
    assert seqs == list(range(len(seqs)))


def test_the_synthetic_residents_are_the_same_every_time(db):
    import datetime as dt
    import random

    from faker import Faker

    def names():
        fake = Faker("en_US")
        fake.seed_instance(builder.SEED)
        rng = random.Random(builder.SEED)
        return [builder._synthetic_intake(fake, rng, dt.date(2026, 11, 21)) for _ in range(5)]

    assert names() == names()


def test_a_second_build_refuses_rather_than_wiping(demo):
    with pytest.raises(builder.AlreadyBuilt):
        builder.build(residents=3, progress=False)
    assert Resident.objects.count() == 6


def test_demo_codes_work_only_for_demo_authenticators(demo, make_user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    code = builder.current_code("heidi")
    assert len(code) == 6 and TOTPDevice.objects.get(user__username="heidi").verify_token(code)
    make_user(Role.CASEWORKER, username="real_person")
    with pytest.raises(LookupError):
        builder.current_code("real_person")
