"""The Stanley–Brown safety plan, one signed version at a time, and the risk flag that a positive
PHQ-9 item 9 raises. Neither is ever changed in place nor deleted (database triggers refuse it):
a new plan is a new version, a flag is cleared once, by a clinician, with the reason."""

from django.conf import settings
from django.db import models
from django.db.models import Q

# The plan's sections, in the order the resident works through them with their clinician.
SECTIONS = (
    ("warning_signs", "Warning signs that a crisis may be developing"),
    ("coping", "Internal coping strategies: things I can do on my own"),
    ("distractions", "People and social settings that provide distraction"),
    ("help_people", "People I can ask for help"),
    ("professionals", "Professionals and agencies to contact in a crisis"),
    ("environment", "Making the environment safe"),
    ("reason_for_living", "The one thing most important to me and worth living for"),
)
# Every section but the last is written before the plan is signed.
OPTIONAL = ("reason_for_living",)


class SafetyPlan(models.Model):
    """One signed version of a resident's safety plan; the latest is the plan in force."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="safety_plans"
    )
    number = models.PositiveIntegerField()  # 1 for the first plan, then one more per version
    warning_signs = models.TextField()
    coping = models.TextField()
    distractions = models.TextField()
    help_people = models.TextField()
    professionals = models.TextField()
    environment = models.TextField()
    reason_for_living = models.TextField(blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["resident", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["resident", "number"], name="safety_plan_version_once")
        ]

    def __str__(self):
        return f"safety plan version {self.number}"

    def sections(self):
        """(label, text) of each section, in order."""
        return [(label, getattr(self, key)) for key, label in SECTIONS]


class RiskFlag(models.Model):
    """A resident at risk: raised by an answer (PHQ-9 item 9 above 0), active until a clinician
    on the care team clears it with the reason."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="risk_flags"
    )
    reason = models.TextField()
    raised_at = models.DateTimeField()
    source = models.ForeignKey(
        "measures.Questionnaire",
        on_delete=models.PROTECT,
        related_name="risk_flags",
        null=True,
        blank=True,
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    cleared_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["resident", "-raised_at", "-id"]
        constraints = [
            # One active flag per resident: a second positive answer adds to the record, not to
            # the flags.
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(cleared_at__isnull=True),
                name="risk_flag_one_active",
            ),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True, cleared_by__isnull=True, cleared_reason="")
                | (Q(cleared_at__isnull=False, cleared_by__isnull=False) & ~Q(cleared_reason="")),
                name="risk_flag_cleared_explained",
            ),
        ]

    def __str__(self):
        return "risk flag" + (" (cleared)" if self.cleared_at else "")

    @property
    def active(self) -> bool:
        return self.cleared_at is None
