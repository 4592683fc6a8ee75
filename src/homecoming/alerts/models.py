"""Alerts: a message to one person that something needs their attention (a break-glass access,
a safety signal, an escalation). Rows are written in the transaction of the event itself, so an
event can never happen without its alert; the e-mail that announces one leaves on commit.

All alerts raised together for one event (one `notify` call) share an `event`; the escalations
of a critical one join that event with a higher `level`. Acknowledging any alert of the event
stops its escalation. `read_at` is the moment of acknowledgement: reading is acknowledging, and
each acknowledgement is a ledger entry naming who made it."""

import uuid

from django.conf import settings
from django.db import models

from .urgency import Urgency


class Alert(models.Model):
    # Versioned in the ledger when acknowledged, closed or escalated (not when raised, in bulk
    # inside hot writes); the e-mail bookkeeping changes without a version, so
    # `ledger verify --database` leaves it out when comparing a row with its version.
    ledger_unversioned_fields = ("emailed_at",)

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alerts"
    )
    kind = models.CharField(max_length=32)
    message = models.TextField()
    resident = models.ForeignKey(
        "residents.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    event = models.UUIDField(default=uuid.uuid4, db_index=True)
    # 0: the alert as raised; 1, 2...: the escalation steps of a critical event nobody acknowledged.
    level = models.PositiveSmallIntegerField(default=0)
    # The record the alert asks work on (a note to co-sign, a signal to review): when that work is
    # done, the alert closes by itself.
    about_type = models.CharField(max_length=64, blank=True)
    about_id = models.CharField(max_length=64, blank=True)
    # Who acknowledged it: the recipient, or whoever did the work that closed it.
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_because = models.CharField(max_length=200, blank=True)
    # When its e-mail left (alone or in a digest); empty while it waits or has no address.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["about_type", "about_id"], name="alerts_about_idx"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.recipient}"

    @property
    def is_critical(self) -> bool:
        return self.urgency == Urgency.CRITICAL


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "Each alert by e-mail as it comes"
    DIGEST = "digest", "One e-mail a day listing the alerts waiting"


class Preference(models.Model):
    """How a person wants their normal alerts e-mailed (critical and high ones always go at once).

    Kept beside the account rather than on it: the account row is ledger-versioned, and a new
    column there would make every existing account differ from its recorded version."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alert_preference"
    )
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    updated_at = models.DateTimeField()

    def __str__(self):
        return f"{self.user}: {self.delivery}"
