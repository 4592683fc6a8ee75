"""Alerts: a message to one person that something needs their attention (a break-glass access,
later a safety signal or an escalation). Rows are written in the transaction of the event itself,
so an event can never happen without its alert."""

from django.conf import settings
from django.db import models


class Alert(models.Model):
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

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return f"{self.kind} for {self.recipient}"
