"""The risk flag: raised by a positive PHQ-9 item 9, on the worklist until a plan is signed, and
cleared only by a clinician on the care team with the reason, the supervisors told."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from homecoming.access.policy import AccessDenied
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry, Outcome
from homecoming.measures import services as measures
from homecoming.safetyplans import selectors, services
from homecoming.safetyplans.models import RiskFlag

from ..conftest import PASSWORD
from ..measures.answers import phq9

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


def _flagged(actor, resident, item9=2):
    measures.record(actor, resident, "phq9", phq9(item9=item9))
    return RiskFlag.objects.filter(resident=resident).first()


def test_a_positive_item9_raises_a_flag_on_the_ledger(resident, staff):
    flag = _flagged(staff["caseworker"], resident, item9=1)
    assert flag.active and flag.source.instrument == "phq9"
    assert "PHQ-9 item 9" in flag.reason
    assert Entry.objects.filter(action=services.RAISE, object_id=str(flag.pk)).exists()


def test_item9_at_zero_raises_no_flag(resident, staff):
    measures.record(staff["caseworker"], resident, "phq9", phq9(item9=0, rest=3))
    assert not RiskFlag.objects.exists()


def test_a_second_positive_answer_keeps_the_one_active_flag(resident, staff):
    _flagged(staff["caseworker"], resident)
    _flagged(staff["clinician"], resident, item9=3)
    assert RiskFlag.objects.filter(resident=resident).count() == 1


def test_review_due_then_overdue_until_a_plan_is_signed(resident, staff, sections):
    with time_machine.travel(NOON, tick=False):
        _flagged(staff["caseworker"], resident)
        [due] = selectors.reviews_due(staff["caseworker"])
        assert due.flag.resident == resident and not due.overdue
        assert due.due_at == NOON + dt.timedelta(hours=24)
        assert selectors.reviews_due(staff["clinician"])  # the whole care team
        assert selectors.reviews_due(staff["supervisor"])  # and the supervisors
        assert not selectors.reviews_due(staff["caseworker_other"])  # nobody else
    with time_machine.travel(NOON + dt.timedelta(hours=25), tick=False):
        [due] = selectors.reviews_due(staff["caseworker"])
        assert due.overdue
        services.sign(staff["caseworker"], resident, sections, PASSWORD)
        assert selectors.reviews_due(staff["caseworker"]) == []


def test_a_plan_signed_before_the_flag_does_not_answer_it(resident, staff, sections):
    with time_machine.travel(NOON, tick=False):
        services.sign(staff["caseworker"], resident, sections, PASSWORD)
    with time_machine.travel(NOON + dt.timedelta(days=3), tick=False):
        _flagged(staff["caseworker"], resident)
        assert len(selectors.reviews_due(staff["caseworker"])) == 1


def test_the_worklist_is_a_list_entry_naming_the_residents(resident, staff):
    _flagged(staff["caseworker"], resident)
    before = Entry.objects.count()
    selectors.reviews_due(staff["caseworker"])
    entry = Entry.objects.filter(pk__gt=0).order_by("-seq").first()
    assert Entry.objects.count() > before and entry.action == "resident.list"


def test_a_clinician_on_the_team_clears_with_the_reason_and_supervisors_are_told(resident, staff):
    flag = _flagged(staff["caseworker"], resident)
    services.clear(staff["clinician"], flag, "Seen today: no intent, plan in place.")
    flag.refresh_from_db()
    assert not flag.active and flag.cleared_by == staff["clinician"]
    assert Entry.objects.filter(action=services.CLEAR, object_id=str(flag.pk)).exists()
    told = Alert.objects.filter(kind="risk_flag_cleared")
    assert {a.recipient for a in told} == {staff["supervisor"]}
    assert "no intent" in told.get().message


def test_clearing_needs_a_reason(resident, staff):
    flag = _flagged(staff["caseworker"], resident)
    with pytest.raises(ValidationError) as caught:
        services.clear(staff["clinician"], flag, "  ")
    assert "reason" in caught.value.error_dict
    assert RiskFlag.objects.get(pk=flag.pk).active


@pytest.mark.parametrize(
    "who", ["caseworker", "clinician_other", "supervisor", "investigator", "resident"]
)
def test_nobody_but_a_team_clinician_clears(resident, staff, portal_user, who):
    flag = _flagged(staff["caseworker"], resident)
    actor = portal_user if who == "resident" else staff[who]
    with pytest.raises(AccessDenied):
        services.clear(actor, flag, "I say so.")
    assert RiskFlag.objects.get(pk=flag.pk).active
    assert Entry.objects.filter(
        actor=actor, action="riskflag.clear", outcome=Outcome.DENIED
    ).exists()


def test_the_database_refuses_to_delete_or_rewrite_a_flag(resident, staff):
    flag = _flagged(staff["caseworker"], resident)
    for sql in (
        "DELETE FROM safetyplans_riskflag WHERE id = %s",
        "UPDATE safetyplans_riskflag SET reason = 'nothing' WHERE id = %s",
    ):
        with pytest.raises(Exception, match="refused"), transaction.atomic():
            connection.cursor().execute(sql, [flag.pk])
    services.clear(staff["clinician"], flag, "Reviewed.")
    with pytest.raises(Exception, match="refused"), transaction.atomic():
        connection.cursor().execute(
            "UPDATE safetyplans_riskflag SET cleared_at = NULL, cleared_by_id = NULL, "
            "cleared_reason = '' WHERE id = %s",
            [flag.pk],
        )


def test_one_active_flag_per_resident_is_a_constraint(resident, staff):
    _flagged(staff["caseworker"], resident)
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskFlag.objects.create(resident=resident, reason="again", raised_at=NOON)


def test_an_overdue_review_is_told_to_the_supervisors_once_and_closed_by_a_plan(
    resident, staff, sections
):
    from homecoming.safetyplans import timers

    with time_machine.travel(NOON, tick=False):
        flag = _flagged(staff["caseworker"], resident)
    with time_machine.travel(NOON + dt.timedelta(hours=23), tick=False):
        assert timers.escalate_overdue() == []  # still within the day
    with time_machine.travel(NOON + dt.timedelta(hours=25), tick=False):
        assert timers.escalate_overdue() == [flag]
        assert timers.escalate_overdue() == []  # once per flag
        told = Alert.objects.filter(kind=services.OVERDUE_ALERT)
        assert {a.recipient for a in told} == {staff["supervisor"]}
        services.sign(staff["caseworker"], resident, sections, PASSWORD)
        assert not told.filter(read_at__isnull=True).exists()


def test_the_worker_runs_the_overdue_review(resident, staff):
    from homecoming.core import worker

    job = next(j for j in worker.jobs() if j.name == "safety plans")
    with time_machine.travel(NOON, tick=False):
        _flagged(staff["caseworker"], resident)
    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False):
        assert "1 overdue safety plan review(s)" in job.run()
