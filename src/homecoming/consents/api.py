"""Consent over JSON: the documents a resident may sign, a resident's consents, signing, revoking.

The same services and selectors as the pages. Staff record consent the resident gave in person,
vouched for by the resident's own password or by a witness other than the caller (with the
witness's own password or code); without either it is recorded as pending and counts only once
confirmed (`POST /consents/{id}/confirm`: the resident, or staff with a witness or the resident's
password). A resident signs their own in the portal, with no witness. A revocation takes effect
on the very next use of the consent.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.core.schemas import Day, Error, Pages
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import selectors, services
from .models import Consent, ConsentDocument, ConsentPurpose, SignedVia

router = Router(tags=["consents"])


class DocumentSummary(Schema):
    id: int
    code: str  # names the document across its versions
    version: int
    purpose: ConsentPurpose
    title: str
    ethics_approval_ref: str
    ethics_approval_expires: Day | None


class DocumentOut(DocumentSummary):
    body: str
    published_at: dt.datetime
    # Past its ethics approval: it can no longer be signed, and consents to it no longer count.
    approval_expired: bool


class ConsentOut(Schema):
    id: int
    resident_id: int
    document: DocumentSummary
    signed_at: dt.datetime
    signed_via: SignedVia
    recorded_by: str
    witness: str | None
    revoked_at: dt.datetime | None
    revoked_by: str | None
    revocation_reason: str
    counts: bool  # allows its purpose right now
    # Recorded by staff, not yet confirmed by the resident or signed by a witness: never counts.
    pending: bool
    approval_expired_on: dt.date | None


class ConsentRecordOut(Schema):
    resident_id: int
    display_name: str
    consents: list[ConsentOut]  # every signature, newest first, revoked ones included
    available_documents: list[DocumentSummary]  # what the resident could sign now


class AttestationIn(Schema):
    """Staff only: who vouches for the consent. A witness (never the caller who records it)
    with their own password or authenticator code, or the resident's own password typed by
    the resident. Neither: the consent is pending."""

    witness_username: str | None = None
    witness_secret: str = Field("", max_length=200)
    resident_secret: str = Field("", max_length=200)


class SignIn(AttestationIn):
    document_id: int

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "document_id": 3,
                    "witness_username": "nurse.okafor",
                    "witness_secret": "492817",
                    "resident_secret": "",
                }
            ]
        }
    }


class ConfirmIn(AttestationIn):
    model_config = {
        "json_schema_extra": {
            "examples": [{"witness_username": "nurse.okafor", "witness_secret": "492817"}]
        }
    }


class RevokeIn(Schema):
    # Staff say how the resident withdrew consent; a resident owes nobody a reason.
    reason: str = Field("", max_length=2000)

    model_config = {
        "json_schema_extra": {
            "examples": [{"reason": "Told me at our session she no longer wants to take part."}]
        }
    }


def _name(user) -> str | None:
    return None if user is None else str(user)


def _summary(d: ConsentDocument) -> dict:
    return {
        "id": d.pk,
        "code": d.code,
        "version": d.version,
        "purpose": d.purpose,
        "title": d.title,
        "ethics_approval_ref": d.ethics_approval_ref,
        "ethics_approval_expires": d.ethics_approval_expires,
    }


def _document(d: ConsentDocument, today: dt.date) -> dict:
    expires = d.ethics_approval_expires
    return {
        **_summary(d),
        "body": d.body,
        "published_at": d.published_at,
        "approval_expired": expires is not None and expires < today,
    }


def _consent(line: selectors.ConsentLine) -> dict:
    c = line.consent
    return {
        "id": c.pk,
        "resident_id": c.resident_id,
        "document": _summary(c.document),
        "signed_at": c.signed_at,
        "signed_via": c.signed_via,
        "recorded_by": _name(c.recorded_by),
        "witness": _name(c.witness),
        "revoked_at": c.revoked_at,
        "revoked_by": _name(c.revoked_by),
        "revocation_reason": c.revocation_reason,
        "counts": line.counts,
        "pending": line.waiting,
        "approval_expired_on": line.approval_expired_on,
    }


def _line_now(consent: Consent) -> selectors.ConsentLine:
    """Where a consent just signed or revoked stands now, as the consents page would show it."""
    now = timezone.now()
    return selectors._line(consent, now, timezone.localdate(now))


# Who may read the consent texts: whoever may have a resident sign one. The policy's own tables
# say who that is, so the rule cannot drift from the one that guards signing.
SIGNING_ROLES = frozenset(
    [
        *(
            role
            for role, actions in {**policy.CARE_TEAM, **policy.WHOLE_CENTER}.items()
            if Action.RECORD_CONSENT in actions
        ),
        *([Role.RESIDENT] if Action.RECORD_CONSENT in policy.OWN_RECORD else []),
    ]
)


def _require_signer(user):
    """Allow whoever may sign or record consents; otherwise the refusal goes on the ledger, as
    policy.require does for the actions it knows."""
    if user.is_active and user.role in SIGNING_ROLES:
        return
    policy.refuse(
        user,
        Action.RECORD_CONSENT,
        ledger.Target(object_type="consents.consentdocument"),
        reason=f"A {user.get_role_display().lower()} does not handle consents.",
    )


def _consent_for(actor, consent_id: int, action=Action.REVOKE_CONSENT) -> Consent:
    """One consent, or a 404 after recording the probe (as for a resident or an order that does
    not exist). Whether the caller may act on it is the service's to decide."""
    consent = (
        Consent.objects.select_related("resident", "document", "recorded_by", "witness")
        .filter(pk=consent_id)
        .first()
    )
    if consent is None:
        error = Http404(f"No consent #{consent_id}.")
        policy.refuse_unknown(actor, action, "consents.consent", consent_id, error)
    return consent


