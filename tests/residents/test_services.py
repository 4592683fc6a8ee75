"""Intake, stays, beds and care teams: invariants in the service and in the database."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from homecoming.access.policy import AccessDenied
from homecoming.ledger.models import Entry, Version
from homecoming.residents import services
from homecoming.residents.models import BedAssignment, CareTeamMember, Resident, Stay


def test_admission_writes_person_stay_bed_team_with_versions_and_entries(resident, beds, staff):
    stay = resident.stays.get()
    assert stay.status == "in_residence"
    assert stay.bed_assignments.get(released_at__isnull=True).bed == beds[0]
    team = {m.team_role: m.user for m in resident.care_team.all()}
    assert team == {"primary_caseworker": staff["caseworker"], "clinician": staff["clinician"]}
    written = Entry.objects.filter(resident=resident, outcome="allowed")
    types = set(written.values_list("object_type", flat=True))
    assert types == {
        "residents.resident",
        "residents.stay",
        "residents.bedassignment",
        "residents.careteammember",
    }
    assert all(e.version_sha256 for e in written)
    assert Version.objects.filter(sha256__in=written.values("version_sha256")).count() == 5


def test_a_future_admission_is_expected_not_in_residence(admit, staff):
    from homecoming.residents.services import Admission
    from tests.conftest import intake

    r = services.admit(
        staff["supervisor"],
        Admission(
            intake=intake(),
            admitted_on=timezone.localdate() + dt.timedelta(days=5),
            expected_length_days=30,
            primary_caseworker=staff["caseworker"],
        ),
    )
    assert r.stays.get().status == "expected"


def test_a_bed_is_never_double_booked_by_the_service(resident, admit, beds):
    with pytest.raises(ValidationError, match="already occupied"):
        admit(bed=beds[0], given_name="Second")
    assert Resident.objects.count() == 1  # nothing half-saved


def test_a_bed_is_never_double_booked_by_the_database(resident, admit, beds):
    other = admit(given_name="Second")
    with pytest.raises(IntegrityError), transaction.atomic():
        BedAssignment.objects.create(
            stay=other.stays.get(), bed=beds[0], assigned_at=timezone.now()
        )


def test_moving_beds_releases_the_old_one(resident, beds, staff):
    services.assign_bed(staff["caseworker"], resident, beds[1])
    current = BedAssignment.objects.filter(stay__resident=resident, released_at__isnull=True)
    assert [a.bed for a in current] == [beds[1]]
    assert BedAssignment.objects.filter(bed=beds[0], released_at__isnull=False).exists()


def test_assigning_a_taken_bed_is_refused(resident, admit, beds, staff):
    other = admit(given_name="Second", bed=beds[1])
    with pytest.raises(ValidationError, match="already occupied"):
        services.assign_bed(staff["supervisor"], other, beds[0])


def test_one_open_stay_per_resident(resident, staff):
    with pytest.raises(ValidationError, match="already has an open stay"):
        services.open_stay(staff["caseworker"], resident, timezone.localdate(), 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stay.objects.create(
            resident=resident,
            admitted_on=timezone.localdate(),
            expected_length_days=3,
            status="expected",
            opened_at=timezone.now(),
        )


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"date_of_birth": dt.date(2100, 1, 1)}, "date_of_birth"),
        ({"service_start": dt.date(1980, 1, 1)}, "service_start"),
        ({"service_end": dt.date(2009, 1, 1)}, "service_end"),
    ],
)
def test_impossible_dates_are_refused_and_nothing_is_saved(admit, fields, field):
    with pytest.raises(ValidationError) as exc:
        admit(**fields)
    assert field in exc.value.error_dict
    assert not Resident.objects.exists()
    assert not Entry.objects.filter(outcome="allowed", resident__isnull=False).exists()


def test_a_caseworker_admits_to_their_own_caseload_only(admit, staff):
    with pytest.raises(ValidationError, match="own caseload"):
        admit(actor=staff["caseworker"], caseworker=staff["caseworker_other"])
    admit(actor=staff["caseworker"], caseworker=staff["caseworker"])


def test_team_roles_need_matching_staff_roles(admit, staff):
    with pytest.raises(ValidationError, match="not an active caseworker"):
        admit(caseworker=staff["clinician"])
    with pytest.raises(ValidationError, match="not an active clinician"):
        admit(clinician=staff["caseworker_other"])


@pytest.mark.parametrize(
    "who", ["clinician", "contractor", "sysadmin", "oversight", "investigator"]
)
def test_who_may_not_admit(admit, staff, who):
    with pytest.raises(AccessDenied):
        admit(actor=staff[who])
    assert Entry.objects.filter(
        actor=staff[who], outcome="denied", action="resident.register"
    ).exists()


def test_correcting_intake_leaves_a_new_version(resident, staff):
    services.update_intake(staff["caseworker"], resident, {"preferred_name": "Walt"})
    versions = Version.objects.filter(
        object_type="residents.resident", object_id=str(resident.pk)
    ).order_by("seq")
    assert len(versions) == 2 and versions[0].seq < versions[1].seq
    assert '"preferred_name":""' in versions[0].content
    assert '"preferred_name":"Walt"' in versions[1].content


def test_an_unchanged_correction_leaves_no_version(resident, staff):
    services.update_intake(staff["caseworker"], resident, {"pronouns": "he/him"})
    assert Version.objects.filter(object_type="residents.resident").count() == 1


def test_intake_correction_denied_to_clinicians(resident, staff):
    with pytest.raises(AccessDenied):
        services.update_intake(staff["clinician"], resident, {"preferred_name": "X"})


def test_care_team_change_ends_the_previous_member(resident, staff):
    services.assign_care_team(staff["supervisor"], resident, "clinician", staff["clinician_other"])
    current = CareTeamMember.objects.filter(
        resident=resident, team_role="clinician", ended_at__isnull=True
    )
    assert [m.user for m in current] == [staff["clinician_other"]]
    with pytest.raises(AccessDenied):
        services.assign_care_team(staff["caseworker"], resident, "clinician", staff["clinician"])


def test_portal_access_links_a_resident_login(resident, staff):
    user = services.grant_portal_access(
        staff["caseworker"], resident, "walter", "a long enough passphrase"
    )
    resident.refresh_from_db()
    assert resident.user == user and user.role == "resident"
    assert user.password.startswith("argon2")
    with pytest.raises(ValidationError, match="already has"):
        services.grant_portal_access(
            staff["caseworker"], resident, "walter2", "a long enough passphrase"
        )


def test_portal_access_refuses_weak_passwords_and_taken_names(resident, staff):
    with pytest.raises(ValidationError) as exc:
        services.grant_portal_access(staff["caseworker"], resident, "walter", "short")
    assert "password" in exc.value.error_dict
    with pytest.raises(ValidationError, match="taken"):
        services.grant_portal_access(
            staff["caseworker"], resident, "caseworker", "a long enough passphrase"
        )


def test_portal_access_versions_the_new_account(resident, staff):
    user = services.grant_portal_access(
        staff["caseworker"], resident, "walter", "a long enough passphrase"
    )
    created = Entry.objects.get(action="account.create", object_id=str(user.pk))
    assert created.resident_id == resident.pk
    assert Version.objects.filter(object_type="accounts.user", object_id=str(user.pk)).exists()
    assert user.must_change_password


@pytest.mark.parametrize("username", ["x');alert(1);//", "two words", "<b>"])
def test_portal_usernames_are_plain(resident, staff, username):
    with pytest.raises(ValidationError) as exc:
        services.grant_portal_access(
            staff["caseworker"], resident, username, "a long enough passphrase"
        )
    assert "username" in exc.value.error_dict


@pytest.mark.parametrize(
    "field", ["date_of_birth", "service_start", "given_name", "emergency_contact_phone"]
)
def test_required_intake_fields_cannot_be_emptied(resident, staff, field):
    with pytest.raises(ValidationError) as exc:
        services.update_intake(staff["caseworker"], resident, {field: None})
    assert field in exc.value.error_dict


def test_optional_intake_fields_can_be_emptied(resident, staff):
    services.update_intake(staff["caseworker"], resident, {"pronouns": None, "service_end": None})
    resident.refresh_from_db()
    assert resident.pronouns == "" and resident.service_end is None
