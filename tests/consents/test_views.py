"""Consent pages: the care team's page, the resident's own, signing in the portal, and the
program director's documents. Refused input comes back with a 400 and what was typed."""

import pytest

from homecoming.consents import services
from homecoming.consents.models import Consent, ConsentDocument, SignedVia
from homecoming.ledger.models import Entry
from tests.conftest import PASSWORD

from .helpers import portal_login, publish, witnessed_by


def url(resident):
    return f"/residents/{resident.pk}/consents/"


def test_the_care_team_records_consent_given_in_person(resident, staff, client_for):
    document = publish(staff["program_director"])
    client = client_for(staff["caseworker"])
    page = client.get(url(resident)).content.decode()
    assert "Record consent given in person" in page and document.title in page

    response = client.post(
        url(resident),
        {
            "do": "sign",
            "document": document.pk,
            "witness": staff["clinician"].pk,
            "witness_secret": PASSWORD,
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(resident=resident)
    assert (consent.recorded_by, consent.witness) == (staff["caseworker"], staff["clinician"])
    page = client.get(url(resident)).content.decode()
    assert "witnessed by Clinician 2" in page and "active" in page


def test_a_refused_consent_shows_why_with_a_400(resident, staff, client_for):
    document = publish(staff["program_director"])
    services.sign(staff["caseworker"], resident, document, **witnessed_by(staff["supervisor"]))
    # A second tab still offers the document; it is no longer a valid choice.
    response = client_for(staff["supervisor"]).post(
        url(resident), {"do": "sign", "document": document.pk}
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert Consent.objects.filter(resident=resident).count() == 1


def test_a_revocation_needs_the_residents_words_and_keeps_them(resident, staff, client_for):
    consent = services.sign(
        staff["caseworker"],
        resident,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    client = client_for(staff["caseworker"])
    response = client.post(url(resident), {"do": "revoke", "consent": consent.pk, "reason": ""})
    assert (
        response.status_code == 400 and "Say how the resident withdrew" in response.content.decode()
    )
    reason = "Walter told me at breakfast he wants no more recordings."
    response = client.post(url(resident), {"do": "revoke", "consent": consent.pk, "reason": reason})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revocation_reason == reason
    page = client.get(url(resident)).content.decode()
    assert "revoked" in page and reason in page


def test_a_consent_of_another_resident_cannot_be_revoked_here(resident, admit, staff, client_for):
    other = admit(given_name="Dana", family_name="Reyes")
    theirs = services.sign(
        staff["caseworker"],
        other,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    response = client_for(staff["caseworker"]).post(
        url(resident), {"do": "revoke", "consent": theirs.pk, "reason": "Wrong page."}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize("who", ["caseworker_other", "contractor", "oversight"])
def test_the_page_is_forbidden_off_the_care_team(resident, staff, client_for, who):
    services.sign(
        staff["caseworker"],
        resident,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    response = client_for(staff[who]).get(url(resident))
    assert response.status_code == 403 and "Cruz" not in response.content.decode()
    assert Entry.objects.filter(actor=staff[who], outcome="denied", resident=resident).exists()


def test_an_unknown_resident_is_a_404(staff, client_for, db):
    assert client_for(staff["supervisor"]).get("/residents/999999/consents/").status_code == 404


def test_a_resident_is_sent_to_their_own_page(resident, make_user, client_for):
    walter = portal_login(make_user, resident)
    response = client_for(walter.user).get(url(walter))
    assert response.status_code == 302 and response["Location"] == "/my-record/consents/"


def test_the_resident_reads_signs_and_withdraws_in_the_portal(
    resident, staff, make_user, client_for
):
    walter = portal_login(make_user, resident)
    document = publish(staff["program_director"])
    client = client_for(walter.user)
    assert document.title in client.get("/my-record/consents/").content.decode()

    page = client.get(f"/my-record/consents/{document.pk}/").content.decode()
    assert "every play is shown to you" in page and "I agree" in page
    signed = client.post(f"/my-record/consents/{document.pk}/", follow=True)
    assert f"You agreed to “{document.title}”." in signed.content.decode()
    consent = Consent.objects.get(resident=walter)
    assert consent.signed_via == SignedVia.PORTAL

    again = client.post(f"/my-record/consents/{document.pk}/")
    assert again.status_code == 400 and "already consented" in again.content.decode()

    response = client.post("/my-record/consents/", {"consent": consent.pk, "reason": ""})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_by == walter.user
    page = client.get("/my-record/consents/").content.decode()
    assert "Your consent is withdrawn: it stopped counting at once." in page
    history = page[page.index('id="history-h"') :]
    assert "revoked" in history and document.title in history
    assert "You have no consent in force." in page  # and it is listed once, in the history


def test_a_resident_cannot_withdraw_someone_elses_consent(
    resident, admit, staff, make_user, client_for
):
    walter = portal_login(make_user, resident)
    other = admit(given_name="Dana", family_name="Reyes")
    theirs = services.sign(
        staff["caseworker"],
        other,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    response = client_for(walter.user).post("/my-record/consents/", {"consent": theirs.pk})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_staff_have_no_portal_consent_pages(resident, staff, client_for):
    document = publish(staff["program_director"])
    client = client_for(staff["caseworker"])
    assert client.get("/my-record/consents/").status_code == 404
    assert client.get(f"/my-record/consents/{document.pk}/").status_code == 404


def test_the_program_director_publishes_the_next_version(staff, client_for):
    director = staff["program_director"]
    document = publish(director)
    client = client_for(director)
    page = client.get("/consents/documents/?code=session-recording").content.decode()
    assert "Publish the next version of session-recording" in page and document.body in page

    response = client.post(
        "/consents/documents/",
        {
            "purpose": "recording",
            "code": "session-recording",
            "title": document.title,
            "body": "Recordings are kept for seven years.",
        },
    )
    assert response.status_code == 302
    latest = ConsentDocument.objects.filter(code="session-recording").latest("version")
    assert (latest.version, latest.body) == (2, "Recordings are kept for seven years.")


def test_a_refused_publication_keeps_what_was_typed(staff, client_for):
    response = client_for(staff["program_director"]).post(
        "/consents/documents/",
        {"purpose": "research", "code": "sleep-study", "title": "Sleep study", "body": "Text."},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Give the ethics-board approval reference." in page and "Sleep study" in page
    assert not ConsentDocument.objects.exists()


@pytest.mark.parametrize("who", ["supervisor", "caseworker", "contractor"])
def test_the_documents_page_is_the_program_directors(staff, client_for, who):
    assert client_for(staff[who]).get("/consents/documents/").status_code == 403
    assert Entry.objects.filter(
        actor=staff[who], action="consent.publish", outcome="denied"
    ).exists()
