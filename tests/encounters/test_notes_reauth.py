"""Confirming identity before a signature: the password or a current authenticator code."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.accounts.models import Role
from homecoming.accounts.reauth import confirm_identity
from tests.conftest import PASSWORD
from tests.support.notes import current_code


def test_the_password_confirms(make_user):
    user = make_user(Role.CASEWORKER)
    assert confirm_identity(user, PASSWORD)


def test_a_wrong_password_does_not(make_user):
    user = make_user(Role.CASEWORKER)
    assert not confirm_identity(user, PASSWORD + "!")
    assert not confirm_identity(user, "")
    assert not confirm_identity(user, None)


def test_a_current_code_confirms_once(make_user):
    user = make_user(Role.CASEWORKER)
    code = current_code(user)
    assert confirm_identity(user, code)
    # A code seen once is spent: someone watching the screen cannot sign with it after.
    assert not confirm_identity(user, code)


def test_a_code_typed_in_two_groups_confirms(make_user):
    user = make_user(Role.CASEWORKER)
    code = current_code(user)
    assert confirm_identity(user, f"{code[:3]} {code[3:]}")


def test_a_wrong_or_old_code_does_not(make_user):
    user = make_user(Role.CASEWORKER)
    device = TOTPDevice.objects.get(user=user)
    old = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=-5)
    assert not confirm_identity(user, f"{old:06d}")
    right = current_code(user)
    assert not confirm_identity(user, f"{(int(right) + 1) % 1_000_000:06d}")


def test_another_persons_code_does_not(make_user):
    user, other = make_user(Role.CASEWORKER), make_user(Role.CASEWORKER)
    assert not confirm_identity(user, current_code(other))


def test_an_unconfirmed_device_does_not(make_user):
    user = make_user(Role.CASEWORKER, enrolled=False)
    TOTPDevice.objects.create(user=user, name="not yet enrolled", confirmed=False)
    device = TOTPDevice.objects.get(user=user)
    assert not confirm_identity(user, f"{totp(device.bin_key):06d}")


def test_an_inactive_account_cannot_confirm(make_user):
    user = make_user(Role.CASEWORKER, is_active=False)
    assert not confirm_identity(user, PASSWORD)
