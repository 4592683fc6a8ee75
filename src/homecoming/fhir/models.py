"""A bulk export asked for over FHIR ($export): the job the worker writes and the client polls."""

from django.conf import settings
from django.db import models


class ExportStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted, waiting for the worker"
    RUNNING = "running", "Being written"
    COMPLETE = "complete", "Ready to download"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


class Export(models.Model):
    """One kick-off. Its `key` is the status address's last part: random, so that an address
    seen in a log names no export another account could guess (and each look is the
    requester's only, exports.py checks)."""

    key = models.CharField(max_length=43, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    system = models.BooleanField()  # /$export (with the reference data) or Patient/$export
    types = models.JSONField()  # the types asked for, [] for every one
    since = models.CharField(max_length=40, blank=True)  # _since as it was asked
    status = models.CharField(max_length=16, choices=ExportStatus.choices)
    residents_done = models.PositiveIntegerField(default=0)
    residents_total = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)  # type -> resources written
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ExportStatus.values), name="fhir_export_status_known"
            )
        ]

    def __str__(self):
        return f"FHIR export {self.key[:8]}… ({self.get_status_display().lower()})"
