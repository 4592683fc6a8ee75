"""Confirming who is at the keyboard before an act that carries their name (signing a note).

A logged-in session proves someone logged in a while ago; a signature must be given by its
owner now, and a witness or co-signer must be there in person. Each confirms with their password
or with a current code from one of their authenticator apps, whichever is at hand.
"""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.access.policy import Purpose
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry, Outcome

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


# Wrong passwords or codes, per person, before confirming stops for a while: the log-in lock-out
# does not see these, and a session left open (or a colleague asked to witness) must not become
# a password oracle. Counted from the ledger's own refusals, across every act that confirms.
CONFIRM_ATTEMPTS = 5
CONFIRM_LOCKOUT = dt.timedelta(minutes=15)
CONFIRMING_ACTIONS = (
    "note.sign",
    "note.cosign",
    "medication.witness",
    "medication.override",
    "consent.witness",  # a witness signs for a consent (consents/attestation.py)
    "consent.confirm",  # the resident confirms a consent with their own password
    "medication.interaction_override",  # medications/ingredient_limits.py
)
WRONG_SECRET = "That is not your password or a current code from your authenticator app."


def _recent_wrong_confirmations(person) -> int:
    return Entry.objects.filter(
        actor=person,
        action__in=CONFIRMING_ACTIONS,
        outcome=Outcome.DENIED,
        purpose=Purpose.NONE,
        time__gte=timezone.now() - CONFIRM_LOCKOUT,
    ).count()


def confirm(person, secret: str, *, action: str, target, field="secret", wrong=WRONG_SECRET):
    """`person` confirms an act carrying their name (signing, witnessing, co-signing), or
    ValidationError on `field`. A wrong secret is a refused attempt on the ledger in the
    person's name, committed on its own; call this before the act's transaction."""
    if action not in CONFIRMING_ACTIONS:
        raise ValueError(f"{action} is not counted for lock-out; add it to CONFIRMING_ACTIONS")
    if _recent_wrong_confirmations(person) >= CONFIRM_ATTEMPTS:
        raise ValidationError(
            {field: f"Too many wrong passwords or codes for {person}: try again in 15 minutes."}
        )
    if not confirm_identity(person, secret):
        ledger.append(person, action, target, purpose=Purpose.NONE, outcome=Outcome.DENIED)
        raise ValidationError({field: wrong})
