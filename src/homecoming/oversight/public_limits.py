"""Bounds on what anyone without an account can do with the public complaint pages (issue 13).

- Wrong passphrases lock a receipt only for the address they came from: staff see every
  complaint's receipt code, and a named supervisor typing wrong passphrases must not shut the
  complainant out of their own complaint. The passphrase has 80 random bits, so guessing from
  many addresses gets nowhere; each wrong try is still on the ledger (complaints.py).
- A receipt takes at most HOMECOMING_RECEIPT_MESSAGES_PER_DAY messages in 24 hours, so the
  follow-up page cannot fill the complaint (and the storage, five files a message) without end.
- How often one address may file or open receipts is the views' rate limit (core/ratelimits.py).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from homecoming.core.ratelimits import usage

from .models import ComplaintEvent, EventKind

WRONG_TRIES = 5
WRONG_TRIES_MINUTES = 15
_RATE = f"{WRONG_TRIES}/{WRONG_TRIES_MINUTES}m"
GROUP = "complaint.receipt.wrong"


def _key(reference: str, source: str) -> str:
    return f"{reference}|{source or '-'}"


class ReceiptLocked(ValidationError):
    """Too many wrong passphrases for a receipt from one address (the API answers 429)."""


def check_receipt_not_locked(reference: str, source: str):
    used = usage(None, GROUP, _RATE, key=_key(reference, source), increment=False)
    if used is not None and used["count"] >= WRONG_TRIES:
        raise ReceiptLocked(
            f"Too many wrong tries for this receipt from here: wait {WRONG_TRIES_MINUTES} minutes."
        )


def count_wrong_try(reference: str, source: str):
    usage(None, GROUP, _RATE, key=_key(reference, source), increment=True)


def check_message_allowance(complaint):
    """Refuse a complainant's message with the receipt past the day's allowance."""
    allowed = settings.HOMECOMING_RECEIPT_MESSAGES_PER_DAY
    sent = ComplaintEvent.objects.filter(
        complaint=complaint,
        kind=EventKind.MESSAGE,
        from_complainant=True,
        actor__isnull=True,
        at__gte=timezone.now() - timezone.timedelta(hours=24),
    ).count()
    if sent >= allowed:
        raise ValidationError(
            {
                "body": f"You have sent {sent} messages on this complaint in the last 24 hours, "
                f"the most it takes in a day. Those handling it have them; write again tomorrow "
                "(keep a copy of this message)."
            }
        )
