"""Escalation: a critical alert nobody acknowledged goes up, to the supervisors after the first
HOMECOMING_ALERT_ESCALATION_MINUTES, to the program director after the second.

Each step is a new alert to everyone holding the role (also a supervisor who already had the
first one: silence is what is escalated), its e-mail, and a ledger entry per alert written by the
system. Acknowledging any alert of the event (or doing the work it asked) stops further steps.
Run by the worker every minute; a step missed while the worker was down is taken at its next
turn. An account-change alert held for an inactive overseer escalates the same way (`escalating`):
nobody reads an alert where it waits."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry, Outcome, Version

from . import mail
from .models import Alert
from .urgency import ESCALATES_WHEN_HELD, Urgency

ESCALATE = "alert.escalate"
STEPS = (Role.SUPERVISOR, Role.PROGRAM_DIRECTOR)


def acknowledged():
    """Alerts acknowledged (or closed by work) through the application: `read_at` set AND a
    version of the row written by an allowed acknowledge/close ledger entry. A `read_at` set
    behind the application's back (a database administrator's UPDATE) does not count: that
    event keeps escalating."""
    by_entry = Entry.objects.filter(
        seq=OuterRef("seq"),
        action__in=("alert.acknowledge", "alert.close"),
        outcome=Outcome.ALLOWED,
    )
    recorded = Version.objects.filter(
        object_type="alerts.alert",
        object_id=Cast(OuterRef("pk"), models.CharField(max_length=64)),
    ).filter(Exists(by_entry))
    return Alert.objects.filter(read_at__isnull=False).filter(Exists(recorded))


def escalating() -> models.Q:
    """What escalates while unacknowledged: critical alerts, and alerts of the kinds that must
    reach someone held for an inactive account (accounts/overseers.py)."""
    return models.Q(urgency=Urgency.CRITICAL) | models.Q(
        kind__in=ESCALATES_WHEN_HELD, recipient__is_active=False
    )


def steps():
    """(level, minutes, role) of each escalation step."""
    return [
        (level, minutes, role)
        for level, (minutes, role) in enumerate(
            zip(settings.HOMECOMING_ALERT_ESCALATION_MINUTES, STEPS, strict=True), start=1
        )
    ]


def escalate_due(now=None) -> list[Alert]:
    now = now or timezone.now()
    raised = []
    for level, minutes, role in steps():
        cutoff = now - dt.timedelta(minutes=minutes)
        done = acknowledged().values("event")
        taken = Alert.objects.filter(level__gte=level).values("event")
        events = (
            Alert.objects.filter(escalating(), level=0, created_at__lte=cutoff)
            .exclude(event__in=done)
            .exclude(event__in=taken)
            .values_list("event", flat=True)
            .distinct()
        )
        for event in list(events):
            raised += _step(event, level, minutes, role)
    return raised


def _step(event, level, minutes, role) -> list[Alert]:
    with transaction.atomic():
        alerts = list(
            Alert.objects.select_for_update()
            .filter(event=event)
            .select_related("recipient")
            .order_by("level", "pk")
        )
        # Checked again under the lock: another worker, or an acknowledgement, got here first.
        if any(a.level >= level for a in alerts) or acknowledged().filter(event=event).exists():
            return []
        people = list(get_user_model().objects.filter(role=role, is_active=True))
        if not people:
            return []
        first = alerts[0]
        waited = ", ".join(sorted({str(a.recipient) for a in alerts}))
        message = (
            f"Escalated to the {Role(role).label.lower()}: not acknowledged within {minutes} "
            f"minutes (sent to {waited}). {first.message}"
        )
        now = timezone.now()
        new = Alert.objects.bulk_create(
            Alert(
                recipient=person,
                kind=first.kind,
                message=message,
                resident=first.resident,
                created_at=now,
                urgency=Urgency.CRITICAL,
                event=event,
                level=level,
                about_type=first.about_type,
                about_id=first.about_id,
            )
            for person in people
        )
        for alert in new:
            ledger.record_write(
                None, ESCALATE, alert, resident_id=alert.resident_id, purpose="operations"
            )
        mail.send_on_commit(new)
    return new


def chain(alert: Alert) -> list[Alert]:
    """Every alert of the same event, in order: who had it, and who acknowledged it."""
    return list(
        Alert.objects.filter(event=alert.event)
        .select_related("recipient", "acknowledged_by")
        .order_by("level", "created_at", "pk")
    )
