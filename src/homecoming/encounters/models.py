"""Sessions with a caseworker, the notes written about them, and their audio recordings.

A note is a draft until its author signs it; from then on its row is final (the service refuses
changes and a database trigger refuses UPDATE and DELETE). Everything that happens to a signed
note afterwards is a row of its own: a co-signature, an addendum, a release decision.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class SessionKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individual session"
    GROUP = "group", "Group session"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class Session(models.Model):
    """A meeting on a caseworker's calendar, with one resident (individual) or several (group)."""

    ledger_versioned = True

    kind = models.CharField(max_length=16, choices=SessionKind.choices)
    title = models.CharField(max_length=200, blank=True)
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions_led"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scheduled_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["caseworker", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
                violation_error_message="A session must end after it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled")
                | (Q(cancelled_at__isnull=False) & ~Q(cancellation_reason="")),
                name="session_cancellation_has_reason",
                violation_error_message="A cancellation needs a reason.",
            ),
        ]

    def __str__(self):
        return self.title or self.get_kind_display()


class SessionMove(models.Model):
    """A session moved to another time, by whom and why: kept (never changed or deleted) so the
    resident and anyone reading the history sees every move, not only where it ended up."""

    ledger_versioned = True

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="moves")
    from_starts_at = models.DateTimeField()
    from_ends_at = models.DateTimeField()
    to_starts_at = models.DateTimeField()
    to_ends_at = models.DateTimeField()
    reason = models.TextField()
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    moved_at = models.DateTimeField()

    class Meta:
        ordering = ["moved_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="session_move_has_reason"),
        ]

    def __str__(self):
        return f"{self.session} moved"


class CalendarFeed(models.Model):
    """A member of staff's secret calendar link (calendar_feed.py): their sessions, no resident
    named. Only the SHA-256 of the link's secret is kept; a new link stops the old one."""

    ledger_versioned = True
    # The secret's hash never goes in a version: the ledger is exported to investigators.
    ledger_exclude = ("secret_sha256",)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calendar_feeds"
    )
    secret_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(stopped_at__isnull=True),
                name="calendar_feed_one_live_per_user",
            ),
        ]

    def __str__(self):
        return f"calendar link of {self.user}"


class Attendance(models.TextChoices):
    EXPECTED = "expected", "Expected"
    CHECKED_IN = "checked_in", "Checked in"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


class SessionAttendee(models.Model):
    """One resident at one session, and whether they came. Writes of these rows carry the
    resident, so every session event reaches each attendee's timeline and ledger history."""

    ledger_versioned = True

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendees")
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="session_attendances"
    )
    attendance = models.CharField(
        max_length=16, choices=Attendance.choices, default=Attendance.EXPECTED
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session__starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "resident"], name="session_attendee_once")
        ]

    def __str__(self):
        return f"resident #{self.resident_id} at {self.session}"


class NoteTemplate(models.TextChoices):
    DAP = "dap", "DAP (data, assessment, plan)"
    SOAP = "soap", "SOAP (subjective, objective, assessment, plan)"


# The sections of each template, in the order they are written.
SECTIONS = {
    NoteTemplate.DAP: [("data", "Data"), ("assessment", "Assessment"), ("plan", "Plan")],
    NoteTemplate.SOAP: [
        ("subjective", "Subjective"),
        ("objective", "Objective"),
        ("assessment", "Assessment"),
        ("plan", "Plan"),
    ],
}


class Note(models.Model):
    """A progress note. `sections` maps each section of its template to its text."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="notes"
    )
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notes_written"
    )
    template = models.CharField(max_length=8, choices=NoteTemplate.choices)
    sections = models.JSONField(default=dict)
    # Counts the draft's saves: a save based on an older revision (another tab, a stale
    # browser copy) is refused instead of overwriting newer text.
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the signed sections' canonical JSON: what the signature covers.
    signed_sha256 = models.CharField(max_length=64, blank=True)
    # Set at signing when the author is a trainee: a supervisor must co-sign.
    needs_cosignature = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["resident", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | ~Q(signed_sha256=""),
                name="note_signed_has_digest",
            ),
        ]

    def __str__(self):
        return f"{self.get_template_display().split(' ')[0]} note #{self.pk}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def section_texts(self):
        """(key, label, text) for each section of the note's template, in order."""
        return [(k, label, self.sections.get(k, "")) for k, label in SECTIONS[self.template]]


class CoSignature(models.Model):
    """A supervisor's co-signature on a trainee's signed note."""

    ledger_versioned = True

    note = models.OneToOneField(Note, on_delete=models.PROTECT, related_name="cosignature")
    cosigner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_at = models.DateTimeField()

    def __str__(self):
        return f"co-signature of {self.note}"


class Addendum(models.Model):
    """A correction or addition to a signed note: who, when and why. Final once written."""

    ledger_versioned = True

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    text = models.TextField()

    class Meta:
        ordering = ["written_at", "id"]
        verbose_name_plural = "addenda"

    def __str__(self):
        return f"addendum #{self.pk} to {self.note}"


class WithholdingReason(models.TextChoices):
    RISK_OF_HARM = "risk_of_harm", "Reading it is likely to cause serious harm to the resident"
    THIRD_PARTY = "third_party", "It contains information about another person"


class NoteRelease(models.Model):
    """A decision about showing a signed note to its resident. Signed notes are shown by
    default; the latest decision counts, and every decision stays on record."""

    ledger_versioned = True

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="release_decisions")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    withheld = models.BooleanField()
    reason = models.CharField(max_length=32, choices=WithholdingReason.choices, blank=True)
    explanation = models.TextField(blank=True)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withheld=False) | ~Q(reason=""),
                name="note_withheld_has_reason",
                violation_error_message="Withholding a note needs one of the documented reasons.",
            ),
        ]

    def __str__(self):
        return f"{'withheld' if self.withheld else 'released'}: {self.note}"


class Recording(models.Model):
    """The audio of an individual session. The file lives in Django's storage under
    `storage_name`; its SHA-256 is in the row, so the ledger version commits to the bytes."""

    ledger_versioned = True

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="recordings")
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="recordings"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    storage_name = models.CharField(max_length=255, unique=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # The recording consent that allowed the upload.
    consent = models.ForeignKey(
        "consents.Consent", on_delete=models.PROTECT, related_name="recordings"
    )

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"recording #{self.pk} of {self.session}"
