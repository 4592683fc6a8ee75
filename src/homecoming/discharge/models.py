"""How a stay ends: the discharge plan, its disposition and signatures, and the discharge itself.

A plan is written by the care team, signed by the primary caseworker and by a clinician (each
re-entering their password, like a note), and then carried out: in one transaction the stay ends,
the bed is freed, active orders end, the team's open work closes and the follow-up schedule
starts. A return to duty needs more: a fitness assessment by a clinician who is not the
supervisor, and the resident's own signed acknowledgement; it alerts the oversight body.
Left against advice is the exception: any care-team member records it at once (the stay ends
then), and the signatures follow afterwards.

Rows are never deleted (the database refuses); what a signature covers is final.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Disposition(models.TextChoices):
    HOME = "home", "Home or community"
    TRANSFER = "transfer", "Transfer to other care"
    RETURN_TO_DUTY = "return_to_duty", "Return to duty"
    AGAINST_ADVICE = "against_advice", "Left against advice"
    ADMINISTRATIVE = "administrative", "Administrative discharge"
    DECEASED = "deceased", "Deceased"
    OTHER = "other", "Other"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Plan being written"  # signatures still missing
    DISCHARGED = "discharged", "Discharged"  # carried out: the stay has ended
    CANCELLED = "cancelled", "Cancelled"  # the plan was dropped (with a reason); the stay goes on


class DischargePlan(models.Model):
    """One stay's discharge: the plan while it is written and signed, the record once done."""

    ledger_versioned = True

    stay = models.ForeignKey("residents.Stay", on_delete=models.PROTECT, related_name="discharges")
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="discharges"
    )
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    disposition = models.CharField(max_length=20, choices=Disposition.choices)
    disposition_other = models.CharField(max_length=200, blank=True)  # required for OTHER
    planned_on = models.DateField()  # the day the resident leaves
    # The plan in the team's words: where the resident goes, aftercare, what was arranged.
    plan = models.TextField()
    # Who to call after leaving: the center's number, the aftercare provider, crisis lines.
    contacts = models.TextField(blank=True)
    # The days after discharge the follow-up contacts fall due (from the program, or set here).
    follow_up_days = models.JSONField(default=list)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField()
    # The two signatures every discharge needs, each confirmed with the signer's password.
    caseworker_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    caseworker_signed_at = models.DateTimeField(null=True, blank=True)
    clinician_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clinician_signed_at = models.DateTimeField(null=True, blank=True)
    # Return to duty: the clinician's fitness assessment, and the resident's acknowledgement.
    fitness_assessment = models.TextField(blank=True)
    fitness_assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fitness_assessed_at = models.DateTimeField(null=True, blank=True)
    resident_acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Set when carried out (or, for left against advice, when recorded).
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the discharge ended, for the summary: orders, sessions, alerts (ids and words).
    ended = models.JSONField(default=dict)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-planned_on", "-id"]
        indexes = [models.Index(fields=["resident", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["stay"],
                condition=~Q(status="cancelled"),
                name="discharge_one_per_stay",
            ),
            models.CheckConstraint(
                condition=Q(disposition__in=Disposition.values), name="discharge_disposition_known"
            ),
            models.CheckConstraint(
                condition=~Q(disposition="other") | ~Q(disposition_other=""),
                name="discharge_other_says_what",
                violation_error_message="Say what the other disposition is.",
            ),
            models.CheckConstraint(
                condition=~Q(status="discharged") | Q(discharged_at__isnull=False),
                name="discharge_done_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="discharge_cancel_has_reason",
                violation_error_message="Say why the plan is cancelled.",
            ),
        ]

    def __str__(self):
        return f"discharge of resident #{self.resident_id} ({self.get_disposition_display()})"

    @property
    def returns_to_duty(self) -> bool:
        return self.disposition == Disposition.RETURN_TO_DUTY

    @property
    def disposition_text(self) -> str:
        if self.disposition == Disposition.OTHER:
            return f"Other: {self.disposition_other}"
        return self.get_disposition_display()
