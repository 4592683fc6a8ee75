"""The accounts API: the system administrator's account pages over JSON (list, read, create,
change, deactivate and reactivate, reset the second factor, unlock) and a staff member's own
API tokens, through the same services: the same refusals, and the oversight body and the
program director told of the same changes. Who is refused, and that a read-only token writes
nothing."""

import json

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.accounts import tokens
from homecoming.accounts.models import ApiToken, Role, User
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry, Outcome
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = {
    "username": "mhale",
    "full_name": "Morgan Hale",
    "email": "m.hale@center.example",
    "role": "clinician",
    "password": "a long first passphrase 7",
}


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def patch(client, path, body):
    return client.patch(path, json.dumps(body), content_type="application/json")


def told(*words):
    """The account alerts whose message holds every word, by recipient username."""
    found = Alert.objects.filter(kind="account")
    for word in words:
        found = found.filter(message__contains=word)
    return set(found.values_list("recipient__username", flat=True))


WATCHERS = {"oversight", "program_director"}


# Listing and reading


def test_the_sysadmin_lists_staff_accounts_paged_without_passwords(staff, resident, api_for):
    client = api_for(staff["sysadmin"])
    page = client.get("/api/v1/accounts?limit=3").json()
    assert page["count"] == User.objects.exclude(role=Role.RESIDENT).count()
    assert len(page["items"]) == 3 and page["limit"] == 3
    everyone = client.get("/api/v1/accounts?limit=500").json()["items"]
    assert "resident" not in {a["role"] for a in everyone}  # residents' log-ins are not listed
    assert all("password" not in a for a in everyone)
    assert all(a["second_factor_enrolled"] and not a["locked"] for a in everyone)
    one = client.get(f"/api/v1/accounts/{staff['caseworker'].pk}").json()
    assert one["username"] == "caseworker" and one["role"] == "caseworker"
    assert "password" not in one and "argon2" not in json.dumps(one)


def test_a_locked_out_account_shows_locked(staff, api_for):
    AccessAttempt.objects.create(
        username="caseworker",
        ip_address="10.0.0.1",
        user_agent="x",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        attempt_time=timezone.now(),
    )
    one = api_for(staff["sysadmin"]).get(f"/api/v1/accounts/{staff['caseworker'].pk}").json()
    assert one["locked"] is True


def test_a_residents_log_in_is_not_an_account_here(staff, resident, make_user, api_for):
    login = make_user(Role.RESIDENT)
    response = api_for(staff["sysadmin"]).get(f"/api/v1/accounts/{login.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "who", ["caseworker", "clinician", "supervisor", "contractor", "oversight", "investigator"]
)
def test_who_may_not_read_accounts(staff, api_for, who):
    client = api_for(staff[who])
    assert client.get("/api/v1/accounts").status_code == 403
    assert client.get(f"/api/v1/accounts/{staff['caseworker'].pk}").status_code == 403
    assert Entry.objects.filter(
        actor=staff[who], action="accounts.manage", outcome=Outcome.DENIED
    ).exists()


# Creating


def test_the_sysadmin_creates_an_account_the_watchers_are_told(staff, api_for):
    response = post(api_for(staff["sysadmin"]), "/api/v1/accounts", NEW)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "mhale" and body["must_change_password"] is True
    assert body["second_factor_enrolled"] is False and "password" not in body
    user = User.objects.get(username="mhale")
    assert user.check_password(NEW["password"]) and user.role == Role.CLINICIAN
    assert Entry.objects.filter(
        actor=staff["sysadmin"], action="account.create", object_id=str(user.pk)
    ).exists()
    assert told("'mhale'", "clinician") == WATCHERS


