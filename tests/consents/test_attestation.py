"""Consent that one person cannot fake: a consent staff record counts only once the resident
confirms it themselves or a witness other than the recorder signs (and, for a trial, research or
recording, not the resident's prescriber). Every rule has its refusal; the services, the pages,
the API, the portal and the database each hold it."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from homecoming.access.policy import AccessDenied
from homecoming.accounts.models import Role
from homecoming.consents import services
from homecoming.consents.models import Consent, ConsentPurpose, SignedVia
from homecoming.ledger.models import Entry
from homecoming.residents import services as residents_services
from tests.conftest import PASSWORD

from .helpers import portal_login, publish, publish_research, witnessed_by

RECORDING = ConsentPurpose.RECORDING


def trial_document(director):
    return services.publish(
        director,
        purpose=ConsentPurpose.INVESTIGATIONAL,
        code="trial-x",
        title="The X trial",
        body="An experimental medicine. Its effects on memory are unknown.",
        ethics_approval_ref="IRB-1",
        ethics_approval_expires=timezone.localdate() + dt.timedelta(days=90),
    )


def document_for(purpose, director):
    if purpose == ConsentPurpose.INVESTIGATIONAL:
        return trial_document(director)
    if purpose == ConsentPurpose.RESEARCH:
        return publish_research(director)
    return publish(director, purpose=purpose, code=f"{purpose}-doc".replace("_", "-"))


@pytest.fixture
def prescriber(resident, staff, make_user):
    """A prescriber who is the resident's clinician."""
    person = make_user(Role.CLINICIAN, username="prescriber", is_prescriber=True)
    residents_services.assign_care_team(staff["supervisor"], resident, "clinician", person)
    return person


@pytest.fixture
def walter(resident, make_user):
    return portal_login(make_user, resident)


def denied(actor, action, **fields):
    return Entry.objects.filter(actor=actor, action=action, outcome="denied", **fields)


# --- recorded alone: pending ---------------------------------------------------------------------


def test_a_consent_recorded_alone_is_pending_and_counts_for_nothing(resident, staff):
    document = publish(staff["program_director"])
    consent = services.sign(staff["caseworker"], resident, document)
    assert (consent.signed_via, consent.witness, consent.pending) == (SignedVia.PENDING, None, True)
    assert services.active_consent(resident, RECORDING) is None
    with pytest.raises(services.ConsentMissing) as missing:
        services.require_consent(resident, RECORDING)
    assert "Caseworker 1 recorded on" in missing.value.messages[0]
    assert "waits for the resident's confirmation or a witness" in missing.value.messages[0]
    # Not offered again, and not recorded twice while it waits.
    from homecoming.consents import selectors

    assert document not in selectors.documents_available(resident)
    with pytest.raises(ValidationError, match="waits for the resident's confirmation"):
        services.sign(staff["supervisor"], resident, document, **witnessed_by(staff["clinician"]))


@pytest.mark.parametrize("purpose", ConsentPurpose.values)
def test_the_recorder_is_never_the_witness(resident, staff, purpose):
    document = document_for(purpose, staff["program_director"])
    with pytest.raises(ValidationError) as refused:
        services.sign(staff["caseworker"], resident, document, **witnessed_by(staff["caseworker"]))
    assert "someone other than the person who records" in refused.value.message_dict["witness"][0]
    assert not Consent.objects.exists()


