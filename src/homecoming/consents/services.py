"""Every write to consents, and the one check of whether a consent counts right now.

Publishing, signing, confirming and revoking follow the project's service shape: the policy first
(a denial is committed on its own), then the row, its version and its ledger entry in one
transaction. A consent staff record counts only once someone other than the recorder vouches for
it: the resident themselves, or a witness (attestation.py); until then it is pending.
`active_consent` / `require_consent` are what the rest of the center calls at the moment of use
(an upload, an administration, an export); they read the database every time, so a revocation
or an expired ethics approval takes effect on the very next use.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.core import dates
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident

from . import attestation as attest
from .attestation import Attestation
from .models import (
    IN_PERSON_ONLY,
    NEEDS_ETHICS_APPROVAL,
    PENDING,
    Consent,
    ConsentDocument,
    ConsentPurpose,
    SignedVia,
)

PUBLISH = "consent.publish"
SIGN = "consent.sign"
REVOKE = "consent.revoke"
IN_PERSON_MESSAGE = (
    "Consent to an investigational medicine is given in person: the clinician explains the "
    "trial, answers your questions, and a member of staff witnesses your signature. Ask your "
    "care team if you want to take part."
)
REASON_NEEDED = "Say how the resident withdrew consent, e.g. “the resident told me …”."
CONFIRM_NEEDS_SOMEONE = (
    "Someone vouches for the consent: the resident types their own password, or a witness "
    "(not the person who recorded it) signs with theirs."
)


class ConsentMissing(ValidationError):
    """The resident has no consent that counts for what is about to be done. The message names
    the missing consent in words, so whoever was refused knows what to ask the resident for."""

    def __init__(self, message, *, resident, purpose, code=None):
        super().__init__(message, code="consent_missing")
        self.resident = resident
        self.purpose = purpose
        self.document_code = code


def long_date(day: dt.date) -> str:
    return dates.day(day)


def purpose_words(purpose) -> str:
    """'Audio recording of sessions' -> 'audio recording of sessions', for inside a sentence."""
    label = ConsentPurpose(purpose).label
    return label[0].lower() + label[1:]


def _approval_lapsed(document, day: dt.date) -> bool:
    return document.ethics_approval_expires is not None and document.ethics_approval_expires < day


# --- publishing -----------------------------------------------------------------------------


def _check_document(purpose, code, title, body, ref, expires):
    errors = {}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = "Choose what the consent is for."
    try:
        validate_slug(code or "")
    except ValidationError:
        errors["code"] = "A code is a short name of letters, digits and hyphens."
    if not (title or "").strip():
        errors["title"] = "Give the document a title."
    elif len(title.strip()) > 200:
        errors["title"] = "A title has at most 200 characters."
    if len(ref) > 100:
        errors["ethics_approval_ref"] = "An approval reference has at most 100 characters."
    if not (body or "").strip():
        errors["body"] = "Write the text the resident agrees to."
    needs_approval = purpose in NEEDS_ETHICS_APPROVAL
    if needs_approval or ref or expires:
        # A research protocol must carry its approval; any other document may, and then the
        # approval's expiry governs its consents in the same way.
        if not ref:
            errors["ethics_approval_ref"] = "Give the ethics-board approval reference."
        if expires is None:
            errors["ethics_approval_expires"] = "Give the date the ethics approval expires."
        elif expires <= timezone.localdate():
            errors["ethics_approval_expires"] = "The ethics approval must expire in the future."
    if errors:
        raise ValidationError(errors)


def publish(
    actor,
    *,
    purpose,
    code,
    title,
    body,
    ethics_approval_ref="",
    ethics_approval_expires=None,
) -> ConsentDocument:
    """Publish a consent text as the next version of its code. Published versions are final:
    a changed text is a new version, and what residents signed stays readable as they read it."""
    decision = policy.require(actor, Action.PUBLISH_CONSENT_DOCUMENT)
    ref = (ethics_approval_ref or "").strip()
    _check_document(purpose, code, title, body, ref, ethics_approval_expires)
    earlier = ConsentDocument.objects.filter(code=code).order_by("-version").first()
    if earlier is not None and earlier.purpose != purpose:
        raise ValidationError(
            {
                "code": f"The code {code!r} names a document about "
                f"{purpose_words(earlier.purpose)}; a code keeps its purpose. Choose another code."
            }
        )
    try:
        with transaction.atomic():
            latest = ConsentDocument.objects.filter(code=code).aggregate(v=Max("version"))["v"]
            document = ConsentDocument.objects.create(
                purpose=purpose,
                code=code,
                version=(latest or 0) + 1,
                title=title.strip(),
                body=body.strip(),
                published_at=timezone.now(),
                published_by=actor,
                ethics_approval_ref=ref,
                ethics_approval_expires=ethics_approval_expires,
            )
            ledger.record_write(
                actor, PUBLISH, document, resident_id=None, purpose=decision.purpose
            )
    except IntegrityError as exc:  # another version of this code was published at the same time
        raise ValidationError(
            {"code": "Another version of this document was published at the same time. Try again."}
        ) from exc
    return document


# --- whether a consent counts -----------------------------------------------------------------


def _counting_at(resident, at, purpose=None, code=None):
    """Consents in effect by `at` (signed, and confirmed or witnessed: a pending one never
    counts) and not revoked by then, newest first, with their documents: of one resident, or of
    everyone when `resident` is None."""
    qs = (
        Consent.objects.filter(signed_at__lte=at)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=at))
        .exclude(PENDING)
    )
    if resident is not None:
        qs = qs.filter(resident_id=getattr(resident, "pk", resident))
    if purpose is not None:
        qs = qs.filter(document__purpose=purpose)
    if code is not None:
        qs = qs.filter(document__code=code)
    return qs.select_related("document").order_by("-signed_at", "-id")


def active_consents(resident, at=None, *, code=None):
    """Every consent that counts at the moment `at` (now by default): signed by then, not
    revoked by then, and, for a document under an ethics approval, that approval not expired on
    the center's date of `at`. Of one resident; of every resident when `resident` is None (an
    export asks which residents it may include, in one query)."""
    at = at or timezone.now()
    day = timezone.localdate(at)
    return _counting_at(resident, at, code=code).filter(
        Q(document__ethics_approval_expires__isnull=True)
        | Q(document__ethics_approval_expires__gte=day)
    )


def active_consent(resident, purpose, code=None, at=None) -> Consent | None:
    """The consent that allows `purpose` (for one document `code`, if given) at `at`, or None.
    Asked at the moment of use, every time: never cached."""
    return active_consents(resident, at, code=code).filter(document__purpose=purpose).first()


def require_consent(resident, purpose, code=None) -> Consent:
    """The active consent, or ConsentMissing naming what is missing."""
    now = timezone.now()
    consent = active_consent(resident, purpose, code, at=now)
    if consent is not None:
        return consent
    wanted = purpose_words(purpose)
    if code is not None:
        document = ConsentDocument.objects.filter(code=code).order_by("-version").first()
        if document is not None:
            wanted = f"{wanted}, “{document.title}”"
    message = f"{resident.display_name} has no active consent to {wanted}"
    lapsed = _counting_at(resident, now, purpose, code).first()
    if lapsed is not None:  # signed and not revoked: only its ethics approval has run out
        expired_on = long_date(lapsed.document.ethics_approval_expires)
        message += f": the ethics approval of {lapsed.document.title} expired on {expired_on}"
    else:
        pending = waiting(resident, code)
        pending = pending.filter(document__purpose=purpose).order_by("-signed_at").first()
        if pending is not None:
            message += (
                f": the consent {pending.recorded_by} recorded on "
                f"{long_date(timezone.localdate(pending.signed_at))} waits for the resident's "
                "confirmation or a witness"
            )
    raise ConsentMissing(message + ".", resident=resident, purpose=purpose, code=code)


# --- signing, confirming and revoking ---------------------------------------------------------


def _document_problems(document) -> dict[str, str]:
    """Why the document cannot be agreed to now: its ethics approval ran out, or a newer version
    replaced it."""
    if _approval_lapsed(document, timezone.localdate()):
        return {
            "document": f"The ethics approval of {document.title} expired on "
            f"{long_date(document.ethics_approval_expires)}; it cannot be signed."
        }
    newer = (
        ConsentDocument.objects.filter(code=document.code, version__gt=document.version)
        .order_by("-version")
        .first()
    )
    if newer is not None:
        return {"document": f"{document} has been replaced by version {newer.version}: sign that."}
    return {}


def waiting(resident, code=None):
    """The resident's consents recorded by staff and not yet confirmed or witnessed (nor
    revoked): they count for nothing until then."""
    qs = Consent.objects.filter(resident_id=getattr(resident, "pk", resident))
    qs = qs.filter(PENDING, revoked_at__isnull=True).select_related("document", "recorded_by")
    return qs if code is None else qs.filter(document__code=code)


def _target(resident, consent=None):
    if consent is not None:
        return ledger.Target.of(consent, resident_id=resident.pk)
    return ledger.Target(resident_id=resident.pk, object_type="consents.consent")


def sign(
    actor,
    resident,
    document: ConsentDocument,
    *,
    witness=None,
    witness_secret="",
    resident_secret="",
    witness_username="",
) -> Consent:
    """The resident agrees to one version of a document: in the portal (the resident is the
    actor), or in person, recorded by a member of staff. Staff bring someone to vouch for it: the
    resident's own password, or a witness (not the recorder) with theirs; without, the consent is
    kept as pending and counts only once the resident confirms it or a witness signs
    (`confirm`)."""
    decision = policy.require(actor, Action.RECORD_CONSENT, resident)
    attestation = Attestation(
        witness, witness_secret or "", resident_secret or "", witness_username or ""
    )
    if actor.role == Role.RESIDENT:
        if attestation.given:
            raise ValidationError({"witness": "Consent in the portal has no witness."})
        if document.purpose in IN_PERSON_ONLY:
            raise ValidationError({"document": IN_PERSON_MESSAGE})
        via = SignedVia.PORTAL
    else:
        via = attestation.via
    errors = _document_problems(document)
    if attestation.given:  # staff only: a resident's own attempt was refused above
        attest.check(
            actor, resident, document.purpose, attestation, _target(resident), errors, by=actor
        )
    elif errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Lock the resident: two signatures of the same document at once cannot both pass the
        # check below (SQLite already serialises writers; this is for PostgreSQL).
        Resident.objects.lock(resident.pk)
        standing = _check_not_consented(resident, document)
        if standing is not None and via != SignedVia.PENDING:
            # Consent to an earlier version: the new one replaces it once it counts.
            _replace(actor, standing, document, decision.purpose)
        consent = Consent.objects.create(
            resident=resident,
            document=document,
            signed_at=timezone.now(),
            signed_via=via,
            recorded_by=actor,
            witness=attestation.witness if via == SignedVia.IN_PERSON else None,
        )
        entry = ledger.record_write(
            actor, SIGN, consent, resident_id=resident.pk, purpose=decision.purpose
        )
        attest.countersign(actor, consent, entry, attestation)
    return consent


def _check_not_consented(resident, document):
    """Refuse a second consent to the same document; return a consent to an earlier version,
    which the new one is to replace."""
    standing = active_consent(resident, document.purpose, code=document.code)
    if standing is not None and standing.document.version >= document.version:
        raise ValidationError(
            {"document": f"{resident.display_name} has already consented to {document.title}."}
        )
    pending = waiting(resident, document.code).first()
    if pending is not None:
        raise ValidationError(
            {
                "document": f"{pending.recorded_by} recorded {resident.display_name}'s consent "
                f"to {pending.document.title} on {long_date(timezone.localdate(pending.signed_at))}"
                ": it waits for the resident's confirmation or a witness. Confirm it, or revoke "
                "it first."
            }
        )
    return standing


def _replace(actor, standing, document, purpose):
    _end(actor, standing, f"Replaced by consent to version {document.version}.", purpose)


def confirm(
    actor,
    consent: Consent,
    *,
    witness=None,
    witness_secret="",
    resident_secret="",
    witness_username="",
):
    """A pending consent takes effect, from now: the resident confirms it in the portal (the
    resident is the actor), or, on a staff member's screen, types their own password or a witness
    (not the recorder) signs with theirs."""
    resident = consent.resident
    decision = policy.require(actor, Action.RECORD_CONSENT, resident)
    attestation = Attestation(
        witness, witness_secret or "", resident_secret or "", witness_username or ""
    )
    if actor.role == Role.RESIDENT:
        if attestation.given:
            raise ValidationError({"witness": "Consent in the portal has no witness."})
        via = SignedVia.CONFIRMED
    elif not attestation.given:
        raise ValidationError({"witness": CONFIRM_NEEDS_SOMEONE})
    else:
        via = attestation.via
    document = consent.document
    errors = _document_problems(document)
    if not attestation.given:  # the resident, in the portal
        if errors:
            raise ValidationError(errors)
    else:
        attest.check(
            consent.recorded_by,
            resident,
            document.purpose,
            attestation,
            _target(resident, consent),
            errors,
            by=actor,
        )
    with transaction.atomic():
        Resident.objects.lock(resident.pk)
        consent = Consent.objects.select_for_update().select_related("document").get(pk=consent.pk)
        if not consent.pending or consent.revoked_at is not None:
            raise ValidationError("This consent is no longer waiting for confirmation.")
        standing = active_consent(resident, document.purpose, code=document.code)
        if standing is not None and standing.document.version >= document.version:
            raise ValidationError(
                {"document": f"{resident.display_name} has already consented to {document.title}."}
            )
        if standing is not None:
            _replace(actor, standing, document, decision.purpose)
        consent.signed_at = timezone.now()
        consent.signed_via = via
        consent.witness = attestation.witness if via == SignedVia.IN_PERSON else None
        consent.save(update_fields=["signed_at", "signed_via", "witness"])
        action = attest.WITNESS if via == SignedVia.IN_PERSON else attest.CONFIRM
        entry = ledger.record_write(
            actor, action, consent, resident_id=resident.pk, purpose=decision.purpose
        )
        attest.countersign(actor, consent, entry, attestation)
    return consent


def revoke(actor, consent: Consent, reason: str = "") -> Consent:
    """Withdraw a consent from now on. Staff record a revocation the resident told them of, and
    say so in the reason; the resident revoking in the portal owes nobody a reason."""
    decision = policy.require(actor, Action.REVOKE_CONSENT, consent.resident)
    reason = (reason or "").strip()
    if actor.role != Role.RESIDENT and not reason:
        raise ValidationError({"reason": REASON_NEEDED})
    with transaction.atomic():
        consent = Consent.objects.select_for_update().select_related("document").get(pk=consent.pk)
        if consent.revoked_at is not None:
            revoked_on = long_date(timezone.localdate(consent.revoked_at))
            raise ValidationError(f"This consent was already revoked on {revoked_on}.")
        _end(actor, consent, reason, decision.purpose)
    return consent


def _end(actor, consent: Consent, reason: str, purpose):
    consent.revoked_at = timezone.now()
    consent.revoked_by = actor
    consent.revocation_reason = reason
    consent.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    ledger.record_write(actor, REVOKE, consent, resident_id=consent.resident_id, purpose=purpose)
