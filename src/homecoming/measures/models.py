"""Completed questionnaires (PCL-5, PHQ-9, GAD-7): every item's answer, and the scores computed
from them when they were submitted. Final once saved (a database trigger refuses changes)."""

from django.conf import settings
from django.db import models


class Instrument(models.TextChoices):
    PCL5 = "pcl5", "PCL-5"
    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"


class Mode(models.TextChoices):
    STAFF = "staff", "Administered by staff"
    SELF = "self", "Completed by the resident"


class Questionnaire(models.Model):
    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="questionnaires"
    )
    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    # The answer to each item, in item order (item 1 first), as the instrument's integer value.
    answers = models.JSONField()
    total = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=32, blank=True)
    # Everything else the scoring found: cluster scores, provisional diagnosis, change flags.
    findings = models.JSONField(default=dict)
    mode = models.CharField(max_length=8, choices=Mode.choices)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField()

    class Meta:
        ordering = ["completed_at", "id"]
        indexes = [models.Index(fields=["resident", "instrument", "completed_at"])]

    def __str__(self):
        return f"{self.get_instrument_display()} of resident #{self.resident_id}"