def test_the_database_refuses_a_self_witnessed_consent(resident, staff):
    """A database administrator (or a stray console) cannot write one either."""
    document = publish(staff["program_director"])
    recorder = staff["caseworker"].pk
    now = timezone.now()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO consents_consent (resident_id, document_id, signed_at, signed_via, "
            "recorded_by_id, witness_id, revocation_reason) VALUES (%s, %s, %s, %s, %s, %s, '')",
            [resident.pk, document.pk, now, "in_person", recorder, recorder],
        )
    consent = services.sign(
        staff["caseworker"], resident, document, **witnessed_by(staff["supervisor"])
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(witness_id=recorder)


@pytest.mark.parametrize(
    "purpose",
    [ConsentPurpose.INVESTIGATIONAL, ConsentPurpose.RESEARCH, ConsentPurpose.RECORDING],
)
def test_the_residents_prescriber_does_not_witness_a_trial_research_or_recording(
    resident, staff, prescriber, purpose
):
    document = document_for(purpose, staff["program_director"])
    with pytest.raises(ValidationError) as refused:
        services.sign(staff["caseworker"], resident, document, **witnessed_by(prescriber))
    assert "prescribes for Walter Cruz" in refused.value.message_dict["witness"][0]
    assert not Consent.objects.exists()


@pytest.mark.parametrize("purpose", [ConsentPurpose.MEDICATION, ConsentPurpose.TREATMENT])
def test_the_prescriber_may_witness_other_consents(resident, staff, prescriber, purpose):
    document = document_for(purpose, staff["program_director"])
    consent = services.sign(staff["caseworker"], resident, document, **witnessed_by(prescriber))
    assert consent.witness == prescriber and not consent.pending


# --- the resident's own password on the staff's screen --------------------------------------------


def test_the_resident_confirms_with_their_own_password_on_the_staff_screen(walter, staff):
    document = trial_document(staff["program_director"])
    with pytest.raises(ValidationError) as refused:
        services.sign(staff["clinician"], walter, document, resident_secret="a guess at it")
    assert refused.value.message_dict["resident_secret"] == ["That is not Walter Cruz's password."]
    # The refusal is written at the keyboard where it was typed: a guesser at a staff screen
    # cannot lock the resident out of their own portal (issue 13, part 8).
    assert denied(staff["clinician"], "consent.confirm", resident_id=walter.pk).count() == 1
    assert not denied(walter.user, "consent.confirm").exists()
    assert not Consent.objects.exists()

    consent = services.sign(staff["clinician"], walter, document, resident_secret=PASSWORD)
    assert (consent.signed_via, consent.witness) == (SignedVia.OWN_PASSWORD, None)
    assert services.active_consent(walter, ConsentPurpose.INVESTIGATIONAL) == consent
    signed = Entry.objects.get(action="consent.sign", outcome="allowed")
    confirmed = Entry.objects.get(action="consent.confirm", outcome="allowed")
    assert (signed.actor, confirmed.actor) == (staff["clinician"], walter.user)
    assert confirmed.version_sha256 == signed.version_sha256


def test_a_resident_without_a_log_in_cannot_confirm_and_both_ways_at_once_are_refused(
    resident, walter, staff, admit
):
    document = publish(staff["program_director"])
    other = admit(given_name="Dana", family_name="Reyes")
    with pytest.raises(ValidationError) as refused:
        services.sign(staff["caseworker"], other, document, resident_secret=PASSWORD)
    assert "has no portal log-in" in refused.value.message_dict["resident_secret"][0]
    with pytest.raises(ValidationError) as refused:
        services.sign(
            staff["caseworker"],
            walter,
            document,
            resident_secret=PASSWORD,
            **witnessed_by(staff["supervisor"]),
        )
    assert "not both" in refused.value.message_dict["resident_secret"][0]
    with pytest.raises(ValidationError) as refused:
        services.sign(staff["caseworker"], walter, document, witness_secret=PASSWORD)
    assert "Name the witness" in refused.value.message_dict["witness"][0]
    assert not Consent.objects.exists()


# --- confirming a pending consent -----------------------------------------------------------------


def test_a_pending_consent_counts_from_its_confirmation_in_the_portal(walter, staff):
    document = trial_document(staff["program_director"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        pending = services.sign(staff["clinician"], walter, document)
    confirmed_at = start + dt.timedelta(hours=20)
    with time_machine.travel(confirmed_at, tick=False):
        consent = services.confirm(walter.user, pending)
    assert (consent.signed_via, consent.signed_at) == (SignedVia.CONFIRMED, confirmed_at)
    trial = ConsentPurpose.INVESTIGATIONAL
    assert services.active_consent(walter, trial, at=confirmed_at - dt.timedelta(hours=1)) is None
    assert services.active_consent(walter, trial, at=confirmed_at) == consent
    entry = Entry.objects.get(action="consent.confirm")
    assert (entry.actor, entry.purpose) == (walter.user, "self")
    with pytest.raises(ValidationError, match="no longer waiting"):
        services.confirm(walter.user, consent)


def test_staff_confirm_a_pending_consent_before_a_witness_or_with_the_residents_password(
    walter, staff
):
    document = publish(staff["program_director"])
    pending = services.sign(staff["caseworker"], walter, document)
    with pytest.raises(ValidationError, match="Someone vouches for the consent"):
        services.confirm(staff["caseworker"], pending)
    with pytest.raises(ValidationError) as refused:
        services.confirm(staff["supervisor"], pending, **witnessed_by(staff["caseworker"]))
    assert "someone other than the person who records" in refused.value.message_dict["witness"][0]
    consent = services.confirm(staff["caseworker"], pending, **witnessed_by(staff["supervisor"]))
    assert (consent.signed_via, consent.witness) == (SignedVia.IN_PERSON, staff["supervisor"])
    assert services.active_consent(walter, RECORDING) == consent
    write = Entry.objects.filter(action="consent.witness").order_by("seq")
    assert [e.actor for e in write] == [staff["caseworker"], staff["supervisor"]]

    other = services.sign(
        staff["caseworker"], walter, publish(staff["program_director"], code="other-recording")
    )
    done = services.confirm(staff["caseworker"], other, resident_secret=PASSWORD)
    assert done.signed_via == SignedVia.OWN_PASSWORD


def test_a_newer_version_replaces_the_earlier_consent_only_once_it_counts(walter, staff):
    director = staff["program_director"]
    first = services.sign(
        staff["caseworker"], walter, publish(director), **witnessed_by(staff["supervisor"])
    )
    newer = services.sign(staff["caseworker"], walter, publish(director, body="Version two."))
    first.refresh_from_db()
    assert first.revoked_at is None
    assert services.active_consent(walter, RECORDING) == first
    services.confirm(walter.user, newer)
    first.refresh_from_db()
    assert first.revocation_reason == "Replaced by consent to version 2."
    assert services.active_consent(walter, RECORDING).pk == newer.pk


@pytest.mark.parametrize("who", ["caseworker_other", "contractor", "oversight", "other resident"])
def test_confirming_is_denied_to_all_but_the_resident_and_their_care_team(
    walter, admit, make_user, staff, who
):
    pending = services.sign(staff["caseworker"], walter, publish(staff["program_director"]))
    if who == "other resident":
        actor = portal_login(make_user, admit(given_name="Dana", family_name="Reyes")).user
    else:
        actor = staff[who]
    with pytest.raises(AccessDenied):
        services.confirm(actor, pending)
    assert denied(actor, "consent.record", resident_id=walter.pk).exists()
    pending.refresh_from_db()
    assert pending.pending


# --- the pages ------------------------------------------------------------------------------------


def url(resident):
    return f"/residents/{resident.pk}/consents/"


def test_the_staff_page_records_a_pending_consent_and_confirms_it_later(walter, staff, client_for):
    document = publish(staff["program_director"])
    client = client_for(staff["caseworker"])
    page = client.get(url(walter)).content.decode()
    assert "Or: the resident&#x27;s own password" in page
    # The recorder is not offered as a witness; naming them anyway is refused.
    assert f'value="{staff["caseworker"].pk}"' not in page.split('name="witness"')[1][:2000]
    crafted = client.post(
        url(walter),
        {
            "do": "sign",
            "document": document.pk,
            "witness": staff["caseworker"].pk,
            "witness_secret": PASSWORD,
        },
    )
    assert crafted.status_code == 400 and not Consent.objects.exists()

    recorded = client.post(url(walter), {"do": "sign", "document": document.pk}, follow=True)
    page = recorded.content.decode()
    assert "recorded as waiting: it does not count until Walter Cruz confirms it" in page
    assert "Waiting for confirmation" in page
    consent = Consent.objects.get()
    assert consent.pending

    wrong = client.post(
        url(walter), {"do": "confirm", "consent": consent.pk, "resident_secret": "nope nope"}
    )
    assert wrong.status_code == 400 and "not Walter Cruz&#x27;s password" in wrong.content.decode()
    confirmed = client.post(
        url(walter), {"do": "confirm", "consent": consent.pk, "resident_secret": PASSWORD}
    )
    assert confirmed.status_code == 302
    consent.refresh_from_db()
    assert consent.signed_via == SignedVia.OWN_PASSWORD and not consent.pending


def test_the_resident_reads_and_confirms_a_trial_consent_in_the_portal(
    walter, admit, staff, client_for
):
    pending = services.sign(staff["clinician"], walter, trial_document(staff["program_director"]))
    client = client_for(walter.user)
    page = client.get("/my-record/consents/").content.decode()
    assert "Waiting for your confirmation" in page and "Read and confirm" in page
    confirm_url = f"/my-record/consents/waiting/{pending.pk}/"
    page = client.get(confirm_url).content.decode()
    assert "Its effects on memory are unknown." in page and "I confirm" in page
    done = client.post(confirm_url, follow=True)
    assert "You confirmed your consent to “The X trial”." in done.content.decode()
    pending.refresh_from_db()
    assert pending.signed_via == SignedVia.CONFIRMED
    # Another resident's consent is not on this resident's record.
    theirs = services.sign(
        staff["caseworker"],
        admit(given_name="Dana", family_name="Reyes"),
        publish(staff["program_director"]),
    )
    assert client.post(f"/my-record/consents/waiting/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.pending


def test_the_resident_declines_a_pending_consent(walter, staff, client_for):
    pending = services.sign(staff["caseworker"], walter, publish(staff["program_director"]))
    response = client_for(walter.user).post("/my-record/consents/", {"consent": pending.pk})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.revoked_at is not None and services.active_consent(walter, RECORDING) is None


# --- the API --------------------------------------------------------------------------------------


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def test_the_api_confirms_and_refuses_as_the_services_do(walter, staff, api_for):
    pending = services.sign(staff["caseworker"], walter, publish(staff["program_director"]))
    path = f"/api/v1/consents/{pending.pk}/confirm"
    nobody = post(api_for(staff["caseworker"]), path)
    assert nobody.status_code == 400 and "witness" in nobody.json()["errors"]
    outsider = post(api_for(staff["caseworker_other"]), path, {"resident_secret": PASSWORD})
    assert outsider.status_code == 403
    assert denied(staff["caseworker_other"], "consent.record", resident_id=walter.pk).exists()
    unknown = post(api_for(staff["caseworker"]), "/api/v1/consents/99999/confirm")
    assert unknown.status_code == 404
    assert denied(staff["caseworker"], "consent.record", object_id="99999").exists()
    done = post(
        api_for(staff["supervisor"]),
        path,
        {"witness_username": staff["clinician"].username, "witness_secret": PASSWORD},
    )
    assert done.status_code == 200, done.content
    assert done.json()["counts"] is True and done.json()["witness"] == str(staff["clinician"])
