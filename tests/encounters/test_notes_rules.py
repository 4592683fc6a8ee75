"""The note rules a clinician relies on (issue 16): a session's note is signed only once the
session has begun; a trainee's note reaches the resident only once a supervisor has co-signed it
(and the co-signature closes the supervisors' alerts); an addendum is signed with the author's
password or code, like the note.

Insiders replayed: a caseworker pre-writing and signing the note of a session that has not
happened; a trainee's unreviewed note shown to the resident; someone at a colleague's unlocked
session adding an addendum in their name."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from homecoming.accounts.models import Role
from homecoming.alerts.models import Alert
from homecoming.encounters import notes, notes_selectors
from homecoming.encounters.models import Addendum
from homecoming.ledger.models import Entry
from tests.conftest import PASSWORD
from tests.support.notes import draft, make_trainee, session_for, signed


@pytest.fixture
def resident_user(resident, make_user):
    user = make_user(Role.RESIDENT)
    resident.user = user
    resident.save(update_fields=["user"])
    return user


def test_a_sessions_note_is_not_signed_before_the_session_begins(resident, staff):
    caseworker = staff["caseworker"]
    session = session_for(caseworker, resident)
    later = dt.timedelta(days=2)
    session.starts_at += later
    session.ends_at += later
    session.save(update_fields=["starts_at", "ends_at"])
    note = draft(caseworker, resident, session=session)
    with pytest.raises(ValidationError) as refused:
        notes.sign(caseworker, note, PASSWORD)
    assert "its note is signed once it has begun" in refused.value.message_dict["session"][0]
    note.refresh_from_db()
    assert not note.is_signed and note.sections["plan"]  # the draft is kept
    # Every problem at once: an empty section is named with the session.
    empty = draft(caseworker, resident, session=session, text={"data": "Only data."})
    with pytest.raises(ValidationError) as refused:
        notes.sign(caseworker, empty, PASSWORD)
    assert set(refused.value.message_dict) == {"sections", "session"}
    # The password is not even asked, so a refused rule costs no lock-out attempt.
    assert not Entry.objects.filter(action="note.sign", outcome="denied").exists()
    with time_machine.travel(session.starts_at + dt.timedelta(minutes=5), tick=False):
        assert notes.sign(caseworker, note, PASSWORD).is_signed


def test_a_trainees_note_reaches_the_resident_only_once_co_signed(
    resident, staff, resident_user, client_for
):
    trainee = make_trainee(staff["caseworker"])
    note = signed(trainee, resident)
    assert [v.note for v in notes_selectors.notes_for(resident_user, resident.pk).notes] == []
    client = client_for(resident_user)
    assert client.get(f"/notes/{note.pk}/").status_code in (403, 404)
    assert "Reports two nightmares" not in client.get("/my-record/").content.decode()
    # Staff see it, marked as waiting.
    staff_view = notes_selectors.notes_for(staff["clinician"], resident.pk).notes
    assert [v.status for v in staff_view] == ["awaiting co-signature"]
    alert = Alert.objects.get(recipient=staff["supervisor"], kind="note.cosign")
    notes.cosign(staff["supervisor"], note, PASSWORD)
    alert.refresh_from_db()
    assert alert.read_at is not None and alert.acknowledged_by == staff["supervisor"]
    shown = notes_selectors.notes_for(resident_user, resident.pk).notes
    assert [v.note for v in shown] == [note]
    assert client.get(f"/notes/{note.pk}/").status_code == 200


def test_an_addendum_is_signed_with_the_authors_password(resident, staff):
    caseworker = staff["caseworker"]
    note = signed(caseworker, resident)
    with pytest.raises(ValidationError) as refused:
        notes.add_addendum(caseworker, note, "Correction", "Three, not two.", "not my password")
    assert "secret" in refused.value.message_dict
    assert not Addendum.objects.exists()
    denied = Entry.objects.get(actor=caseworker, action="note.addendum_sign", outcome="denied")
    assert denied.resident_id == resident.pk
    addendum = notes.add_addendum(caseworker, note, "Correction", "Three, not two.", PASSWORD)
    assert Entry.objects.filter(
        actor=caseworker, action="note.addendum", object_id=str(addendum.pk), outcome="allowed"
    ).exists()


def test_wrong_addendum_secrets_count_towards_the_lock_out(resident, staff):
    from homecoming.accounts import reauth

    caseworker = staff["caseworker"]
    note = signed(caseworker, resident)
    for _ in range(reauth.CONFIRM_ATTEMPTS):
        with pytest.raises(ValidationError):
            notes.add_addendum(caseworker, note, "Correction", "Text.", "guess")
    with pytest.raises(ValidationError):
        notes.add_addendum(caseworker, note, "Correction", "Text.", PASSWORD)
    assert not Addendum.objects.exists()
