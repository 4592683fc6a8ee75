"""Insiders replayed against the discharge: a supervisor pushing a resident back to duty, one
caseworker trying to discharge alone, a clinician assessing fitness and signing, and a DBA
rewriting a discharge with SQL. Each is refused, or leaves a trail the insider cannot remove."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from homecoming.alerts.models import Alert
from homecoming.discharge import services
from homecoming.discharge.models import PlanStatus
from homecoming.ledger.models import Entry, Outcome
from homecoming.residents.models import StayStatus
from tests.conftest import PASSWORD
from tests.consents.helpers import portal_login

from .conftest import plan_fields


def rtd(resident, caseworker):
    return services.write_plan(
        caseworker, resident.stays.get(), **plan_fields(disposition="return_to_duty")
    )


def in_residence(resident):
    return resident.stays.get().status == StayStatus.IN_RESIDENCE


# --- a supervisor pushing a resident back to duty ---------------------------------------------


def test_a_supervisor_cannot_assess_fitness_nor_carry_out_without_it(
    resident, caseworker, clinician, staff
):
    boss = staff["supervisor"]
    plan = services.write_plan(
        boss, resident.stays.get(), **plan_fields(disposition="return_to_duty")
    )
    services.sign(caseworker, plan, PASSWORD)
    services.sign(clinician, plan, PASSWORD)
    with pytest.raises(PermissionDenied):
        services.assess_fitness(boss, plan, "Fit, he says so himself.")
    with pytest.raises(PermissionDenied):
        services.sign(boss, plan, PASSWORD)
    with pytest.raises(PermissionDenied):
        services.acknowledge(boss, plan, PASSWORD)  # nor for the resident
    with pytest.raises(services.NotReady) as caught:
        services.carry_out(boss, plan)
    assert caught.value.wanting == [
        "a clinician's fitness assessment",
        "the resident's acknowledgement",
    ]
    assert in_residence(resident)
    assert (
        Entry.objects.filter(
            actor=boss, outcome=Outcome.DENIED, action__startswith="discharge."
        ).count()
        >= 3
    )


def test_a_supervisor_is_refused_on_the_pages_and_the_api(
    resident, caseworker, clinician, staff, client_for, api_for
):
    boss = staff["supervisor"]
    plan = rtd(resident, caseworker)
    services.sign(caseworker, plan, PASSWORD)
    services.sign(clinician, plan, PASSWORD)
    page = client_for(boss)
    assert (
        page.post(f"/discharges/{plan.pk}/fitness/", {"fitness_assessment": "Fit."}).status_code
        == 403
    )
    refused = page.post(f"/discharges/{plan.pk}/discharge/")
    assert refused.status_code == 400
    assert "fitness assessment" in refused.content.decode()
    answer = api_for(boss).post(f"/api/v1/stays/{plan.stay_id}/discharge")
    assert answer.status_code == 409
    assert answer.json()["missing"] == [
        "a clinician's fitness assessment",
        "the resident's acknowledgement",
    ]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and not plan.fitness_assessed_at
    assert in_residence(resident)
    assert not Alert.objects.filter(kind="discharge_return_to_duty").exists()


def test_a_supervisor_cannot_switch_a_signed_plan_to_return_to_duty(
    resident, caseworker, clinician, staff
):
    plan = services.write_plan(caseworker, resident.stays.get(), **plan_fields())
    services.sign(caseworker, plan, PASSWORD)
    with pytest.raises(ValidationError):
        services.edit_plan(staff["supervisor"], plan, **plan_fields(disposition="return_to_duty"))
    plan.refresh_from_db()
    assert plan.disposition == "home"


# --- one caseworker alone --------------------------------------------------------------------


def test_one_caseworker_cannot_sign_both_lines(plan, caseworker, client_for):
    services.sign(caseworker, plan, PASSWORD)
    with pytest.raises(PermissionDenied):
        services.sign(caseworker, plan, PASSWORD)
    again = client_for(caseworker).post(f"/discharges/{plan.pk}/sign/", {"secret": PASSWORD})
    assert again.status_code == 403
    plan.refresh_from_db()
    assert plan.clinician_signed_at is None
    with pytest.raises(services.NotReady):
        services.carry_out(caseworker, plan)
    assert (
        Entry.objects.filter(
            actor=caseworker, action="discharge.sign", outcome=Outcome.DENIED
        ).count()
        == 2
    )


def test_one_caseworker_cannot_edit_after_a_signature(plan, caseworker, clinician, client_for):
    services.sign(clinician, plan, PASSWORD)
    with pytest.raises(ValidationError):
        services.edit_plan(caseworker, plan, **plan_fields(plan="Something else entirely."))
    page = client_for(caseworker).post(
        f"/discharges/{plan.pk}/edit/",
        {"disposition": "home", "planned_on": plan.planned_on.isoformat(), "plan": "Changed."},
    )
    assert page.status_code in (400, 403)
    plan.refresh_from_db()
    assert plan.plan.startswith("Home to his sister's")


def test_one_caseworker_cannot_assess_fitness_nor_acknowledge(resident, caseworker, client_for):
    plan = rtd(resident, caseworker)
    with pytest.raises(PermissionDenied):
        services.assess_fitness(caseworker, plan, "Fit.")
    with pytest.raises(PermissionDenied):
        services.acknowledge(caseworker, plan, PASSWORD)
    me = client_for(caseworker)
    assert me.post(
        f"/my-record/discharge/{plan.pk}/acknowledge/", {"secret": PASSWORD}
    ).status_code in (403, 404)
    plan.refresh_from_db()
    assert not plan.fitness_assessed_at and not plan.resident_acknowledged_at


# --- a clinician assessing fitness and signing ------------------------------------------------


def test_a_clinician_assesses_and_signs_but_does_not_rewrite_what_the_resident_acknowledged(
    resident, caseworker, clinician, staff, make_user
):
    plan = rtd(resident, caseworker)
    services.sign(caseworker, plan, PASSWORD)
    services.sign(clinician, plan, PASSWORD)
    resident = portal_login(make_user, resident)
    # The resident acknowledges the assessment: it comes first.
    with pytest.raises(ValidationError):
        services.acknowledge(resident.user, plan, PASSWORD)
    services.assess_fitness(clinician, plan, "Sleeping 7 hours, PCL-5 below cut-point; fit.")
    services.acknowledge(resident.user, plan, PASSWORD)
    # What the resident acknowledged is not rewritten afterwards.
    with pytest.raises(ValidationError):
        services.assess_fitness(clinician, plan, "Fit (rewritten).")
    plan.refresh_from_db()
    assert plan.fitness_assessment.startswith("Sleeping 7 hours")
    services.carry_out(caseworker, plan)
    told = Alert.objects.filter(kind="discharge_return_to_duty")
    assert {a.recipient.role for a in told} == {"oversight", "program_director"}
    assert clinician.full_name in told.first().message


def test_a_second_assessment_does_not_replace_the_first(resident, caseworker, clinician):
    plan = rtd(resident, caseworker)
    services.assess_fitness(clinician, plan, "Fit for duty.")
    with pytest.raises(ValidationError) as caught:
        services.assess_fitness(clinician, plan, "Fit for duty, I mean it.")
    assert "fitness_assessment" in caught.value.message_dict
    plan.refresh_from_db()
    assert plan.fitness_assessment == "Fit for duty."


# --- a DBA with raw SQL -----------------------------------------------------------------------


def test_a_dba_cannot_rewrite_a_discharged_disposition(resident, caseworker, clinician):
    plan = services.write_plan(
        caseworker, resident.stays.get(), **plan_fields(disposition="transfer")
    )
    services.sign(caseworker, plan, PASSWORD)
    services.sign(clinician, plan, PASSWORD)
    services.carry_out(caseworker, plan)
    for sql in (
        "UPDATE discharge_dischargeplan SET disposition = 'home' WHERE id = %s",
        "UPDATE discharge_dischargeplan SET status = 'draft' WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [plan.pk])
    plan.refresh_from_db()
    assert plan.disposition == "transfer" and plan.status == PlanStatus.DISCHARGED


def test_a_dba_rewriting_a_draft_is_named_by_the_database_check(plan, caseworker, ledger_key):
    from homecoming.ledger import dbcheck

    assert dbcheck.check().ok
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE discharge_dischargeplan SET disposition = 'return_to_duty', "
            "resident_acknowledged_at = written_at WHERE id = %s",
            [plan.pk],
        )
    report = dbcheck.check()
    assert not report.ok
    assert any(f"discharge.dischargeplan #{plan.pk}" in p for p in report.problems), report.problems


def test_a_death_starts_no_follow_up_so_nobody_is_marked_lost(resident, caseworker, clinician):
    """The rule the discharge and the follow-up share: no contacts after a death (else the
    timers would mark the dead lost to follow-up and alert the oversight body)."""
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from homecoming.followup import timers
    from homecoming.followup.models import Contact, Lost

    plan = services.write_plan(
        caseworker, resident.stays.get(), **plan_fields(disposition="deceased")
    )
    services.sign(caseworker, plan, PASSWORD)
    services.sign(clinician, plan, PASSWORD)
    services.carry_out(caseworker, plan)
    assert not Contact.objects.filter(discharge=plan).exists()
    with time_machine.travel(timezone.now() + dt.timedelta(days=400), tick=False):
        timers.run()
    assert not Lost.objects.exists()


def test_a_second_assessment_on_the_page_says_why_it_is_refused(
    resident, caseworker, clinician, client_for
):
    plan = rtd(resident, caseworker)
    services.assess_fitness(clinician, plan, "Fit for duty.")
    page = client_for(clinician).post(
        f"/discharges/{plan.pk}/fitness/", {"fitness_assessment": "Fit, rewritten."}
    )
    assert page.status_code == 400
    assert "written already" in page.content.decode()
    assert "Fit, rewritten." in page.content.decode()  # what was typed is kept


def test_one_member_alone_recording_left_against_advice_asks_the_team_to_sign(
    resident, caseworker, clinician
):
    """The one discharge a care-team member makes alone: the rest of the team is asked for the
    signatures at once (discharge/asking.py), and the requests close only when both are given."""
    plan = services.record_against_advice(clinician, resident.stays.get(), plan="Left at night.")
    asked = Alert.objects.filter(kind="discharge_signature", read_at__isnull=True)
    assert caseworker in {a.recipient for a in asked}
    services.sign(clinician, plan, PASSWORD)
    assert Alert.objects.filter(kind="discharge_signature", read_at__isnull=True).exists()
    services.sign(caseworker, plan, PASSWORD)
    assert not Alert.objects.filter(kind="discharge_signature", read_at__isnull=True).exists()
