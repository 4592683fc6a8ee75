"""Alerts: only their recipient sees them and marks them read (acknowledges them)."""

from homecoming.access import services as access_services
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry


def test_only_the_recipient_marks_an_alert_read(resident, staff, client_for):
    access_services.open_break_glass(staff["clinician_other"], resident, "Seizure in room N101")
    alert = Alert.objects.get()
    assert alert.recipient == staff["supervisor"]
    other = client_for(staff["program_director"])
    assert other.post(f"/alerts/{alert.pk}/read").status_code == 403
    denied = Entry.objects.get(action="alert.acknowledge", outcome="denied")
    assert denied.actor_id == staff["program_director"].pk and denied.object_id == str(alert.pk)
    assert "Seizure in room" not in other.get("/").content.decode()
    mine = client_for(staff["supervisor"])
    response = mine.post(f"/alerts/{alert.pk}/read", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    alert.refresh_from_db()
    assert alert.read_at is not None and alert.acknowledged_by == staff["supervisor"]
    entry = Entry.objects.get(action="alert.acknowledge", outcome="allowed")
    assert entry.actor_id == staff["supervisor"].pk and entry.resident_id == resident.pk
    assert "Seizure in room" not in mine.get("/").content.decode()
    assert mine.get(f"/alerts/{alert.pk}/read").status_code == 405
