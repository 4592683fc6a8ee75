"""A resident's vital signs: one set per moment they were taken, never edited nor deleted.

A wrong set is marked entered in error, with who, when and why; it stays on the record (struck
through) and leaves the charts. The database refuses a changed value and a delete (migration
0001's triggers), so not even a console can quietly rewrite a reading.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from homecoming.core import dates

from .ranges import FIELDS, MEASURES


class VitalSigns(models.Model):
    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="vital_signs"
    )
    taken_at = models.DateTimeField()  # when measured; recorded_at is when it was charted
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    pulse = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(null=True, blank=True)
    weight = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    pain = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    error_at = models.DateTimeField(null=True, blank=True)
    error_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = "vital signs"
        verbose_name_plural = "vital signs"
        ordering = ["resident", "-taken_at", "-id"]
        indexes = [models.Index(fields=["resident", "taken_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(systolic__isnull=False)
                    | Q(diastolic__isnull=False)
                    | Q(pulse__isnull=False)
                    | Q(temperature__isnull=False)
                    | Q(respiratory_rate__isnull=False)
                    | Q(spo2__isnull=False)
                    | Q(weight__isnull=False)
                    | Q(pain__isnull=False)
                ),
                name="vitals_at_least_one",
            ),
            models.CheckConstraint(
                condition=(Q(systolic__isnull=True) & Q(diastolic__isnull=True))
                | (
                    Q(systolic__isnull=False)
                    & Q(diastolic__isnull=False)
                    & Q(diastolic__lt=models.F("systolic"))
                ),
                name="vitals_blood_pressure_pair",
            ),
            models.CheckConstraint(
                condition=(Q(error_by__isnull=True) & Q(error_at__isnull=True) & Q(error_reason=""))
                | (Q(error_by__isnull=False) & Q(error_at__isnull=False) & ~Q(error_reason="")),
                name="vitals_error_explained",
            ),
        ]

    def __str__(self):
        return f"vital signs of {dates.moment(self.taken_at)}"

    @property
    def in_error(self) -> bool:
        return self.error_at is not None

    def values(self) -> dict:
        """The measures taken in this set, by field, in the table's order."""
        return {f: getattr(self, f) for f in FIELDS if getattr(self, f) is not None}

    def readings(self) -> list:
        """(measure, value, flag) of each measure taken, in the table's order."""
        return [(m, v, m.flag(v)) for m in MEASURES if (v := getattr(self, m.field)) is not None]

    def cells(self) -> list:
        """(measure, value, flag) per measure of the table, in its order; value None when not
        taken."""
        return [(m, v := getattr(self, m.field), m.flag(v)) for m in MEASURES]

    @property
    def summary(self) -> str:
        from .words import summary

        return summary(self.values())
