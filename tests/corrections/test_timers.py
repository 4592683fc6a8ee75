"""A request unanswered for 30 days is told to the supervisors, once; answered requests never;
the worker's job says what it did. The clock is the injected one (time-machine)."""

import datetime as dt

import pytest
import time_machine

from homecoming.alerts.models import Alert
from homecoming.core import worker
from homecoming.corrections import selectors, services, timers

pytestmark = pytest.mark.django_db
FILED = dt.datetime(2026, 9, 1, 10, 0, tzinfo=dt.UTC)


def _ask(portal_user, resident, note):
    return services.file_request(portal_user, resident, "note", note.pk, "The date is wrong.")


def test_thirty_days_unanswered_alerts_the_supervisors_once(portal_user, resident, note, staff):
    with time_machine.travel(FILED, tick=False):
        request = _ask(portal_user, resident, note)
    with time_machine.travel(FILED + dt.timedelta(days=29, hours=23), tick=False):
        assert timers.escalate_unanswered() == []
    with time_machine.travel(FILED + dt.timedelta(days=30, minutes=1), tick=False):
        assert timers.escalate_unanswered() == [request]
        assert timers.escalate_unanswered() == []  # once per request
        [told] = Alert.objects.filter(kind=services.OVERDUE_ALERT)
        assert told.recipient == staff["supervisor"] and told.resident == resident
        assert "due by Oct 31, 2026" in told.message
        [item] = selectors.open_requests(staff["supervisor"])
        assert not item.overdue  # late to the supervisors, not yet past HIPAA's 60 days
    with time_machine.travel(FILED + dt.timedelta(days=61), tick=False):
        assert timers.escalate_unanswered() == []
        [item] = selectors.open_requests(staff["caseworker"])
        assert item.overdue
        services.answer(staff["clinician"], request, "declined", "The log says Monday.")
        told.refresh_from_db()
        assert told.read_at is not None  # the answer closes the supervisors' alert


def test_an_answered_request_is_never_escalated(portal_user, resident, note, staff):
    with time_machine.travel(FILED, tick=False):
        request = _ask(portal_user, resident, note)
        services.answer(staff["clinician"], request, "declined", "The log says Monday.")
    with time_machine.travel(FILED + dt.timedelta(days=45), tick=False):
        assert timers.run() is None
    assert not Alert.objects.filter(kind=services.OVERDUE_ALERT).exists()


def test_the_worker_runs_the_job(portal_user, resident, note, staff):
    assert "corrections" in [job.name for job in worker.jobs()]
    with time_machine.travel(FILED, tick=False):
        _ask(portal_user, resident, note)
    with time_machine.travel(FILED + dt.timedelta(days=31), tick=False):
        assert timers.run() == "1 unanswered correction request(s) told to the supervisors"
