"""The discharge: writing the plan, who signs which line, return to duty, the one-transaction
discharge (and that a failure half-way leaves nothing), and left against advice."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.alerts.models import Alert
from homecoming.discharge import services
from homecoming.discharge.models import Disposition, PlanStatus
from homecoming.encounters.models import Attendance, SessionStatus
from homecoming.followup.models import Contact
from homecoming.ledger.models import Entry, Outcome
from homecoming.residents import selectors as residents_selectors
from homecoming.residents.models import BedAssignment, StayStatus
from tests.conftest import PASSWORD

from .conftest import plan_fields


def test_a_plan_takes_the_programs_follow_up_days_and_names_every_problem(resident, caseworker):
    stay = resident.stays.get()
    with pytest.raises(ValidationError) as caught:
        services.write_plan(
            caseworker,
            stay,
            **plan_fields(disposition="other", plan="", follow_up_days=[0, 9999]),
        )
    assert set(caught.value.message_dict) == {"disposition_other", "plan", "follow_up_days"}
    plan = services.write_plan(caseworker, stay, **plan_fields())
    assert plan.follow_up_days == [7, 30, 90, 180, 365]
    assert plan.status == PlanStatus.DRAFT
    with pytest.raises(ValidationError):
        services.write_plan(caseworker, stay, **plan_fields())  # one plan per stay


def test_a_draft_is_edited_until_signed_and_cancelled_with_a_reason(plan, caseworker):
    services.edit_plan(caseworker, plan, **plan_fields(follow_up_days=[14, 60]))
    plan.refresh_from_db()
    assert plan.follow_up_days == [14, 60]
    services.sign(caseworker, plan, PASSWORD)
    with pytest.raises(ValidationError):
        services.edit_plan(caseworker, plan, **plan_fields())
    with pytest.raises(ValidationError):
        services.cancel(caseworker, plan, "  ")
    services.cancel(caseworker, plan, "He asked to stay two more weeks.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED
    # A new plan may follow the cancelled one.
    services.write_plan(caseworker, plan.stay, **plan_fields())


def test_the_caseworker_and_the_clinician_each_sign_once(plan, caseworker, clinician):
    services.sign(caseworker, plan, PASSWORD)
    with pytest.raises(PermissionDenied):
        services.sign(caseworker, plan, PASSWORD)  # never twice
    services.sign(clinician, plan, PASSWORD)
    plan.refresh_from_db()
    assert plan.caseworker_signed_by == caseworker and plan.clinician_signed_by == clinician


def test_a_wrong_password_is_refused_and_ledgered(plan, caseworker):
    with pytest.raises(ValidationError):
        services.sign(caseworker, plan, "not my password at all")
    plan.refresh_from_db()
    assert plan.caseworker_signed_at is None
    assert Entry.objects.filter(
        actor=caseworker, action="discharge.sign", outcome=Outcome.DENIED
    ).exists()


@pytest.mark.parametrize(
    "who", ["supervisor", "program_director", "caseworker_other", "clinician_other", "clinician"]
)
def test_only_the_primary_caseworker_and_a_team_clinician_sign(plan, staff, who, clinician):
    # staff["clinician"] left the team when the prescriber joined it.
    with pytest.raises(PermissionDenied):
        services.sign(staff[who], plan, PASSWORD)
    plan.refresh_from_db()
    assert plan.caseworker_signed_at is None and plan.clinician_signed_at is None


def rtd_plan(resident, caseworker):
    return services.write_plan(
        caseworker, resident.stays.get(), **plan_fields(disposition="return_to_duty")
    )


def test_return_to_duty_needs_fitness_and_the_residents_acknowledgement(
    resident, caseworker, clinician, staff, make_user
):
    from tests.consents.helpers import portal_login

    plan = rtd_plan(resident, caseworker)
    services.sign(caseworker, plan, PASSWORD)
    services.sign(clinician, plan, PASSWORD)
    with pytest.raises(services.NotReady) as caught:
        services.carry_out(caseworker, plan)
    assert caught.value.wanting == [
        "a clinician's fitness assessment",
        "the resident's acknowledgement",
    ]
    # The supervisor, the caseworker who signed, another clinician: never the fitness assessor.
    for who in (staff["supervisor"], caseworker, staff["clinician_other"]):
        with pytest.raises(PermissionDenied):
            services.assess_fitness(who, plan, "Fit.")
    services.assess_fitness(clinician, plan, "Sleeping 7 hours, PCL-5 below cut-point; fit.")
    resident = portal_login(make_user, resident)
    with pytest.raises(ValidationError):
        services.acknowledge(resident.user, plan, "wrong password entirely")
    services.acknowledge(resident.user, plan, PASSWORD)
    plan = services.carry_out(caseworker, plan)
    assert plan.status == PlanStatus.DISCHARGED
    told = set(
        Alert.objects.filter(kind="discharge_return_to_duty").values_list(
            "recipient__role", flat=True
        )
    )
    assert told == {Role.OVERSIGHT, Role.PROGRAM_DIRECTOR}


def test_another_resident_cannot_acknowledge(resident, caseworker, admit, beds, make_user):
    from tests.consents.helpers import portal_login

    plan = rtd_plan(resident, caseworker)
    other = portal_login(make_user, admit(bed=beds[1], given_name="Nadia"))
    with pytest.raises(PermissionDenied):
        services.acknowledge(other.user, plan, PASSWORD)


def test_a_plan_is_not_carried_out_before_its_day_nor_unsigned(resident, caseworker, clinician):
    plan = services.write_plan(
        caseworker,
        resident.stays.get(),
        **plan_fields(planned_on=timezone.localdate() + dt.timedelta(days=2)),
    )
    with pytest.raises(services.NotReady) as caught:
        services.carry_out(caseworker, plan)
    assert len(caught.value.wanting) == 3


def test_the_discharge_ends_everything_at_once(
    signed, resident, order, sessions, caseworker, staff, beds
):
    alone, group = sessions
    plan = services.carry_out(caseworker, signed)
    stay = resident.stays.get()
    assert stay.status == StayStatus.DISCHARGED and stay.discharged_on == timezone.localdate()
    assert not BedAssignment.objects.filter(stay=stay, released_at__isnull=True).exists()
    order.refresh_from_db()
    assert order.discontinued_at and order.discontinue_reason == "Discharged"
    alone.refresh_from_db()
    group.refresh_from_db()
    assert alone.status == SessionStatus.CANCELLED
    assert group.status == SessionStatus.SCHEDULED  # the group meets without him
    assert group.attendees.get(resident=resident).attendance == Attendance.CANCELLED
    assert group.attendees.exclude(resident=resident).get().attendance == Attendance.EXPECTED
    assert [o["id"] for o in plan.ended["orders"]] == [order.pk]
    assert {s["id"] for s in plan.ended["sessions"]} == {alone.pk, group.pk}
    contacts = Contact.objects.filter(discharge=plan).order_by("interval_days")
    assert [c.interval_days for c in contacts] == [7, 30, 90, 180, 365]
    assert contacts[0].owner == caseworker
    # The bed board shows the bed free.
    board = residents_selectors.bed_board(staff["supervisor"])
    assert [b.occupied for b in board if b.bed == beds[0]] == [False]


def test_a_failure_half_way_leaves_nothing(
    signed, resident, order, sessions, caseworker, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("the follow-up schedule failed")

    monkeypatch.setattr("homecoming.followup.schedule.start", broken)
    with pytest.raises(RuntimeError):
        services.carry_out(caseworker, signed)
    stay = resident.stays.get()
    assert stay.status == StayStatus.IN_RESIDENCE and stay.discharged_on is None
    assert BedAssignment.objects.filter(stay=stay, released_at__isnull=True).exists()
    order.refresh_from_db()
    assert order.discontinued_at is None
    assert sessions[0].__class__.objects.get(pk=sessions[0].pk).status == SessionStatus.SCHEDULED
    signed.refresh_from_db()
    assert signed.status == PlanStatus.DRAFT
    assert not Contact.objects.exists()
    assert not Entry.objects.filter(action="discharge.carry_out").exists()


def test_left_against_advice_is_recorded_at_once_and_signed_after(
    resident, clinician, caseworker, order
):
    plan = services.record_against_advice(
        clinician, resident.stays.get(), plan="Left at night; sister informed.", contacts="988"
    )
    assert plan.status == PlanStatus.DISCHARGED
    assert plan.disposition == Disposition.AGAINST_ADVICE
    assert resident.stays.get().status == StayStatus.DISCHARGED
    assert Contact.objects.filter(discharge=plan).count() == 5
    # The signatures follow, on a former resident's record.
    services.sign(caseworker, plan, PASSWORD)
    services.sign(clinician, plan, PASSWORD)
    plan.refresh_from_db()
    assert plan.caseworker_signed_at and plan.clinician_signed_at


def test_a_discharge_is_final_in_the_database(resident, clinician):
    plan = services.record_against_advice(clinician, resident.stays.get(), plan="Left.")
    for sql in (
        "UPDATE discharge_dischargeplan SET disposition = 'home' WHERE id = %s",
        "UPDATE discharge_dischargeplan SET status = 'draft' WHERE id = %s",
        "UPDATE discharge_dischargeplan SET discharged_at = NULL WHERE id = %s",
        "UPDATE discharge_dischargeplan SET resident_id = resident_id + 1 WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [plan.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM discharge_dischargeplan WHERE id = %s", [plan.pk])


def test_a_former_residents_team_views_but_does_not_prescribe_or_edit(
    resident, clinician, caseworker
):
    from homecoming.access import policy
    from homecoming.access.policy import Action, Purpose

    services.record_against_advice(clinician, resident.stays.get(), plan="Left.")
    assert policy.decide(clinician, Action.VIEW, resident).purpose == Purpose.FOLLOW_UP
    for action in (Action.PRESCRIBE, Action.EDIT, Action.PLAN_DISCHARGE, Action.ADMINISTER):
        assert not policy.decide(clinician, action, resident).allowed
    assert not policy.decide(caseworker, Action.SCHEDULE_SESSION, resident).allowed


def test_every_row_the_discharge_changed_matches_its_recorded_version(
    signed, order, sessions, caseworker, ledger_key, resident, clinician
):
    """`ledger verify --database` after a discharge (and a left-against-advice one): each row
    written has its version, nothing was changed unrecorded."""
    from homecoming.ledger import dbcheck
    from homecoming.ledger.checkpoints import make_checkpoint

    services.carry_out(caseworker, signed)
    make_checkpoint()
    report = dbcheck.check()
    assert report.ok, report.problems


def test_staff_cannot_acknowledge_for_the_resident(resident, caseworker, staff):
    plan = rtd_plan(resident, caseworker)
    for who in (caseworker, staff["supervisor"], staff["program_director"]):
        with pytest.raises(PermissionDenied):
            services.acknowledge(who, plan, PASSWORD)
    plan.refresh_from_db()
    assert plan.resident_acknowledged_at is None
    assert Entry.objects.filter(action="discharge.acknowledge", outcome=Outcome.DENIED).count() == 3
