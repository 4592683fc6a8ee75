"""Cancelling a planned admission (issue 16): only before the arrival, with the reason, by
those who may plan one; the reserved bed is free again, the care team is told, and neither the
stay nor the reason can be changed or removed afterwards, even from a SQL console."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry
from homecoming.residents import selectors, services
from homecoming.residents.models import StayCancellation, StayStatus
from tests.residents.test_intake_rules import PLANNED, TODAY, admission, at


@pytest.fixture
def planned(staff, beds):
    with at(TODAY):
        yield services.admit(
            staff["supervisor"],
            admission(staff, admitted_on=PLANNED, bed=beds[0], expected_length_days=30),
        )


def test_cancelling_frees_the_bed_keeps_the_reason_and_tells_the_team(planned, staff, beds):
    with at(TODAY):
        stay = services.cancel_planned_admission(
            staff["caseworker"], planned, "Recalled to his unit."
        )
        board = {b.bed: b for b in selectors.bed_board(staff["supervisor"])}
    assert stay.status == StayStatus.CANCELLED and stay.reserved_bed is None
    assert board[beds[0]].reserved_from is None and beds[0] in selectors.free_beds()
    cancellation = StayCancellation.objects.get()
    assert cancellation.reason == "Recalled to his unit."
    assert cancellation.cancelled_by == staff["caseworker"]
    written = Entry.objects.filter(action="stay.cancel", resident_id=planned.pk)
    assert written.count() == 2  # the stay and the reason, each with its version
    told = Alert.objects.filter(kind="admission_cancelled")
    # The care team (but the one who cancelled) and the supervisors: nobody planned for
    # vanishes unseen.
    team = {m.user for m in planned.care_team.all()} | {staff["supervisor"]}
    assert {a.recipient for a in told} == team - {staff["caseworker"]}
    assert told and "Recalled to his unit." in told[0].message
    # A new stay can be planned or opened afterwards.
    with at(TODAY):
        again = services.open_stay(staff["caseworker"], planned, PLANNED, 10)
    assert again.status == StayStatus.EXPECTED


def test_a_reason_is_needed_and_only_a_planned_admission_is_cancelled(planned, staff):
    with at(TODAY), pytest.raises(ValidationError) as caught:
        services.cancel_planned_admission(staff["caseworker"], planned, "  ")
    assert "reason" in caught.value.message_dict
    with at(PLANNED, 9):
        services.record_arrival(staff["caseworker"], planned)
        with pytest.raises(ValidationError, match="ends by discharge"):
            services.cancel_planned_admission(staff["caseworker"], planned, "Changed our mind.")
    assert planned.stays.get().status == StayStatus.IN_RESIDENCE
    assert not StayCancellation.objects.exists()


def test_the_page_cancels_with_every_problem_named_and_says_so(planned, staff, client_for):
    with at(TODAY):
        client = client_for(staff["caseworker"])
        chart = client.get(f"/residents/{planned.pk}/").content.decode()
        url = f"/residents/{planned.pk}/planned-admission/cancel/"
        assert f'href="{url}"' in chart
        refused = client.post(url, {"reason": ""})
        done = client.post(url, {"reason": "Chose a program nearer home."}, follow=True)
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    page = done.content.decode()
    assert "is cancelled; the care team is told" in page
    assert "planned, cancelled before arrival" in page
    assert f'href="{url}"' not in page


def test_the_api_cancels_and_refuses_those_off_the_care_team(planned, staff, api_for):
    url = f"/api/v1/residents/{planned.pk}/planned-admission/cancel"
    body = json.dumps({"reason": "Recalled."})
    with at(TODAY):
        for who in ("caseworker_other", "contractor", "clinician", "clinician_other"):
            response = api_for(staff[who]).post(url, body, content_type="application/json")
            assert response.status_code == 403, who
        assert planned.stays.get().status == StayStatus.EXPECTED
        assert Entry.objects.filter(action="stay.open", outcome="denied").count() >= 4
        done = api_for(staff["caseworker"]).post(url, body, content_type="application/json")
        again = api_for(staff["caseworker"]).post(url, body, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert again.status_code == 400


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE residents_stay SET status = 'in_residence' WHERE status = 'cancelled'",
        "UPDATE residents_staycancellation SET reason = 'nothing happened'",
        "DELETE FROM residents_staycancellation",
    ],
)
def test_the_database_refuses_to_undo_or_rewrite_a_cancellation(planned, staff, statement):
    """The database administrator cannot quietly turn a cancelled admission back into a stay in
    residence, nor rewrite or remove why it was cancelled."""
    with at(TODAY):
        services.cancel_planned_admission(staff["caseworker"], planned, "Recalled.")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert planned.stays.get().status == StayStatus.CANCELLED
    assert StayCancellation.objects.get().reason == "Recalled."
