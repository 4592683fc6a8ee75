"""Writing messages: a new thread with its first message, a reply, and the read receipts.

The author is always the one logged in, and whether a message is the resident's is decided
here from that account, never taken from a form: a member of staff cannot write as the resident.
A message is never edited nor deleted (the database refuses it); every row is a ledger version.

After discharge the resident keeps writing to their care team through the year of follow-up
(the follow-up app says whether a contact is still due); once it is over, their threads are
read-only to them and a try is a refused attempt on the ledger. Their care team may still write
to them (the policy's follow-up work), e.g. to answer a last message.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action, Purpose
from homecoming.alerts import services as alerts
from homecoming.followup.selectors import in_follow_up
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident

from .models import Message, Receipt, Thread

START = "message.start"
SEND = "message.send"
READ = "message.read"
LONGEST_SUBJECT = 200
LONGEST = 5000
# The supervisors' alert for a message unanswered two working days (timers.py); a reply from
# the care team closes it.
UNANSWERED_ALERT = "message_unanswered"
READ_ONLY = (
    "Your stay and your year of follow-up have ended, so your messages can be read but not "
    "answered here. Call the center, or in a crisis call 988 and press 1."
)


def _text(value) -> str:
    if not isinstance(value, str):
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _clean(body, subject=None) -> tuple[str, str]:
    """(subject, body), or a ValidationError naming every problem at once."""
    errors = {}
    body = _text(body)
    if not body:
        errors["body"] = "Write your message."
    elif len(body) > LONGEST:
        errors["body"] = f"A message has at most {LONGEST} characters (this one has {len(body)})."
    if subject is not None:
        subject = _text(subject)
        if not subject:
            errors["subject"] = "Give the message a subject, in a few words."
        elif len(subject) > LONGEST_SUBJECT:
            errors["subject"] = f"A subject has at most {LONGEST_SUBJECT} characters."
        elif "\n" in subject:
            errors["subject"] = "A subject is one line."
    if errors:
        raise ValidationError(errors)
    return subject or "", body


def may_write(actor, resident: Resident) -> policy.Decision:
    """The policy's answer, narrowed for a former resident whose follow-up year is over."""
    decision = policy.decide(actor, Action.SEND_MESSAGE, resident)
    if (
        decision.allowed
        and decision.purpose == Purpose.SELF
        and policy.former_resident(resident)
        and not in_follow_up(resident)
    ):
        return policy.Decision(False, Purpose.NONE, READ_ONLY)
    return decision


def _require_write(actor, resident) -> policy.Decision:
    decision = may_write(actor, resident)
    if not decision.allowed:
        policy.refuse(actor, Action.SEND_MESSAGE, resident, decision)
    return decision


def _message(actor, thread, body, when, purpose) -> Message:
    message = Message.objects.create(
        thread=thread,
        resident_id=thread.resident_id,
        author=actor,
        from_resident=actor.pk == thread.resident.user_id,
        body=body,
        sent_at=when,
    )
    ledger.record_write(actor, SEND, message, resident_id=thread.resident_id, purpose=purpose)
    return message


def start(actor, resident: Resident, subject, body) -> Thread:
    """A new thread to (or from) the resident's care team, with its first message."""
    decision = _require_write(actor, resident)
    subject, body = _clean(body, subject)
    with transaction.atomic():
        Resident.objects.lock(resident.pk)
        now = timezone.now()
        thread = Thread.objects.create(
            resident=resident, subject=subject, started_by=actor, started_at=now
        )
        thread.resident = resident
        ledger.record_write(actor, START, thread, resident_id=resident.pk, purpose=decision.purpose)
        _message(actor, thread, body, now, decision.purpose)
    return thread


def reply(actor, thread: Thread, body) -> Message:
    """A message in an existing thread. A reply from the care team answers every message the
    resident wrote before it: the alerts about them close."""
    decision = _require_write(actor, thread.resident)
    _, body = _clean(body)
    with transaction.atomic():
        Resident.objects.lock(thread.resident_id)
        message = _message(actor, thread, body, timezone.now(), decision.purpose)
        if not message.from_resident:
            waiting = Message.objects.filter(
                thread=thread, from_resident=True, sent_at__lte=message.sent_at
            ).exclude(pk=message.pk)
            for earlier in waiting:
                alerts.close_for(
                    earlier,
                    actor,
                    "the care team answered",
                    purpose=decision.purpose,
                    kind=UNANSWERED_ALERT,
                )
    return message


def mark_read(actor, messages, purpose) -> list[Receipt]:
    """A receipt for each message the actor had not read yet (not their own), each a version on
    the ledger: the resident sees who on the team read what they wrote, and when."""
    unread = [m for m in messages if m.author_id != actor.pk and not m.read_by(actor)]
    if not unread:
        return []
    now = timezone.now()
    made = []
    with transaction.atomic():
        for message in unread:
            receipt, created = Receipt.objects.get_or_create(
                message=message,
                reader=actor,
                defaults={"read_at": now, "resident_id": message.resident_id},
            )
            if created:
                ledger.record_write(
                    actor, READ, receipt, resident_id=message.resident_id, purpose=purpose
                )
                made.append(receipt)
    return made


def working_days_after(moment: dt.datetime, days: int) -> dt.datetime:
    """`days` working days (Monday to Friday, in the center's time zone) after `moment`: a
    message sent on Friday afternoon is due an answer on Tuesday afternoon; one sent at the
    weekend, by the end of Tuesday. Public holidays are not in the center's set-up, so they
    count as working days (the alert comes early, never late)."""
    local = timezone.localtime(moment)
    day, left = local.date(), days
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    if local.weekday() >= 5:
        day, at = day + dt.timedelta(days=1), dt.time()
    else:
        at = local.time().replace(tzinfo=None)
    return timezone.make_aware(dt.datetime.combine(day, at), local.tzinfo)
