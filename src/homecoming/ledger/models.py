"""The audit ledger's tables: entries (one per access, allowed or denied) and record versions.

Both are append-only: the code only ever inserts, and database triggers (see the migrations)
refuse UPDATE and DELETE, so even a mistaken or malicious query cannot rewrite history quietly.
An entry holds identifiers, codes and hashes only, never health information in clear, so that a
ledger export can be handed to an outsider.
"""

from django.conf import settings
from django.db import models


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "allowed"
    DENIED = "denied", "denied"


class Head(models.Model):
    """The single row that serialises appends: locking it hands out gap-free sequence numbers."""

    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="ledger_head_single_row")
        ]

    def __str__(self):
        return f"ledger of {self.size} entries"


class Entry(models.Model):
    seq = models.PositiveBigIntegerField(primary_key=True)
    time = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=32)
    action = models.CharField(max_length=64)
    resident = models.ForeignKey(
        "residents.Resident", null=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=32)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    version_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "entries"
        indexes = [
            models.Index(fields=["resident", "seq"]),
            models.Index(fields=["actor", "seq"]),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.outcome}"

    def leaf(self) -> dict:
        """The entry as the ledger's leaf: this dict's canonical JSON is what gets hashed."""
        return {
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor_id,
            "role": self.actor_role,
            "action": self.action,
            "resident": self.resident_id,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "purpose": self.purpose,
            "outcome": self.outcome,
            "version": self.version_sha256 or None,
        }


class Version(models.Model):
    """One saved state of a record row: its canonical content and that content's SHA-256."""

    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    number = models.PositiveIntegerField()
    time = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    content = models.TextField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["object_type", "object_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "object_id", "number"], name="ledger_version_unique_number"
            )
        ]

    def __str__(self):
        return f"{self.object_type}#{self.object_id} v{self.number}"
