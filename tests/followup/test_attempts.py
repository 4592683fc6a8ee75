"""Contact attempts: a reached attempt makes the contact; three failures in a row mark the person
lost to follow-up and alert the program director AND the oversight body; closing lost needs
CLOSE_LOST and a reason; an attempt is final, even for the database administrator."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from homecoming.access.policy import AccessDenied
from homecoming.alerts.models import Alert
from homecoming.followup import services
from homecoming.followup.models import Attempt, ContactStatus, Lost
from homecoming.ledger.models import Entry, Outcome

pytestmark = pytest.mark.django_db


def test_reached_makes_the_contact_under_purpose_follow_up(first_contact, staff):
    attempt = services.record_attempt(
        staff["caseworker"], first_contact, method="phone", outcome="reached", notes="Doing well."
    )
    first_contact.refresh_from_db()
    assert first_contact.status == ContactStatus.MADE and first_contact.made_at
    entry = Entry.objects.get(action="followup.attempt", object_id=str(attempt.pk))
    assert entry.purpose == "follow_up" and entry.actor_id == staff["caseworker"].pk
    assert Entry.objects.filter(action="followup.made", object_id=str(first_contact.pk)).exists()


def test_a_failed_attempt_leaves_the_contact_due(first_contact, staff):
    services.record_attempt(staff["caseworker"], first_contact, method="phone", outcome="no_answer")
    first_contact.refresh_from_db()
    assert first_contact.status == ContactStatus.DUE
    assert not Lost.objects.exists()


def test_every_problem_is_named_at_once(first_contact, staff):
    with pytest.raises(ValidationError) as exc:
        services.record_attempt(staff["caseworker"], first_contact, method="fax", outcome="?")
    assert set(exc.value.message_dict) == {"method", "outcome"}


def test_staff_cannot_type_in_a_self_check_in(first_contact, staff):
    with pytest.raises(ValidationError) as exc:
        services.record_attempt(
            staff["caseworker"], first_contact, method="check_in", outcome="reached"
        )
    assert "method" in exc.value.message_dict


def test_three_failures_in_a_row_mark_lost_and_alert_director_oversight_supervisor(
    discharged, staff
):
    first, second = discharged.follow_ups.order_by("due_on")[:2]
    services.record_attempt(staff["caseworker"], first, method="phone", outcome="no_answer")
    services.record_attempt(staff["caseworker"], first, method="message", outcome="left_message")
    assert not Lost.objects.exists()
    # Across the person's contacts: the third failure is on the next contact.
    services.record_attempt(staff["caseworker"], second, method="visit", outcome="wrong_number")
    lost = Lost.objects.get()
    assert lost.resident == discharged and lost.closed_at is None
    assert "3 failed attempts" in lost.because
    told = {a.recipient.role for a in Alert.objects.filter(kind="follow_up_lost")}
    assert told == {"program_director", "oversight", "supervisor"}
    oversight = Alert.objects.get(kind="follow_up_lost", recipient=staff["oversight"])
    assert discharged.display_name not in oversight.message  # a number, not a name
    assert Alert.objects.get(
        kind="follow_up_lost", recipient=staff["program_director"]
    ).urgency in (
        "high",
        "critical",
    )
    # A fourth failure while lost is open marks nothing new and alerts nobody again.
    services.record_attempt(staff["caseworker"], second, method="phone", outcome="no_answer")
    assert Lost.objects.count() == 1
    assert Alert.objects.filter(kind="follow_up_lost").count() == 3


def test_a_declined_or_reached_attempt_breaks_the_run(discharged, staff):
    contact = discharged.follow_ups.order_by("due_on")[1]
    for outcome in ("no_answer", "no_answer", "declined", "no_answer", "no_answer"):
        services.record_attempt(staff["caseworker"], contact, method="phone", outcome=outcome)
    assert not Lost.objects.exists()


def test_closing_lost_needs_a_reason_and_close_lost(discharged, staff):
    contact = discharged.follow_ups.order_by("due_on")[1]
    for _ in range(3):
        services.record_attempt(staff["caseworker"], contact, method="phone", outcome="no_answer")
    lost = Lost.objects.get()
    with pytest.raises(AccessDenied):
        services.close_lost(staff["caseworker"], lost, "Found him.")
    assert Entry.objects.filter(action="followup.close_lost", outcome=Outcome.DENIED).exists()
    with pytest.raises(ValidationError) as exc:
        services.close_lost(staff["supervisor"], lost, "   ")
    assert "reason" in exc.value.message_dict
    # Reached later: the supervisor closes it with that reason.
    services.record_attempt(staff["caseworker"], contact, method="visit", outcome="reached")
    services.close_lost(staff["supervisor"], lost, "Reached at his sister's on a home visit.")
    lost.refresh_from_db()
    assert lost.closed_by == staff["supervisor"] and lost.closed_reason
    still_open = Alert.objects.filter(kind="follow_up_lost", read_at__isnull=True)
    # The staff's alerts close with the work; the oversight body's stays until it reads it: a
    # supervisor closing "lost" must not silence the body that watches the supervisors.
    assert {a.recipient.role for a in still_open} == {"oversight"}
    with pytest.raises(ValidationError):
        services.close_lost(staff["supervisor"], lost, "Again.")


def test_the_database_refuses_a_lost_closed_without_reason(discharged, staff):
    contact = discharged.follow_ups.first()
    for _ in range(3):
        services.record_attempt(staff["caseworker"], contact, method="phone", outcome="no_answer")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE followup_lost SET closed_at = CURRENT_TIMESTAMP, closed_by_id = %s",
            [staff["supervisor"].pk],
        )


def test_an_attempt_cannot_be_updated_with_raw_sql(first_contact, staff):
    attempt = services.record_attempt(
        staff["caseworker"], first_contact, method="phone", outcome="no_answer"
    )
    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE followup_attempt SET outcome = 'reached' WHERE id = %s", [attempt.pk]
        )
    assert "final" in str(exc.value)
    assert Attempt.objects.get(pk=attempt.pk).outcome == "no_answer"
    with (
        pytest.raises(DatabaseError, match="never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM followup_attempt WHERE id = %s", [attempt.pk])


def test_no_attempt_on_a_contact_already_made(first_contact, staff):
    services.record_attempt(staff["caseworker"], first_contact, method="phone", outcome="reached")
    with pytest.raises(ValidationError):
        services.record_attempt(
            staff["caseworker"], first_contact, method="phone", outcome="no_answer"
        )


WHO_MAY_NOT = [
    "contractor",
    "oversight",
    "investigator",
    "sysadmin",
    "caseworker_other",
    "clinician_other",
]


@pytest.mark.parametrize("who", WHO_MAY_NOT)
def test_who_may_not_record_an_attempt(first_contact, staff, who):
    with pytest.raises(AccessDenied):
        services.record_attempt(staff[who], first_contact, method="phone", outcome="reached")
    assert Entry.objects.filter(
        action="followup.record", actor_id=staff[who].pk, outcome=Outcome.DENIED
    ).exists()
    assert not Attempt.objects.exists()


def test_the_former_resident_may_not_record_an_attempt(first_contact):
    with pytest.raises(AccessDenied):
        services.record_attempt(
            first_contact.resident.user, first_contact, method="phone", outcome="reached"
        )


@pytest.mark.parametrize("who", ["supervisor", "program_director", "clinician"])
def test_the_team_and_supervisors_may(first_contact, staff, who):
    services.record_attempt(staff[who], first_contact, method="phone", outcome="no_answer")


@pytest.mark.parametrize("who", ["caseworker", "clinician", "contractor", "oversight", "sysadmin"])
def test_only_supervisors_close_lost(discharged, staff, who):
    contact = discharged.follow_ups.first()
    for _ in range(3):
        services.record_attempt(staff["caseworker"], contact, method="phone", outcome="no_answer")
    with pytest.raises(AccessDenied):
        services.close_lost(staff[who], Lost.objects.get(), "Because.")


def test_program_days_are_the_directors_and_checked(staff, db):
    from homecoming.followup.models import ProgramSchedule
    from homecoming.residents.models import Program

    program = Program.objects.create(name="Resilience")
    with pytest.raises(AccessDenied):
        services.set_program_days(staff["supervisor"], program, [7, 30])
    with pytest.raises(ValidationError) as exc:
        services.set_program_days(staff["program_director"], program, [0, 900])
    assert "days" in exc.value.message_dict
    services.set_program_days(staff["program_director"], program, [30, 7, 90])
    assert ProgramSchedule.objects.get(program=program).days == [7, 30, 90]
    services.set_program_days(staff["program_director"], program, [14])
    assert Entry.objects.filter(action="followup.program_days").count() == 2


def test_the_former_resident_may_not_close_their_lost(discharged, staff):
    contact = discharged.follow_ups.first()
    for _ in range(3):
        services.record_attempt(staff["caseworker"], contact, method="phone", outcome="no_answer")
    with pytest.raises(AccessDenied):
        services.close_lost(discharged.user, Lost.objects.get(), "I am fine.")
