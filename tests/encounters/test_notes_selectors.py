"""Reading notes: drafts stay with their author, residents see their released notes with addenda
and nothing of a withholding, every note shown is one read on the ledger, without N+1 queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from homecoming.access.policy import AccessDenied
from homecoming.accounts.models import Role
from homecoming.encounters import notes
from homecoming.encounters import notes_selectors as selectors
from homecoming.encounters.models import Note, WithholdingReason
from homecoming.ledger.models import Entry
from homecoming.residents.models import Resident
from tests.conftest import PASSWORD
from tests.support.notes import draft, entries, make_trainee, session_for, signed


@pytest.fixture
def resident_user(resident, make_user):
    user = make_user(Role.RESIDENT)
    resident.user = user
    resident.save(update_fields=["user"])
    return user


def _ids(listing):
    return [v.note.pk for v in listing.notes]


def test_staff_see_their_own_drafts_and_everyones_signed_notes(resident, staff):
    mine = draft(staff["caseworker"], resident)
    theirs = draft(staff["clinician"], resident)
    done = signed(staff["clinician"], resident)
    assert set(_ids(selectors.notes_for(staff["caseworker"], resident.pk))) == {mine.pk, done.pk}
    assert set(_ids(selectors.notes_for(staff["clinician"], resident.pk))) == {theirs.pk, done.pk}
    assert _ids(selectors.notes_for(staff["supervisor"], resident.pk)) == [done.pk]


def test_the_notes_shown_are_one_look_at_the_resident(resident, staff):
    for _ in range(3):
        signed(staff["caseworker"], resident)
    selectors.notes_for(staff["clinician"], resident.pk)
    [read] = entries(staff["clinician"], "resident.view")
    assert (read.object_type, read.resident_id, read.purpose) == (
        "residents.resident",
        resident.pk,
        "care",
    )
    assert read.sections == ["notes"] and read.version_sha256


def _queries_to_show(actor, resident):
    """Queries to read the list and touch everything a page shows of it."""
    with CaptureQueriesContext(connection) as ctx:
        for v in selectors.notes_for(actor, resident.pk).notes:
            _ = (v.note.author.full_name, v.note.session, v.badges)
            _ = [a.author.full_name for a in v.addenda]
            _ = [d.decided_by.full_name for d in v.decisions]
            _ = v.cosignature and v.cosignature.cosigner.full_name
    return len(ctx.captured_queries)


def _busy_note(staff, resident, i):
    note = signed(staff["caseworker"], resident, session=session_for(staff["caseworker"], resident))
    notes.cosign(staff["supervisor"], note, PASSWORD)
    notes.add_addendum(staff["clinician"], note, f"Reason {i}", "Text", PASSWORD)
    notes.withhold(staff["clinician"], note, WithholdingReason.THIRD_PARTY, "Names.")
    return note


def test_the_list_costs_the_same_queries_however_many_notes(resident, staff):
    make_trainee(staff["caseworker"])
    _busy_note(staff, resident, 0)
    one = _queries_to_show(staff["program_director"], resident)
    for i in range(1, 5):
        _busy_note(staff, resident, i)
    assert _queries_to_show(staff["program_director"], resident) == one


def test_the_resident_sees_signed_released_notes_with_addenda(resident, staff, resident_user):
    shown = signed(staff["caseworker"], resident)
    notes.add_addendum(staff["caseworker"], shown, "Correction", "Three nightmares.", PASSWORD)
    hidden = signed(staff["caseworker"], resident)
    notes.withhold(staff["clinician"], hidden, WithholdingReason.RISK_OF_HARM, "Crisis week.")
    draft(staff["caseworker"], resident)
    listing = selectors.my_notes(resident_user)
    assert _ids(listing) == [shown.pk] and listing.purpose == "self"
    view = listing.notes[0]
    assert [a.text for a in view.addenda] == ["Three nightmares."]
    [read] = entries(resident_user, "resident.view")  # one look at their own record
    assert (read.object_type, read.resident_id, read.sections) == (
        "residents.resident",
        resident.pk,
        ["notes"],
    )


def test_a_released_note_comes_back_to_the_resident_without_the_deliberation(
    resident, staff, resident_user
):
    note = signed(staff["caseworker"], resident)
    notes.withhold(staff["clinician"], note, WithholdingReason.THIRD_PARTY, "Names a friend.")
    notes.release(staff["clinician"], note, "The friend agreed.")
    view = selectors.note_detail(resident_user, note.pk)
    assert not view.withheld and view.decisions == []
    staff_view = selectors.note_detail(staff["caseworker"], note.pk)
    assert [d.withheld for d in staff_view.decisions] == [True, False]
    assert staff_view.decisions[0].get_reason_display().startswith("It contains information")


def test_staff_see_the_withholding_reason(resident, staff):
    note = signed(staff["caseworker"], resident)
    notes.withhold(staff["clinician"], note, WithholdingReason.RISK_OF_HARM, "Crisis week.")
    view = selectors.note_detail(staff["supervisor"], note.pk)
    assert view.withheld and view.status == "withheld"
    assert (view.decisions[-1].reason, view.decisions[-1].explanation) == (
        "risk_of_harm",
        "Crisis week.",
    )


def test_the_resident_is_refused_drafts_and_withheld_notes(resident, staff, resident_user):
    a_draft = draft(staff["caseworker"], resident)
    withheld = signed(staff["caseworker"], resident)
    notes.withhold(staff["clinician"], withheld, WithholdingReason.RISK_OF_HARM, "Crisis.")
    for note in (a_draft, withheld):
        with pytest.raises(AccessDenied):
            selectors.note_detail(resident_user, note.pk)
    denied = entries(resident_user, "resident.view", "denied")
    assert [int(e.object_id) for e in denied] == [a_draft.pk, withheld.pk]
    assert not entries(resident_user, "resident.view", "allowed").exists()


def test_someone_elses_draft_is_refused_to_staff(resident, staff):
    note = draft(staff["caseworker"], resident)
    with pytest.raises(AccessDenied):
        selectors.note_detail(staff["supervisor"], note.pk)
    assert entries(staff["supervisor"], "resident.view", "denied").get().object_id == str(note.pk)
    assert selectors.note_detail(staff["caseworker"], note.pk).note == note


def test_reading_a_note_is_one_entry_on_it(resident, staff):
    note = signed(staff["caseworker"], resident)
    selectors.note_detail(staff["clinician"], note.pk)
    read = entries(staff["clinician"]).get()
    assert (read.action, read.object_type, read.object_id, read.resident_id) == (
        "resident.view",
        "residents.resident",
        str(resident.pk),
        resident.pk,
    )
    assert read.sections == ["notes"]


def test_an_unknown_note_is_a_recorded_probe(staff, db):
    with pytest.raises(Note.DoesNotExist):
        selectors.note_detail(staff["supervisor"], 987654)
    probe = entries(staff["supervisor"]).get()
    assert (probe.outcome, probe.object_id) == ("denied", "987654")


@pytest.mark.parametrize("who", ["caseworker_other", "clinician_other", "contractor", "oversight"])
def test_outside_the_care_team_notes_are_refused(resident, staff, who):
    note = signed(staff["caseworker"], resident)
    with pytest.raises(AccessDenied):
        selectors.notes_for(staff[who], resident.pk)
    with pytest.raises(AccessDenied):
        selectors.note_detail(staff[who], note.pk)
    denied = entries(staff[who], "resident.view", "denied")
    assert denied.count() == 2 and {e.resident_id for e in denied} == {resident.pk}


def test_a_resident_cannot_read_another_residents_notes(resident, admit, staff, resident_user):
    other = admit(given_name="Other")
    note = signed(staff["caseworker"], other)
    with pytest.raises(AccessDenied):
        selectors.notes_for(resident_user, other.pk)
    with pytest.raises(AccessDenied):
        selectors.note_detail(resident_user, note.pk)
    assert entries(resident_user, "resident.view", "denied").count() == 2


def test_break_glass_reads_signed_notes_only(resident, staff):
    from homecoming.access import services as access

    signed_note = signed(staff["caseworker"], resident)
    draft(staff["caseworker"], resident)
    access.open_break_glass(staff["clinician_other"], resident, "Found unresponsive in the hall")
    listing = selectors.notes_for(staff["clinician_other"], resident.pk)
    assert _ids(listing) == [signed_note.pk] and listing.purpose == "break_glass"


def test_notes_to_cosign(resident, staff):
    make_trainee(staff["caseworker"])
    waiting = signed(staff["caseworker"], resident)
    done = signed(staff["caseworker"], resident)
    notes.cosign(staff["program_director"], done, PASSWORD)
    signed(staff["clinician"], resident)  # not a trainee
    draft(staff["caseworker"], resident)
    views = selectors.notes_to_cosign(staff["supervisor"])
    assert [v.note.pk for v in views] == [waiting.pk]
    look = entries(staff["supervisor"], "resident.view").get()  # one look at the resident
    assert (look.resident_id, look.object_type, look.sections) == (
        resident.pk,
        "residents.resident",
        ["notes"],
    )


@pytest.mark.parametrize("who", ["caseworker", "clinician", "contractor"])
def test_notes_to_cosign_is_for_supervisors(staff, who, db):
    with pytest.raises(AccessDenied):
        selectors.notes_to_cosign(staff[who])
    assert entries(staff[who], "note.cosign", "denied").count() == 1


def test_my_notes_needs_a_linked_record(staff):
    with pytest.raises(Resident.DoesNotExist):
        selectors.my_notes(staff["caseworker"])
    assert not Entry.objects.filter(actor=staff["caseworker"]).exists()
