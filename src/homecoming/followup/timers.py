"""The follow-up timers, run by the worker (core/worker.py) every hour; running them twice does
nothing new.

- A due contact not made by its due date plus HOMECOMING_FOLLOW_UP_GRACE_DAYS (3) escalates to
  the supervisors, once (Contact.escalated_at): on day 7 + 3 it is still within its grace, on
  day 7 + 4 it is overdue.
- A due contact not made by its due date plus HOMECOMING_FOLLOW_UP_MISSED_DAYS (14) is missed,
  and the person is lost to follow-up (the director and the oversight body are alerted, once
  while it stays open).
The timers act as nobody (no actor) under the purpose "follow_up"; their ledger entries say so.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from homecoming.access.policy import Purpose
from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.ledger import services as ledger

from .models import Contact, ContactStatus
from .services import mark_lost

OVERDUE_ALERT = "follow_up_overdue"


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def escalate_overdue(today: dt.date | None = None) -> list[Contact]:
    today = today or timezone.localdate()
    last_day = today - _days(settings.HOMECOMING_FOLLOW_UP_GRACE_DAYS)
    escalated = []
    ids = Contact.objects.filter(
        status=ContactStatus.DUE, escalated_at__isnull=True, due_on__lt=last_day
    ).values_list("pk", flat=True)
    for pk in list(ids):
        with transaction.atomic():
            contact = (
                Contact.objects.select_for_update()
                .select_related("resident", "owner")
                .filter(pk=pk, status=ContactStatus.DUE, escalated_at__isnull=True)
                .first()
            )
            if contact is None:  # made or escalated meanwhile
                continue
            contact.escalated_at = timezone.now()
            contact.save(update_fields=["escalated_at"])
            ledger.record_write(
                None,
                "followup.escalate",
                contact,
                resident_id=contact.resident_id,
                purpose=Purpose.FOLLOW_UP,
            )
            alerts.notify_role(
                Role.SUPERVISOR,
                kind=OVERDUE_ALERT,
                message=(
                    f"The day-{contact.interval_days} follow-up of "
                    f"{contact.resident.display_name} (due {dates.day_this_year(contact.due_on)}, "
                    f"{contact.owner.full_name}) is not made: see that it is."
                ),
                resident=contact.resident,
                about=contact,
            )
            escalated.append(contact)
    return escalated


def mark_missed(today: dt.date | None = None) -> list[Contact]:
    today = today or timezone.localdate()
    missed_days = settings.HOMECOMING_FOLLOW_UP_MISSED_DAYS
    last_day = today - _days(missed_days)
    missed = []
    ids = Contact.objects.filter(status=ContactStatus.DUE, due_on__lt=last_day).values_list(
        "pk", flat=True
    )
    for pk in list(ids):
        with transaction.atomic():
            contact = (
                Contact.objects.select_for_update()
                .select_related("resident", "discharge")
                .filter(pk=pk, status=ContactStatus.DUE)
                .first()
            )
            if contact is None:
                continue
            contact.status = ContactStatus.MISSED
            contact.save(update_fields=["status"])
            ledger.record_write(
                None,
                "followup.missed",
                contact,
                resident_id=contact.resident_id,
                purpose=Purpose.FOLLOW_UP,
            )
            mark_lost(
                contact.discharge,
                contact.resident,
                f"the day-{contact.interval_days} contact missed by {missed_days} days",
                actor=None,
                purpose=Purpose.FOLLOW_UP,
            )
            missed.append(contact)
    return missed


def run(today: dt.date | None = None) -> str | None:
    """One turn of the worker's follow-up job: what it did, or None."""
    escalated = escalate_overdue(today)
    missed = mark_missed(today)
    said = [
        f"{len(escalated)} overdue follow-up(s) escalated" if escalated else "",
        f"{len(missed)} follow-up(s) missed" if missed else "",
    ]
    return ", ".join(s for s in said if s) or None