def test_replay_the_sysadmin_makes_themself_a_clinical_account(staff, api_for):
    """The insider: an administrator who may not open records makes a clinician's log-in, in
    their own name, to read them. Not refusable (they staff the center), so it is seen: the
    same name is a 409 first, and the account, with the name it copies, is told to every
    oversight officer and program director."""
    admin = staff["sysadmin"]
    client = api_for(admin)
    mine = NEW | {"username": "sys2", "full_name": admin.full_name, "is_prescriber": True}
    first = post(client, "/api/v1/accounts", mine)
    assert first.status_code == 409 and first.json()["code"] == "same_full_name"
    assert "sysadmin" in first.json()["detail"]
    assert not User.objects.filter(username="sys2").exists()
    created = post(client, "/api/v1/accounts", mine | {"same_name_ok": True})
    assert created.status_code == 201
    assert told("'sys2'", "clinician", "Another account already has the full name") == WATCHERS
    # Nor can the administrator turn their own account into a clinician's.
    own = patch(client, f"/api/v1/accounts/{admin.pk}", {"role": "clinician"})
    assert own.status_code == 400 and "own role" in own.json()["errors"]["role"][0]
    assert User.objects.get(pk=admin.pk).role == Role.SYSADMIN


def test_every_problem_of_a_new_account_is_named(staff, api_for):
    bad = {
        "username": "caseworker",
        "full_name": " ",
        "email": "nope",
        "role": "resident",
        "password": "short",
        "is_trainee": True,
    }
    response = post(api_for(staff["sysadmin"]), "/api/v1/accounts", bad)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"username", "full_name", "email", "role", "is_trainee"} <= set(errors)
    weak = post(api_for(staff["sysadmin"]), "/api/v1/accounts", NEW | {"password": "password"})
    assert weak.status_code == 400 and "password" in weak.json()["errors"]
    missing = post(api_for(staff["sysadmin"]), "/api/v1/accounts", {"username": "x"})
    assert missing.status_code == 422
    assert {"full_name", "role", "password"} <= set(missing.json()["errors"])
    assert not User.objects.filter(username__in=["mhale", "x"]).exists()


@pytest.mark.parametrize("who", ["caseworker", "supervisor", "clinician", "oversight"])
def test_who_may_not_create_an_account(staff, api_for, who):
    response = post(api_for(staff[who]), "/api/v1/accounts", NEW)
    assert response.status_code == 403
    assert not User.objects.filter(username="mhale").exists()


def test_a_read_only_token_creates_no_account(staff):
    _, clear = tokens.issue(staff["sysadmin"], "audit", scope="read")
    from django.test import Client

    response = post(Client(HTTP_AUTHORIZATION=f"Bearer {clear}"), "/api/v1/accounts", NEW)
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    assert not User.objects.filter(username="mhale").exists()
    assert Entry.objects.filter(action="token.write_refused", actor=staff["sysadmin"]).exists()


# Changing


def test_a_change_of_role_is_told_and_other_changes_are_ledgered(staff, api_for):
    client = api_for(staff["sysadmin"])
    target = staff["caseworker_other"]
    quiet = patch(client, f"/api/v1/accounts/{target.pk}", {"email": "c@center.example"})
    assert quiet.status_code == 200 and quiet.json()["email"] == "c@center.example"
    assert Entry.objects.filter(action="account.update", object_id=str(target.pk)).exists()
    assert told("'caseworker_other'") == set()
    moved = patch(client, f"/api/v1/accounts/{target.pk}", {"role": "supervisor"})
    assert moved.status_code == 200 and moved.json()["role"] == "supervisor"
    assert told("'caseworker_other'", "from caseworker to supervisor") == WATCHERS


def test_the_last_oversight_officer_keeps_the_role_and_the_account(staff, api_for):
    client = api_for(staff["sysadmin"])
    oversight = staff["oversight"]
    moved = patch(client, f"/api/v1/accounts/{oversight.pk}", {"role": "caseworker"})
    assert moved.status_code == 400 and "last active" in moved.json()["detail"]
    gone = post(client, f"/api/v1/accounts/{oversight.pk}/deactivate")
    assert gone.status_code == 400 and "last active" in gone.json()["detail"]
    assert User.objects.get(pk=oversight.pk).is_active


