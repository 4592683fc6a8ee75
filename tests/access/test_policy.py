"""The access policy: every rule, and above all that each one denies. Deny by default."""

import pytest
from django.core.exceptions import ValidationError

from homecoming.access import policy
from homecoming.access import services as access_services
from homecoming.access.policy import AccessDenied, Action
from homecoming.accounts.models import Role
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry
from homecoming.residents import selectors
from homecoming.residents import services as residents_services
from homecoming.residents.models import Resident

RECORD_ADMIN = {
    Action.VIEW,
    Action.LIST,
    Action.EDIT,
    Action.OPEN_STAY,
    Action.ASSIGN_BED,
    Action.GRANT_PORTAL,
}
CLINICAL_WORK = {
    Action.VIEW_HISTORY,
    Action.REPORT_ADVERSE_EVENT,
    Action.VIEW_ADVERSE_EVENTS,
    Action.WRITE_NOTE,
    Action.ADD_ADDENDUM,
    Action.UPLOAD_RECORDING,
    Action.PLAY_RECORDING,
    Action.RECORD_MEASURE,
    Action.RECORD_CONSENT,
    Action.REVOKE_CONSENT,
}
SUPERVISING = (
    RECORD_ADMIN
    | CLINICAL_WORK
    | {
        Action.ASSIGN_CARE_TEAM,
        Action.SCHEDULE_SESSION,
        Action.UPDATE_SESSION,
        Action.COSIGN_NOTE,
        Action.RELEASE_NOTE,
    }
)
MEDICATIONS = {Action.VIEW_MEDICATIONS, Action.PRESCRIBE, Action.ADMINISTER}
# The patient banner and the photo: the chart's rule, plus the round (the two-identifier check).
BANNER = {Action.VIEW_BANNER, Action.UPLOAD_PHOTO}
# What any clinician may do for a resident in residence on the medication round.
ROUND = {Action.VIEW_MEDICATIONS, Action.ADMINISTER, Action.REPORT_ADVERSE_EVENT}
# A resident's own complaint is filed by the resident only; staff file theirs as staff. A copy of
# the record is downloaded by the resident only: no member of staff, whatever their reach.
RESIDENT_ACTIONS = sorted(
    SUPERVISING
    | MEDICATIONS
    | BANNER
    | {
        Action.BREAK_GLASS,
        Action.FILE_COMPLAINT,
        Action.DOWNLOAD_RECORD,
        Action.VIEW_ACCESS_TRAIL,
    }
)
# Expected answers for a resident on the care team of staff["caseworker"] and staff["clinician"]
# (written out again on purpose: a change to the policy must change this table too).
ALLOWED = {
    "caseworker": RECORD_ADMIN
    | CLINICAL_WORK
    | BANNER
    | {Action.SCHEDULE_SESSION, Action.UPDATE_SESSION, Action.VIEW_MEDICATIONS},
    # Only a clinician may withhold a note or give a dose; neither schedules sessions nor
    # co-signs; and this clinician is no prescriber.
    "clinician": {Action.VIEW, Action.LIST, Action.RELEASE_NOTE} | CLINICAL_WORK | ROUND | BANNER,
    "caseworker_other": set(),
    # The round shows the nurse the banner and the photo; taking one is the care team's.
    "clinician_other": {Action.BREAK_GLASS, Action.VIEW_BANNER} | ROUND,
    "supervisor": SUPERVISING | BANNER | {Action.VIEW_MEDICATIONS},
    "program_director": SUPERVISING | BANNER | {Action.VIEW_MEDICATIONS},
    "contractor": set(),
    # The trail of who looked at the record is read by those who watch the watchers: the
    # oversight body of any resident, an investigator under a grant (none here).
    "oversight": {Action.VIEW_ACCESS_TRAIL},
    "investigator": set(),
    "sysadmin": set(),
}


@pytest.mark.parametrize("who", sorted(ALLOWED))
@pytest.mark.parametrize("action", RESIDENT_ACTIONS, ids=str)
def test_resident_actions_matrix(resident, staff, who, action):
    decision = policy.decide(staff[who], action, resident)
    assert decision.allowed == (action in ALLOWED[who])


@pytest.mark.parametrize(
    "who",
    ["caseworker_other", "contractor", "sysadmin", "oversight", "investigator", "clinician_other"],
)
def test_a_denied_read_is_refused_and_recorded(resident, staff, who):
    with pytest.raises(AccessDenied):
        selectors.chart(staff[who], resident.pk)
    denied = Entry.objects.filter(outcome="denied").latest("seq")
    assert (denied.actor, denied.action, denied.resident_id) == (
        staff[who],
        "resident.view",
        resident.pk,
    )
    assert not Entry.objects.filter(actor=staff[who], outcome="allowed").exists()


