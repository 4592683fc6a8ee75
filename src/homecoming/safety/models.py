"""Adverse event reports, the medicines suspected in them, and the signals their pattern raises.

A report is final once made, but for its outcome, which follows the resident (recovering, then
recovered): each change is a new version on the ledger. Suspected medicines are chosen from
the resident's own medication record; each keeps the drug's name as the formulary gave it,
which is what signal detection counts. A signal is never deleted: it is reviewed and concluded.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from homecoming.core import dates

from .terms import MAX_CODE


class Seriousness(models.TextChoices):
    NOT_SERIOUS = "not_serious", "Not serious"
    DEATH = "death", "Resulted in death"
    LIFE_THREATENING = "life_threatening", "Life-threatening"
    HOSPITALISATION = "hospitalisation", "Required or prolonged hospital care"
    DISABILITY = "disability", "Lasting or significant disability"
    MEDICALLY_IMPORTANT = "medically_important", "Other medically important event"


class EventOutcome(models.TextChoices):
    RECOVERED = "recovered", "Recovered"
    RECOVERING = "recovering", "Recovering"
    NOT_RECOVERED = "not_recovered", "Not recovered"
    RECOVERED_WITH_SEQUELAE = "sequelae", "Recovered with lasting effects"
    FATAL = "fatal", "Fatal"
    UNKNOWN = "unknown", "Unknown"


class ReportedVia(models.TextChoices):
    STAFF = "staff", "By a member of staff"
    RESIDENT = "resident", "By the resident, in the portal"


class AdverseEvent(models.Model):
    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="adverse_events"
    )
    term = models.CharField(max_length=MAX_CODE)  # a code of terms.TERMS
    description = models.TextField(blank=True)  # the reporter's own words, beside the code
    onset = models.DateField()
    seriousness = models.CharField(max_length=24, choices=Seriousness.choices)
    outcome = models.CharField(max_length=16, choices=EventOutcome.choices)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_via = models.CharField(max_length=8, choices=ReportedVia.choices)
    reported_at = models.DateTimeField()
    outcome_updated_at = models.DateTimeField(null=True, blank=True)
    outcome_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["term"]), models.Index(fields=["resident", "term"])]
        constraints = [
            models.CheckConstraint(condition=~Q(term=""), name="adverse_event_coded"),
            models.CheckConstraint(
                condition=Q(outcome_updated_at__isnull=True) | Q(outcome_updated_by__isnull=False),
                name="adverse_event_outcome_update_has_actor",
            ),
        ]

    def __str__(self):
        from .terms import name_of

        return f"{name_of(self.term)} (report #{self.pk})"

    @property
    def serious(self) -> bool:
        return self.seriousness != Seriousness.NOT_SERIOUS


class Suspect(models.Model):
    """A medicine the reporter suspects, from the resident's own orders."""

    ledger_versioned = True

    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="suspects")
    order = models.ForeignKey(
        "medications.Order", on_delete=models.PROTECT, related_name="suspected_in"
    )
    drug = models.CharField(max_length=120)  # the order's protocol's drug, as signals count it
    # The report's term, copied (both are final): signal detection counts (drug, term) pairs
    # from this table and its index alone, without a lookup into the reports for each row.
    term = models.CharField(max_length=MAX_CODE)

    class Meta:
        ordering = ["id"]
        # Covers what signal detection reads of this table, so no row is visited.
        indexes = [models.Index(fields=["drug", "term", "event"])]
        constraints = [
            models.UniqueConstraint(fields=["event", "drug"], name="suspect_once_per_drug")
        ]

    def __str__(self):
        return self.drug


class SignalStatus(models.TextChoices):
    OPEN = "open", "Open: awaiting review"
    CLOSED = "closed", "Reviewed"


