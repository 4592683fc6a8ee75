"""Complaints: filed in the portal, by staff, or through the public form with a receipt; who may
read and handle them; named staff never learn who complained; nothing is ever deleted; the
complainant follows it up and reads the outcome."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from homecoming.access.policy import AccessDenied
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry
from homecoming.oversight import complaints, selectors
from homecoming.oversight.models import Attachment, Complaint, ComplaintEvent

from .conftest import PDF, filing, picture, stored_files


def test_a_resident_files_in_the_portal_and_the_handlers_are_told(own, staff):
    complaint = complaints.file_own(own.user, filing(named_staff=[staff["supervisor"]]))
    assert complaint.reference.startswith("HC-") and complaint.status == "received"
    assert complaint.resident == own and complaint.filed_via == "portal"
    told = set(Alert.objects.filter(kind="complaint").values_list("recipient__role", flat=True))
    assert told == {"program_director", "oversight"}  # the supervisor is named: not told
    assert Entry.objects.filter(action="complaint.file", resident_id=own.pk).exists()


def test_the_public_files_anonymously_and_follows_up_with_the_receipt(staff):
    complaint, passphrase = complaints.file_public(filing(subject="My brother vanished"))
    assert complaint.filed_by is None and complaint.complainant_name == ""
    assert passphrase not in complaint.passphrase_hash and len(passphrase) == 19
    typed = passphrase.lower().replace("-", " ")  # as a person might type it
    assert complaints.open_with_receipt(complaint.reference.lower(), typed) == complaint
    with pytest.raises(ValidationError, match="do not match"):
        complaints.open_with_receipt(complaint.reference, "WRONG-WRON-GWRO-NGWR")
    complaints.write(None, complaint, "Any news? It has been a week.")
    view = selectors.with_receipt(complaint)
    assert [e.body for e in view.events if e.kind == "message"] == ["Any news? It has been a week."]
    assert view.complainant == "anonymous; public form"


def test_five_wrong_passphrases_lock_the_receipt_for_a_while(staff):
    complaint, passphrase = complaints.file_public(filing())
    for _ in range(5):
        with pytest.raises(ValidationError, match="do not match"):
            complaints.open_with_receipt(complaint.reference, "not it")
    with pytest.raises(ValidationError, match="Too many wrong tries"):
        complaints.open_with_receipt(complaint.reference, passphrase)
    assert Entry.objects.filter(action="complaint.follow_up", outcome="denied").count() == 5


def test_staff_named_in_a_complaint_never_learn_who_made_it(own, staff):
    complaint = complaints.file_own(
        own.user, filing(named_staff=[staff["supervisor"]], files=[picture()])
    )
    named = selectors.complaint_for(staff["supervisor"], complaint.pk)
    assert named.complainant == selectors.WITHHELD and not named.may_handle
    assert not named.attachments_shown
    director = selectors.complaint_for(staff["program_director"], complaint.pk)
    assert director.complainant == "Walter Cruz (resident, in the portal)" and director.may_handle
    attachment = Attachment.objects.get()
    with pytest.raises(AccessDenied):
        selectors.attachment_for(staff["supervisor"], attachment.pk)
    with pytest.raises(AccessDenied, match="named in this complaint"):
        complaints.move(staff["supervisor"], complaint, "acknowledged")
    with pytest.raises(AccessDenied):
        complaints.write(staff["supervisor"], complaint, "This is all untrue.")
    with pytest.raises(ValidationError, match="is named in this complaint"):
        complaints.assign(staff["program_director"], complaint, staff["supervisor"])


def test_staff_named_in_a_complaint_do_not_read_the_handlers_notes(own, staff):
    """The supervisor a complaint names is also a handler by role: he reads the complaint (blind
    to who made it) but not the notes the handlers keep among themselves about him."""
    complaint = complaints.file_own(own.user, filing(named_staff=[staff["supervisor"]]))
    complaints.write(
        staff["program_director"],
        complaint,
        "Asked the night staff what they saw; the logs are being kept.",
        for_staff_only=True,
    )
    complaints.write(staff["program_director"], complaint, "We are looking into this now.")

    def bodies(user):
        return [e.body for e in selectors.complaint_for(user, complaint.pk).events if e.body]

    assert "We are looking into this now." in bodies(staff["supervisor"])
    assert not any("night staff" in b for b in bodies(staff["supervisor"]))
    assert any("night staff" in b for b in bodies(staff["program_director"]))


@pytest.mark.parametrize(
    "who", ["caseworker", "clinician", "contractor", "sysadmin", "investigator"]
)
def test_only_handlers_and_the_complainant_read_a_complaint(own, staff, who):
    complaint = complaints.file_own(own.user, filing())
    with pytest.raises(AccessDenied):
        selectors.complaint_for(staff[who], complaint.pk)
    with pytest.raises(AccessDenied):
        selectors.handled_complaints(staff[who])
    assert Entry.objects.filter(actor=staff[who], outcome="denied").count() == 2
    assert selectors.complaint_for(own.user, complaint.pk).as_complainant


def test_another_resident_cannot_read_or_file_as_someone_else(own, admit, make_user, staff):
    from tests.consents.helpers import portal_login

    complaint = complaints.file_own(own.user, filing())
    other = portal_login(make_user, admit(given_name="Dana", family_name="Reyes"))
    with pytest.raises(AccessDenied):
        selectors.complaint_for(other.user, complaint.pk)
    with pytest.raises(ValidationError, match="Only a resident"):
        complaints.file_own(staff["caseworker"], filing())


def test_a_complaint_moves_only_along_its_states_and_resolves_with_an_outcome(own, staff):
    complaint = complaints.file_own(own.user, filing())
    director = staff["program_director"]
    with pytest.raises(ValidationError, match="cannot become resolved"):
        complaints.move(director, complaint, "resolved", outcome="x" * 30)
    complaints.assign(director, complaint, staff["oversight"])
    complaints.move(director, complaint, "investigating", note="We are reading the records.")
    with pytest.raises(ValidationError) as refused:
        complaints.move(director, complaint, "resolved", outcome="Done.")
    assert "outcome" in refused.value.message_dict
    complaints.move(
        director,
        complaint,
        "resolved",
        outcome="The note was changed after signing; the supervisor is suspended.",
    )
    complaints.move(director, complaint, "closed")
    complaint.refresh_from_db()
    assert complaint.status == "closed" and "suspended" in complaint.outcome
    seen = selectors.complaint_for(own.user, complaint.pk)
    assert [e.get_kind_display() for e in seen.events] == [
        "Filed",
        "Status changed",
        "Status changed",
        "Status changed",
    ]  # the assignment is for staff; status changes and the outcome are the complainant's
    with pytest.raises(ValidationError, match="closed"):
        complaints.write(own.user, complaint, "Thank you.")


def test_attachments_are_checked_by_content_and_size_and_nothing_half_stays(
    own, staff, media, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 not a picture at all" * 10)
    with pytest.raises(ValidationError, match="“photo.png” is not a document or picture we accept"):
        complaints.file_own(own.user, filing(files=[fake]))
    settings.HOMECOMING_ATTACHMENT_MAX_MB = 0
    with pytest.raises(ValidationError, match="at most 0 MB"):
        complaints.file_own(own.user, filing(files=[picture()]))
    assert not Complaint.objects.exists() and stored_files(media) == []
    settings.HOMECOMING_ATTACHMENT_MAX_MB = 10
    pdf = SimpleUploadedFile("statement.pdf", PDF)
    complaint = complaints.file_own(own.user, filing(files=[picture(), pdf]))
    kinds = sorted(complaint.attachments.values_list("content_type", flat=True))
    assert kinds == ["application/pdf", "image/png"] and len(stored_files(media)) == 2


def test_a_complaint_and_its_history_are_never_deleted_or_rewritten(own, staff):
    complaint = complaints.file_own(own.user, filing())
    for sql in (
        "DELETE FROM oversight_complaint",
        "UPDATE oversight_complaint SET body = 'nothing happened'",
        "DELETE FROM oversight_complaintevent",
        "UPDATE oversight_complaintevent SET body = 'rewritten'",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert Complaint.objects.count() == 1 and ComplaintEvent.objects.count() == 1
    assert complaint.events.get().kind == "filed"


def test_a_complainants_message_does_not_restart_the_timer_a_handlers_does(own, staff):
    complaint = complaints.file_own(own.user, filing())
    touched = complaint.touched_at
    complaints.write(own.user, complaint, "Please look at this soon.")
    complaint.refresh_from_db()
    assert complaint.touched_at == touched
    complaints.write(staff["program_director"], complaint, "We are on it.")
    complaint.refresh_from_db()
    assert complaint.touched_at > touched
    note = complaints.write(
        staff["program_director"], complaint, "Check the note versions.", for_staff_only=True
    )
    assert not note.visible_to_complainant
    assert note not in selectors.complaint_for(own.user, complaint.pk).events


def test_staff_file_complaints_and_never_about_themselves(staff):
    complaint = complaints.file_as_staff(
        staff["caseworker"], filing(named_staff=[staff["supervisor"]])
    )
    assert complaint.filed_via == "staff" and complaint.resident is None
    with pytest.raises(ValidationError, match="about someone else"):
        complaints.file_as_staff(staff["caseworker"], filing(named_staff=[staff["caseworker"]]))
    with pytest.raises(AccessDenied):
        complaints.file_as_staff(staff["oversight"], filing())


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"body": "short"}, "body"),
        ({"subject": "x" * 201}, "subject"),
    ],
)
def test_bad_filings_are_refused_with_the_field_named(staff, fields, field):
    with pytest.raises(ValidationError) as refused:
        complaints.file_public(filing(**fields))
    assert field in refused.value.message_dict and not Complaint.objects.exists()


def test_staff_named_in_the_complaints_own_words_are_named_too(staff):
    """The public form has no list of staff to choose from: whoever the words name by full
    name is named, and never learns who complained."""
    supervisor = staff["supervisor"]
    complaint, _ = complaints.file_public(
        filing(
            body=f"{supervisor.full_name.upper()} told my brother to stop complaining.",
            name="Ana Cruz",
            contact="ana@example.org",
        )
    )
    assert [n.user for n in complaint.named.all()] == [supervisor]
    view = selectors.complaint_for(supervisor, complaint.pk)
    assert view.complainant == selectors.WITHHELD and not view.may_handle
    assert "Ana Cruz" in selectors.complaint_for(staff["oversight"], complaint.pk).complainant


def test_a_complaint_with_the_oversight_body_moves_on_only_by_the_oversight_body(own, staff):
    complaint = complaints.file_own(own.user, filing())
    complaints.move(staff["program_director"], complaint, "referred")
    with pytest.raises(ValidationError, match="only the oversight body moves it on"):
        complaints.move(staff["program_director"], complaint, "investigating")
    complaints.write(staff["program_director"], complaint, "We have sent it on.")  # may write
    complaints.move(staff["oversight"], complaint, "investigating")


def test_named_staff_posting_handler_forms_are_refused_on_the_ledger(own, staff, client_for):
    complaint = complaints.file_own(own.user, filing(named_staff=[staff["supervisor"]]))
    client = client_for(staff["supervisor"])
    url = f"/complaints/{complaint.pk}/"
    assert client.post(url, {"do": "move", "status": "acknowledged"}).status_code == 403
    assign = {"do": "assign", "assignee": staff["supervisor"].pk}
    assert client.post(url, assign).status_code == 403
    refused = Entry.objects.filter(actor=staff["supervisor"], action="complaint.update")
    assert refused.filter(outcome="denied").count() == 2
    complaint.refresh_from_db()
    assert complaint.status == "received" and complaint.assignee is None
