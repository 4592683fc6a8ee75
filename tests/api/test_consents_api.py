"""Consent over the API: the documents, a resident's consents, signing in person or in the portal,
revoking, and the pages' permissions with their denials on the ledger."""

import json

import pytest

from homecoming.accounts.models import Role
from homecoming.consents.models import Consent
from homecoming.ledger.models import Entry
from tests.conftest import PASSWORD
from tests.consents.helpers import (
    lapsed_research_document,
    portal_login,
    publish,
    publish_research,
    recording_consent,
)


@pytest.fixture
def own(resident, make_user):
    """The resident, with a portal log-in."""
    return portal_login(make_user, resident)


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def denied(actor, action, **fields):
    return Entry.objects.filter(actor=actor, action=action, outcome="denied", **fields).exists()


def test_the_documents_are_the_latest_versions_with_their_text(staff, own, api_for, client_for):
    director = staff["program_director"]
    publish(director)
    latest = publish(director, title="Audio recording of my sessions (revised)")
    study = publish_research(director)
    lapsed = lapsed_research_document(director)
    response = api_for(staff["caseworker"]).get("/api/v1/consent-documents")
    assert response.status_code == 200
    documents = {d["id"]: d for d in response.json()["items"]}
    assert set(documents) == {latest.pk, study.pk, lapsed.pk}
    assert documents[latest.pk]["version"] == 2 and documents[latest.pk]["body"]
    assert documents[study.pk]["ethics_approval_ref"] == "IRB-2026-014"
    assert documents[lapsed.pk]["approval_expired"] is True
    assert documents[study.pk]["approval_expired"] is False
    # A resident reads what they may sign, in the portal.
    assert client_for(own.user).get("/api/v1/consent-documents").status_code == 200


@pytest.mark.parametrize("who", ["contractor", "sysadmin", "oversight", "investigator"])
def test_who_handles_no_consent_may_not_read_the_documents(staff, api_for, who):
    response = api_for(staff[who]).get("/api/v1/consent-documents")
    assert response.status_code == 403 and "consents" in response.json()["detail"]
    assert denied(staff[who], "consent.record")


def test_a_residents_consents_revoked_ones_included(resident, staff, api_for):
    director = staff["program_director"]
    recording = recording_consent(staff, resident)
    study = publish_research(director)
    client = api_for(staff["caseworker"])
    post(client, f"/api/v1/consents/{recording.pk}/revoke", {"reason": "Told me in session."})
    response = client.get(f"/api/v1/residents/{resident.pk}/consents")
    assert response.status_code == 200
    body = response.json()
    [line] = body["consents"]
    assert line["id"] == recording.pk and line["revoked_at"] is not None
    assert line["counts"] is False and line["revocation_reason"] == "Told me in session."
    assert line["signed_via"] == "in_person" and line["witness"] == str(staff["supervisor"])
    assert line["pending"] is False
    assert {d["id"] for d in body["available_documents"]} == {recording.document_id, study.pk}
    look = Entry.objects.filter(actor=staff["caseworker"], resident=resident).last()
    assert look.action == "resident.view" and "consents" in look.sections


def test_who_may_read_a_residents_consents(resident, admit, staff, make_user, api_for, client_for):
    recording_consent(staff, resident)
    url = f"/api/v1/residents/{resident.pk}/consents"
    for who in ("caseworker_other", "contractor", "sysadmin"):
        assert api_for(staff[who]).get(url).status_code == 403, who
        assert denied(staff[who], "resident.view", resident_id=resident.pk)
    own = portal_login(make_user, resident)
    assert client_for(own.user).get(url).status_code == 200
    other = portal_login(make_user, admit(given_name="Jo", family_name="Other"))
    assert client_for(other.user).get(url).status_code == 403
    assert denied(other.user, "resident.view", resident_id=resident.pk)
    assert api_for(staff["supervisor"]).get("/api/v1/residents/99999/consents").status_code == 404
    assert denied(staff["supervisor"], "resident.view", object_id="99999")


