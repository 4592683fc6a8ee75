"""The alerts page (acknowledge many at once), the preferences page, the API and the CLI."""

import io

import pytest

from homecoming import cli
from homecoming.alerts import services
from homecoming.alerts.models import Alert, Delivery, Preference
from homecoming.ledger.models import Entry
from tests.consents.helpers import portal_login


@pytest.fixture
def three(staff):
    for i in range(3):
        services.notify([staff["supervisor"]], kind="note.cosign", message=f"Note {i} to co-sign")
    services.notify([staff["program_director"]], kind="break_glass", message="Director's own")
    return list(Alert.objects.filter(recipient=staff["supervisor"]).order_by("pk"))


def test_the_page_lists_your_alerts_and_acknowledges_the_chosen_ones(three, staff, client_for):
    client = client_for(staff["supervisor"])
    page = client.get("/alerts/").content.decode()
    assert "Note 0 to co-sign" in page and "Director's own" not in page
    assert page.count('type="checkbox" name="alert"') == 3
    response = client.post("/alerts/acknowledge", {"alert": [three[0].pk, three[2].pk]})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    assert {a.pk for a in Alert.objects.filter(acknowledged_by=staff["supervisor"])} == {
        three[0].pk,
        three[2].pk,
    }
    assert Entry.objects.filter(action="alert.acknowledge", outcome="allowed").count() == 2
    page = client.get("/alerts/").content.decode()
    assert "2 alerts acknowledged." in page and "Acknowledged lately" in page


def test_choosing_none_says_so(three, staff, client_for):
    client = client_for(staff["supervisor"])
    response = client.post("/alerts/acknowledge", {})
    assert response.status_code == 400
    assert "Choose at least one alert to acknowledge." in response.content.decode()
    assert not Alert.objects.filter(read_at__isnull=False).exists()


def test_someone_elses_alert_in_the_batch_refuses_the_whole_batch(three, staff, client_for):
    theirs = Alert.objects.get(recipient=staff["program_director"])
    client = client_for(staff["supervisor"])
    response = client.post("/alerts/acknowledge", {"alert": [three[0].pk, theirs.pk, 999999]})
    assert response.status_code == 403
    assert not Alert.objects.filter(read_at__isnull=False).exists()
    denied = Entry.objects.filter(action="alert.acknowledge", outcome="denied")
    assert sorted(e.object_id for e in denied) == sorted([str(theirs.pk), "999999"])
    assert {e.actor_id for e in denied} == {staff["supervisor"].pk}


def test_residents_have_no_alerts_page(resident, make_user, client_for):
    user = portal_login(make_user, resident).user
    assert client_for(user).get("/alerts/").status_code == 404
    assert client_for(user).get("/alerts/preferences").status_code == 404