class Conclusion(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed: the medicine is the likely cause; action taken"
    MONITOR = "monitor", "Not settled: keep monitoring"
    REFUTED = "refuted", "Refuted: not caused by the medicine"


class Signal(models.Model):
    """A (drug, event term) pair whose reports stand out. A prompt for review, not a verdict."""

    ledger_versioned = True

    drug = models.CharField(max_length=120)
    term = models.CharField(max_length=MAX_CODE)
    rules = models.JSONField()  # the configured rules that flagged it when it was raised
    detected_at = models.DateTimeField()
    measures = models.JSONField()  # the 2x2 counts and every measure, when raised
    latest = models.JSONField()  # the same, as of the latest scan that changed them
    latest_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=SignalStatus.choices)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["drug", "term"], name="signal_once_per_pair")
        ]

    def __str__(self):
        from .terms import name_of

        return f"{self.drug} and {name_of(self.term).lower()}"


class Review(models.Model):
    """The medical lead's review of a signal: opened with it, concluded once, with the reasons."""

    ledger_versioned = True

    signal = models.OneToOneField(Signal, on_delete=models.PROTECT, related_name="review")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    conclusion = models.CharField(max_length=16, choices=Conclusion.choices, blank=True)
    assessment = models.TextField(blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The signal's counts and measures as they stood when the review was concluded: later
    # scans keep updating the signal, and the conclusion must be read against what was seen.
    measures = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(concluded_at__isnull=True, conclusion="", concluded_by__isnull=True)
                | (
                    Q(concluded_at__isnull=False, concluded_by__isnull=False)
                    & ~Q(conclusion="")
                    & ~Q(assessment="")
                ),
                name="review_concluded_with_reasons",
            )
        ]

    def __str__(self):
        return f"review of {self.signal}"

    SHORT = {"confirmed": "confirmed", "monitor": "monitoring", "refuted": "refuted"}

    @property
    def short_conclusion(self) -> str:
        return self.SHORT.get(self.conclusion, "")


class Scan(models.Model):
    """One run of signal detection: when, over how much, and what it raised."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    trigger = models.CharField(max_length=16)  # "report", "schedule", "manual"
    reports = models.PositiveIntegerField()
    last_report_id = models.PositiveBigIntegerField(default=0)
    pairs = models.PositiveIntegerField()
    rules = models.JSONField()
    raised = models.PositiveIntegerField()

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"signal scan of {self.reports} reports at {dates.moment(self.started_at)}"

    TRIGGER_WORDS = {"report": "after a new report", "schedule": "on schedule", "manual": "by hand"}

    @property
    def trigger_words(self) -> str:
        return self.TRIGGER_WORDS.get(self.trigger, self.trigger)


class DecisionKind(models.TextChoices):
    MONITOR = "monitor", "Monitor: orders and doses go on while the signal is watched"
    RESTRICT = "restrict", "Restrict: only the named prescribers may order it"
    SUSPEND = "suspend", "Suspend: no new order and no dose of it, for anyone"


class Decision(models.Model):
    """What the medical lead decided to do about a signal's medicine. Final once recorded: a
    later decision on the same signal replaces it (the latest is in force), and every one stays.
    It applies to the drug (every protocol of it, any strength), as signals count drugs."""

    ledger_versioned = True

    signal = models.ForeignKey(Signal, on_delete=models.PROTECT, related_name="decisions")
    drug = models.CharField(max_length=120)  # the signal's drug, copied: what the checks match
    kind = models.CharField(max_length=8, choices=DecisionKind.choices)
    reasons = models.TextField()
    decided_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["drug", "signal", "decided_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(reasons=""), name="decision_has_reasons"),
        ]

    def __str__(self):
        return f"{self.get_kind_display().split(':')[0].lower()} {self.drug}"

    @property
    def short(self) -> str:
        return self.get_kind_display().split(":")[0]


class NamedPrescriber(models.Model):
    """A prescriber a restricting decision names: the only ones who may order the medicine."""

    ledger_versioned = True

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="named")
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "prescriber"], name="named_prescriber_once")
        ]

    def __str__(self):
        return str(self.prescriber)
