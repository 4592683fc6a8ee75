"""Confirming who is at the keyboard before an act that carries their name (signing a note).

A logged-in session proves someone logged in a while ago; a signature must be given by its
owner now, and a witness or co-signer must be there in person. Each confirms with their password
or with a current code from one of their authenticator apps, whichever is at hand.
"""

import datetime as dt
import re

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.access import policy
from homecoming.access.policy import Purpose
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


# Wrong passwords or codes typed in one account's session before confirming stops for a while:
# the log-in lock-out does not see these, and a session left open (or a colleague asked to
# witness) must not become a password oracle. Counted from the ledger's own refusals, across
# every act that confirms, against the account that TYPED them (issue 13): a nurse typing wrong
# passwords in a colleague's name as "witness" stops her own session, never the colleague, who
# can still log in, sign their notes and witness elsewhere.
CONFIRM_ATTEMPTS = 5
CONFIRM_LOCKOUT = dt.timedelta(minutes=15)
CONFIRMING_ACTIONS = (
    "note.sign",
    "note.cosign",
    "note.addendum_sign",  # an addendum is signed like a note (encounters/notes.py)
    "medication.witness",
    "medication.override",
    "consent.witness",  # a witness signs for a consent (consents/attestation.py)
    "consent.confirm",  # the resident confirms a consent with their own password
    "medication.interaction_override",  # medications/ingredient_limits.py
    "discharge.sign",  # the caseworker and a clinician sign a discharge (discharge/services.py)
    "discharge.acknowledge",  # the resident acknowledges their return to duty
    "safetyplan.sign",  # a version of a resident's safety plan (safetyplans/services.py)
)
WRONG_SECRET = "That is not your password or a current code from your authenticator app."
# For a second person named by log-in: the same words whether the log-in exists or not, is
# active or not, or the secret is wrong, so the field never tells who has an account.
WRONG_SECOND_PERSON = (
    "That log-in and password (or authenticator code) do not match an active member of staff."
)


def _recent_wrong_confirmations(typist) -> int:
    return Entry.objects.filter(
        actor=typist,
        action__in=CONFIRMING_ACTIONS,
        outcome=Outcome.DENIED,
        purpose=Purpose.NONE,
        time__gte=timezone.now() - CONFIRM_LOCKOUT,
    ).count()


def _spend_like_a_password_check(secret: str):
    """An unknown or inactive person costs what a known one does (an Argon2 hash), so the time
    an answer takes does not tell either."""
    make_password(secret or "")


def confirm(
    person,
    secret: str,
    *,
    action: str,
    target,
    field="secret",
    wrong=WRONG_SECRET,
    by,
):
    """`person` confirms an act carrying their name (signing, witnessing, co-signing), or
    ValidationError on `field`. `by` is the account at the keyboard, always said: `person`
    when they confirm their own act, the session's user for a witness or co-signer. A wrong
    secret is a refused attempt on the ledger in `by`'s name, committed on its own, and counts
    towards `by`'s limit, never `person`'s. `person` may be None (a log-in that matched
    nobody): refused like a wrong secret. Call this before the act's transaction."""
    if action not in CONFIRMING_ACTIONS:
        raise ValueError(f"{action} is not counted for lock-out; add it to CONFIRMING_ACTIONS")
    if _recent_wrong_confirmations(by) >= CONFIRM_ATTEMPTS:
        raise ValidationError(
            {field: "Too many wrong passwords or codes were typed here: try again in 15 minutes."}
        )
    if person is None or not person.is_active:
        _spend_like_a_password_check(secret)
        confirmed = False
    else:
        confirmed = confirm_identity(person, secret)
    if not confirmed:
        policy.refuse(by, action, target, error=ValidationError({field: wrong}))
