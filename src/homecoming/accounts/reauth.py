"""Confirming who is at the keyboard before an act that carries their name (signing a note).

A logged-in session proves someone logged in a while ago; a signature must be given by its
owner now. The owner confirms with their password or with a current code from one of their
authenticator apps, whichever is at hand.
"""

import re

from django_otp.plugins.otp_totp.models import TOTPDevice

# An authenticator code: six digits, which apps often show as two groups of three.
CODE = re.compile(r"^\d{3} ?\d{3}$")


def confirm_identity(user, secret: str) -> bool:
    """True if `secret` is the user's password or a current code of a confirmed TOTP device.

    A code is accepted once (django-otp refuses a replay of the last code used) and a device
    that saw several wrong codes refuses for a while (django-otp's throttling). Passwords are
    at least twelve characters, so six digits are never mistaken for one."""
    if not secret or user is None or not user.is_active:
        return False
    if user.check_password(secret):
        return True
    code = secret.strip()
    if not CODE.match(code):
        return False
    code = code.replace(" ", "")
    return any(
        device.verify_token(code) for device in TOTPDevice.objects.filter(user=user, confirmed=True)
    )
