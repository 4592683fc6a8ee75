"""Recording questionnaires: versions and ledger entries, the item-9 safety alert, refusals."""

import pytest
from django.core.exceptions import ValidationError

from homecoming.access import services as access_services
from homecoming.access.policy import AccessDenied
from homecoming.accounts.models import User
from homecoming.alerts.models import Alert
from homecoming.ledger import dbcheck
from homecoming.ledger.models import Entry, Version
from homecoming.measures import services
from homecoming.measures.models import Questionnaire
from tests.measures.answers import pcl5, phq9


def test_staff_record_a_questionnaire_with_its_scores(resident, staff):
    q = services.record(staff["caseworker"], resident, "phq9", phq9(rest=2), difficulty=1)
    assert (q.total, q.band, q.mode) == (16, "moderately severe", "staff")
    assert q.answers == [2, 2, 2, 2, 2, 2, 2, 2, 0]
    assert q.findings == {"item9": 0, "item9_positive": False, "difficulty": 1}
    assert q.completed_by == staff["caseworker"]
    stored = Questionnaire.objects.get(pk=q.pk)
    assert stored.answers == q.answers and stored.findings == q.findings


def test_each_questionnaire_is_a_version_and_a_ledger_entry(resident, staff, ledger_key):
    q = services.record(staff["clinician"], resident, "gad7", [1] * 7)
    entry = Entry.objects.get(action="measure.record", object_id=str(q.pk))
    assert entry.object_type == "measures.questionnaire"
    assert (entry.resident_id, entry.actor, entry.purpose) == (
        resident.pk,
        staff["clinician"],
        "care",
    )
    version = Version.objects.get(object_type="measures.questionnaire", object_id=str(q.pk))
    assert version.seq == entry.seq and version.sha256 == entry.version_sha256
    assert '"total":7' in version.content
    report = dbcheck.check()  # the row equals its latest version
    assert report.ok, report.problems


def test_supervisors_record_for_any_resident(resident, staff):
    services.record(staff["supervisor"], resident, "gad7", [0] * 7)
    assert Entry.objects.get(action="measure.record").purpose == "supervision"


def test_the_resident_completes_their_own(resident, portal_user):
    q = services.record(portal_user, resident, "pcl5", pcl5(20))
    assert q.mode == "self" and q.completed_by == portal_user
    assert Entry.objects.get(action="measure.record").purpose == "self"


def test_pcl5_change_is_measured_from_this_residents_previous_pcl5(resident, other_resident, staff):
    first = services.record(staff["caseworker"], resident, "pcl5", pcl5(50))
    assert "change" not in first.findings
    services.record(staff["supervisor"], other_resident, "pcl5", pcl5(10))  # someone else's
    services.record(staff["caseworker"], resident, "phq9", phq9())  # another instrument
    second = services.record(staff["caseworker"], resident, "pcl5", pcl5(38))
    assert second.findings["previous_total"] == 50
    assert second.findings["change"] == -12 and second.findings["meaningful_change"] is True
    assert second.findings["change_direction"] == "improvement"
    third = services.record(staff["caseworker"], resident, "pcl5", pcl5(47))
    assert third.findings["previous_total"] == 38
    assert third.findings["change"] == 9 and third.findings["meaningful_change"] is False


def test_the_configured_cutpoint_is_used_and_kept(resident, staff, settings):
    settings.HOMECOMING_PCL5_CUTPOINT = 31
    q = services.record(staff["caseworker"], resident, "pcl5", pcl5(32))
    assert q.band == "at or above cut-point"
    assert q.findings["cutpoint"] == 31 and q.findings["provisional_ptsd_cutpoint"] is True


# --- the item-9 safety alert -----------------------------------------------------------------

MESSAGE = (
    'Walter Cruz answered 2 ("More than half the days") to PHQ-9 item 9 (thoughts that you '
    "would be better off dead, or of hurting yourself): contact them today."
)


