"""Notes: drafts, signing with a confirmed identity, co-signature, addenda and release decisions;
a signed note is final in the service and in the database; every refusal is on the ledger."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from homecoming.access.policy import AccessDenied
from homecoming.accounts.models import Role
from homecoming.alerts.models import Alert
from homecoming.encounters import notes
from homecoming.encounters.models import (
    Addendum,
    CoSignature,
    Note,
    NoteRelease,
    SessionStatus,
    WithholdingReason,
)
from homecoming.ledger import dbcheck
from homecoming.ledger.canonical import canonical_json, sha256_hex
from homecoming.ledger.models import Entry
from tests.conftest import PASSWORD
from tests.support.notes import (
    DAP_TEXT,
    current_code,
    draft,
    entries,
    make_trainee,
    matches_latest_version,
    session_for,
    signed,
)

# Starting a note


def test_start_makes_an_empty_draft_of_the_template(resident, staff):
    note = notes.start(staff["caseworker"], resident, "soap")
    assert note.sections == {"subjective": "", "objective": "", "assessment": "", "plan": ""}
    assert (note.author, note.revision, note.is_signed) == (staff["caseworker"], 0, False)
    entry = entries(staff["caseworker"], "note.start").get()
    assert (entry.resident_id, entry.object_id, entry.purpose) == (
        resident.pk,
        str(note.pk),
        "care",
    )
    assert matches_latest_version(note)


def test_start_refuses_an_unknown_template(resident, staff):
    with pytest.raises(ValidationError) as exc:
        notes.start(staff["caseworker"], resident, "freeform")
    assert "template" in exc.value.message_dict
    assert not Note.objects.exists()


def test_a_note_can_be_about_a_session_the_resident_attended(resident, staff):
    session = session_for(staff["caseworker"], resident)
    note = notes.start(staff["caseworker"], resident, "dap", session)
    assert note.session == session


def test_not_about_a_session_without_the_resident(resident, admit, staff):
    other = admit(given_name="Other")
    session = session_for(staff["caseworker"], other)
    with pytest.raises(ValidationError) as exc:
        notes.start(staff["caseworker"], resident, "dap", session)
    assert "session" in exc.value.message_dict


def test_not_about_a_cancelled_session(resident, staff):
    session = session_for(staff["caseworker"], resident, status=SessionStatus.CANCELLED)
    with pytest.raises(ValidationError) as exc:
        notes.start(staff["caseworker"], resident, "dap", session)
    assert "cancelled" in exc.value.message_dict["session"][0]


# Saving drafts


def test_saving_a_draft_bumps_the_revision_with_a_version(resident, staff):
    note = notes.start(staff["caseworker"], resident, "dap")
    note = notes.save_draft(staff["caseworker"], note, {"data": "Slept well."}, 0)
    assert note.revision == 1 and note.sections["data"] == "Slept well."
    assert note.sections["plan"] == ""  # sections not sent are kept, not emptied
    assert entries(staff["caseworker"], "note.draft").count() == 1
    assert matches_latest_version(note)


def test_an_unchanged_save_writes_nothing(resident, staff):
    note = draft(staff["caseworker"], resident)
    before = Entry.objects.count()
    again = notes.save_draft(staff["caseworker"], note, dict(DAP_TEXT), note.revision)
    assert again.revision == note.revision and Entry.objects.count() == before


def test_line_endings_from_forms_and_scripts_are_the_same_text(resident, staff):
    note = draft(staff["caseworker"], resident)
    before = Entry.objects.count()
    crlf = {k: v.replace("\n", "\r\n") for k, v in DAP_TEXT.items()}
    assert notes.save_draft(staff["caseworker"], note, crlf, note.revision).revision == 1
    assert Entry.objects.count() == before


def test_a_save_based_on_an_old_revision_is_a_conflict(resident, staff):
    note = draft(staff["caseworker"], resident)  # revision 1
    stale = Note.objects.get(pk=note.pk)
    notes.save_draft(staff["caseworker"], note, {"plan": "From the other tab."}, 1)
    with pytest.raises(notes.DraftConflict) as exc:
        notes.save_draft(staff["caseworker"], stale, {"plan": "From this tab."}, 1)
    assert isinstance(exc.value, ValidationError) and exc.value.revision == 2
    note.refresh_from_db()
    assert note.sections["plan"] == "From the other tab." and note.revision == 2


def test_a_stale_copy_with_the_stored_text_is_no_conflict(resident, staff):
    note = draft(staff["caseworker"], resident)
    notes.save_draft(staff["caseworker"], note, {"plan": "Newer."}, 1)
    same = notes.save_draft(staff["caseworker"], note, {"plan": "Newer."}, 1)
    assert same.revision == 2  # the server already holds this text: nothing to refuse


def test_unknown_sections_are_refused(resident, staff):
    note = notes.start(staff["caseworker"], resident, "dap")
    with pytest.raises(ValidationError) as exc:
        notes.save_draft(staff["caseworker"], note, {"subjective": "SOAP only"}, 0)
    assert "subjective" in exc.value.message_dict["sections"][0]
    note.refresh_from_db()
    assert note.revision == 0


def test_only_the_author_edits_a_draft(resident, staff):
    note = draft(staff["caseworker"], resident)
    for who in ("supervisor", "clinician"):
        with pytest.raises(AccessDenied):
            notes.save_draft(staff[who], note, {"plan": "Not mine."}, note.revision)
        denied = entries(staff[who], "note.draft", "denied").get()
        assert denied.object_id == str(note.pk) and denied.resident_id == resident.pk
    note.refresh_from_db()
    assert note.sections == DAP_TEXT


# Signing


def test_signing_with_the_password(resident, staff):
    note = notes.sign(staff["caseworker"], draft(staff["caseworker"], resident), PASSWORD)
    assert note.is_signed and not note.needs_cosignature
    assert note.signed_sha256 == sha256_hex(canonical_json(DAP_TEXT))
    entry = entries(staff["caseworker"], "note.sign").get()
    assert entry.outcome == "allowed" and entry.object_id == str(note.pk)
    assert matches_latest_version(note)


def test_signing_with_an_authenticator_code(resident, staff):
    caseworker = staff["caseworker"]
    note = notes.sign(caseworker, draft(caseworker, resident), current_code(caseworker))
    assert note.is_signed


def test_a_wrong_secret_is_refused_and_recorded(resident, staff):
    note = draft(staff["caseworker"], resident)
    with pytest.raises(ValidationError) as exc:
        notes.sign(staff["caseworker"], note, "not my password at all")
    assert "secret" in exc.value.message_dict
    note.refresh_from_db()
    assert not note.is_signed and note.sections == DAP_TEXT
    denied = entries(staff["caseworker"], "note.sign", "denied").get()
    assert denied.object_id == str(note.pk)


def test_every_section_needs_text_and_the_refusal_names_the_empty_ones(resident, staff):
    note = draft(staff["caseworker"], resident, text={"data": "Only data.", "plan": "   "})
    with pytest.raises(ValidationError) as exc:
        notes.sign(staff["caseworker"], note, PASSWORD)
    message = exc.value.message_dict["sections"][0]
    assert "Assessment" in message and "Plan" in message and "Data" not in message
    note.refresh_from_db()
    assert not note.is_signed


def test_only_the_author_signs(resident, staff):
    note = draft(staff["caseworker"], resident)
    with pytest.raises(AccessDenied):
        notes.sign(staff["supervisor"], note, PASSWORD)
    assert entries(staff["supervisor"], "note.sign", "denied").count() == 1
    note.refresh_from_db()
    assert not note.is_signed


def test_signing_a_revision_that_is_not_the_stored_one_is_refused(resident, staff):
    note = draft(staff["caseworker"], resident)
    with pytest.raises(notes.DraftConflict):
        notes.sign(staff["caseworker"], note, PASSWORD, revision=note.revision - 1)
    note.refresh_from_db()
    assert not note.is_signed


def test_a_trainees_note_needs_cosignature_and_supervisors_are_alerted(resident, staff):
    caseworker = staff["caseworker"]
    make_trainee(caseworker)
    note = signed(caseworker, resident)
    assert note.needs_cosignature
    alert = Alert.objects.get(recipient=staff["supervisor"])
    assert alert.kind == "note.cosign" and alert.resident_id == resident.pk
    assert not Alert.objects.filter(recipient=staff["program_director"]).exists()


# A signed note is final


def test_the_service_refuses_changes_to_a_signed_note(resident, staff):
    note = signed(staff["caseworker"], resident)
    with pytest.raises(ValidationError) as exc:
        notes.save_draft(staff["caseworker"], note, {"plan": "Rewritten."}, note.revision)
    assert exc.value.messages == [notes.SIGNED_IS_FINAL]
    with pytest.raises(ValidationError):
        notes.sign(staff["caseworker"], note, PASSWORD)
    note.refresh_from_db()
    assert note.sections == DAP_TEXT


def test_the_database_refuses_changes_to_a_signed_note(resident, staff):
    note = signed(staff["caseworker"], resident)
    with pytest.raises(DatabaseError), transaction.atomic():
        Note.objects.filter(pk=note.pk).update(sections={"plan": "Rewritten."})
    with pytest.raises(DatabaseError), transaction.atomic():
        Note.objects.filter(pk=note.pk).update(signed_at=None)
    with pytest.raises(DatabaseError), transaction.atomic():
        Note.objects.filter(pk=note.pk).delete()
    note.refresh_from_db()
    assert note.sections == DAP_TEXT and note.is_signed


def test_the_database_lets_a_draft_change_but_never_be_deleted(resident, staff):
    note = draft(staff["caseworker"], resident)
    Note.objects.filter(pk=note.pk).update(revision=5)  # drafts are working copies
    with pytest.raises(DatabaseError), transaction.atomic():
        Note.objects.filter(pk=note.pk).delete()


def test_the_database_refuses_changes_to_addenda_and_decisions(resident, staff):
    note = signed(staff["caseworker"], resident)
    addendum = notes.add_addendum(staff["caseworker"], note, "Late information", "More.", PASSWORD)
    decision = notes.withhold(
        staff["clinician"], note, WithholdingReason.THIRD_PARTY, "Names the resident's brother."
    )
    for model, pk, change in (
        (Addendum, addendum.pk, {"text": "Quietly rewritten."}),
        (NoteRelease, decision.pk, {"withheld": False}),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            model.objects.filter(pk=pk).update(**change)
        with pytest.raises(DatabaseError), transaction.atomic():
            model.objects.filter(pk=pk).delete()
    addendum.refresh_from_db()
    assert addendum.text == "More."


# Co-signature


@pytest.fixture
def trainee_note(resident, staff):
    make_trainee(staff["caseworker"])
    return signed(staff["caseworker"], resident)


def test_a_supervisor_cosigns_once(trainee_note, staff):
    cosignature = notes.cosign(staff["supervisor"], trainee_note, PASSWORD)
    assert cosignature.cosigner == staff["supervisor"]
    assert entries(staff["supervisor"], "note.cosign").get().outcome == "allowed"
    with pytest.raises(ValidationError):
        notes.cosign(staff["program_director"], trainee_note, PASSWORD)
    assert CoSignature.objects.count() == 1


def test_the_program_director_may_cosign(trainee_note, staff):
    notes.cosign(staff["program_director"], trainee_note, current_code(staff["program_director"]))
    assert CoSignature.objects.filter(note=trainee_note).exists()


def test_cosigning_needs_the_cosigners_identity(trainee_note, staff):
    with pytest.raises(ValidationError) as exc:
        notes.cosign(staff["supervisor"], trainee_note, "wrong password, clearly")
    assert "secret" in exc.value.message_dict
    assert entries(staff["supervisor"], "note.cosign", "denied").count() == 1
    assert not CoSignature.objects.exists()


@pytest.mark.parametrize("who", ["clinician", "caseworker_other", "resident_user", "contractor"])
def test_who_may_not_cosign(trainee_note, staff, make_user, who):
    actor = make_user(Role.RESIDENT) if who == "resident_user" else staff[who]
    with pytest.raises(AccessDenied):
        notes.cosign(actor, trainee_note, PASSWORD)
    assert entries(actor, "note.cosign", "denied").count() == 1
    assert not CoSignature.objects.exists()


def test_nobody_cosigns_their_own_note(resident, staff):
    supervisor = staff["supervisor"]
    make_trainee(supervisor)
    note = signed(supervisor, resident)
    with pytest.raises(AccessDenied):
        notes.cosign(supervisor, note, PASSWORD)
    assert entries(supervisor, "note.cosign", "denied").count() == 1


def test_only_signed_notes_that_need_it_are_cosigned(resident, staff):
    with pytest.raises(ValidationError):
        notes.cosign(staff["supervisor"], signed(staff["caseworker"], resident), PASSWORD)
    with pytest.raises(ValidationError):
        notes.cosign(staff["supervisor"], draft(staff["caseworker"], resident), PASSWORD)
    assert not CoSignature.objects.exists()


# Addenda


def test_an_addendum_keeps_who_when_why_beside_the_original(resident, staff):
    note = signed(staff["caseworker"], resident)
    addendum = notes.add_addendum(
        staff["clinician"], note, "Correction", "The nightmares were three, not two.", PASSWORD
    )
    assert (addendum.author, addendum.reason) == (staff["clinician"], "Correction")
    assert addendum.written_at >= note.signed_at
    note.refresh_from_db()
    assert note.sections == DAP_TEXT
    entry = entries(staff["clinician"], "note.addendum").get()
    assert entry.resident_id == note.resident_id and matches_latest_version(addendum)


def test_an_addendum_needs_a_reason_and_text(resident, staff):
    note = signed(staff["caseworker"], resident)
    with pytest.raises(ValidationError) as exc:
        notes.add_addendum(staff["caseworker"], note, "  ", "", "")
    assert set(exc.value.message_dict) == {"reason", "text", "secret"}
    assert not Addendum.objects.exists()


def test_a_draft_takes_no_addendum(resident, staff):
    with pytest.raises(ValidationError):
        notes.add_addendum(
            staff["caseworker"], draft(staff["caseworker"], resident), "Why", "X", PASSWORD
        )
    assert not Addendum.objects.exists()


@pytest.mark.parametrize("who", ["caseworker_other", "clinician_other", "contractor", "oversight"])
def test_who_may_not_add_an_addendum(resident, staff, who):
    note = signed(staff["caseworker"], resident)
    with pytest.raises(AccessDenied):
        notes.add_addendum(staff[who], note, "Why", "Text", PASSWORD)
    denied = entries(staff[who], "note.addendum", "denied").get()
    assert denied.resident_id == resident.pk
    assert not Addendum.objects.exists()


# Release to the resident


def test_withholding_records_the_documented_reason(resident, staff):
    note = signed(staff["caseworker"], resident)
    decision = notes.withhold(
        staff["clinician"], note, WithholdingReason.RISK_OF_HARM, "Acute crisis this week."
    )
    assert decision.withheld and decision.reason == "risk_of_harm"
    assert notes.is_withheld(note)
    entry = entries(staff["clinician"], "note.withhold").get()
    assert entry.object_id == str(decision.pk) and matches_latest_version(decision)


def test_releasing_again_keeps_the_history(resident, staff):
    note = signed(staff["caseworker"], resident)
    notes.withhold(staff["clinician"], note, WithholdingReason.THIRD_PARTY, "Names a friend.")
    notes.release(staff["supervisor"], note, "The friend agreed.")
    assert not notes.is_withheld(note)
    assert list(note.release_decisions.values_list("withheld", flat=True)) == [True, False]
    assert entries(staff["supervisor"], "note.release").count() == 1


def test_withholding_needs_a_documented_reason_and_an_explanation(resident, staff):
    note = signed(staff["caseworker"], resident)
    with pytest.raises(ValidationError) as exc:
        notes.withhold(staff["clinician"], note, "it is embarrassing", "")
    assert set(exc.value.message_dict) == {"reason", "explanation"}
    assert not NoteRelease.objects.exists()


def test_no_decision_that_changes_nothing(resident, staff):
    note = signed(staff["caseworker"], resident)
    with pytest.raises(ValidationError):
        notes.release(staff["clinician"], note)  # signed notes are already visible
    notes.withhold(staff["clinician"], note, WithholdingReason.RISK_OF_HARM, "Crisis.")
    with pytest.raises(ValidationError):
        notes.withhold(staff["clinician"], note, WithholdingReason.THIRD_PARTY, "Again.")
    assert NoteRelease.objects.count() == 1


def test_drafts_have_no_release_decision(resident, staff):
    note = draft(staff["caseworker"], resident)
    with pytest.raises(ValidationError):
        notes.withhold(staff["clinician"], note, WithholdingReason.RISK_OF_HARM, "Crisis.")


@pytest.mark.parametrize("who", ["caseworker", "clinician_other", "contractor"])
def test_who_may_not_withhold(resident, staff, who):
    note = signed(staff["caseworker"], resident)
    with pytest.raises(AccessDenied):
        notes.withhold(staff[who], note, WithholdingReason.RISK_OF_HARM, "Crisis.")
    assert entries(staff[who], "note.release", "denied").count() == 1
    assert not NoteRelease.objects.exists()


# Who may write at all


@pytest.mark.parametrize("who", ["caseworker_other", "clinician_other", "contractor", "sysadmin"])
def test_who_may_not_start_a_note(resident, staff, who):
    with pytest.raises(AccessDenied):
        notes.start(staff[who], resident, "dap")
    denied = entries(staff[who], "note.write", "denied").get()
    assert denied.resident_id == resident.pk
    assert not Note.objects.exists()


def test_a_resident_writes_no_notes_even_on_their_own_record(resident, make_user):
    user = make_user(Role.RESIDENT)
    resident.user = user
    resident.save(update_fields=["user"])
    with pytest.raises(AccessDenied):
        notes.start(user, resident, "dap")
    assert entries(user, "note.write", "denied").count() == 1


def test_a_clinician_and_a_supervisor_write_notes_too(resident, staff):
    for who, purpose in (("clinician", "care"), ("supervisor", "supervision")):
        note = signed(staff[who], resident)
        assert entries(staff[who], "note.sign").get().purpose == purpose
        assert note.author == staff[who]


def test_a_caseworker_who_left_the_team_cannot_save_their_draft(resident, staff):
    note = draft(staff["caseworker"], resident)
    from homecoming.residents import services as residents

    residents.assign_care_team(
        staff["supervisor"], resident, "primary_caseworker", staff["caseworker_other"]
    )
    with pytest.raises(AccessDenied):
        notes.save_draft(staff["caseworker"], note, {"plan": "Late."}, note.revision)
    assert entries(staff["caseworker"], "note.write", "denied").count() == 1


def test_every_row_written_equals_its_latest_version(resident, staff, ledger_key):
    make_trainee(staff["caseworker"])
    note = signed(staff["caseworker"], resident, session=session_for(staff["caseworker"], resident))
    notes.cosign(staff["supervisor"], note, PASSWORD)
    notes.add_addendum(staff["clinician"], note, "Late information", "Called his sister.", PASSWORD)
    notes.withhold(staff["clinician"], note, WithholdingReason.THIRD_PARTY, "Names his sister.")
    notes.release(staff["clinician"], note, "She agreed.")
    draft(staff["caseworker"], resident)
    report = dbcheck.check()
    assert report.ok, report.problems
