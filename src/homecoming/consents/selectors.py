"""Reads of consents: a resident's consent history (checked and recorded, one ledger entry per
consent shown), and the published documents (the center's texts, no resident data)."""

from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from .models import SHARING_PURPOSES, Consent, ConsentDocument
from .services import active_consents, waiting


@dataclass
class ConsentLine:
    """One signature, and where it stands now."""

    consent: Consent
    counts: bool  # allows its purpose right now
    approval_expired_on: object = None  # the ethics approval's expiry, once it has passed

    @property
    def revoked(self) -> bool:
        return self.consent.revoked_at is not None

    @property
    def waiting(self) -> bool:
        """Recorded, not revoked, and waiting for the resident's confirmation or a witness."""
        return self.consent.pending and not self.revoked


@dataclass
class ConsentRecord:
    resident: Resident
    lines: list[ConsentLine]  # every signature, newest first, revoked ones included
    purpose: str

    @property
    def active(self) -> list[ConsentLine]:
        return [line for line in self.lines if line.counts]

    @property
    def ended(self) -> list[ConsentLine]:
        return [line for line in self.lines if not line.counts and not line.waiting]

    @property
    def waiting(self) -> list[ConsentLine]:
        return [line for line in self.lines if line.waiting]

    def line_for(self, consent_id) -> ConsentLine | None:
        return next((line for line in self.lines if line.consent.pk == consent_id), None)


def _line(consent, now, today) -> ConsentLine:
    expires = consent.document.ethics_approval_expires
    lapsed = expires is not None and expires < today
    revoked = consent.revoked_at is not None and consent.revoked_at <= now
    return ConsentLine(
        consent=consent,
        counts=not consent.pending and consent.signed_at <= now and not revoked and not lapsed,
        approval_expired_on=expires if lapsed else None,
    )


def consents_of(actor, resident_id: int) -> ConsentRecord:
    """A resident's consents, revoked ones included: what they agreed to, when, before whom."""
    resident = existing(actor, resident_id, Action.VIEW)
    decision = policy.require(actor, Action.VIEW, resident)
    consents = list(
        resident.consents.select_related("document", "recorded_by", "witness", "revoked_by")
    )
    if consents:
        ledger.record_reads(
            actor,
            str(Action.VIEW),
            consents,
            resident_of=lambda c: c.resident_id,
            purpose=decision.purpose,
        )
    else:
        # "No consents on record" is still something read about this resident.
        ledger.record_resident_read(actor, str(Action.VIEW), resident, purpose=decision.purpose)
    now = timezone.now()
    today = timezone.localdate(now)
    return ConsentRecord(
        resident=resident,
        lines=[_line(c, now, today) for c in consents],
        purpose=decision.purpose,
    )


def _latest_versions():
    newest = ConsentDocument.objects.filter(code=OuterRef("code")).order_by("-version")
    return ConsentDocument.objects.filter(version=Subquery(newest.values("version")[:1]))


def documents_available(resident) -> list[ConsentDocument]:
    """The documents the resident could sign now: the latest version of each, not under an
    expired ethics approval, not already consented to (a newer version of a document the
    resident consented to is offered: signing it replaces the earlier consent), and not waiting
    for the resident's confirmation. Call it on a page that has already read (and recorded) the
    resident's consents with `consents_of`."""
    today = timezone.localdate()
    documents = list(
        _latest_versions()
        .filter(Q(ethics_approval_expires__isnull=True) | Q(ethics_approval_expires__gte=today))
        .order_by("purpose", "title")
    )
    consented = set(active_consents(resident).values_list("document__code", "document__version"))
    pending = set(waiting(resident).values_list("document__code", flat=True))
    return [d for d in documents if (d.code, d.version) not in consented and d.code not in pending]


def document(document_id: int) -> ConsentDocument:
    """One published version (a center document: anyone who may sign it may read it)."""
    return ConsentDocument.objects.select_related("published_by").get(pk=document_id)


@dataclass
class DocumentSeries:
    """All versions of one document code, newest first."""

    code: str
    versions: list[ConsentDocument]

    @property
    def latest(self) -> ConsentDocument:
        return self.versions[0]

    @property
    def shareable(self) -> bool:
        """Whether de-identified data may be exported under it."""
        return self.latest.purpose in SHARING_PURPOSES


def documents(actor) -> list[DocumentSeries]:
    """Every document and version, for the program director who publishes them."""
    policy.require(actor, Action.PUBLISH_CONSENT_DOCUMENT)
    series: dict[str, DocumentSeries] = {}
    for doc in ConsentDocument.objects.select_related("published_by").order_by("code", "-version"):
        series.setdefault(doc.code, DocumentSeries(doc.code, [])).versions.append(doc)
    return list(series.values())
