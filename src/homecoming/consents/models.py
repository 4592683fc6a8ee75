"""Consent: what a resident agreed to, to which version of which document, and until when.

A consent document is published in numbered versions and never edited; a resident signs one
version (in the portal, or in person before a staff witness) and may revoke at any time. Whether
a consent counts is decided at the moment of use (services.require_consent), never cached.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ConsentPurpose(models.TextChoices):
    TREATMENT = "treatment", "The treatment program"
    MEDICATION = "medication", "A medication protocol"
    INVESTIGATIONAL = "investigational", "An investigational medication protocol"
    RECORDING = "recording", "Audio recording of sessions"
    RESEARCH = "research", "A research protocol"
    SPONSOR_SHARING = "sponsor_sharing", "Sharing data with the sponsor"


# Purposes whose documents must carry an ethics-board approval and its expiry date.
NEEDS_ETHICS_APPROVAL = (ConsentPurpose.RESEARCH, ConsentPurpose.INVESTIGATIONAL)
# Consent an investigational protocol asks for starts in person, never by a click in the portal:
# the clinician explains the trial, and then a witness signs or the resident confirms it with
# their own password (on the spot, or later in the portal). (The story behind this product is
# residents given an experimental drug they had not knowingly agreed to.)
IN_PERSON_ONLY = (ConsentPurpose.INVESTIGATIONAL,)
# Purposes whose documents a medication protocol names as the consent its doses need.
MEDICATION_PURPOSES = (ConsentPurpose.MEDICATION, ConsentPurpose.INVESTIGATIONAL)
# Purposes under which de-identified data may leave the center (see homecoming.sharing).
SHARING_PURPOSES = (ConsentPurpose.RESEARCH, ConsentPurpose.SPONSOR_SHARING)


class ConsentDocument(models.Model):
    """One published version of a consent text. Final once published (a trigger refuses edits)."""

    ledger_versioned = True

    purpose = models.CharField(max_length=32, choices=ConsentPurpose.choices)
    # Names the document across its versions, e.g. "session-recording".
    code = models.SlugField(max_length=64)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ethics_approval_ref = models.CharField(max_length=100, blank=True)
    ethics_approval_expires = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="consent_document_version"),
            models.CheckConstraint(
                condition=~Q(purpose__in=NEEDS_ETHICS_APPROVAL)
                | (Q(ethics_approval_expires__isnull=False) & ~Q(ethics_approval_ref="")),
                name="consent_document_research_approved",
                violation_error_message="A research or investigational protocol needs its "
                "ethics-board approval reference and expiry date.",
            ),
        ]

    def __str__(self):
        return f"{self.title} (version {self.version})"


class SignedVia(models.TextChoices):
    """How the resident's agreement is vouched for. Staff record consent; it counts only once the
    resident confirms it themselves or a witness who is someone else signs (attestation.py)."""

    PORTAL = "portal", "in the portal"
    IN_PERSON = "in_person", "in person, before a staff witness"
    OWN_PASSWORD = "own_password", "in person, confirmed with the resident's own password"
    PENDING = "pending", "recorded by staff, waiting for the resident's confirmation"
    CONFIRMED = "confirmed", "recorded by staff, confirmed by the resident in the portal"


# A consent that does not count yet: recorded by staff with nobody to vouch for it, or (written
# before recorder and witness had to differ) witnessed by the person who recorded it.
PENDING = Q(signed_via=SignedVia.PENDING) | Q(
    signed_via=SignedVia.IN_PERSON, witness=F("recorded_by")
)


class Consent(models.Model):
    """A resident's signature on one document version; revoked by filling in revoked_at.

    `signed_at` is when it took effect: for a consent recorded as pending, it is set again when
    the resident confirms it or a witness signs (the recording itself stays in the ledger's first
    version of the row)."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="consents"
    )
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    signed_via = models.CharField(max_length=16, choices=SignedVia.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["resident", "document"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(signed_via="in_person") | Q(witness__isnull=False),
                name="consent_in_person_witnessed",
                violation_error_message="Consent given in person needs a staff witness.",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False),
                name="consent_revocation_has_actor",
            ),
        ]

    def __str__(self):
        return f"consent of resident #{self.resident_id} to {self.document}"

    @property
    def pending(self) -> bool:
        """Recorded, but nobody but the recorder vouches for it yet: it does not count."""
        return self.signed_via == SignedVia.PENDING or (
            self.signed_via == SignedVia.IN_PERSON and self.witness_id == self.recorded_by_id
        )