def _attestation(payload: AttestationIn) -> dict:
    """The witness by log-in, if one is named. A log-in that matches nobody is passed on as
    such: the service refuses it exactly like a wrong secret, so this field never tells who
    has an account (issue 13)."""
    username = payload.witness_username or ""
    witness = get_user_model().objects.filter(username=username).first() if username else None
    return {
        "witness": witness,
        "witness_username": username if witness is None else "",
        "witness_secret": payload.witness_secret,
        "resident_secret": payload.resident_secret,
    }


def _document_by_id(document_id: int) -> ConsentDocument:
    try:
        return selectors.document(document_id)
    except ConsentDocument.DoesNotExist as exc:
        raise ValidationError({"document_id": f"No consent document #{document_id}."}) from exc


@router.get("/consent-documents", response={200: list[DocumentOut], 403: Error})
@paginate(Pages)
def list_documents(request):
    """List the latest version of every consent document, with its text. For whoever may have
    a resident sign one: the care team's caseworkers and clinicians, the roles the policy lets
    record consent, and a resident (for their own). The texts hold no resident data, so the
    answer is not a look on the ledger; a refused caller is (403 `forbidden`). Ordered by
    purpose, then title; `approval_expired` marks a text that can no longer be signed."""
    _require_signer(request.auth)
    today = timezone.localdate()
    latest = (
        selectors._latest_versions().select_related("published_by").order_by("purpose", "title")
    )
    return [_document(d, today) for d in latest]


@router.get(
    "/residents/{resident_id}/consents",
    response={200: ConsentRecordOut, 403: Error, 404: Error},
)
def get_consents(request, resident_id: int):
    """Read what a resident consented to, and the documents they could sign now. Every
    signature, newest first, revoked and pending ones included, each saying whether it allows
    its purpose right now (`counts`). The resident's care team and the resident themselves may
    read it; the read is a look at the resident on the ledger. Errors: 403 `forbidden` (not
    yours to read, on the ledger), 404 `not_found` (no such resident you may know of)."""
    try:
        record = selectors.consents_of(request.auth, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return {
        "resident_id": record.resident.pk,
        "display_name": record.resident.display_name,
        "consents": [_consent(line) for line in record.lines],
        "available_documents": [
            _summary(d) for d in selectors.documents_available(record.resident)
        ],
    }


@router.post(
    "/residents/{resident_id}/consents",
    response={201: ConsentOut, 400: Error, 403: Error, 404: Error},
)
def sign_consent(request, resident_id: int, payload: SignIn):
    """Record a resident's consent to a document. Staff on the care team record consent given
    in person, vouched for by a witness other than the caller (`witness_username` with the
    witness's own password or authenticator code) or by the resident's own password
    (`resident_secret`); with neither it is recorded as pending and counts only once confirmed.
    A resident signs their own, with no witness. The signature is a ledger entry (a wrong
    witness secret is one too, as denied). Errors: 400 `invalid` (an unknown document, a
    document past its ethics approval or one signed only in person, a wrong witness or
    secret: every problem by field), 403 `forbidden`, 404 `not_found` (no such resident)."""
    try:
        resident = existing(request.auth, resident_id, Action.RECORD_CONSENT)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    # Refused callers are refused before the body's references are looked up.
    policy.require(request.auth, Action.RECORD_CONSENT, resident)
    consent = services.sign(
        request.auth, resident, _document_by_id(payload.document_id), **_attestation(payload)
    )
    return Status(201, _consent(_line_now(consent)))


@router.post(
    "/consents/{consent_id}/confirm",
    response={200: ConsentOut, 400: Error, 403: Error, 404: Error},
)
def confirm_consent(request, consent_id: int, payload: ConfirmIn):
    """Confirm a pending consent, so that it counts from now. The resident confirms their own
    (an empty body `{}`); staff on the care team bring a witness or the resident's own
    password, as when signing. The confirmation is a ledger entry. Errors: 400 `invalid` (no
    witness nor the resident's password, a wrong secret, a consent not pending), 403
    `forbidden`, 404 `not_found` (no such consent; the probe is on the ledger)."""
    consent = _consent_for(request.auth, consent_id, Action.RECORD_CONSENT)
    # Refused callers are refused before the body's references are looked up.
    policy.require(request.auth, Action.RECORD_CONSENT, consent.resident)
    consent = services.confirm(request.auth, consent, **_attestation(payload))
    return _consent(_line_now(consent))


@router.post(
    "/consents/{consent_id}/revoke",
    response={200: ConsentOut, 400: Error, 403: Error, 404: Error},
)
def revoke_consent(request, consent_id: int, payload: RevokeIn):
    """Revoke a consent: it stops counting at its very next use. The resident revokes their
    own (no reason owed); staff on the care team record a withdrawal the resident told them
    of, and say how in `reason`. The revocation is a ledger entry; the consent stays on the
    record, marked revoked. Errors: 400 `invalid` (staff without a reason, a consent already
    revoked), 403 `forbidden`, 404 `not_found` (no such consent; the probe is on the ledger)."""
    consent = _consent_for(request.auth, consent_id)
    consent = services.revoke(request.auth, consent, payload.reason)
    return _consent(_line_now(consent))
