"""Messages waiting for the care team: the home page's worklist, and the supervisors told once
when one waits two working days (the worker job, on the injected clock)."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.alerts.models import Alert
from homecoming.conversations import selectors, services, timers
from homecoming.core import worker
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def test_the_worklist_lists_threads_the_resident_wrote_last(resident, staff, portal_user):
    waiting = services.start(portal_user, resident, "Pass", "Can I go out Saturday?")
    answered = services.start(portal_user, resident, "Laundry", "When is laundry day?")
    services.reply(staff["caseworker"], answered, "Thursdays.")
    listed = [w.thread for w in selectors.waiting(staff["caseworker"])]
    assert listed == [waiting]
    assert [w.thread for w in selectors.waiting(staff["supervisor"])] == [waiting]
    assert selectors.waiting(staff["caseworker_other"]) == []
    # The resident writes again in the answered thread: it waits again.
    services.reply(portal_user, answered, "And the dryer is broken.")
    assert {w.thread for w in selectors.waiting(staff["caseworker"])} == {waiting, answered}


def test_the_home_page_shows_messages_waiting_in_few_queries(
    resident, staff, portal_user, django_assert_max_num_queries, admit
):
    for n in range(3):
        services.start(portal_user, resident, f"Question {n}", "Please answer.")
    client = logged_in(staff["caseworker"])
    client.get("/")  # warm the session and the center's row
    with django_assert_max_num_queries(40):
        page = client.get("/")
    text = page.content.decode()
    assert "Messages waiting" in text and "Question 2" in text
    # More threads cost no more queries.
    for n in range(3, 9):
        services.start(portal_user, resident, f"Question {n}", "Please answer.")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        selectors.waiting(staff["caseworker"])
    assert len(few) <= 8


def test_two_working_days_unanswered_alert_the_supervisors_once(
    resident, staff, portal_user, make_user
):
    second = make_user(Role.SUPERVISOR)
    with time_machine.travel(MONDAY - dt.timedelta(days=3), tick=False):  # a Friday
        thread = services.start(portal_user, resident, "Pass", "Can I go out Saturday?")
    with time_machine.travel(MONDAY + dt.timedelta(hours=1), tick=False):
        assert timers.escalate_unanswered() == []  # only Monday has passed: one working day
    with time_machine.travel(MONDAY + dt.timedelta(days=1, hours=7), tick=False):
        said = worker._messages()
        assert said == "1 unanswered message(s) told to the supervisors"
        assert timers.escalate_unanswered() == []  # once
    told = Alert.objects.filter(kind=services.UNANSWERED_ALERT)
    assert set(told.values_list("recipient", flat=True)) == {staff["supervisor"].pk, second.pk}
    alert = told.first()
    assert resident.display_name in alert.message and str(staff["caseworker"]) in alert.message
    # An answer closes it.
    services.reply(staff["clinician"], thread, "Yes.")
    assert not Alert.objects.filter(kind=services.UNANSWERED_ALERT, read_at__isnull=True).exists()


def test_an_answered_message_never_alerts(resident, staff, portal_user):
    with time_machine.travel(MONDAY, tick=False):
        thread = services.start(portal_user, resident, "Pass", "Can I go out Saturday?")
        services.reply(staff["caseworker"], thread, "Yes.")
    with time_machine.travel(MONDAY + dt.timedelta(days=10), tick=False):
        assert timers.escalate_unanswered() == []
    assert timezone.now()  # the clock is back