def test_bad_changes_are_named(staff, api_for):
    client = api_for(staff["sysadmin"])
    target = staff["caseworker"]
    response = patch(
        client,
        f"/api/v1/accounts/{target.pk}",
        {"full_name": "", "email": "nope", "is_prescriber": True},
    )
    assert response.status_code == 400
    assert {"full_name", "email", "role"} <= set(response.json()["errors"])
    assert patch(client, f"/api/v1/accounts/{target.pk}", {"username": "x"}).status_code == 200
    assert User.objects.get(pk=target.pk).username == "caseworker"  # never changes
    assert patch(client, f"/api/v1/accounts/{target.pk}", {"email": None}).status_code == 422


def test_who_may_not_change_an_account(staff, api_for):
    for who in ("caseworker", "supervisor"):
        response = patch(
            api_for(staff[who]), f"/api/v1/accounts/{staff[who].pk}", {"role": "sysadmin"}
        )
        assert response.status_code == 403
        assert User.objects.get(pk=staff[who].pk).role == who


# Deactivating, reactivating, second factor, unlock


def test_deactivate_and_reactivate_are_told(staff, api_for):
    client = api_for(staff["sysadmin"])
    target = staff["clinician_other"]
    off = post(client, f"/api/v1/accounts/{target.pk}/deactivate")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert told("deactivated", "'clinician_other'") == WATCHERS
    on = post(client, f"/api/v1/accounts/{target.pk}/activate")
    assert on.status_code == 200 and on.json()["is_active"] is True
    assert told("reactivated", "'clinician_other'") == WATCHERS
    actions = set(Entry.objects.filter(object_id=str(target.pk)).values_list("action", flat=True))
    assert {"account.deactivate", "account.activate"} <= actions


def test_the_sysadmin_cannot_deactivate_themself_nor_a_residents_log_in(
    staff, resident, make_user, api_for
):
    client = api_for(staff["sysadmin"])
    own = post(client, f"/api/v1/accounts/{staff['sysadmin'].pk}/deactivate")
    assert own.status_code == 400 and "your own account" in own.json()["detail"]
    login = make_user(Role.RESIDENT)
    theirs = post(client, f"/api/v1/accounts/{login.pk}/deactivate")
    assert theirs.status_code == 400 and "resident's chart" in theirs.json()["detail"]
    assert User.objects.get(pk=login.pk).is_active
    assert post(client, "/api/v1/accounts/999999/deactivate").status_code == 404


def test_reset_second_factor_and_unlock(staff, api_for):
    client = api_for(staff["sysadmin"])
    target = staff["caseworker"]
    AccessAttempt.objects.create(
        username="caseworker",
        ip_address="10.0.0.1",
        user_agent="x",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        attempt_time=timezone.now(),
    )
    reset = post(client, f"/api/v1/accounts/{target.pk}/reset-second-factor")
    assert reset.status_code == 200 and reset.json()["second_factor_enrolled"] is False
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert told("reset the second factor", "'caseworker'") == WATCHERS
    unlocked = post(client, f"/api/v1/accounts/{target.pk}/unlock")
    assert unlocked.status_code == 200 and unlocked.json()["locked"] is False
    assert not AccessAttempt.objects.filter(username="caseworker").exists()
    assert Entry.objects.filter(action="account.unlock", object_id=str(target.pk)).exists()


@pytest.mark.parametrize("action", ["deactivate", "activate", "reset-second-factor", "unlock"])
@pytest.mark.parametrize("who", ["caseworker", "supervisor", "oversight"])
def test_who_may_not_act_on_an_account(staff, api_for, action, who):
    target = staff["clinician_other"]
    response = post(api_for(staff[who]), f"/api/v1/accounts/{target.pk}/{action}")
    assert response.status_code == 403
    assert User.objects.get(pk=target.pk).is_active
    assert TOTPDevice.objects.filter(user=target).exists()
    assert not Alert.objects.filter(kind="account").exists()


