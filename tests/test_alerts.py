"""Alerts: only their recipient sees them and marks them read."""

from homecoming.access import services as access_services
from homecoming.alerts.models import Alert


def test_only_the_recipient_marks_an_alert_read(resident, staff, client_for):
    access_services.open_break_glass(staff["clinician_other"], resident, "Seizure in room N101")
    alert = Alert.objects.get()
    assert alert.recipient == staff["supervisor"]
    other = client_for(staff["program_director"])
    assert other.post(f"/alerts/{alert.pk}/read").status_code == 404
    assert "Seizure in room" not in other.get("/").content.decode()
    mine = client_for(staff["supervisor"])
    response = mine.post(f"/alerts/{alert.pk}/read", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    alert.refresh_from_db()
    assert alert.read_at is not None
    assert "Seizure in room" not in mine.get("/").content.decode()
    assert mine.get(f"/alerts/{alert.pk}/read").status_code == 405
