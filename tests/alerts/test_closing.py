"""Alerts that ask for work close when the work is done, acknowledged by whoever did it, each
closing a ledger entry: a co-signature alert when the note is co-signed, a complaint's alerts
when it is resolved."""

from homecoming.alerts.models import Alert
from homecoming.encounters import notes
from homecoming.ledger.models import Entry
from homecoming.oversight import complaints
from tests.conftest import PASSWORD
from tests.consents.helpers import portal_login
from tests.support.notes import make_trainee, signed


def test_cosigning_the_note_closes_every_supervisors_alert(resident, staff, make_user):
    other = make_user("supervisor", username="supervisor2")
    make_trainee(staff["caseworker"])
    note = signed(staff["caseworker"], resident)
    alerts = Alert.objects.filter(kind="note.cosign")
    assert {a.recipient for a in alerts} == {staff["supervisor"], other}
    assert all(a.about_type == "encounters.note" and a.about_id == str(note.pk) for a in alerts)
    notes.cosign(staff["supervisor"], note, PASSWORD)
    for alert in Alert.objects.filter(kind="note.cosign"):
        assert alert.read_at is not None and alert.acknowledged_by == staff["supervisor"]
        assert alert.closed_because == "the note is co-signed"
    closed = Entry.objects.filter(action="alert.close")
    assert closed.count() == 2 and {e.actor_id for e in closed} == {staff["supervisor"].pk}
    assert {e.resident_id for e in closed} == {resident.pk}


def test_another_notes_alert_stays_open(resident, staff):
    make_trainee(staff["caseworker"])
    first, second = signed(staff["caseworker"], resident), signed(staff["caseworker"], resident)
    notes.cosign(staff["supervisor"], first, PASSWORD)
    assert Alert.objects.get(read_at__isnull=True).about_id == str(second.pk)


def test_resolving_a_complaint_closes_its_alerts(resident, staff, make_user, client_for):
    own = portal_login(make_user, resident)
    complaint = complaints.file_own(
        own.user,
        complaints.Filing(subject="Noise at night", body="The room next door is loud at 3 am."),
    )
    director = staff["program_director"]
    complaints.assign(director, complaint, staff["oversight"])
    assert Alert.objects.filter(about_id=str(complaint.pk), read_at__isnull=True).count() >= 3
    complaints.move(director, complaint, "investigating", note="Asking the night staff.")
    complaints.move(
        director, complaint, "resolved", outcome="The neighbour moved to another wing last week."
    )
    open_ = Alert.objects.filter(about_type="oversight.complaint", read_at__isnull=True)
    assert not open_.exists()
    page = client_for(staff["supervisor"]).get("/alerts/").content.decode()
    assert "the complaint is resolved" in page
