"""Log-in: password then TOTP for staff (enrolment at first log-in), lock-out, idle expiry."""

import base64
import re

from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.accounts.models import Role, User
from tests.conftest import PASSWORD


def code_for(device) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def unthrottle(device):
    """django-otp makes a device wait 2^n seconds after n wrong codes; tests do not wait."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )


def wrong_code(device) -> str:
    return "000000" if code_for(device) != "000000" else "111111"


def password_step(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(staff):
    assert staff["caseworker"].password.startswith("argon2$")
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_staff_log_in_with_password_then_code(staff):
    client = Client()
    response = password_step(client, "caseworker")
    assert response.status_code == 302 and response["Location"] == "/login/second-factor/"
    # Not logged in yet: the password alone opens nothing.
    assert client.get("/").status_code == 302
    device = TOTPDevice.objects.get(user=staff["caseworker"])
    response = client.post("/login/second-factor/", {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_first_log_in_enrols_an_authenticator_with_a_qr_code(make_user):
    make_user(Role.CASEWORKER, username="newbie", enrolled=False)
    client = Client()
    password_step(client, "newbie")
    page = client.get("/login/second-factor/").content.decode()
    assert "<svg" in page and "Set up your second factor" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    device = TOTPDevice.objects.get(user__username="newbie")
    assert not device.confirmed
    assert base64.b32decode(secret) == device.bin_key
    wrong = client.post("/login/second-factor/", {"code": wrong_code(device)})
    assert wrong.status_code == 400
    unthrottle(device)
    assert client.post("/login/second-factor/", {"code": code_for(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed


def test_wrong_password_is_refused_with_a_message(staff):
    response = password_step(Client(), "caseworker", "wrong password")
    assert response.status_code == 400 and "Wrong username or password" in response.content.decode()


def test_malformed_code_is_a_400(staff):
    client = Client()
    password_step(client, "caseworker")
    response = client.post("/login/second-factor/", {"code": "12ab"})
    assert response.status_code == 400 and "six digits" in response.content.decode()


def test_repeated_failures_lock_the_account(staff):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "caseworker", "wrong password")
    response = password_step(client, "caseworker")  # even the right password now
    assert response.status_code == 429 and "locked" in response.content.decode()
    assert client.get("/").status_code == 302


def test_wrong_codes_count_towards_the_lock_out(staff):
    client = Client()
    device = TOTPDevice.objects.get(user=staff["caseworker"])
    password_step(client, "caseworker")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/login/second-factor/", {"code": wrong_code(device)})
        unthrottle(device)
    assert response.status_code == 429
    assert password_step(Client(), "caseworker").status_code == 429


def test_residents_log_in_without_a_second_factor_but_are_locked_out_too(resident, make_user):
    make_user(Role.RESIDENT, username="walter")
    client = Client()
    response = password_step(client, "walter")
    assert response.status_code == 302 and response["Location"] == "/"
    other = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(other, "walter", "nope nope nope")
    assert password_step(Client(), "walter").status_code == 429


def test_inactive_accounts_cannot_log_in(staff):
    User.objects.filter(username="caseworker").update(is_active=False)
    assert password_step(Client(), "caseworker").status_code == 400


def test_idle_sessions_expire(staff, client_for):
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = client_for(staff["caseworker"])
    assert client.get("/").status_code == 200
    # Each request pushes the expiry forward by the idle limit...
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.expire_date > timezone.now() + dt.timedelta(
        seconds=settings.SESSION_COOKIE_AGE - 60
    )
    # ...so a session left idle past it is gone.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - dt.timedelta(1))
    assert client.get("/")["Location"].startswith("/login/")


def test_an_unverified_staff_session_is_logged_out(staff):
    client = Client()
    client.force_login(staff["caseworker"])  # password only, no verified device
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_pending_password_step_expires(staff, monkeypatch):
    client = Client()
    password_step(client, "caseworker")
    session = client.session
    session["homecoming_pending_login"]["at"] -= 10_000
    session.save()
    assert client.get("/login/second-factor/")["Location"] == "/login/"


def test_next_parameter_cannot_redirect_off_site(staff):
    client = Client()
    client.post(
        "/login/?next=https://evil.example/", {"username": "caseworker", "password": PASSWORD}
    )
    device = TOTPDevice.objects.get(user=staff["caseworker"])
    response = client.post("/login/second-factor/", {"code": code_for(device)})
    assert response["Location"] == "/"


def test_logout_ends_the_session(staff, client_for):
    client = client_for(staff["caseworker"])
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_a_lock_out_between_the_two_steps_holds(staff):
    """Password passed in one browser; the account is locked from elsewhere; the right code
    must not finish the log-in, nor lift the lock."""
    client = Client()
    password_step(client, "caseworker")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(Client(), "caseworker", "wrong password")
    device = TOTPDevice.objects.get(user=staff["caseworker"])
    response = client.post("/login/second-factor/", {"code": code_for(device)})
    assert response.status_code == 429
    assert client.get("/").status_code == 302
    assert password_step(Client(), "caseworker").status_code == 429


def test_api_refuses_a_staff_session_without_a_verified_second_factor(resident, staff):
    client = Client()
    client.force_login(staff["supervisor"])  # password only
    assert client.get(f"/api/v1/residents/{resident.pk}").status_code == 401


def test_resetting_a_second_factor_ends_open_sessions_on_the_api_too(resident, staff, client_for):
    client = client_for(staff["supervisor"])
    assert client.get("/api/v1/residents").status_code == 200
    client_for(staff["sysadmin"]).post(f"/staff/{staff['supervisor'].pk}/reset_second_factor/")
    assert client.get("/api/v1/residents").status_code == 401
    assert client.get("/").status_code == 302


def test_a_resident_replaces_the_password_staff_chose(resident, staff, client_for):
    from homecoming.residents import services

    services.grant_portal_access(
        staff["caseworker"], resident, "walter", "chosen by the caseworker"
    )
    client = Client()
    assert password_step(client, "walter", "chosen by the caseworker")["Location"] == "/"
    assert client.get("/")["Location"] == "/password/"
    assert client.get("/my-record/")["Location"] == "/password/"
    client.post(
        "/password/",
        {
            "old_password": "chosen by the caseworker",
            "new_password1": "walter's own passphrase",
            "new_password2": "walter's own passphrase",
        },
    )
    assert client.get("/my-record/").status_code == 200