CENTER_ALLOWED = {
    Action.REGISTER: {"caseworker", "supervisor", "program_director"},
    Action.VIEW_BED_BOARD: {"caseworker", "clinician", "supervisor", "program_director"},
    Action.VIEW_AGGREGATES: {"contractor", "supervisor", "program_director", "oversight"},
    Action.MANAGE_ACCOUNTS: {"sysadmin", "program_director"},
    Action.MANAGE_CENTER: {"program_director"},
    Action.VIEW_LEDGER: {"oversight", "investigator"},
    Action.VIEW_CALENDAR: {"caseworker", "supervisor", "program_director"},
    Action.PUBLISH_CONSENT_DOCUMENT: {"program_director"},
    Action.VIEW_MAR: {"clinician"},
    Action.VIEW_FORMULARY: {"clinician", "supervisor", "program_director", "oversight"},
    Action.EXPORT_SHARED_DATA: {"program_director"},
    Action.EXPORT_RECORDS: {"program_director"},
    Action.VIEW_SAFETY: {"clinician", "supervisor", "program_director", "oversight"},
    Action.FILE_STAFF_COMPLAINT: {
        "caseworker",
        "clinician",
        "supervisor",
        "program_director",
        "contractor",
        "sysadmin",
    },
    Action.HANDLE_COMPLAINTS: {"supervisor", "program_director", "oversight"},
    Action.INVESTIGATE: {"oversight"},
    Action.VIEW_INVESTIGATIONS: {"oversight", "investigator"},
}


@pytest.mark.parametrize("action", list(CENTER_ALLOWED), ids=str)
@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_center_actions_matrix(staff, who, action):
    assert policy.decide(staff[who], action).allowed == (staff[who].role in CENTER_ALLOWED[action])


def test_resident_sees_only_their_own_record(resident, admit, make_user, staff):
    other = admit(given_name="Other", family_name="Person")
    user = make_user(Role.RESIDENT)
    Resident.objects.filter(pk=resident.pk).update(user=user)
    resident.refresh_from_db()
    assert policy.decide(user, Action.VIEW, resident).allowed
    assert policy.decide(user, Action.LIST, resident).allowed
    assert not policy.decide(user, Action.VIEW, other).allowed
    assert not policy.decide(user, Action.LIST, other).allowed
    own = (
        Action.RECORD_MEASURE,
        Action.RECORD_CONSENT,
        Action.REVOKE_CONSENT,
        Action.VIEW_MEDICATIONS,
        Action.REPORT_ADVERSE_EVENT,
        Action.VIEW_ADVERSE_EVENTS,
        Action.FILE_COMPLAINT,
        Action.DOWNLOAD_RECORD,
        Action.VIEW_BANNER,  # their own photo
        Action.VIEW_ACCESS_TRAIL,  # "who looked at my record"
    )
    for action in own:
        assert policy.decide(user, action, resident).allowed
        assert not policy.decide(user, action, other).allowed
    for action in set(RESIDENT_ACTIONS) - {Action.VIEW, Action.LIST, *own}:
        assert not policy.decide(user, action, resident).allowed, action
    assert not policy.decide(user, Action.REGISTER).allowed
    assert list(Resident.objects.visible_to(user)) == [resident]


def test_anonymous_and_inactive_users_are_denied(resident, staff):
    from django.contrib.auth.models import AnonymousUser

    assert not policy.decide(AnonymousUser(), Action.VIEW, resident).allowed
    supervisor = staff["supervisor"]
    supervisor.is_active = False
    assert not policy.decide(supervisor, Action.VIEW, resident).allowed
    assert not Resident.objects.visible_to(supervisor).exists()


def test_visible_residents_follow_care_teams(resident, admit, staff):
    theirs = admit(
        caseworker=staff["caseworker_other"],
        clinician=staff["clinician_other"],
        given_name="Jo",
        family_name="Other",
    )
    assert set(Resident.objects.visible_to(staff["caseworker"])) == {resident}
    assert set(Resident.objects.visible_to(staff["clinician_other"])) == {theirs}
    assert set(Resident.objects.visible_to(staff["supervisor"])) == {resident, theirs}
    for who in ("contractor", "sysadmin", "oversight", "investigator"):
        assert not Resident.objects.visible_to(staff[who]).exists()


def test_break_glass_needs_a_reason(resident, staff):
    with pytest.raises(ValidationError):
        access_services.open_break_glass(staff["clinician_other"], resident, "need it")
    assert not policy.decide(staff["clinician_other"], Action.VIEW, resident).allowed


