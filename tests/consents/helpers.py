"""Consent documents and signatures for tests, made through the consent services."""

import datetime as dt

from django.utils import timezone

from homecoming.accounts.models import Role, User
from homecoming.consents import services
from homecoming.consents.models import Consent, ConsentDocument, ConsentPurpose, SignedVia
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident
from tests.conftest import PASSWORD

RECORDING_TEXT = (
    "Your sessions with your caseworker may be recorded (audio only). Recordings are kept in "
    "your record, played only by your care team, and every play is shown to you."
)


def publish(actor, purpose=ConsentPurpose.RECORDING, code="session-recording", **fields):
    fields.setdefault("title", "Audio recording of my sessions")
    fields.setdefault("body", RECORDING_TEXT)
    return services.publish(actor, purpose=purpose, code=code, **fields)


def publish_research(actor, expires_in_days=365, code="sleep-study", **fields):
    fields.setdefault("title", "Sleep and recovery study")
    fields.setdefault("body", "A study of sleep during the stay. Taking part is voluntary.")
    fields.setdefault("ethics_approval_ref", "IRB-2026-014")
    return services.publish(
        actor,
        purpose=ConsentPurpose.RESEARCH,
        code=code,
        ethics_approval_expires=timezone.localdate() + dt.timedelta(days=expires_in_days),
        **fields,
    )


def witnessed_by(person) -> dict:
    """The keyword arguments of a consent signed for by a witness, with their own password."""
    return {"witness": person, "witness_secret": PASSWORD}


def sign_witnessed(recorder, resident, document, witness):
    """Consent recorded in person by `recorder`, vouched for by `witness` with their password:
    it counts at once."""
    return services.sign(recorder, resident, document, **witnessed_by(witness))


def recording_consent(staff, resident, **sign_kwargs):
    """A published recording document (if none yet) and the resident's consent to it, recorded
    in person by their caseworker before the supervisor as witness (unless told otherwise)."""
    document = ConsentDocument.objects.filter(code="session-recording").first() or (
        publish(staff["program_director"])
    )
    sign_kwargs = sign_kwargs or witnessed_by(staff["supervisor"])
    return services.sign(staff["caseworker"], resident, document, **sign_kwargs)


def lapsed_research_document(actor, expired_days_ago=1, code="old-study"):
    """A research document whose ethics approval has run out. The service refuses to publish
    one, so it is written as it would stand after time passed: directly, with its version."""
    document = ConsentDocument.objects.create(
        purpose=ConsentPurpose.RESEARCH,
        code=code,
        version=1,
        title="Old sleep study",
        body="A study that has ended.",
        published_at=timezone.now() - dt.timedelta(days=400),
        published_by=actor,
        ethics_approval_ref="IRB-2025-001",
        ethics_approval_expires=timezone.localdate() - dt.timedelta(days=expired_days_ago),
    )
    ledger.record_write(actor, "consent.publish", document, resident_id=None, purpose="operations")
    return document


def signed_long_ago(recorder, resident, document, days_ago=30, witness=None):
    """A consent recorded in person `days_ago` days ago (say, while an ethics approval that has
    since run out was still valid) before a witness, written as the service would have written
    it then."""
    witness = witness or User.objects.exclude(pk=recorder.pk).filter(role=Role.SUPERVISOR).first()
    consent = Consent.objects.create(
        resident=resident,
        document=document,
        signed_at=timezone.now() - dt.timedelta(days=days_ago),
        signed_via=SignedVia.IN_PERSON,
        recorded_by=recorder,
        witness=witness,
    )
    ledger.record_write(recorder, "consent.sign", consent, resident_id=resident.pk, purpose="care")
    return consent


def portal_login(make_user, resident) -> Resident:
    """Give the resident a log-in (as the portal-access service would) and return the resident
    as now stored, linked to it."""
    user = make_user(Role.RESIDENT, full_name=resident.display_name)
    resident.user = user
    resident.save(update_fields=["user"])
    ledger.record_write(
        None, "resident.portal_access", resident, resident_id=resident.pk, purpose="operations"
    )
    return Resident.objects.select_related("user").get(pk=resident.pk)
