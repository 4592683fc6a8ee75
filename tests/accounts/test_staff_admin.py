"""The system administrator manages accounts, and sees no resident data."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.accounts.models import User
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry, Version

NEW = {
    "username": "nurse2",
    "full_name": "Nora Nurse",
    "role": "clinician",
    "password": "a long enough passphrase",
}


def test_sysadmin_creates_a_staff_account(staff, client_for):
    client = client_for(staff["sysadmin"])
    assert client.get("/staff/").status_code == 200
    response = client.post("/staff/new/", NEW)
    assert response.status_code == 302
    user = User.objects.get(username="nurse2")
    assert user.role == "clinician" and user.password.startswith("argon2")
    entry = Entry.objects.filter(action="account.create").latest("seq")
    assert entry.object_id == str(user.pk) and entry.resident_id is None
    version = Version.objects.get(sha256=entry.version_sha256)
    assert '"username":"nurse2"' in version.content
    assert '"password"' not in version.content and "argon2" not in version.content
    assert user.must_change_password  # the administrator chose it; the owner replaces it


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"password": "short"}, "too short"),
        ({"username": "caseworker"}, "is taken"),
        ({"role": "caseworker", "is_medical_lead": "on"}, "Only a clinician"),
        ({"role": "resident"}, "Select a valid choice"),
        ({"full_name": ""}, "This field is required"),
    ],
)
def test_bad_account_input_is_a_400(staff, client_for, overrides, message):
    response = client_for(staff["sysadmin"]).post("/staff/new/", NEW | overrides)
    assert response.status_code == 400 and message in response.content.decode()
    assert not User.objects.filter(full_name="Nora Nurse").exists()


def test_only_one_medical_lead(staff, client_for):
    client = client_for(staff["sysadmin"])
    assert client.post("/staff/new/", NEW | {"is_medical_lead": "on"}).status_code == 302
    second = NEW | {"username": "nurse3", "is_medical_lead": "on"}
    response = client.post("/staff/new/", second)
    assert response.status_code == 400 and "already a medical lead" in response.content.decode()


def test_reset_second_factor_and_deactivate(staff, client_for):
    client = client_for(staff["sysadmin"])
    target = staff["caseworker"]
    assert client.post(f"/staff/{target.pk}/reset_second_factor/").status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert client.post(f"/staff/{target.pk}/deactivate/").status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert client.post(f"/staff/{staff['sysadmin'].pk}/deactivate/").status_code == 400
    assert client.post(f"/staff/{target.pk}/explode/").status_code == 400
    assert client.post(f"/staff/{target.pk}/unlock/").status_code == 302


@pytest.mark.parametrize(
    "who", ["supervisor", "caseworker", "clinician", "contractor", "oversight", "investigator"]
)
def test_account_pages_denied_to_everyone_else(staff, client_for, who):
    client = client_for(staff[who])
    assert client.get("/staff/").status_code == 403
    assert client.post("/staff/new/", NEW).status_code == 403
    assert client.post(f"/staff/{staff['caseworker'].pk}/deactivate/").status_code == 403
    assert User.objects.get(pk=staff["caseworker"].pk).is_active


def test_sysadmin_sees_no_resident_data(resident, staff, client_for, make_user):
    walter = make_user("resident", username="walter", full_name="Walter Cruz")
    client = client_for(staff["sysadmin"])
    accounts_page = client.get("/staff/").content.decode()
    assert "Walter" not in accounts_page and "walter" not in accounts_page
    for action in ("deactivate", "reset_second_factor", "unlock"):
        assert client.post(f"/staff/{walter.pk}/{action}/").status_code == 400
    assert User.objects.get(pk=walter.pk).is_active
    assert client.get("/").status_code == 302
    assert client.get(f"/residents/{resident.pk}/").status_code == 403
    assert "Cruz" not in client.get("/residents/?q=cruz").content.decode()
    assert client.get("/beds/").status_code == 403


def test_locked_accounts_are_shown_and_can_be_unlocked(staff, client_for):
    from django.conf import settings
    from django.test import Client

    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/login/", {"username": "caseworker", "password": "wrong password"})
    admin = client_for(staff["sysadmin"])
    assert "locked out" in admin.get("/staff/").content.decode()
    admin.post(f"/staff/{staff['caseworker'].pk}/unlock/")
    assert "locked out" not in admin.get("/staff/").content.decode()
    from tests.conftest import PASSWORD

    response = Client().post("/login/", {"username": "caseworker", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("username", ["x');alert(1);//", "<script>", "has space", ""])
def test_usernames_with_markup_or_spaces_are_refused(staff, client_for, username):
    response = client_for(staff["sysadmin"]).post("/staff/new/", NEW | {"username": username})
    assert response.status_code == 400
    assert not User.objects.filter(full_name="Nora Nurse").exists()


def test_new_record_reading_accounts_and_resets_are_reported(staff, client_for):
    client = client_for(staff["sysadmin"])
    client.post("/staff/new/", NEW)
    told = set(Alert.objects.filter(kind="account").values_list("recipient__role", flat=True))
    assert told == {"program_director", "oversight"}
    before = Alert.objects.count()  # alerts are never deleted (the database refuses it)
    client.post("/staff/new/", NEW | {"username": "analyst", "role": "contractor"})
    assert Alert.objects.count() == before  # a contractor account opens no resident record
    client.post(f"/staff/{staff['supervisor'].pk}/reset_second_factor/")
    assert Alert.objects.filter(kind="account", message__contains="reset the second").count() == 2


def test_a_new_account_must_replace_its_password_first(staff, client_for):
    client_for(staff["sysadmin"]).post("/staff/new/", NEW)
    nurse = User.objects.get(username="nurse2")
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=nurse, name="t", confirmed=True)
    client = client_for(nurse)
    assert client.get("/")["Location"] == "/password/"
    refused = client.get("/api/v1/residents")
    assert refused.status_code == 403 and "Change your password" in refused.json()["detail"]
    weak = client.post(
        "/password/",
        {"old_password": NEW["password"], "new_password1": "short", "new_password2": "short"},
    )
    assert weak.status_code == 400
    done = client.post(
        "/password/",
        {
            "old_password": NEW["password"],
            "new_password1": "nora's very own phrase",
            "new_password2": "nora's very own phrase",
        },
    )
    assert done.status_code == 302
    nurse.refresh_from_db()
    assert not nurse.must_change_password and nurse.check_password("nora's very own phrase")
    assert client.get("/").status_code == 200
    assert Entry.objects.filter(action="account.change_password", actor=nurse).exists()
