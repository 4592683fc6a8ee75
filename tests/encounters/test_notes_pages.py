"""The note pages through the test client: list, new draft, editor with autosave (200 / 409 /
400), signing (a wrong secret keeps the text), the signed note with addenda beside it, release
decisions, co-signature, the resident's own notes, and refusals with their ledger entries."""

import pytest

from homecoming.accounts.models import Role
from homecoming.encounters import notes
from homecoming.encounters.models import Note, WithholdingReason
from tests.conftest import PASSWORD
from tests.support.notes import (
    DAP_TEXT,
    current_code,
    draft,
    entries,
    make_trainee,
    session_for,
    signed,
)

SCRIPT = {"HTTP_X_REQUESTED_WITH": "fetch"}


def _post_text(note, revision=None, **texts):
    data = {"note-revision": str(note.revision if revision is None else revision)}
    data.update({f"note-{k}": v for k, v in (texts or DAP_TEXT).items()})
    return data


@pytest.fixture
def resident_user(resident, make_user):
    user = make_user(Role.RESIDENT)
    resident.user = user
    resident.save(update_fields=["user"])
    return user


def test_the_list_shows_notes_and_the_write_form(resident, staff, client_for):
    signed(staff["clinician"], resident)
    draft(staff["caseworker"], resident, template="soap")
    page = client_for(staff["caseworker"]).get(f"/residents/{resident.pk}/notes/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Write a note" in text and "SOAP" in text and "DAP" in text
    assert "draft" in text and "signed" in text and "Clinician" in text


def test_the_list_hides_the_write_form_from_who_may_not_write(resident, staff, client_for):
    from homecoming.access import services as access

    access.open_break_glass(staff["clinician_other"], resident, "Found unresponsive in the hall")
    page = client_for(staff["clinician_other"]).get(f"/residents/{resident.pk}/notes/")
    assert page.status_code == 200 and "Write a note" not in page.content.decode()


def test_writing_a_note_opens_the_editor(resident, staff, client_for):
    client = client_for(staff["caseworker"])
    response = client.post(f"/residents/{resident.pk}/notes/new", {"template": "dap"})
    note = Note.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/notes/{note.pk}/"
    editor = client.get(response["Location"]).content.decode()
    for label in ("Data", "Assessment", "Plan", "Password or authenticator code", "Sign note"):
        assert label in editor
    assert 'for="id_note-data"' in editor and "drafts.js" in editor


def test_a_note_about_a_session(resident, staff, client_for):
    session = session_for(staff["caseworker"], resident)
    client = client_for(staff["caseworker"])
    form = client.get(f"/residents/{resident.pk}/notes/new?session={session.pk}")
    assert form.status_code == 200 and f"?session={session.pk}" in form.content.decode()
    client.post(f"/residents/{resident.pk}/notes/new?session={session.pk}", {"template": "soap"})
    assert Note.objects.get().session == session


def test_a_note_about_someone_elses_session_is_refused_with_400(resident, admit, staff, client_for):
    session = session_for(staff["caseworker"], admit(given_name="Other"))
    response = client_for(staff["caseworker"]).post(
        f"/residents/{resident.pk}/notes/new", {"template": "dap", "session": session.pk}
    )
    assert response.status_code == 400 and "was not at that session" in response.content.decode()
    assert not Note.objects.exists()


def test_autosave_answers_saved_at_with_the_new_revision(resident, staff, client_for):
    note = notes.start(staff["caseworker"], resident, "dap")
    response = client_for(staff["caseworker"]).post(
        f"/notes/{note.pk}/draft", _post_text(note), **SCRIPT
    )
    assert response.status_code == 200 and response["X-Note-Revision"] == "1"
    assert "Saved at" in response.content.decode()
    note.refresh_from_db()
    assert note.sections == DAP_TEXT


def test_autosave_conflict_is_a_409_and_keeps_the_stored_text(resident, staff, client_for):
    note = draft(staff["caseworker"], resident)
    notes.save_draft(staff["caseworker"], note, {"plan": "Saved in another tab."}, 1)
    response = client_for(staff["caseworker"]).post(
        f"/notes/{note.pk}/draft", _post_text(note, revision=1, plan="Typed here."), **SCRIPT
    )
    assert response.status_code == 409 and response["X-Note-Revision"] == "2"
    assert "changed in another window" in response.content.decode()
    note.refresh_from_db()
    assert note.sections["plan"] == "Saved in another tab."


def test_autosave_without_script_returns_to_the_editor_or_shows_the_conflict(
    resident, staff, client_for
):
    note = draft(staff["caseworker"], resident)
    client = client_for(staff["caseworker"])
    saved = client.post(f"/notes/{note.pk}/draft", _post_text(note, plan="Changed."))
    assert saved.status_code == 302 and saved["Location"] == f"/notes/{note.pk}/"
    conflict = client.post(f"/notes/{note.pk}/draft", _post_text(note, revision=1, plan="Mine."))
    assert conflict.status_code == 409
    assert "Mine." in conflict.content.decode()  # the typed text is on the page again


def test_autosave_of_a_signed_note_is_a_400(resident, staff, client_for):
    note = signed(staff["caseworker"], resident)
    response = client_for(staff["caseworker"]).post(
        f"/notes/{note.pk}/draft", _post_text(note, plan="Rewritten."), **SCRIPT
    )
    assert response.status_code == 400 and "Add an addendum instead" in response.content.decode()


def test_autosave_of_someone_elses_draft_is_refused(resident, staff, client_for):
    note = draft(staff["caseworker"], resident)
    response = client_for(staff["supervisor"]).post(
        f"/notes/{note.pk}/draft", _post_text(note, plan="Not mine."), **SCRIPT
    )
    assert response.status_code == 403
    assert entries(staff["supervisor"], "note.draft", "denied").count() == 1
    note.refresh_from_db()
    assert note.sections == DAP_TEXT


def test_autosave_of_an_unknown_note_is_a_404(staff, client_for, db):
    response = client_for(staff["caseworker"]).post("/notes/424242/draft", {}, **SCRIPT)
    assert response.status_code == 404
    assert entries(staff["caseworker"], "note.write", "denied").get().object_id == "424242"


def test_signing_saves_and_signs_exactly_the_posted_text(resident, staff, client_for):
    note = notes.start(staff["caseworker"], resident, "dap")
    data = _post_text(note) | {"sign-secret": PASSWORD}
    response = client_for(staff["caseworker"]).post(f"/notes/{note.pk}/sign", data)
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.is_signed and note.sections == DAP_TEXT


def test_signing_with_an_authenticator_code_on_the_page(resident, staff, client_for):
    note = draft(staff["caseworker"], resident)
    data = _post_text(note) | {"sign-secret": current_code(staff["caseworker"])}
    assert client_for(staff["caseworker"]).post(f"/notes/{note.pk}/sign", data).status_code == 302
    note.refresh_from_db()
    assert note.is_signed


def test_a_wrong_secret_is_a_400_that_keeps_the_typed_text(resident, staff, client_for):
    note = draft(staff["caseworker"], resident)
    data = _post_text(note, plan="Typed just before signing.") | {"sign-secret": "wrong one!"}
    response = client_for(staff["caseworker"]).post(f"/notes/{note.pk}/sign", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Typed just before signing." in page and "not your password" in page
    assert "wrong one!" not in page  # the secret is never echoed
    note.refresh_from_db()
    assert not note.is_signed and note.sections["plan"] == "Typed just before signing."
    assert f'name="note-revision" value="{note.revision}"' in page  # the next save fits
    assert entries(staff["caseworker"], "note.sign", "denied").count() == 1


def test_signing_with_empty_sections_names_them(resident, staff, client_for):
    note = notes.start(staff["caseworker"], resident, "dap")
    data = _post_text(note, data="Only data.", assessment="", plan="") | {"sign-secret": PASSWORD}
    response = client_for(staff["caseworker"]).post(f"/notes/{note.pk}/sign", data)
    page = response.content.decode()
    assert response.status_code == 400 and "Empty: Assessment, Plan." in page
    assert "Only data." in page


def test_signing_an_outdated_copy_is_a_409(resident, staff, client_for):
    note = draft(staff["caseworker"], resident)
    notes.save_draft(staff["caseworker"], note, {"plan": "Other tab."}, 1)
    data = _post_text(note, revision=1, plan="This tab.") | {"sign-secret": PASSWORD}
    response = client_for(staff["caseworker"]).post(f"/notes/{note.pk}/sign", data)
    assert response.status_code == 409 and "This tab." in response.content.decode()
    note.refresh_from_db()
    assert not note.is_signed


def test_the_signed_note_shows_addenda_beside_the_original(resident, staff, client_for):
    note = signed(staff["caseworker"], resident)
    client = client_for(staff["caseworker"])
    response = client.post(
        f"/notes/{note.pk}/addendum",
        {"addendum-reason": "Correction", "addendum-text": "Three nightmares, not two."},
    )
    # Signed like a note: without the password or code, refused with the text kept.
    assert response.status_code == 400
    assert "Sign the addendum with your password" in response.content.decode()
    assert "Three nightmares, not two." in response.content.decode()
    response = client.post(
        f"/notes/{note.pk}/addendum",
        {
            "addendum-reason": "Correction",
            "addendum-text": "Three nightmares, not two.",
            "addendum-secret": PASSWORD,
        },
    )
    assert response.status_code == 302
    page = client.get(f"/notes/{note.pk}/").content.decode()
    assert "Reports two nightmares this week." in page  # the original stays
    assert "Three nightmares, not two." in page and "Correction" in page
    assert page.index("Original note") < page.index("Addenda") < page.index("Three nightmares")
    assert "Add addendum" in page and "Sign note" not in page


def test_an_addendum_without_a_reason_is_a_400_with_the_text_kept(resident, staff, client_for):
    note = signed(staff["caseworker"], resident)
    response = client_for(staff["caseworker"]).post(
        f"/notes/{note.pk}/addendum", {"addendum-reason": "", "addendum-text": "Kept text."}
    )
    assert response.status_code == 400 and "Kept text." in response.content.decode()


def test_withholding_and_releasing_on_the_page(resident, staff, client_for):
    note = signed(staff["caseworker"], resident)
    client = client_for(staff["clinician"])
    withheld = client.post(
        f"/notes/{note.pk}/release",
        {
            "decision": "withhold",
            "withhold-reason": WithholdingReason.RISK_OF_HARM,
            "withhold-explanation": "Acute crisis this week.",
        },
    )
    assert withheld.status_code == 302 and notes.is_withheld(note)
    page = client.get(f"/notes/{note.pk}/").content.decode()
    assert "withheld from the resident" in page and "Acute crisis this week." in page
    assert "likely to cause serious harm" in page and "Release to the resident" in page
    client.post(f"/notes/{note.pk}/release", {"decision": "release", "release-explanation": ""})
    assert not notes.is_withheld(note)


def test_withholding_without_a_documented_reason_is_a_400(resident, staff, client_for):
    note = signed(staff["caseworker"], resident)
    response = client_for(staff["clinician"]).post(
        f"/notes/{note.pk}/release",
        {"decision": "withhold", "withhold-reason": "other", "withhold-explanation": "Because."},
    )
    assert response.status_code == 400 and "Because." in response.content.decode()
    assert not notes.is_withheld(note)


def test_a_caseworker_cannot_withhold(resident, staff, client_for):
    note = signed(staff["caseworker"], resident)
    client = client_for(staff["caseworker"])
    assert "Withhold from the resident" not in client.get(f"/notes/{note.pk}/").content.decode()
    response = client.post(
        f"/notes/{note.pk}/release",
        {"decision": "withhold", "withhold-reason": "risk_of_harm", "withhold-explanation": "X"},
    )
    assert response.status_code == 403
    assert entries(staff["caseworker"], "note.release", "denied").count() == 1


def test_cosigning_on_the_page(resident, staff, client_for):
    make_trainee(staff["caseworker"])
    note = signed(staff["caseworker"], resident)
    client = client_for(staff["supervisor"])
    queue = client.get("/notes/awaiting-cosignature/").content.decode()
    assert f"/notes/{note.pk}/" in queue and "Walter Cruz" in queue
    wrong = client.post(f"/notes/{note.pk}/cosign", {"cosign-secret": "nope nope nope"})
    assert wrong.status_code == 400
    right = client.post(f"/notes/{note.pk}/cosign", {"cosign-secret": PASSWORD})
    assert right.status_code == 302
    assert "Co-signed by" in client.get(f"/notes/{note.pk}/").content.decode()
    assert f"/notes/{note.pk}/" not in client.get("/notes/awaiting-cosignature/").content.decode()


def test_a_clinician_cannot_cosign_or_see_the_queue(resident, staff, client_for):
    make_trainee(staff["caseworker"])
    note = signed(staff["caseworker"], resident)
    client = client_for(staff["clinician"])
    assert "Co-sign note" not in client.get(f"/notes/{note.pk}/").content.decode()
    assert client.post(f"/notes/{note.pk}/cosign", {"cosign-secret": PASSWORD}).status_code == 403
    assert client.get("/notes/awaiting-cosignature/").status_code == 403
    assert entries(staff["clinician"], "note.cosign", "denied").count() == 2


def test_someone_elses_draft_is_forbidden(resident, staff, client_for):
    note = draft(staff["caseworker"], resident)
    client = client_for(staff["supervisor"])
    assert client.get(f"/notes/{note.pk}/").status_code == 403
    data = _post_text(note) | {"sign-secret": PASSWORD}
    assert client.post(f"/notes/{note.pk}/sign", data).status_code == 403
    note.refresh_from_db()
    assert not note.is_signed


def test_the_resident_reads_their_released_notes(resident, staff, client_for, resident_user):
    shown = signed(staff["caseworker"], resident)
    notes.add_addendum(staff["caseworker"], shown, "Correction", "Three nightmares.", PASSWORD)
    hidden = signed(staff["caseworker"], resident, text={**DAP_TEXT, "plan": "SECRET PLAN"})
    notes.withhold(staff["clinician"], hidden, WithholdingReason.RISK_OF_HARM, "SECRET WHY")
    draft(staff["caseworker"], resident, text={**DAP_TEXT, "plan": "DRAFT PLAN"})
    client = client_for(resident_user)
    page = client.get("/my-record/notes/").content.decode()
    assert "Three nightmares." in page and DAP_TEXT["plan"] in page
    for hidden_text in ("SECRET PLAN", "SECRET WHY", "DRAFT PLAN", "withheld"):
        assert hidden_text not in page
    assert client.get(f"/notes/{shown.pk}/").status_code == 200
    assert client.get(f"/notes/{hidden.pk}/").status_code == 403
    assert client.get(f"/residents/{resident.pk}/notes/")["Location"] == "/my-record/notes/"


def test_the_resident_gets_no_draft_and_writes_nothing(resident, staff, client_for, resident_user):
    note = draft(staff["caseworker"], resident)
    client = client_for(resident_user)
    assert client.get(f"/notes/{note.pk}/").status_code == 403
    response = client.post(f"/residents/{resident.pk}/notes/new", {"template": "dap"})
    assert response.status_code == 403
    assert entries(resident_user, "note.write", "denied").count() == 1


@pytest.mark.parametrize("who", ["caseworker_other", "contractor"])
def test_outside_the_care_team_pages_are_forbidden(resident, staff, client_for, who):
    note = signed(staff["caseworker"], resident)
    client = client_for(staff[who])
    assert client.get(f"/residents/{resident.pk}/notes/").status_code == 403
    assert client.get(f"/notes/{note.pk}/").status_code == 403
    response = client.post(f"/residents/{resident.pk}/notes/new", {"template": "dap"})
    assert response.status_code == 403
    assert entries(staff[who], outcome="denied").count() == 3
    assert "Reports two nightmares" not in client.get(f"/notes/{note.pk}/").content.decode()


def test_unknown_ids_are_404(staff, client_for, db):
    client = client_for(staff["supervisor"])
    assert client.get("/notes/999999/").status_code == 404
    assert client.get("/residents/999999/notes/").status_code == 404
    assert client.post("/residents/999999/notes/new", {"template": "dap"}).status_code == 404


def test_the_partials_for_the_chart_and_the_residents_record(resident, staff, resident_user):
    from django.template.loader import render_to_string

    from homecoming.encounters import notes_selectors

    note = signed(staff["caseworker"], resident)
    notes.add_addendum(staff["caseworker"], note, "Correction", "Three nightmares.", PASSWORD)
    draft(staff["caseworker"], resident)
    chart = render_to_string(
        "encounters/notes/_chart_section.html",
        {"notes": notes_selectors.notes_for(staff["caseworker"], resident.pk, limit=5)}
        | {"can_write_note": True},
    )
    assert f"/notes/{note.pk}/" in chart and "Continue the draft" in chart
    assert f"/residents/{resident.pk}/notes/new" in chart
    portal = render_to_string(
        "encounters/notes/_my_record_section.html",
        {"my_notes": notes_selectors.notes_for(resident_user, resident.pk, limit=3)},
    )
    assert f"/notes/{note.pk}/" in portal and "1 addendum" in portal
    assert "/my-record/notes/" in portal


def test_a_post_without_some_textareas_does_not_empty_them(resident, staff, client_for):
    note = draft(staff["caseworker"], resident)
    response = client_for(staff["caseworker"]).post(
        f"/notes/{note.pk}/draft", {"note-revision": "1", "note-plan": "Only the plan."}, **SCRIPT
    )
    assert response.status_code == 200
    note.refresh_from_db()
    assert note.sections == {**DAP_TEXT, "plan": "Only the plan."}
