"""API tokens (issue 13, part 5): they expire, carry a scope, are listed and revoked by their
owner and the system administrator, and a staff member makes their own after confirming it is
them."""

import datetime as dt
import json

import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.accounts import tokens
from homecoming.accounts.models import ApiToken
from homecoming.core import dates
from homecoming.ledger.models import Entry, Version
from tests.conftest import PASSWORD


def bearer(clear):
    return Client(HTTP_AUTHORIZATION=f"Bearer {clear}")


def test_a_token_expires_after_ninety_days_by_default(staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        token, clear = tokens.issue(staff["supervisor"], "reports")
    assert token.expires_at == start + dt.timedelta(days=90)
    with time_machine.travel(start + dt.timedelta(days=89), tick=False):
        assert bearer(clear).get("/api/v1/residents").status_code == 200
    with time_machine.travel(start + dt.timedelta(days=90, seconds=1), tick=False):
        assert bearer(clear).get("/api/v1/residents").status_code == 401


def test_a_read_token_is_refused_on_writes_with_403_and_a_denied_entry(staff, resident):
    token, clear = tokens.issue(staff["clinician"], "dashboard", scope="read")
    client = bearer(clear)
    assert client.get(f"/api/v1/residents/{resident.pk}").status_code == 200
    response = client.post(
        "/api/v1/alerts/acknowledge", json.dumps({"ids": [1]}), content_type="application/json"
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    denied = Entry.objects.get(action="token.write_refused")
    assert denied.outcome == "denied" and denied.actor == staff["clinician"]
    assert denied.object_id == str(token.pk)


def test_issuing_and_revoking_are_on_the_ledger_without_the_digest(staff):
    token, _ = tokens.issue(staff["caseworker"], "phone", by=staff["caseworker"])
    made = Entry.objects.get(action="token.create", object_id=str(token.pk))
    content = Version.objects.get(seq=made.seq).content
    assert token.digest not in content and '"scope":"write"' in content
    assert tokens.revoke(token, staff["caseworker"])
    assert Entry.objects.filter(action="token.revoke", outcome="allowed").exists()


def test_the_owner_makes_a_token_after_their_second_factor(staff, client_for):
    user = staff["caseworker"]
    client = client_for(user)
    form = {"name": "my script", "scope": "read", "days": "30"}
    # (A wrong password, not a wrong code: django-otp would then throttle the device a while.)
    wrong = client.post("/tokens/", form | {"secret": "not my password at all"})
    assert wrong.status_code == 400 and not ApiToken.objects.filter(user=user).exists()
    assert Entry.objects.filter(action="token.create", outcome="denied", actor=user).exists()
    device = TOTPDevice.objects.get(user=user)
    code = f"{totp(device.bin_key):06d}"
    made = client.post("/tokens/", form | {"secret": code})
    assert made.status_code == 200
    token = ApiToken.objects.get(user=user)
    assert token.scope == "read" and token.created_by == user
    assert f"hc_{token.prefix}_" in made.content.decode()  # shown this once
    # Its last day in the center's date format ("Dec 6, 2026"), not ISO text.
    assert f"until {dates.day(token.expires_at)})" in made.content.decode()
    listing = client.get("/tokens/").content.decode()
    assert token.prefix in listing
    assert f"{dates.day(token.created_at)} by {user.username}" in listing
    assert f"hc_{token.prefix}_" not in client.get("/tokens/").content.decode()


def test_bad_token_requests_name_every_problem(staff, client_for):
    client = client_for(staff["caseworker"])
    response = client.post("/tokens/", {"name": "", "scope": "all", "days": "0", "secret": ""})
    page = response.content.decode()
    assert response.status_code == 400
    for field in ("name", "scope", "days", "secret"):
        assert f'id="id_{field}"' in page
    assert page.count("errorlist") >= 4  # one message under each field, all at once


def test_owner_and_sysadmin_revoke_others_are_refused(staff, client_for):
    token, _ = tokens.issue(staff["caseworker"], "phone")
    other = client_for(staff["caseworker_other"])
    assert other.post(f"/tokens/{token.pk}/revoke/").status_code == 403
    denied = Entry.objects.get(action="token.revoke", outcome="denied")
    assert denied.actor == staff["caseworker_other"]
    token.refresh_from_db()
    assert token.revoked_at is None
    # A caseworker's list is their own; the sysadmin's is everyone's.
    assert token.prefix not in other.get("/tokens/").content.decode()
    assert other.get("/staff/tokens/").status_code == 403
    admin = client_for(staff["sysadmin"])
    assert token.prefix in admin.get("/staff/tokens/").content.decode()
    assert admin.post(f"/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    second, _ = tokens.issue(staff["caseworker"], "laptop")
    owner = client_for(staff["caseworker"])
    assert owner.post(f"/tokens/{second.pk}/revoke/").status_code == 302
    second.refresh_from_db()
    assert second.revoked_at is not None


def test_a_password_also_confirms(staff, client_for):
    client = client_for(staff["supervisor"])
    form = {"name": "x", "scope": "write", "days": "7", "secret": PASSWORD}
    assert client.post("/tokens/", form).status_code == 200