def test_item9_above_zero_alerts_every_care_team_member(resident, staff, portal_user):
    services.record(portal_user, resident, "phq9", phq9(item9=2))
    alerts = Alert.objects.filter(kind="safety")
    assert {a.recipient for a in alerts} == {staff["caseworker"], staff["clinician"]}
    assert all(a.message == MESSAGE and a.resident == resident for a in alerts)
    assert not Alert.objects.filter(recipient=portal_user).exists()


def test_item9_at_zero_raises_no_alert(resident, staff):
    services.record(staff["caseworker"], resident, "phq9", phq9(item9=0, rest=3))
    assert not Alert.objects.exists()


def test_without_anyone_on_the_team_the_supervisors_are_alerted(resident, staff):
    # The team's accounts are switched off: nobody on the team can receive the alert.
    User.objects.filter(pk__in=[staff["caseworker"].pk, staff["clinician"].pk]).update(
        is_active=False
    )
    services.record(staff["supervisor"], resident, "phq9", phq9(item9=1))
    assert [a.recipient for a in Alert.objects.all()] == [staff["supervisor"]]
    assert '1 ("Several days")' in Alert.objects.get().message


def test_the_alert_and_the_answer_are_one_transaction(resident, staff, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("alerts are down")

    monkeypatch.setattr(services.alerts, "notify_care_team", broken)
    with pytest.raises(RuntimeError):
        services.record(staff["caseworker"], resident, "phq9", phq9(item9=3))
    # Without its alert the answer is not saved either (and not written to the ledger).
    assert not Questionnaire.objects.exists()
    assert not Entry.objects.filter(action="measure.record").exists()


# --- refusals --------------------------------------------------------------------------------


def test_an_incomplete_questionnaire_is_refused_with_the_missing_items(resident, staff):
    answers = [1, 1, None, 1, 1, 1, 1, 1, None]
    with pytest.raises(ValidationError) as exc:
        services.record(staff["caseworker"], resident, "phq9", answers)
    assert exc.value.message_dict["answers"] == ["Items 3 and 9 are not answered."]
    assert not Questionnaire.objects.exists()
    assert not Entry.objects.filter(action="measure.record").exists()
    assert not Alert.objects.exists()


def test_an_unknown_instrument_is_refused(resident, staff):
    with pytest.raises(ValidationError, match="no questionnaire called"):
        services.record(staff["caseworker"], resident, "bdi2", [0] * 21)


@pytest.mark.parametrize(
    "who",
    ["caseworker_other", "clinician_other", "contractor", "oversight", "investigator", "sysadmin"],
)
def test_others_may_not_record(resident, staff, who):
    with pytest.raises(AccessDenied):
        services.record(staff[who], resident, "phq9", phq9(item9=1))
    denied = Entry.objects.get(actor=staff[who], action="measure.record")
    assert (denied.outcome, denied.resident_id, denied.purpose) == ("denied", resident.pk, "none")
    assert not Questionnaire.objects.exists() and not Alert.objects.exists()


def test_break_glass_opens_the_record_to_read_not_to_record(resident, staff):
    access_services.open_break_glass(staff["clinician_other"], resident, "Seizure in room N101")
    with pytest.raises(AccessDenied):
        services.record(staff["clinician_other"], resident, "gad7", [0] * 7)
    assert Entry.objects.filter(action="measure.record", outcome="denied").count() == 1


def test_a_resident_may_not_record_for_someone_else(resident, other_resident, portal_user):
    with pytest.raises(AccessDenied):
        services.record(portal_user, other_resident, "phq9", phq9())
    denied = Entry.objects.get(actor=portal_user, action="measure.record")
    assert denied.outcome == "denied" and denied.resident_id == other_resident.pk
    assert not Questionnaire.objects.exists()


def test_the_database_refuses_to_change_a_questionnaire(resident, staff):
    from django.db import DatabaseError, transaction

    q = services.record(staff["caseworker"], resident, "gad7", [0] * 7)
    with pytest.raises(DatabaseError, match="final"), transaction.atomic():
        Questionnaire.objects.filter(pk=q.pk).update(total=21)
    with pytest.raises(DatabaseError, match="final"), transaction.atomic():
        Questionnaire.objects.filter(pk=q.pk).delete()
