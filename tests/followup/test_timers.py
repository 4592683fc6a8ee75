"""The follow-up timers at their boundaries, on a stopped clock: day 7 + 3 is still within the
grace, day 7 + 4 escalates to the supervisors once; day 7 + 14 is not yet missed, day 7 + 15
marks the contact missed and the person lost (director and oversight alerted), once."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from homecoming.alerts.models import Alert
from homecoming.core import worker
from homecoming.followup import services, timers
from homecoming.followup.models import ContactStatus, Lost
from homecoming.ledger.models import Entry

pytestmark = pytest.mark.django_db


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo(settings.TIME_ZONE))


def on_day(contact, days_after_due):
    return time_machine.travel(noon(contact.due_on + dt.timedelta(days=days_after_due)), tick=False)


def test_day_7_plus_3_is_within_grace_and_plus_4_escalates_once(first_contact, staff):
    assert first_contact.interval_days == 7
    with on_day(first_contact, 3):
        assert timers.escalate_overdue() == []
    with on_day(first_contact, 4):
        assert [c.pk for c in timers.escalate_overdue()] == [first_contact.pk]
        first_contact.refresh_from_db()
        assert first_contact.escalated_at is not None
        assert first_contact.status == ContactStatus.DUE
        alerts = Alert.objects.filter(kind="follow_up_overdue")
        assert {a.recipient for a in alerts} == {staff["supervisor"]}
        assert timers.escalate_overdue() == []  # not twice
    with on_day(first_contact, 5):
        assert timers.escalate_overdue() == []
    assert Alert.objects.filter(kind="follow_up_overdue").count() == 1
    entry = Entry.objects.get(action="followup.escalate")
    assert entry.actor_id is None and entry.purpose == "follow_up"


def test_a_contact_made_in_time_never_escalates(first_contact, staff):
    with on_day(first_contact, 1):
        services.record_attempt(
            staff["caseworker"], first_contact, method="phone", outcome="reached"
        )
    with on_day(first_contact, 30):
        timers.run()
    first_contact.refresh_from_db()
    assert first_contact.escalated_at is None and first_contact.status == ContactStatus.MADE


def test_making_the_contact_closes_the_overdue_alert(first_contact, staff):
    with on_day(first_contact, 4):
        timers.escalate_overdue()
        services.record_attempt(
            staff["caseworker"], first_contact, method="phone", outcome="reached"
        )
    assert not Alert.objects.filter(kind="follow_up_overdue", read_at__isnull=True).exists()


def test_day_7_plus_14_is_not_missed_plus_15_is_and_marks_lost_once(first_contact, staff):
    with on_day(first_contact, 14):
        assert timers.mark_missed() == []
    with on_day(first_contact, 15):
        assert [c.pk for c in timers.mark_missed()] == [first_contact.pk]
        assert timers.mark_missed() == []  # not twice
    first_contact.refresh_from_db()
    assert first_contact.status == ContactStatus.MISSED
    lost = Lost.objects.get()
    assert "day-7 contact missed by 14 days" in lost.because
    told = {a.recipient.role for a in Alert.objects.filter(kind="follow_up_lost")}
    assert {"program_director", "oversight"} <= told
    count = Alert.objects.filter(kind="follow_up_lost").count()
    # The next contact missed too, while lost is open: no second lost, no second alert.
    second = first_contact.resident.follow_ups.order_by("due_on")[1]
    with on_day(second, 15):
        timers.run()
    assert Lost.objects.count() == 1
    assert Alert.objects.filter(kind="follow_up_lost").count() == count


def test_the_worker_runs_the_follow_up_timers(first_contact, settings):
    assert "follow-ups" in [job.name for job in worker.jobs()]
    job = next(j for j in worker.jobs() if j.name == "follow-ups")
    with on_day(first_contact, 4):
        said = job.run()
    assert "1 overdue follow-up(s) escalated" in said


def test_the_grace_is_a_setting(first_contact, settings):
    settings.HOMECOMING_FOLLOW_UP_GRACE_DAYS = 1
    with on_day(first_contact, 2):
        assert len(timers.escalate_overdue()) == 1