def test_staff_record_consent_given_in_person(resident, staff, api_for):
    document = publish(staff["program_director"])
    client = api_for(staff["caseworker"])
    url = f"/api/v1/residents/{resident.pk}/consents"
    witnessed = {"witness_username": "clinician", "witness_secret": PASSWORD}
    response = post(client, url, {"document_id": document.pk, **witnessed})
    assert response.status_code == 201, response.content
    consent = response.json()
    assert consent["signed_via"] == "in_person" and consent["counts"] is True
    assert consent["witness"] == str(staff["clinician"])
    assert consent["recorded_by"] == str(staff["caseworker"])
    assert consent["document"]["code"] == "session-recording"
    again = post(client, url, {"document_id": document.pk})
    assert again.status_code == 400 and "already consented" in again.json()["detail"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"document_id": 99999}, "document_id"),
        ({"witness_username": "nobody"}, "witness_secret"),
        ({"witness_username": "contractor", "witness_secret": PASSWORD}, "witness"),
    ],
)
def test_a_refused_signature_is_a_400_naming_the_field(resident, staff, api_for, body, field):
    document = publish(staff["program_director"])
    response = post(
        api_for(staff["caseworker"]),
        f"/api/v1/residents/{resident.pk}/consents",
        {"document_id": document.pk} | body,
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Consent.objects.exists()


def test_a_lapsed_approval_cannot_be_signed(resident, staff, api_for):
    lapsed = lapsed_research_document(staff["program_director"])
    response = post(
        api_for(staff["caseworker"]),
        f"/api/v1/residents/{resident.pk}/consents",
        {"document_id": lapsed.pk},
    )
    assert response.status_code == 400 and "document" in response.json()["errors"]


def test_a_resident_signs_and_revokes_their_own_in_the_portal(own, admit, staff, client_for):
    document = publish(staff["program_director"])
    client = client_for(own.user)
    url = f"/api/v1/residents/{own.pk}/consents"
    witnessed = post(client, url, {"document_id": document.pk, "witness_username": "clinician"})
    assert witnessed.status_code == 400 and "witness" in witnessed.json()["errors"]
    signed = post(client, url, {"document_id": document.pk})
    assert signed.status_code == 201, signed.content
    assert signed.json()["signed_via"] == "portal" and signed.json()["witness"] is None
    revoked = post(client, f"/api/v1/consents/{signed.json()['id']}/revoke")
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["revoked_by"] == str(own.user) and revoked.json()["counts"] is False


def test_a_resident_may_not_sign_or_revoke_for_another(own, admit, staff, client_for):
    document = publish(staff["program_director"])
    other = admit(given_name="Jo", family_name="Other")
    client = client_for(own.user)
    response = post(client, f"/api/v1/residents/{other.pk}/consents", {"document_id": document.pk})
    assert response.status_code == 403
    assert denied(own.user, "consent.record", resident_id=other.pk)
    theirs = recording_consent(staff, other)
    response = post(client, f"/api/v1/consents/{theirs.pk}/revoke")
    assert response.status_code == 403
    assert denied(own.user, "consent.revoke", resident_id=other.pk)
    assert Consent.objects.get(pk=theirs.pk).revoked_at is None


def test_staff_revoke_with_the_residents_words(resident, staff, api_for):
    consent = recording_consent(staff, resident)
    client = api_for(staff["caseworker"])
    url = f"/api/v1/consents/{consent.pk}/revoke"
    no_reason = post(client, url, {"reason": " "})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    revoked = post(client, url, {"reason": "The resident told me to stop recording."})
    assert revoked.status_code == 200
    assert revoked.json()["revocation_reason"] == "The resident told me to stop recording."
    again = post(client, url, {"reason": "Twice."})
    assert again.status_code == 400 and "already revoked" in again.json()["detail"]


def test_other_caseloads_and_roles_may_not_record_or_revoke(resident, staff, api_for):
    document = publish(staff["program_director"])
    consent = recording_consent(staff, resident)
    for who in ("caseworker_other", "contractor", "oversight"):
        client = api_for(staff[who])
        signed = post(
            client, f"/api/v1/residents/{resident.pk}/consents", {"document_id": document.pk}
        )
        assert signed.status_code == 403, who
        assert denied(staff[who], "consent.record", resident_id=resident.pk)
        revoked = post(client, f"/api/v1/consents/{consent.pk}/revoke", {"reason": "x"})
        assert revoked.status_code == 403, who
        assert denied(staff[who], "consent.revoke", resident_id=resident.pk)
    assert Consent.objects.get(pk=consent.pk).revoked_at is None


def test_unknown_residents_and_consents_are_404_and_the_probe_is_kept(staff, api_for):
    client = api_for(staff["caseworker"])
    assert post(client, "/api/v1/residents/99999/consents", {"document_id": 1}).status_code == 404
    assert denied(staff["caseworker"], "consent.record", object_id="99999")
    assert post(client, "/api/v1/consents/99999/revoke", {"reason": "x"}).status_code == 404
    assert denied(staff["caseworker"], "consent.revoke", object_type="consents.consent")


def test_the_witness_field_does_not_tell_who_has_an_account(resident, staff, make_user, api_for):
    """A log-in that matches nobody, an inactive one and a real one with a wrong secret get the
    same answer, each a refusal at the caller's keyboard (issue 13, part 8)."""
    document = publish(staff["program_director"])
    make_user(Role.CLINICIAN, username="gone", is_active=False)
    client = api_for(staff["caseworker"])
    answers = [
        post(
            client,
            f"/api/v1/residents/{resident.pk}/consents",
            {"document_id": document.pk, "witness_username": login, "witness_secret": "guess"},
        )
        for login in ("nobody", "gone", "clinician")
    ]
    assert {r.status_code for r in answers} == {400}
    assert len({r.content for r in answers}) == 1, [r.content for r in answers]
    refused = Entry.objects.filter(action="consent.witness", outcome="denied")
    assert list(refused.values_list("actor", flat=True)) == [staff["caseworker"].pk] * 3
    assert not Consent.objects.exists()