# Tokens


def test_a_staff_member_makes_lists_and_revokes_their_own_token(staff, api_for):
    user = staff["caseworker"]
    client = api_for(user)
    made = post(
        client, "/api/v1/tokens", {"name": "ward screen", "scope": "read", "secret": PASSWORD}
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["token"].startswith("hc_") and body["scope"] == "read"
    assert body["user"] == "caseworker" and body["created_by"] == "caseworker"
    token = ApiToken.objects.get(pk=body["id"])
    assert tokens.find(body["token"]) == token and "digest" not in body
    assert Entry.objects.filter(action="token.create", object_id=str(token.pk)).exists()
    listed = client.get("/api/v1/tokens").json()
    assert body["id"] in [t["id"] for t in listed["items"]]
    assert all("token" not in t for t in listed["items"])  # shown once, never again
    assert {t["user"] for t in listed["items"]} == {"caseworker"}
    revoked = post(client, f"/api/v1/tokens/{token.pk}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert tokens.find(body["token"]) is None


def test_a_token_needs_the_owners_secret_and_good_fields(staff, api_for):
    client = api_for(staff["caseworker"])
    wrong = post(client, "/api/v1/tokens", {"name": "x", "secret": "not my password"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "not_confirmed"
    assert Entry.objects.filter(
        actor=staff["caseworker"], action="token.create", outcome=Outcome.DENIED
    ).exists()
    bad = post(client, "/api/v1/tokens", {"name": " ", "days": 900, "secret": PASSWORD})
    assert bad.status_code == 400 and {"name", "days"} <= set(bad.json()["errors"])
    assert (
        post(
            client, "/api/v1/tokens", {"name": "x", "scope": "all", "secret": PASSWORD}
        ).status_code
        == 422
    )
    assert ApiToken.objects.filter(user=staff["caseworker"]).count() == 1  # api_for's own


def test_a_resident_has_no_tokens_of_their_own(resident, make_user, staff):
    from tests.conftest import logged_in

    login = make_user(Role.RESIDENT)
    resident.user = login
    resident.save(update_fields=["user"])
    client = logged_in(login)
    assert client.get("/api/v1/tokens").status_code == 403
    made = post(client, "/api/v1/tokens", {"name": "x", "secret": PASSWORD})
    assert made.status_code == 403 and not ApiToken.objects.filter(user=login).exists()


def test_only_the_owner_or_an_account_manager_revokes(staff, api_for):
    token, clear = tokens.issue(staff["clinician"], "pump", by=staff["clinician"])
    other = post(api_for(staff["caseworker"]), f"/api/v1/tokens/{token.pk}/revoke")
    assert other.status_code == 403 and tokens.find(clear) is not None
    assert Entry.objects.filter(
        actor=staff["caseworker"], action="token.revoke", outcome=Outcome.DENIED
    ).exists()
    admin = api_for(staff["sysadmin"])
    every = admin.get("/api/v1/tokens/all?limit=500").json()
    assert token.pk in [t["id"] for t in every["items"]]
    assert post(admin, f"/api/v1/tokens/{token.pk}/revoke").status_code == 200
    assert tokens.find(clear) is None
    assert post(admin, "/api/v1/tokens/999999/revoke").status_code == 404


def test_only_account_managers_list_every_token(staff, api_for):
    assert api_for(staff["supervisor"]).get("/api/v1/tokens/all").status_code == 403


def test_a_read_only_token_makes_no_token(staff):
    from django.test import Client

    _, clear = tokens.issue(staff["caseworker"], "screen", scope="read")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    made = post(client, "/api/v1/tokens", {"name": "more", "secret": PASSWORD})
    assert made.status_code == 403
    assert ApiToken.objects.filter(user=staff["caseworker"]).count() == 1