def test_preferences_are_saved_with_their_ledger_entries(staff, client_for):
    user = staff["caseworker"]
    client = client_for(user)
    assert "Your e-mail address" in client.get("/alerts/preferences").content.decode()
    response = client.post("/alerts/preferences", {"delivery": "weekly", "email": "not an address"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved" in page and "is not an e-mail address" in page
    assert "Choose each alert at once, or a daily digest." in page
    response = client.post(
        "/alerts/preferences", {"delivery": "digest", "email": "heidi@center.example"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "heidi@center.example"
    assert Preference.objects.get(user=user).delivery == Delivery.DIGEST
    actions = set(Entry.objects.filter(actor_id=user.pk).values_list("action", flat=True))
    assert {"alert.preferences", "account.change_email"} <= actions
    assert "one e-mail a day" in client.get("/alerts/").content.decode()


def test_the_api_lists_and_acknowledges_only_your_own(three, staff, api_for):
    api = api_for(staff["supervisor"])
    listed = api.get("/api/v1/alerts").json()["items"]
    assert [a["id"] for a in listed] == sorted((a.pk for a in three), reverse=True)
    assert listed[0]["urgency"] == "normal" and listed[0]["acknowledged_at"] is None
    theirs = Alert.objects.get(recipient=staff["program_director"])
    refused = api.post(
        "/api/v1/alerts/acknowledge",
        {"ids": [three[0].pk, theirs.pk]},
        content_type="application/json",
    )
    assert refused.status_code == 403 and "Not alerts of yours" in refused.json()["detail"]
    done = api.post(
        "/api/v1/alerts/acknowledge",
        {"ids": [a.pk for a in three]},
        content_type="application/json",
    )
    assert done.status_code == 200 and sorted(done.json()["acknowledged"]) == [a.pk for a in three]
    assert api.get("/api/v1/alerts").json()["items"] == []
    empty = api.post("/api/v1/alerts/acknowledge", {"ids": []}, content_type="application/json")
    assert empty.status_code == 400


def run(argv, monkeypatch, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(argv)


def test_createuser_takes_an_email_address(db, monkeypatch, capsys):
    base = ["createuser", "--role", "caseworker", "--full-name", "Nina Park", "--password-stdin"]
    code = run([*base, "--username", "nina", "--email", "nope"], monkeypatch, "long passphrase!\n")
    assert code == 2 and "'nope' is not an e-mail address" in capsys.readouterr().err
    code = run(
        [*base, "--username", "nina", "--email", "nina@center.example"],
        monkeypatch,
        "long passphrase!\n",
    )
    assert code == 0
    from homecoming.accounts.models import User

    assert User.objects.get(username="nina").email == "nina@center.example"


def test_alerts_test_email_through_smtp(db, monkeypatch, capsys, inbox):
    assert run(["alerts", "test-email", "ops@center.example"], monkeypatch) == 0
    assert "Sent a test e-mail to ops@center.example through SMTP to 127.0.0.1" in (
        capsys.readouterr().out
    )
    [message] = inbox.to("ops@center.example")
    assert message["Subject"] == "[Homecoming] Test e-mail"
    assert run(["alerts", "test-email", "nobody"], monkeypatch) == 2
    assert "'nobody' is not an e-mail address" in capsys.readouterr().err
    assert run(["alerts", "status"], monkeypatch) == 0
    assert "escalate after 30 and 60 minutes" in capsys.readouterr().out


def test_alerts_test_email_names_a_server_that_refuses(db, monkeypatch, capsys, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 5
    assert run(["alerts", "test-email", "ops@center.example"], monkeypatch) == 2
    assert "Sending through SMTP to 127.0.0.1:1 (plain) failed" in capsys.readouterr().err


def test_acknowledging_and_escalating_show_in_the_timeline_and_to_the_resident(
    resident, staff, make_user, client_for
):
    from homecoming.access import services as access_services
    from homecoming.alerts import escalation

    own = portal_login(make_user, resident)
    access_services.open_break_glass(staff["clinician_other"], resident, "Seizure in room N101")
    alert = Alert.objects.get()
    escalation.escalate_due(alert.created_at + escalation.dt.timedelta(minutes=30))
    services.acknowledge(staff["supervisor"], [alert.pk])
    entries = Entry.objects.filter(action__startswith="alert.", resident_id=resident.pk)
    assert {e.action for e in entries} == {"alert.escalate", "alert.acknowledge"}
    timeline = client_for(staff["caseworker"]).get(f"/residents/{resident.pk}/timeline/")
    assert timeline.status_code == 200
    mine = client_for(own.user).get("/my-record/")
    assert mine.status_code == 200
    page = mine.content.decode()
    assert "acknowledged an alert about you" in page
    # The supervisor's escalated copy shows who else had it, and the ledger entry of each step.
    step = Alert.objects.get(level=1)
    alerts_page = client_for(staff["supervisor"]).get("/alerts/").content.decode()
    seq = Entry.objects.get(action="alert.escalate", object_id=str(step.pk)).seq
    assert f"Escalated to you by the system (ledger entry #{seq})." in alerts_page
