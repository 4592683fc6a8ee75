"""Escalation of critical alerts nobody acknowledges, under a controlled clock: supervisors at 30
minutes, the program director at 60; each step an alert, an e-mail and a ledger entry; any
acknowledgement of the event stops it, and names who acknowledged in the ledger."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from homecoming.access import services as access_services
from homecoming.alerts import escalation, services
from homecoming.alerts.models import Alert
from homecoming.core import worker
from homecoming.ledger.models import Entry
from homecoming.measures import services as measures
from tests.measures.answers import phq9

from .conftest import body_of

T0 = dt.datetime(2026, 10, 31, 23, 50, tzinfo=dt.UTC)


def at(minutes):
    return time_machine.travel(T0 + dt.timedelta(minutes=minutes), tick=False)


@pytest.fixture
def item9(resident, addressed, inbox, django_capture_on_commit_callbacks):
    """PHQ-9 item 9 answered 2 at T0: the care team (caseworker, clinician) is alerted."""
    with at(0), django_capture_on_commit_callbacks(execute=True):
        measures.record(addressed["caseworker"], resident, "phq9", phq9(item9=2))
    inbox.clear()
    return Alert.objects.filter(kind="safety")


def escalate(minutes, capture):
    with at(minutes), capture(execute=True):
        return escalation.escalate_due()


def test_unacknowledged_it_goes_to_the_supervisors_then_the_director(
    item9, addressed, inbox, resident, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert escalate(29, capture) == []
    [step1] = escalate(30, capture)
    assert step1.recipient == addressed["supervisor"] and step1.level == 1
    assert step1.resident_id == resident.pk and step1.is_critical
    assert "not acknowledged within 30 minutes" in step1.message
    assert escalate(31, capture) == []  # a step is taken once
    [message] = inbox.to("supervisor@center.example")
    assert message["Subject"] == f"[Homecoming] CRITICAL alert for {step1.recipient} (escalated)"
    assert "escalated to you" in body_of(message) and "Walter" not in body_of(message)
    [step2] = escalate(60, capture)
    assert step2.recipient == addressed["program_director"] and step2.level == 2
    assert len(inbox.to("program_director@center.example")) == 1
    assert escalate(600, capture) == []
    entries = Entry.objects.filter(action="alert.escalate").order_by("seq")
    assert [(e.object_id, e.actor_id, e.actor_role, e.resident_id) for e in entries] == [
        (str(step1.pk), None, "system", resident.pk),
        (str(step2.pk), None, "system", resident.pk),
    ]


def test_acknowledging_stops_the_escalation_and_names_who_did(
    item9, addressed, django_capture_on_commit_callbacks
):
    mine = item9.get(recipient=addressed["clinician"])
    with at(10):
        services.acknowledge(addressed["clinician"], [mine.pk])
    assert escalate(30, django_capture_on_commit_callbacks) == []
    assert escalate(60, django_capture_on_commit_callbacks) == []
    entry = Entry.objects.get(action="alert.acknowledge")
    assert entry.actor_id == addressed["clinician"].pk and entry.object_id == str(mine.pk)
    assert entry.time == T0 + dt.timedelta(minutes=10)


def test_the_supervisor_acknowledging_the_step_stops_the_director_step(
    item9, addressed, django_capture_on_commit_callbacks
):
    [step1] = escalate(30, django_capture_on_commit_callbacks)
    with at(45):
        services.acknowledge(addressed["supervisor"], [step1.pk])
    assert escalate(60, django_capture_on_commit_callbacks) == []
    # The care team's own alerts stay on their screens until they acknowledge them.
    assert Alert.objects.filter(level=0, read_at__isnull=True).count() == 2


def test_a_worker_down_for_hours_takes_both_steps_at_its_next_turn(
    item9, addressed, django_capture_on_commit_callbacks
):
    raised = escalate(240, django_capture_on_commit_callbacks)
    assert sorted((a.level, a.recipient.username) for a in raised) == [
        (1, "supervisor"),
        (2, "program_director"),
    ]


def test_the_worker_job_escalates(item9, addressed, capsys, django_capture_on_commit_callbacks):
    job = next(j for j in worker.jobs() if j.name == "alerts")
    with at(30), django_capture_on_commit_callbacks(execute=True):
        worker.one_round([job], once=True, warned=set())
    assert "worker: alerts: 1 escalation alert(s)" in capsys.readouterr().out


def test_escalation_minutes_come_from_the_settings(
    item9, addressed, settings, django_capture_on_commit_callbacks
):
    settings.HOMECOMING_ALERT_ESCALATION_MINUTES = [5, 15]
    assert [a.level for a in escalate(5, django_capture_on_commit_callbacks)] == [1]
    assert [a.level for a in escalate(15, django_capture_on_commit_callbacks)] == [2]


def test_a_normal_or_high_alert_never_escalates(
    resident, addressed, django_capture_on_commit_callbacks
):
    with at(0):
        services.notify([addressed["supervisor"]], kind="complaint_escalated", message="x")
        services.notify([addressed["supervisor"]], kind="note.cosign", message="y")
    assert escalate(600, django_capture_on_commit_callbacks) == []


def test_a_supervisor_cannot_silence_the_directors_alert(
    resident, addressed, django_capture_on_commit_callbacks
):
    """The insider: a supervisor sits on a break-glass alert; once it has gone up to the program
    director, they try to acknowledge the director's copy: refused, and the try is ledgered."""
    with at(0):
        access_services.open_break_glass(
            addressed["clinician_other"], resident, "Seizure in room N101"
        )
    steps = escalate(60, django_capture_on_commit_callbacks)
    director_copy = next(a for a in steps if a.recipient == addressed["program_director"])
    with pytest.raises(PermissionDenied, match="Not alerts of yours"):
        services.acknowledge(addressed["supervisor"], [director_copy.pk])
    director_copy.refresh_from_db()
    assert director_copy.read_at is None
    denied = Entry.objects.get(action="alert.acknowledge", outcome="denied")
    assert denied.actor_id == addressed["supervisor"].pk
    assert denied.object_id == str(director_copy.pk)
    # Their own copy they may acknowledge: the ledger then names them, for any investigator.
    own = Alert.objects.filter(recipient=addressed["supervisor"], read_at__isnull=True)
    services.acknowledge(addressed["supervisor"], own.values_list("pk", flat=True))
    assert (
        Entry.objects.filter(
            action="alert.acknowledge", outcome="allowed", actor_id=addressed["supervisor"].pk
        ).count()
        == own.model.objects.filter(acknowledged_by=addressed["supervisor"]).count()
    )


def test_an_acknowledgement_written_behind_the_application_does_not_stop_it(
    item9, addressed, django_capture_on_commit_callbacks
):
    """The database administrator sets read_at with SQL (no ledger entry): the alert leaves the
    care team's screens, but the event still goes to the supervisors and the director."""
    item9.update(read_at=T0 + dt.timedelta(minutes=5))
    [step1] = escalate(30, django_capture_on_commit_callbacks)
    assert step1.recipient == addressed["supervisor"]
    # Acknowledged through the application, it stops.
    with at(40):
        services.acknowledge(addressed["supervisor"], [step1.pk])
    assert escalate(60, django_capture_on_commit_callbacks) == []
