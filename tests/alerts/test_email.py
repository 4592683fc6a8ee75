"""Alert e-mail through a real SMTP server: sent on commit, nothing on rollback, no clinical
detail, a link; people without an address keep their alerts on screen; the daily digest."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from homecoming.access import services as access_services
from homecoming.alerts import mail, services
from homecoming.alerts.models import Alert, Delivery
from homecoming.encounters import notes
from homecoming.measures import services as measures
from tests.conftest import PASSWORD
from tests.measures.answers import phq9
from tests.support.notes import make_trainee, signed

from .conftest import body_of

CENTER = ZoneInfo("America/New_York")
CLINICAL = ("Walter", "Cruz", "PHQ", "item 9", "better off dead", "answered", "Seizure", "N101")


def assert_no_clinical_detail(message):
    text = f"{message['Subject']}\n{body_of(message)}"
    for word in CLINICAL:
        assert word.lower() not in text.lower(), word


def test_a_critical_alert_is_emailed_on_commit_without_clinical_detail(
    resident, addressed, inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        measures.record(addressed["caseworker"], resident, "phq9", phq9(item9=2))
        assert inbox.received == []  # nothing leaves before the transaction commits
    alerts = Alert.objects.filter(kind="safety")
    assert {a.recipient.username for a in alerts} == {"caseworker", "clinician"}
    for alert in alerts:
        [message] = inbox.to(f"{alert.recipient.username}@center.example")
        assert message["Subject"] == f"[Homecoming] CRITICAL alert for {alert.recipient}"
        assert message["From"] == "Homecoming <alerts@center.example>"
        body = body_of(message)
        assert f"https://homecoming.center.example/alerts/#alert-{alert.pk}" in body
        assert "Urgency: CRITICAL (act now)" in body and "supervisors after 30 minutes" in body
        assert_no_clinical_detail(message)
        alert.refresh_from_db()
        assert alert.emailed_at is not None
    assert len(inbox.received) == 2


def test_an_event_rolled_back_sends_nothing(
    resident, addressed, inbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        access_services.open_break_glass(
            addressed["clinician_other"], resident, "Seizure in room N101"
        )
        raise RuntimeError("the request failed after the alert was written")
    assert not Alert.objects.exists() and inbox.received == []


def test_break_glass_tells_the_supervisor_without_the_reason(
    resident, addressed, inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        access_services.open_break_glass(
            addressed["clinician_other"], resident, "Seizure in room N101"
        )
    [message] = inbox.to("supervisor@center.example")
    assert "CRITICAL" in message["Subject"]
    assert_no_clinical_detail(message)


def test_someone_without_an_address_keeps_the_alert_on_screen(
    resident, staff, inbox, client_for, django_capture_on_commit_callbacks
):
    assert staff["supervisor"].email == ""
    with django_capture_on_commit_callbacks(execute=True):
        access_services.open_break_glass(staff["clinician_other"], resident, "Seizure in room N101")
    assert inbox.received == []
    alert = Alert.objects.get()
    assert alert.emailed_at is None and alert.read_at is None
    page = client_for(staff["supervisor"]).get("/alerts/").content.decode()
    assert "Seizure in room N101" in page and "no e-mail address" in page
    accounts = client_for(staff["sysadmin"]).get("/staff/").content.decode()
    assert "no e-mail: alerts on screen only" in accounts


def test_a_failed_send_leaves_the_event_and_the_worker_retries(
    resident, addressed, settings, inbox, django_capture_on_commit_callbacks, smtp_url
):
    settings.EMAIL_PORT = 1  # nothing listens there: the on-commit send fails
    with django_capture_on_commit_callbacks(execute=True):
        access_services.open_break_glass(
            addressed["clinician_other"], resident, "Seizure in room N101"
        )
    alert = Alert.objects.get()
    assert alert.emailed_at is None and inbox.received == []
    settings.EMAIL_PORT = int(smtp_url.rsplit(":", 1)[1])
    assert mail.send_at_once() == 1
    assert mail.send_at_once() == 0  # never twice
    assert len(inbox.to("supervisor@center.example")) == 1


def test_normal_alerts_wait_for_the_daily_digest_of_those_who_chose_it(
    resident, addressed, inbox, settings, make_user, django_capture_on_commit_callbacks
):
    settings.HOMECOMING_ALERT_DIGEST_HOUR = 7
    make_user("supervisor", username="supervisor2", email="s2@center.example")
    supervisor = addressed["supervisor"]
    services.set_preferences(supervisor, delivery=Delivery.DIGEST, email=supervisor.email)
    make_trainee(addressed["caseworker"])
    evening = dt.datetime(2026, 3, 7, 18, 0, tzinfo=CENTER)
    with time_machine.travel(evening, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            signed(addressed["caseworker"], resident)  # a co-signature alert: normal
            signed(addressed["caseworker"], resident)
            access_services.open_break_glass(
                addressed["clinician_other"], resident, "Seizure in room N101"
            )
        # The critical one goes at once even to a digest reader; the normal ones wait.
        assert [m["Subject"] for m in inbox.to(supervisor.email)] == [
            f"[Homecoming] CRITICAL alert for {supervisor}"
        ]
        # The other supervisor (at once, the default) got each co-signature alert by itself.
        assert len(inbox.to("s2@center.example")) == 3
        assert mail.send_digests() == 0
    inbox.clear()
    with time_machine.travel(dt.datetime(2026, 3, 8, 6, 59, tzinfo=CENTER), tick=False):
        assert mail.send_digests() == 0
    with time_machine.travel(dt.datetime(2026, 3, 8, 7, 0, tzinfo=CENTER), tick=False):
        assert mail.send_digests() == 1
        assert mail.send_digests() == 0
    [(_, digest)] = inbox.received
    assert digest["To"] == supervisor.email
    assert digest["Subject"] == f"[Homecoming] 2 alerts waiting for {supervisor}"
    assert "https://homecoming.center.example/alerts/" in body_of(digest)
    assert_no_clinical_detail(digest)


def test_a_digest_leaves_out_what_was_acknowledged_meanwhile(
    resident, addressed, inbox, settings, django_capture_on_commit_callbacks
):
    supervisor = addressed["supervisor"]
    services.set_preferences(supervisor, delivery=Delivery.DIGEST, email=supervisor.email)
    make_trainee(addressed["caseworker"])
    with time_machine.travel(dt.datetime(2026, 3, 7, 18, 0, tzinfo=CENTER), tick=False):
        note = signed(addressed["caseworker"], resident)
        notes.cosign(supervisor, note, PASSWORD)  # the work is done: the alert closes
    with time_machine.travel(dt.datetime(2026, 3, 8, 9, 0, tzinfo=CENTER), tick=False):
        assert mail.send_digests() == 0
    assert inbox.to(supervisor.email) == []
