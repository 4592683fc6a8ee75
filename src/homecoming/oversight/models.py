"""Complaints and the investigations of the oversight body, with the investigators' grants.

Nothing here is ever deleted (the database refuses it): a complaint moves through its states
to closed, and every message, state change, assignment and escalation is a row of its own. A
grant is final once given; it ends when it expires, or earlier when revoked.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class FiledVia(models.TextChoices):
    PORTAL = "portal", "By a resident, in the portal"
    STAFF = "staff", "By a member of staff"
    PUBLIC = "public", "Through the public form"


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INVESTIGATING = "investigating", "Being looked into"
    REFERRED = "referred", "With the oversight body"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (
    ComplaintStatus.RECEIVED,
    ComplaintStatus.ACKNOWLEDGED,
    ComplaintStatus.INVESTIGATING,
    ComplaintStatus.REFERRED,
)


class Complaint(models.Model):
    ledger_versioned = True
    # The passphrase's hash is a secret, not record content.
    ledger_exclude = ("passphrase_hash",)

    reference = models.CharField(max_length=20, unique=True)  # the receipt code
    passphrase_hash = models.CharField(max_length=128, blank=True)  # public filings only
    filed_via = models.CharField(max_length=8, choices=FiledVia.choices)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who a public filing says it is from, if they said (nothing when anonymous).
    complainant_name = models.CharField(max_length=200, blank=True)
    complainant_contact = models.CharField(max_length=200, blank=True)
    relationship = models.CharField(max_length=120, blank=True)  # "his sister", "a neighbour"
    # The resident whose complaint it is (filed in the portal): their record's ledger has it.
    resident = models.ForeignKey(
        "residents.Resident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=ComplaintStatus.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField()
    # The last time staff did something with it: the escalation timer runs from here.
    touched_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalations = models.PositiveIntegerField(default=0)
    outcome = models.TextField(blank=True)  # what the complainant is told when it is resolved

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "touched_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | ~Q(outcome=""),
                name="complaint_resolved_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(filed_via="public") | ~Q(passphrase_hash=""),
                name="complaint_public_has_passphrase",
            ),
            models.CheckConstraint(
                condition=Q(filed_via="public") | Q(filed_by__isnull=False),
                name="complaint_filer_known_unless_public",
            ),
        ]

    def __str__(self):
        return f"complaint {self.reference}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class NamedStaff(models.Model):
    """A member of staff the complaint is about. They never learn who complained."""

    ledger_versioned = True

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="named")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["complaint", "user"], name="named_once_per_complaint")
        ]

    def __str__(self):
        return f"{self.user} named in {self.complaint}"


class EventKind(models.TextChoices):
    FILED = "filed", "Filed"
    MESSAGE = "message", "Message"
    NOTE = "note", "Note for staff only"
    STATUS = "status", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    ESCALATED = "escalated", "Escalated to the oversight body"
    ATTACHMENT = "attachment", "Attachment added"


class ComplaintEvent(models.Model):
    """One thing that happened to a complaint: its timeline, and the messages exchanged."""

    ledger_versioned = True

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    at = models.DateTimeField()
    # Who did it; empty for the complainant of a public filing, and for the system.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_complainant = models.BooleanField(default=False)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ComplaintStatus.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Shown to the complainant: their own messages, staff replies, status changes, the outcome.
    visible_to_complainant = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.complaint}"


class Attachment(models.Model):
    ledger_versioned = True

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(ComplaintEvent, on_delete=models.PROTECT, related_name="attachments")
    storage_name = models.CharField(max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()

    def __str__(self):
        return self.original_name


# --- investigations ----------------------------------------------------------------------------


class InvestigationStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Investigation(models.Model):
    ledger_versioned = True

    reference = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.PROTECT, related_name="investigations"
    )
    signal = models.ForeignKey(
        "safety.Signal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="investigations",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=InvestigationStatus.choices)
    findings = models.TextField(blank=True)
    recommendations = models.TextField(blank=True)
    outcome_for_complainant = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(complaint__isnull=False) | Q(signal__isnull=False),
                name="investigation_has_a_cause",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (
                    Q(status="closed", closed_at__isnull=False, closed_by__isnull=False)
                    & ~Q(findings="")
                ),
                name="investigation_closed_with_findings",
            ),
        ]

    def __str__(self):
        return f"investigation {self.reference}"


class Grant(models.Model):
    """Read-only access for one investigator, to named residents' records and to the ledger
    entries of named staff, from `starts_at` until `expires_at` (or its revocation)."""

    ledger_versioned = True

    investigation = models.ForeignKey(
        Investigation, on_delete=models.PROTECT, related_name="grants"
    )
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="investigator_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reason = models.TextField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("starts_at")), name="grant_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False),
                name="grant_revocation_has_actor",
            ),
        ]

    def __str__(self):
        return f"grant #{self.pk} to {self.investigator}"

    @property
    def resident_scope(self) -> list:
        return [s for s in self.scope.all() if s.resident_id]

    @property
    def staff_scope(self) -> list:
        return [s for s in self.scope.all() if s.staff_id]

    @property
    def in_force(self) -> bool:
        from django.utils import timezone

        return self.active_at(timezone.now())

    def active_at(self, moment) -> bool:
        return self.starts_at <= moment < self.expires_at and (
            self.revoked_at is None or moment < self.revoked_at
        )


class GrantScope(models.Model):
    """One resident, or one member of staff, a grant covers."""

    ledger_versioned = True

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="scope")
    resident = models.ForeignKey(
        "residents.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False, staff__isnull=True)
                | Q(resident__isnull=True, staff__isnull=False),
                name="grant_scope_one_of",
            ),
            models.UniqueConstraint(
                fields=["grant", "resident"],
                condition=Q(resident__isnull=False),
                name="grant_scope_resident_once",
            ),
            models.UniqueConstraint(
                fields=["grant", "staff"],
                condition=Q(staff__isnull=False),
                name="grant_scope_staff_once",
            ),
        ]

    def __str__(self):
        return f"resident #{self.resident_id}" if self.resident_id else f"staff #{self.staff_id}"
