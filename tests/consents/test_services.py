"""Consent services: publishing versions, signing, revoking, and whether a consent counts at a
given moment. Every permission rule has its denial, and each denial is on the ledger."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from homecoming.access.policy import AccessDenied
from homecoming.accounts import reauth
from homecoming.accounts.models import Role
from homecoming.consents import selectors, services
from homecoming.consents.models import Consent, ConsentDocument, ConsentPurpose, SignedVia
from homecoming.ledger.models import Entry, Version

from .helpers import (
    lapsed_research_document,
    portal_login,
    publish,
    publish_research,
    signed_long_ago,
    witnessed_by,
)

RECORDING = ConsentPurpose.RECORDING


def latest_version(row) -> dict:
    version = Version.objects.filter(
        object_type=row._meta.label_lower, object_id=str(row.pk)
    ).latest("seq")
    return json.loads(version.content)["fields"]


def denied(actor, action):
    return Entry.objects.filter(actor=actor, action=action, outcome="denied")


# --- publishing ---------------------------------------------------------------------------------


def test_each_publication_of_a_code_is_its_next_version(staff):
    director = staff["program_director"]
    first = publish(director)
    second = publish(director, body="New text: recordings are kept for seven years.")
    assert (first.version, second.version) == (1, 2)
    assert first.body != second.body  # the first version's text is kept as it was
    entry = Entry.objects.filter(action="consent.publish").latest("seq")
    assert (entry.actor, entry.resident_id, entry.object_id) == (director, None, str(second.pk))
    assert latest_version(second)["body"].startswith("New text")


@pytest.mark.parametrize("who", ["caseworker", "clinician", "supervisor", "contractor", "sysadmin"])
def test_only_the_program_director_publishes(staff, who):
    with pytest.raises(AccessDenied):
        publish(staff[who])
    assert denied(staff[who], "consent.publish").count() == 1
    assert not ConsentDocument.objects.exists()


def test_a_resident_may_not_publish(resident, make_user):
    walter = portal_login(make_user, resident)
    with pytest.raises(AccessDenied):
        publish(walter.user)
    assert denied(walter.user, "consent.publish").exists()


def test_a_research_protocol_needs_its_ethics_approval(staff):
    director = staff["program_director"]
    with pytest.raises(ValidationError) as refused:
        publish(director, purpose=ConsentPurpose.RESEARCH, code="sleep-study")
    assert set(refused.value.error_dict) == {"ethics_approval_ref", "ethics_approval_expires"}
    with pytest.raises(ValidationError) as refused:
        publish_research(director, expires_in_days=0)
    assert "must expire in the future" in str(refused.value)
    assert publish_research(director).ethics_approval_ref == "IRB-2026-014"


def test_a_code_keeps_its_purpose(staff):
    director = staff["program_director"]
    publish(director)
    with pytest.raises(ValidationError) as refused:
        publish(director, purpose=ConsentPurpose.TREATMENT)
    assert "audio recording of sessions" in refused.value.message_dict["code"][0]


def test_the_database_refuses_to_change_a_published_document(staff):
    document = publish(staff["program_director"])
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentDocument.objects.filter(pk=document.pk).update(body="quietly changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentDocument.objects.filter(pk=document.pk).delete()


# --- signing ------------------------------------------------------------------------------------


def test_staff_record_consent_before_a_witness_who_signs_in_their_own_name(resident, staff):
    document = publish(staff["program_director"])
    consent = services.sign(
        staff["caseworker"], resident, document, **witnessed_by(staff["supervisor"])
    )
    assert consent.signed_via == SignedVia.IN_PERSON
    assert (consent.recorded_by, consent.witness) == (staff["caseworker"], staff["supervisor"])
    signed = Entry.objects.filter(action="consent.sign").latest("seq")
    witnessed = Entry.objects.filter(action="consent.witness").latest("seq")
    assert (signed.actor, signed.resident_id, signed.purpose) == (
        staff["caseworker"],
        resident.pk,
        "care",
    )
    assert witnessed.actor == staff["supervisor"]
    assert witnessed.version_sha256 == signed.version_sha256  # the same version, vouched for
    assert latest_version(consent)["witness_id"] == staff["supervisor"].pk


def test_a_witness_confirms_with_their_own_password(resident, staff):
    document = publish(staff["program_director"])
    with pytest.raises(ValidationError) as refused:
        services.sign(staff["caseworker"], resident, document, witness=staff["clinician"])
    assert "witness_secret" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.sign(
            staff["caseworker"],
            resident,
            document,
            witness=staff["clinician"],
            witness_secret="not their password",
        )
    assert refused.value.message_dict["witness_secret"] == [reauth.WRONG_SECOND_PERSON]
    # The wrong password is a refused entry in the name of whoever typed it (never counting
    # against the witness's own log-in); nothing was recorded.
    assert denied(staff["caseworker"], "consent.witness").count() == 1
    assert not denied(staff["clinician"], "consent.witness").exists()
    assert not Consent.objects.exists()
    consent = services.sign(
        staff["caseworker"], resident, document, **witnessed_by(staff["clinician"])
    )
    assert (consent.recorded_by, consent.witness) == (staff["caseworker"], staff["clinician"])


@pytest.mark.parametrize("who", ["contractor", "sysadmin", "inactive"])
def test_a_witness_is_an_active_member_of_the_care_staff(resident, staff, make_user, who):
    witness = make_user(Role.CLINICIAN, is_active=False) if who == "inactive" else staff[who]
    document = publish(staff["program_director"])
    with pytest.raises(ValidationError) as refused:
        services.sign(staff["caseworker"], resident, document, **witnessed_by(witness))
    # An inactive account is refused like a wrong secret (nothing tells it exists); an active
    # one who may not witness is told so, once the right secret proved who typed it.
    field = "witness_secret" if who == "inactive" else "witness"
    assert field in refused.value.message_dict
    assert not Consent.objects.exists()


def test_the_resident_signs_in_the_portal_without_a_witness(resident, staff, make_user):
    walter = portal_login(make_user, resident)
    document = publish(staff["program_director"])
    consent = services.sign(walter.user, walter, document)
    assert (consent.signed_via, consent.witness, consent.recorded_by) == (
        SignedVia.PORTAL,
        None,
        walter.user,
    )
    assert Entry.objects.filter(action="consent.sign", purpose="self").count() == 1


def test_signing_twice_is_refused_while_the_first_consent_stands(resident, staff):
    document = publish(staff["program_director"])
    first = services.sign(
        staff["caseworker"], resident, document, **witnessed_by(staff["supervisor"])
    )
    with pytest.raises(ValidationError) as refused:
        services.sign(staff["supervisor"], resident, document)
    assert "already consented" in str(refused.value)
    services.revoke(staff["caseworker"], first, "The resident told me they changed their mind.")
    again = services.sign(
        staff["caseworker"], resident, document, **witnessed_by(staff["supervisor"])
    )
    assert again.pk != first.pk
    assert Consent.objects.filter(resident=resident).count() == 2


def test_signing_a_newer_version_replaces_the_consent_to_the_earlier_one(resident, staff):
    director = staff["program_director"]
    first = services.sign(
        staff["caseworker"], resident, publish(director), **witnessed_by(staff["supervisor"])
    )
    newer = publish(director, body="Version two.")
    assert newer in selectors.documents_available(resident)  # offered, though consented to v1
    second = services.sign(
        staff["caseworker"], resident, newer, **witnessed_by(staff["supervisor"])
    )
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert first.revocation_reason == "Replaced by consent to version 2."
    assert services.active_consent(resident, newer.purpose, code=newer.code) == second
    assert newer not in selectors.documents_available(resident)
    with pytest.raises(ValidationError, match="already consented"):
        services.sign(staff["caseworker"], resident, newer, **witnessed_by(staff["supervisor"]))
    # Both the ending of the first and the second signature are on the ledger.
    assert Entry.objects.filter(action="consent.revoke", object_id=str(first.pk)).exists()


def test_a_replaced_version_cannot_be_signed(resident, staff):
    director = staff["program_director"]
    old = publish(director)
    publish(director, body="Version two.")
    with pytest.raises(ValidationError, match="replaced by version 2"):
        services.sign(staff["caseworker"], resident, old, **witnessed_by(staff["supervisor"]))


def test_a_document_whose_ethics_approval_expired_cannot_be_signed(resident, staff):
    document = lapsed_research_document(staff["program_director"])
    with pytest.raises(ValidationError) as refused:
        services.sign(staff["caseworker"], resident, document, **witnessed_by(staff["supervisor"]))
    assert "ethics approval of Old sleep study expired" in str(refused.value)


@pytest.mark.parametrize("who", ["caseworker_other", "clinician_other", "contractor", "oversight"])
def test_recording_consent_is_denied_off_the_care_team(resident, staff, who):
    document = publish(staff["program_director"])
    with pytest.raises(AccessDenied):
        services.sign(staff[who], resident, document)
    entry = denied(staff[who], "consent.record").get()
    assert entry.resident_id == resident.pk
    assert not Consent.objects.exists()


def test_a_resident_cannot_sign_for_another_resident(resident, admit, staff, make_user):
    walter = portal_login(make_user, resident)
    other = admit(given_name="Dana", family_name="Reyes")
    document = publish(staff["program_director"])
    with pytest.raises(AccessDenied):
        services.sign(walter.user, other, document)
    assert denied(walter.user, "consent.record").get().resident_id == other.pk


# --- revoking -----------------------------------------------------------------------------------


def test_staff_revoke_with_the_residents_words(resident, staff):
    consent = services.sign(
        staff["caseworker"],
        resident,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    with pytest.raises(ValidationError) as refused:
        services.revoke(staff["caseworker"], consent, "   ")
    assert "reason" in refused.value.message_dict
    revoked = services.revoke(staff["clinician"], consent, "The resident told me: no recordings.")
    assert (revoked.revoked_by, revoked.revocation_reason) == (
        staff["clinician"],
        "The resident told me: no recordings.",
    )
    assert latest_version(revoked)["revoked_at"] is not None
    assert Entry.objects.filter(action="consent.revoke", resident_id=resident.pk).count() == 1


def test_the_resident_revokes_without_giving_a_reason(resident, staff, make_user):
    walter = portal_login(make_user, resident)
    consent = services.sign(walter.user, walter, publish(staff["program_director"]))
    revoked = services.revoke(walter.user, consent)
    assert revoked.revoked_at is not None and revoked.revocation_reason == ""


def test_a_revoked_consent_stays_revoked(resident, staff):
    consent = services.sign(
        staff["caseworker"],
        resident,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    services.revoke(staff["caseworker"], consent, "The resident asked me to stop.")
    with pytest.raises(ValidationError, match="already revoked"):
        services.revoke(staff["supervisor"], consent, "Again.")
    with pytest.raises(DatabaseError), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(revoked_at=None)
    with pytest.raises(DatabaseError), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).delete()


@pytest.mark.parametrize("who", ["caseworker_other", "contractor", "investigator"])
def test_revoking_is_denied_off_the_care_team(resident, staff, who):
    consent = services.sign(
        staff["caseworker"],
        resident,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    with pytest.raises(AccessDenied):
        services.revoke(staff[who], consent, "Not my resident.")
    assert denied(staff[who], "consent.revoke").get().resident_id == resident.pk
    consent.refresh_from_db()
    assert consent.revoked_at is None


def test_a_resident_cannot_revoke_another_residents_consent(resident, admit, staff, make_user):
    other = portal_login(make_user, admit(given_name="Dana", family_name="Reyes"))
    consent = services.sign(
        staff["caseworker"],
        resident,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    with pytest.raises(AccessDenied):
        services.revoke(other.user, consent)
    assert denied(other.user, "consent.revoke").get().resident_id == resident.pk


# --- whether a consent counts -------------------------------------------------------------------


def test_a_consent_counts_from_signing_until_revocation(resident, staff):
    consent = services.sign(
        staff["caseworker"],
        resident,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    signed = consent.signed_at
    assert services.active_consent(resident, RECORDING) == consent
    assert services.active_consent(resident, RECORDING, at=signed - dt.timedelta(seconds=1)) is None
    services.revoke(staff["caseworker"], consent, "The resident told me to stop.")
    consent.refresh_from_db()
    assert services.active_consent(resident, RECORDING) is None
    # As it stood between signing and revocation, it counted; at the revocation, no longer.
    between = signed + (consent.revoked_at - signed) / 2
    assert services.active_consent(resident, RECORDING, at=between) == consent
    assert services.active_consent(resident, RECORDING, at=consent.revoked_at) is None


def test_a_consent_counts_only_for_its_purpose_and_code(resident, staff):
    director = staff["program_director"]
    services.sign(
        staff["caseworker"], resident, publish(director), **witnessed_by(staff["supervisor"])
    )
    treatment = publish(director, purpose=ConsentPurpose.TREATMENT, code="treatment-program")
    assert services.active_consent(resident, ConsentPurpose.TREATMENT) is None
    assert services.active_consent(resident, RECORDING, code="session-recording") is not None
    assert services.active_consent(resident, RECORDING, code=treatment.code) is None


def test_research_consent_lapses_after_the_ethics_approval_by_the_centers_date(resident, staff):
    document = publish_research(staff["program_director"], expires_in_days=10)
    consent = services.sign(
        staff["caseworker"], resident, document, **witnessed_by(staff["supervisor"])
    )
    last_day = document.ethics_approval_expires
    zone = timezone.get_current_timezone()
    late_on_last_day = dt.datetime.combine(last_day, dt.time(23, 30), tzinfo=zone)
    next_morning = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 30), tzinfo=zone)
    # 23:30 in New York is already the next day in UTC: the center's date is what counts.
    assert late_on_last_day.astimezone(dt.UTC).date() > last_day
    research = ConsentPurpose.RESEARCH
    assert services.active_consent(resident, research, at=late_on_last_day) == consent
    assert services.active_consent(resident, research, at=next_morning) is None


def test_require_consent_names_what_is_missing(resident, staff):
    with pytest.raises(services.ConsentMissing) as refused:
        services.require_consent(resident, RECORDING)
    assert refused.value.messages == [
        "Walter Cruz has no active consent to audio recording of sessions."
    ]
    assert isinstance(refused.value, ValidationError)
    consent = services.sign(
        staff["caseworker"],
        resident,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    assert services.require_consent(resident, RECORDING) == consent


def test_require_consent_says_when_an_ethics_approval_expired(resident, staff):
    document = lapsed_research_document(staff["program_director"], expired_days_ago=3)
    # Signed while the approval was still valid; the approval ran out since.
    signed_long_ago(staff["caseworker"], resident, document)
    expired_on = document.ethics_approval_expires
    with pytest.raises(services.ConsentMissing) as refused:
        services.require_consent(resident, ConsentPurpose.RESEARCH)
    assert refused.value.messages == [
        "Walter Cruz has no active consent to a research protocol: the ethics approval of "
        f"Old sleep study expired on {expired_on:%b} {expired_on.day}, {expired_on.year}."
    ]


def test_require_consent_is_asked_anew_each_time(resident, staff):
    consent = services.sign(
        staff["caseworker"],
        resident,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    services.require_consent(resident, RECORDING)
    services.revoke(staff["caseworker"], consent, "The resident told me to stop.")
    with pytest.raises(services.ConsentMissing):
        services.require_consent(resident, RECORDING)


def test_consent_to_an_investigational_medicine_is_never_a_click_in_the_portal(
    resident, staff, make_user
):
    walter = portal_login(make_user, resident)
    trial = services.publish(
        staff["program_director"],
        purpose=ConsentPurpose.INVESTIGATIONAL,
        code="trial-x",
        title="The X trial",
        body="An experimental medicine. Its effects on memory are unknown.",
        ethics_approval_ref="IRB-1",
        ethics_approval_expires=timezone.localdate() + dt.timedelta(days=90),
    )
    with pytest.raises(ValidationError, match="given in person"):
        services.sign(walter.user, walter, trial)
    assert not Consent.objects.filter(resident=walter).exists()
    consent = services.sign(staff["caseworker"], walter, trial, **witnessed_by(staff["clinician"]))
    assert consent.signed_via == SignedVia.IN_PERSON and consent.witness == staff["clinician"]
