"""Break-glass: a clinician's time-boxed, reasoned access to a resident outside their care team."""

from django.conf import settings
from django.db import models


class BreakGlass(models.Model):
    ledger_versioned = True  # every write stores a version; verify --database checks it

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    reason = models.TextField()
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["actor", "resident", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("opened_at")),
                name="break_glass_expires_after_opening",
            )
        ]

    def __str__(self):
        return f"{self.actor} -> resident {self.resident_id}"
