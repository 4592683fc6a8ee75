"""The escalation timer: a complaint staff leave untouched for 14 days goes to the oversight body
by itself, once per untouched period, and a complainant's own messages do not stop the clock."""

import datetime as dt
from unittest import mock

from django.utils import timezone

from homecoming.alerts.models import Alert
from homecoming.core import worker
from homecoming.oversight import complaints, escalation
from homecoming.oversight.models import Complaint

from .conftest import filing


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_untouched_for_14_days_escalates_and_tells_oversight(own, staff):
    complaint = complaints.file_own(own.user, filing())
    start = complaint.touched_at
    with at(start + dt.timedelta(days=13, hours=23)):
        assert escalation.escalate_untouched() == []
    with at(start + dt.timedelta(days=14, minutes=1)):
        complaints.write(own.user, complaint, "Hello? Is anyone reading this?")  # no touch
        assert [c.pk for c in escalation.escalate_untouched()] == [complaint.pk]
        assert escalation.escalate_untouched() == []  # once per period
    complaint.refresh_from_db()
    assert complaint.status == "referred" and complaint.escalations == 1
    told = Alert.objects.filter(kind="complaint_escalated")
    assert set(told.values_list("recipient__role", flat=True)) == {"oversight", "program_director"}
    assert "untouched for 14 days" in told.first().message
    assert complaint.events.filter(kind="escalated", visible_to_complainant=True).exists()
    with at(start + dt.timedelta(days=28, minutes=2)):
        assert [c.pk for c in escalation.escalate_untouched()] == [complaint.pk]
    complaint.refresh_from_db()
    assert complaint.escalations == 2


def test_a_handler_acting_restarts_the_clock_and_a_resolved_complaint_stays_put(own, staff):
    complaint = complaints.file_own(own.user, filing())
    start = complaint.touched_at
    with at(start + dt.timedelta(days=10)):
        complaints.write(staff["program_director"], complaint, "We are looking into it.")
    with at(start + dt.timedelta(days=15)):
        assert escalation.escalate_untouched() == []
    with at(start + dt.timedelta(days=24, minutes=1)):
        assert len(escalation.escalate_untouched()) == 1
    with at(start + dt.timedelta(days=25)):
        complaints.move(staff["oversight"], complaint, "resolved", outcome="x" * 40)
    with at(start + dt.timedelta(days=60)):
        assert escalation.escalate_untouched() == []


def test_the_worker_runs_the_timer(own, staff, capsys):
    complaint = complaints.file_own(own.user, filing())
    later = complaint.touched_at + dt.timedelta(days=15)
    job = next(j for j in worker.jobs() if j.name == "complaints")
    with at(later):
        said = job.run()
    assert "escalated 1 untouched complaint" in said
    assert Complaint.objects.get().escalations == 1
    assert timezone.now() < later
