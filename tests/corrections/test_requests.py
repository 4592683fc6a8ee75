"""Asking for a correction and answering it: the resident points only at what they may read of
their own record; the care team amends (a note by a signed addendum) or declines with the
reason; nobody declines a request about their own entry; every decline is told to the
supervisors; the resident may disagree; nothing is ever changed or deleted."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from homecoming.access.policy import AccessDenied, Action
from homecoming.alerts.models import Alert
from homecoming.corrections import selectors, services
from homecoming.corrections.models import CorrectionAnswer, CorrectionRequest, Disagreement
from homecoming.encounters import notes
from homecoming.encounters.models import Addendum
from homecoming.ledger.models import Entry, Outcome
from homecoming.measures import services as measures
from homecoming.vitals import services as vitals

from ..conftest import PASSWORD
from ..measures.answers import phq9
from ..support.notes import draft

pytestmark = pytest.mark.django_db
WRONG = "The argument was on Tuesday, not Monday, and I left the room myself."


def _ask(portal_user, resident, note, **overrides):
    fields = {"kind": "note", "entry_id": note.pk if note else None, "what_is_wrong": WRONG}
    fields |= overrides
    return services.file_request(
        portal_user,
        resident,
        fields["kind"],
        fields["entry_id"],
        fields["what_is_wrong"],
        fields.get("should_say", ""),
    )


def _denied(actor, action):
    return Entry.objects.filter(actor=actor, action=str(action), outcome=Outcome.DENIED)


# --- filing ---------------------------------------------------------------------------------


def test_the_resident_asks_about_their_own_note_and_the_care_team_is_told(
    portal_user, resident, note, staff
):
    request = _ask(portal_user, resident, note, should_say="It was Tuesday.")
    assert request.kind == "note" and request.entry_id == note.pk
    assert request.entry_author == staff["caseworker"]
    assert request.what_is_wrong == WRONG and request.should_say == "It was Tuesday."
    assert "note of" in request.entry_label
    entry = Entry.objects.get(action=services.FILE, object_id=str(request.pk))
    assert entry.resident_id == resident.pk and entry.outcome == Outcome.ALLOWED
    told = Alert.objects.filter(kind=services.NEW_ALERT, resident=resident)
    assert {a.recipient for a in told} == {staff["caseworker"], staff["clinician"]}


def test_every_kind_of_entry_the_resident_reads_can_be_pointed_at(portal_user, resident, staff):
    measures.record(staff["caseworker"], resident, "phq9", phq9(item9=0, rest=1))
    questionnaire = resident.questionnaires.get()
    reading = vitals.record(staff["clinician"], resident, vitals.Reading(pulse=70))
    asked = [
        _ask(portal_user, resident, None, kind="questionnaire", entry_id=questionnaire.pk),
        _ask(portal_user, resident, None, kind="vitals", entry_id=reading.pk),
        _ask(portal_user, resident, None, kind="details", entry_id=resident.pk),
    ]
    assert [r.entry_author for r in asked] == [staff["caseworker"], staff["clinician"], None]
    assert "PHQ-9" in asked[0].entry_label
    assert asked[2].entry_label == "the details we hold about you"


def test_another_residents_note_is_refused_and_ledgered(
    portal_user, resident, rosas_note, other_resident
):
    with pytest.raises(AccessDenied):
        _ask(portal_user, resident, rosas_note)
    refused = _denied(portal_user, Action.REQUEST_CORRECTION).get()
    # The refusal names the row asked for, on the asker's own record (never Rosa's).
    assert refused.resident_id == resident.pk and refused.object_id == str(rosas_note.pk)
    assert not CorrectionRequest.objects.exists()


@pytest.mark.parametrize(
    ("kind", "entry_id"),
    [("details", "other"), ("ledger", "1"), ("note", "x"), ("note", "-3"), ("vitals", "99999")],
)
def test_a_made_up_pointer_is_refused(portal_user, resident, kind, entry_id, other_resident):
    if entry_id == "other":
        entry_id = other_resident.pk
    with pytest.raises(AccessDenied):
        services.file_request(portal_user, resident, kind, entry_id, WRONG)
    assert _denied(portal_user, Action.REQUEST_CORRECTION).count() == 1


def test_a_draft_or_withheld_note_is_not_the_residents_to_point_at(
    portal_user, resident, note, staff
):
    with pytest.raises(AccessDenied):
        _ask(portal_user, resident, draft(staff["caseworker"], resident))
    notes.withhold(staff["clinician"], note, "risk_of_harm", "Reading it now would set him back.")
    with pytest.raises(AccessDenied):
        _ask(portal_user, resident, note)
    assert not CorrectionRequest.objects.exists()


def test_staff_do_not_file_a_residents_request(resident, note, staff):
    for who in ("caseworker", "supervisor"):
        with pytest.raises(AccessDenied):
            _ask(staff[who], resident, note)
    assert _denied(staff["caseworker"], Action.REQUEST_CORRECTION).exists()


def test_another_resident_cannot_file_on_walters_record(
    portal_user, resident, note, other_resident
):
    with pytest.raises(AccessDenied):
        _ask(other_resident.user, resident, note)
    assert _denied(other_resident.user, Action.REQUEST_CORRECTION).exists()


def test_every_problem_is_named_at_once_and_nothing_is_kept(portal_user, resident, note):
    with pytest.raises(ValidationError) as caught:
        _ask(portal_user, resident, note, what_is_wrong="  ", should_say="x" * 4001)
    assert set(caught.value.message_dict) == {"what_is_wrong", "should_say"}
    assert not CorrectionRequest.objects.exists()


# --- answering ------------------------------------------------------------------------------


def test_amending_a_note_writes_a_signed_addendum(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    given = services.answer(
        staff["caseworker"], request, "amended", "The argument was on Tuesday.", PASSWORD
    )
    addendum = Addendum.objects.get(note=note)
    assert given.addendum == addendum and addendum.text == "The argument was on Tuesday."
    assert f"request #{request.pk}" in addendum.reason
    assert Entry.objects.filter(action=services.ANSWER, object_id=str(given.pk)).exists()
    # The care team's alert about the request closes with the answer.
    assert not Alert.objects.filter(kind=services.NEW_ALERT, read_at__isnull=True).exists()
    request.refresh_from_db()
    assert request.what_is_wrong == WRONG  # the resident's words, never changed


def test_amending_a_note_needs_the_answerers_signature(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    with pytest.raises(ValidationError) as caught:
        services.answer(staff["caseworker"], request, "amended", "Tuesday.", "")
    assert "secret" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.answer(staff["caseworker"], request, "amended", "Tuesday.", "not my password")
    assert not CorrectionAnswer.objects.exists() and not Addendum.objects.exists()


def test_any_other_entry_is_amended_by_a_written_amendment(portal_user, resident, staff):
    request = _ask(portal_user, resident, None, kind="details", entry_id=resident.pk)
    given = services.answer(
        staff["caseworker"], request, "amended", "Emergency contact: Ana Cruz, (312) 555-0148."
    )
    assert given.addendum is None and given.statement.startswith("Emergency contact")


def test_the_author_of_a_note_cannot_decline_a_request_about_it(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    with pytest.raises(AccessDenied):
        services.answer(staff["caseworker"], request, "declined", "It was Monday.")
    assert _denied(staff["caseworker"], services.DECLINE).exists()
    assert not CorrectionAnswer.objects.exists()


def test_another_clinician_declines_and_the_supervisors_are_told(
    portal_user, resident, note, staff
):
    request = _ask(portal_user, resident, note)
    given = services.answer(staff["clinician"], request, "declined", "The session log says Monday.")
    assert given.outcome == "declined"
    told = Alert.objects.get(kind=services.DECLINED_ALERT)
    assert told.recipient == staff["supervisor"] and "The session log says Monday" in told.message


def test_a_supervisor_may_decline_too(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    services.answer(staff["supervisor"], request, "declined", "The session log says Monday.")
    assert CorrectionAnswer.objects.get().answered_by == staff["supervisor"]


def test_a_request_is_answered_once(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    services.answer(staff["clinician"], request, "declined", "The log says Monday.")
    with pytest.raises(ValidationError):
        services.answer(staff["supervisor"], request, "amended", "Tuesday.", PASSWORD)
    assert CorrectionAnswer.objects.count() == 1


def test_an_answer_says_what_and_why(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    with pytest.raises(ValidationError) as caught:
        services.answer(staff["clinician"], request, "ignored", "")
    assert set(caught.value.message_dict) == {"outcome", "statement"}


@pytest.mark.parametrize("who", ["caseworker_other", "clinician_other", "contractor", "sysadmin"])
def test_staff_outside_the_care_team_cannot_answer(portal_user, resident, note, staff, who):
    request = _ask(portal_user, resident, note)
    with pytest.raises(AccessDenied):
        services.answer(staff[who], request, "declined", "No.")
    assert _denied(staff[who], Action.ANSWER_CORRECTION).exists()


def test_the_resident_cannot_answer_their_own_request(portal_user, resident, note):
    request = _ask(portal_user, resident, note)
    with pytest.raises(AccessDenied):
        services.answer(portal_user, request, "amended", "Tuesday.")


# --- disagreeing ----------------------------------------------------------------------------


def test_the_resident_disagrees_with_a_decline_and_it_is_kept(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    services.answer(staff["clinician"], request, "declined", "The log says Monday.")
    statement = services.disagree(portal_user, request, "I was there; it was Tuesday.")
    assert statement.request == request
    assert Entry.objects.filter(action=services.DISAGREE, object_id=str(statement.pk)).exists()
    assert Alert.objects.filter(kind=services.DISAGREEMENT_ALERT, recipient=staff["caseworker"])
    with pytest.raises(ValidationError):
        services.disagree(portal_user, request, "And again.")


def test_disagreement_answers_a_decline_only(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    with pytest.raises(ValidationError):
        services.disagree(portal_user, request, "Too early.")
    services.answer(staff["caseworker"], request, "amended", "Tuesday.", PASSWORD)
    with pytest.raises(ValidationError):
        services.disagree(portal_user, request, "Amended already.")
    assert not Disagreement.objects.exists()


def test_nobody_else_disagrees_for_the_resident(portal_user, resident, note, staff, other_resident):
    request = _ask(portal_user, resident, note)
    services.answer(staff["clinician"], request, "declined", "The log says Monday.")
    for who in (staff["caseworker"], other_resident.user):
        with pytest.raises(AccessDenied):
            services.disagree(who, request, "Not mine to say.")


# --- kept for good --------------------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_any_of_it(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    services.answer(staff["clinician"], request, "declined", "The log says Monday.")
    services.disagree(portal_user, request, "It was Tuesday.")
    for table, column in (
        ("corrections_correctionrequest", "what_is_wrong"),
        ("corrections_correctionanswer", "statement"),
        ("corrections_disagreement", "text"),
    ):
        for sql in (f"UPDATE {table} SET {column} = 'quietly changed'", f"DELETE FROM {table}"):
            # DatabaseError: SQLite's trigger raises an IntegrityError, PostgreSQL's a
            # ProgrammingError (a RAISE in PL/pgSQL).
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
                cur.execute(sql)
    assert CorrectionRequest.objects.get().what_is_wrong == WRONG


# --- reading --------------------------------------------------------------------------------


def test_the_worklist_shows_the_care_team_and_the_supervisors_only(
    portal_user, resident, note, staff
):
    _ask(portal_user, resident, note)
    for who in ("caseworker", "clinician", "supervisor"):
        [item] = selectors.open_requests(staff[who])
        assert item.request.resident == resident and not item.overdue
    assert selectors.open_requests(staff["caseworker_other"]) == []
    listed = Entry.objects.filter(actor=staff["caseworker"], action=str(Action.LIST))
    assert listed.exists()


def test_the_worklist_is_one_query_however_many_requests(portal_user, resident, note, staff):
    _ask(portal_user, resident, note)
    with CaptureQueriesContext(connection) as one:
        selectors.open_requests(staff["caseworker"])
    for _ in range(4):
        _ask(portal_user, resident, note)
    with CaptureQueriesContext(connection) as five:
        assert len(selectors.open_requests(staff["caseworker"])) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_an_answered_request_leaves_the_worklist(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    services.answer(staff["clinician"], request, "declined", "The log says Monday.")
    assert selectors.open_requests(staff["caseworker"]) == []
    [shown] = selectors.requests_of(portal_user, resident)
    assert shown.status == "declined" and shown.answer.statement == "The log says Monday."
