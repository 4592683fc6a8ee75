"""A resident's own report of a side effect (issue 13, part 4): it alerts their care team and
the medical lead, however the staff around them would have passed it on. On main it reached
nobody until someone opened the record."""

from django.utils import timezone

from homecoming.alerts.models import Alert
from tests.consents.helpers import portal_login

from .conftest import report_for


def test_replay_a_residents_portal_report_alerts_the_care_team_and_the_medical_lead(
    ward, staff, make_user, client_for, medical_lead, prescriber
):
    own = portal_login(make_user, ward.residents[0])
    response = client_for(own.user).post(
        "/my-record/side-effects/",
        {"term": "memory-impairment", "onset": timezone.localdate().isoformat(),
         "seriousness": "medically_important", "outcome": "not_recovered",
         "description": "I lost most of Saturday."},
    )  # fmt: skip
    assert response.status_code == 302
    alerts = Alert.objects.filter(kind="resident_adverse_event")
    told = set(alerts.values_list("recipient__username", flat=True))
    # The resident's caseworker and clinician (the prescriber), and the medical lead; one event.
    assert told == {staff["caseworker"].username, prescriber.username, medical_lead.username}
    assert {a.resident_id for a in alerts} == {own.pk}
    assert len({a.event for a in alerts}) == 1
    assert all(a.urgency == "high" for a in alerts)
    assert "Memory impairment".lower() in alerts.first().message.lower()


def test_a_staff_report_raises_no_such_alert(ward, staff, medical_lead):
    report_for(staff["caseworker"], ward.residents[0], "headache")
    assert not Alert.objects.filter(kind="resident_adverse_event").exists()
