"""Guards added after review: nothing about a resident shown before the policy allows it,
drafts kept from colleagues in the history views, and a limit on wrong signing secrets."""

import pytest
from django.utils import timezone

from homecoming.accounts import reauth
from homecoming.encounters import notes
from homecoming.encounters.models import NoteTemplate
from homecoming.ledger.models import Entry
from homecoming.timeline import selectors as history
from homecoming.timeline.selectors import DRAFT_HIDDEN

SECRET_TEXT = {"data": "Private working thoughts", "assessment": "", "plan": ""}


@pytest.mark.parametrize("who", ["contractor", "sysadmin", "caseworker_other", "oversight"])
def test_the_new_note_page_names_nobody_to_whom_it_is_refused(resident, staff, client_for, who):
    client = client_for(staff[who])
    for answer in (
        client.get(f"/residents/{resident.pk}/notes/new"),
        client.post(f"/residents/{resident.pk}/notes/new", {}),
        client.post(f"/residents/{resident.pk}/notes/new?session=abc", {"template": "dap"}),
    ):
        assert answer.status_code == 403
        assert resident.family_name.encode() not in answer.content
    denied = Entry.objects.filter(actor=staff[who], outcome="denied", resident=resident)
    assert denied.count() == 3


def test_a_bad_session_number_is_a_form_error_not_a_crash(resident, staff, client_for):
    client = client_for(staff["caseworker"])
    answer = client.post(f"/residents/{resident.pk}/notes/new?session=abc", {"template": "dap"})
    assert answer.status_code == 302  # no session: a note about the resident alone


def test_autosave_tells_an_outsider_nothing(resident, staff, client_for):
    note = notes.start(staff["caseworker"], resident, NoteTemplate.DAP)
    answer = client_for(staff["contractor"]).post(f"/notes/{note.pk}/draft", {})
    assert answer.status_code == 403 and "X-Note-Revision" not in answer


def test_a_colleagues_draft_text_stays_out_of_the_history(resident, staff):
    note = notes.start(staff["caseworker"], resident, NoteTemplate.DAP)
    notes.save_draft(staff["caseworker"], note, SECRET_TEXT, note.revision)
    seq = Entry.objects.filter(action="note.draft").latest("seq").seq
    theirs = dict(history.change(staff["clinician"], resident.pk, seq).fields)
    mine = dict(history.change(staff["caseworker"], resident.pk, seq).fields)
    assert theirs["Sections: data"] == DRAFT_HIDDEN
    assert mine["Sections: data"] == "Private working thoughts"
    record = history.as_of(staff["supervisor"], resident.pk, timezone.now())
    shown = [value for s in record.sections for row in s.rows for _, value in row.fields]
    assert "Private working thoughts" not in shown and DRAFT_HIDDEN in shown


def test_signing_stops_after_five_wrong_secrets(resident, staff):
    from django.core.exceptions import ValidationError

    from tests.conftest import PASSWORD

    author = staff["caseworker"]
    note = notes.start(author, resident, NoteTemplate.DAP)
    note = notes.save_draft(author, note, {**SECRET_TEXT, "assessment": "a", "plan": "b"}, 0)
    for _ in range(reauth.CONFIRM_ATTEMPTS):
        with pytest.raises(ValidationError, match="not your password"):
            notes.sign(author, note, "a wrong guess at it")
    with pytest.raises(ValidationError, match="Too many wrong"):
        notes.sign(author, note, PASSWORD)  # even the right one, for a while
    note.refresh_from_db()
    assert note.signed_at is None


def test_an_empty_notes_list_is_still_a_recorded_read(resident, staff):
    from homecoming.encounters import notes_selectors

    assert notes_selectors.notes_for(staff["clinician"], resident.pk).notes == []
    read = Entry.objects.filter(actor=staff["clinician"]).latest("seq")
    assert (read.action, read.resident_id, read.outcome) == (
        "resident.view",
        resident.pk,
        "allowed",
    )


@pytest.mark.parametrize(
    "url",
    [
        "/sessions/week/?week=9999-12-31",
        "/sessions/week/?week=0001-01-01",
        "/residents/{pk}/sessions/?week=9999-12-31",
        "/residents/{pk}/as-of/?at=0001-01-01T00:00",
    ],
)
def test_dates_out_of_any_calendar_are_refused_not_crashed(resident, staff, client_for, url):
    answer = client_for(staff["caseworker"]).get(url.format(pk=resident.pk))
    assert answer.status_code == 400
