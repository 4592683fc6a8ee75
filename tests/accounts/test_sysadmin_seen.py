"""Issue 13, part 5: the system administrator cannot silence the people who watch them.

Replay: the sysadmin deactivates the program director and the oversight officer, creates an
account, and reactivates both. On main no alert reached anyone (alerts went to active accounts
only, and (de)activation alerted nobody)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from homecoming.accounts import services
from homecoming.accounts.models import Role, User
from homecoming.alerts import escalation
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry

NEW = {
    "username": "shadow",
    "full_name": "Sam Shadow",
    "role": "sysadmin",
    "password": "a long enough passphrase",
}


@pytest.fixture
def watchers(staff, make_user):
    """A second director and oversight officer, so the first of each may be deactivated."""
    staff["director2"] = make_user(Role.PROGRAM_DIRECTOR, username="director2")
    staff["oversight2"] = make_user(Role.OVERSIGHT, username="oversight2")
    for name in ("program_director", "oversight", "director2", "oversight2"):
        staff[name].email = f"{name}@center.example"
        staff[name].save(update_fields=["email"])
    return staff


def alerts_of(user):
    return list(Alert.objects.filter(recipient=user, kind="account").order_by("pk"))


def test_replay_deactivate_overseers_create_account_reactivate(
    watchers, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    staff = watchers
    director, oversight = staff["program_director"], staff["oversight"]
    client = client_for(staff["sysadmin"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/staff/{director.pk}/deactivate/").status_code == 302
        assert client.post(f"/staff/{oversight.pk}/deactivate/").status_code == 302
        mailoutbox.clear()
        assert client.post("/staff/new/", NEW).status_code == 302
    # The account a sysadmin makes (not a record role) is told to every watcher, the two
    # deactivated ones included: kept for them, not e-mailed while they are away.
    created = Alert.objects.filter(kind="account", message__contains="'shadow'")
    assert set(created.values_list("recipient__username", flat=True)) == {
        "program_director",
        "oversight",
        "director2",
        "oversight2",
    }
    sent_to = {m.to[0] for m in mailoutbox}
    assert sent_to == {"director2@center.example", "oversight2@center.example"}
    # Each deactivation was told too, to the deactivated person as well.
    assert any(
        "deactivated" in a.message and "'oversight'" in a.message for a in alerts_of(director)
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/staff/{director.pk}/activate/").status_code == 302
        assert client.post(f"/staff/{oversight.pk}/activate/").status_code == 302
    # Back in service: what waited is e-mailed, and is on their alerts page.
    sent_to = [m.to[0] for m in mailoutbox]
    assert "program_director@center.example" in sent_to
    assert "oversight@center.example" in sent_to
    page = client_for(oversight).get("/alerts/").content.decode()
    assert "shadow" in page and "reactivated" in page
    for action in ("account.deactivate", "account.create", "account.activate"):
        assert Entry.objects.filter(action=action, actor=staff["sysadmin"]).exists()


def test_last_active_overseer_or_director_cannot_be_deactivated(staff, client_for):
    client = client_for(staff["sysadmin"])
    for name in ("oversight", "program_director"):
        response = client.post(f"/staff/{staff[name].pk}/deactivate/")
        assert response.status_code == 400
        assert "last active" in response.content.decode()
        staff[name].refresh_from_db()
        assert staff[name].is_active
    with pytest.raises(ValidationError, match="last active"):
        services.set_active(staff["program_director"], staff["oversight"], False)


def test_the_second_to_last_may_go_but_then_not_the_last(watchers):
    sysadmin = watchers["sysadmin"]
    services.set_active(sysadmin, watchers["oversight2"], False)
    with pytest.raises(ValidationError, match="last active oversight officer"):
        services.set_active(sysadmin, watchers["oversight"], False)


def test_an_alert_held_for_an_inactive_overseer_escalates(watchers):
    """Nobody can read an alert where it waits: unacknowledged, it goes up the line."""
    sysadmin = watchers["sysadmin"]
    services.set_active(sysadmin, watchers["oversight2"], False)
    services.create_user(sysadmin, **NEW)
    later = timezone.now() + dt.timedelta(hours=3)
    raised = escalation.escalate_due(now=later)
    assert {a.recipient.role for a in raised} >= {Role.SUPERVISOR}
    assert all(a.urgency == "critical" for a in raised)
    assert any("'shadow'" in a.message for a in raised)
    # An account alert whose recipients are all active is not escalated: it is not critical.
    services.set_active(sysadmin, watchers["oversight2"], True)
    services.update_user(sysadmin, watchers["caseworker"], {"role": "clinician"})
    escalation.escalate_due(now=later + dt.timedelta(hours=3))
    role_change = Alert.objects.filter(kind="account", message__contains="changed the role")
    assert role_change.exists() and not role_change.filter(level__gt=0).exists()


def test_every_account_change_tells_director_and_oversight(watchers):
    sysadmin = watchers["sysadmin"]
    target = watchers["contractor"]
    services.set_active(sysadmin, target, False)
    services.set_active(sysadmin, target, True)
    services.update_user(sysadmin, target, {"role": "supervisor"})
    messages = [a.message for a in alerts_of(watchers["oversight"])]
    assert any("deactivated the contractor account 'contractor'" in m for m in messages)
    assert any("reactivated" in m and "'contractor'" in m for m in messages)
    assert any("changed the role of 'contractor'" in m for m in messages)
    assert len(alerts_of(watchers["program_director"])) == len(messages)


def test_a_duplicate_full_name_warns_on_the_page_and_is_told(staff, client_for):
    client = client_for(staff["sysadmin"])
    twin = NEW | {"full_name": staff["program_director"].full_name, "role": "program_director"}
    response = client.post("/staff/new/", twin)
    assert response.status_code == 400
    assert "already has the full name" in response.content.decode()
    assert not User.objects.filter(username="shadow").exists()
    assert client.post("/staff/new/", twin | {"same_name_ok": "on"}).status_code == 302
    told = Alert.objects.get(recipient=staff["oversight"], message__contains="'shadow'")
    assert "already has the full name" in told.message and "program_director" in told.message
