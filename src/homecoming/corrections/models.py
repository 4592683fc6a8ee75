"""A resident's request to correct their record (HIPAA's right to amend), the care team's answer
and the resident's statement of disagreement. Each is written once and kept with the record for
good: database triggers refuse to change or delete any of them, so the resident's words are never
changed and a request can never be made to disappear."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    """What a request points at: the parts of the record a resident reads in the portal."""

    NOTE = "note", "a note from a session"
    QUESTIONNAIRE = "questionnaire", "a questionnaire"
    VITALS = "vitals", "vital signs"
    MEDICATION = "medication", "a medication order"
    DETAILS = "details", "what we hold about you"


class Outcome(models.TextChoices):
    AMENDED = "amended", "Amended"
    DECLINED = "declined", "Declined"


class CorrectionRequest(models.Model):
    """What the resident pointed at, how it read to them, and what they say is wrong."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="correction_requests"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    entry_id = models.PositiveIntegerField()  # the row pointed at (for DETAILS, the resident)
    # The entry as the resident saw it named ("Note of Mar 3, 2026"), kept so the request reads
    # the same whatever happens to the entry later.
    entry_label = models.CharField(max_length=200)
    # Who wrote the entry, if anyone did: they may amend it but never decline the request alone.
    entry_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    what_is_wrong = models.TextField()
    should_say = models.TextField(blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField()

    class Meta:
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["resident", "filed_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(what_is_wrong=""), name="correction_says_what")
        ]

    def __str__(self):
        return f"correction request #{self.pk} about {self.entry_label}"


class CorrectionAnswer(models.Model):
    """The care team's answer, once: the entry amended (a signed addendum for a note, a written
    amendment for anything else), or the request declined with the reason."""

    ledger_versioned = True

    request = models.OneToOneField(
        CorrectionRequest, on_delete=models.PROTECT, related_name="answer"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    # The amendment as written into the record, or the reason for declining.
    statement = models.TextField()
    addendum = models.OneToOneField(
        "encounters.Addendum",
        on_delete=models.PROTECT,
        related_name="correction",
        null=True,
        blank=True,
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(statement=""), name="correction_answer_says_why"),
            models.CheckConstraint(
                condition=Q(outcome="amended") | Q(addendum__isnull=True),
                name="correction_declined_adds_nothing",
            ),
        ]

    def __str__(self):
        return f"answer to correction request #{self.request_id}: {self.outcome}"


class Disagreement(models.Model):
    """The resident's statement of disagreement with a declined request, kept with it."""

    ledger_versioned = True

    request = models.OneToOneField(
        CorrectionRequest, on_delete=models.PROTECT, related_name="disagreement"
    )
    text = models.TextField()
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="disagreement_says_why")]

    def __str__(self):
        return f"statement of disagreement with correction request #{self.request_id}"