def test_break_glass_opens_a_flagged_read_and_alerts_the_supervisors(resident, staff, make_user):
    second_supervisor = make_user(Role.SUPERVISOR)
    nurse = staff["clinician_other"]
    access_services.open_break_glass(nurse, resident, "Resident collapsed in the dining hall")
    chart = selectors.chart(nurse, resident.pk)
    assert chart.purpose == "break_glass"
    read = Entry.objects.filter(actor=nurse, action="resident.view").latest("seq")
    assert read.purpose == "break_glass" and read.outcome == "allowed"
    alerted = set(Alert.objects.filter(kind="break_glass").values_list("recipient", flat=True))
    assert alerted == {staff["supervisor"].pk, second_supervisor.pk}
    # Break-glass opens reading only, never changing the record nor its history and notes.
    # (The banner opens with the chart, and on the round anyway.)
    for action in (
        set(RESIDENT_ACTIONS) - {Action.VIEW, Action.VIEW_BANNER, Action.BREAK_GLASS} - ROUND
    ):
        assert not policy.decide(nurse, action, resident).allowed, action


@pytest.mark.parametrize("who", ["caseworker_other", "contractor", "sysadmin", "oversight"])
def test_only_clinicians_may_break_glass(resident, staff, who):
    with pytest.raises(AccessDenied):
        access_services.open_break_glass(staff[who], resident, "I really want to read this one")


def test_break_glass_expires(resident, staff, settings):
    from datetime import timedelta

    from django.utils import timezone

    from homecoming.access.models import BreakGlass

    nurse = staff["clinician_other"]
    grant = access_services.open_break_glass(nurse, resident, "Resident collapsed at breakfast")
    BreakGlass.objects.filter(pk=grant.pk).update(
        opened_at=timezone.now() - timedelta(hours=5),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    assert not policy.decide(nurse, Action.VIEW, resident).allowed


def test_ending_care_team_membership_ends_access(resident, staff):
    from homecoming.residents import services

    services.assign_care_team(
        staff["supervisor"], resident, "primary_caseworker", staff["caseworker_other"]
    )
    assert not policy.decide(staff["caseworker"], Action.VIEW, resident).allowed
    assert policy.decide(staff["caseworker_other"], Action.VIEW, resident).allowed


def test_a_short_reason_from_someone_who_may_not_break_glass_is_still_recorded(resident, staff):
    with pytest.raises(AccessDenied):
        access_services.open_break_glass(staff["contractor"], resident, "x")
    assert Entry.objects.filter(
        actor=staff["contractor"], action="resident.break_glass", outcome="denied"
    ).exists()


def test_asking_for_a_resident_that_does_not_exist_is_recorded(staff, db):
    with pytest.raises(Resident.DoesNotExist):
        selectors.chart(staff["caseworker"], 424242)
    entry = Entry.objects.get(actor=staff["caseworker"])
    assert (entry.outcome, entry.object_id, entry.resident_id) == ("denied", "424242", None)


def test_only_a_prescriber_on_the_care_team_may_prescribe(resident, staff, make_user):
    prescriber = make_user(Role.CLINICIAN, is_prescriber=True)
    assert not policy.decide(prescriber, Action.PRESCRIBE, resident).allowed  # not on the team
    assert not policy.decide(staff["clinician"], Action.PRESCRIBE, resident).allowed  # a nurse
    assert not policy.decide(staff["supervisor"], Action.PRESCRIBE, resident).allowed
    residents_services.assign_care_team(staff["supervisor"], resident, "clinician", prescriber)
    assert policy.decide(prescriber, Action.PRESCRIBE, resident).allowed
    with pytest.raises(AccessDenied, match="Only a prescriber"):
        policy.require(staff["clinician"], Action.PRESCRIBE, resident)
    denied = Entry.objects.filter(outcome="denied").latest("seq")
    assert (denied.actor, denied.action) == (staff["clinician"], "medication.prescribe")


def test_only_the_medical_lead_keeps_the_formulary(staff, make_user):
    lead = make_user(Role.CLINICIAN, is_prescriber=True, is_medical_lead=True)
    assert policy.decide(lead, Action.MANAGE_FORMULARY).allowed
    for who in ("clinician", "supervisor", "program_director", "oversight", "sysadmin"):
        assert not policy.decide(staff[who], Action.MANAGE_FORMULARY).allowed, who


def test_the_medication_round_covers_only_residents_in_residence(resident, staff):
    nurse = staff["clinician_other"]
    decision = policy.decide(nurse, Action.ADMINISTER, resident)
    assert decision.allowed and decision.purpose == "medication_round"
    # Nothing else of the record opens on the round.
    assert not policy.decide(nurse, Action.VIEW, resident).allowed
    stay = resident.stays.get()
    stay.status = "expected"
    stay.save()
    for action in ROUND:
        assert not policy.decide(nurse, action, resident).allowed
    # Caseworkers, supervisors and the rest are never on the round.
    stay.status = "in_residence"
    stay.save()
    for who in ("caseworker_other", "supervisor", "contractor", "oversight", "sysadmin"):
        assert not policy.decide(staff[who], Action.ADMINISTER, resident).allowed, who
