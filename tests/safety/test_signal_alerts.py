"""A new signal is a critical alert to the medical lead, the program director and the oversight
body; concluding its review closes those alerts (acknowledged by the medical lead, on the
ledger) and tells the director and oversight the conclusion in a normal alert."""

from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry
from homecoming.safety import decisions, services, signals
from homecoming.safety.models import Review

from .conftest import report_for


def test_concluding_the_review_closes_the_signals_alerts(ward, staff):
    r = ward.residents
    orders = [ward.dose(r[i], "mnemosyne") for i in range(4)]
    for i in range(4):
        report_for(staff["supervisor"], r[i], "amnesia", [orders[i]])
    for i in range(4, 10):
        for term in ("headache", "nausea"):
            report_for(staff["supervisor"], r[i], term)
    signal = signals.scan().raised[0]
    raised = Alert.objects.filter(kind="safety_signal")
    assert raised.count() == 3 and {a.urgency for a in raised} == {"critical"}
    assert {a.about_id for a in raised} == {str(signal.pk)}
    lead = Review.objects.get(signal=signal).assigned_to
    decisions.decide(  # a confirmed signal is acted on first
        lead, signal, decisions.Choice("suspend", "Amnesia within days of the first dose.")
    )
    services.conclude_review(
        lead, signal, "confirmed", "Four amnesia reports within days of the first dose."
    )
    for alert in Alert.objects.filter(kind="safety_signal"):
        assert alert.read_at is not None and alert.acknowledged_by == lead
        assert alert.closed_because == "the signal's review is concluded"
    assert Entry.objects.filter(action="alert.close", actor_id=lead.pk).count() == 3
    told = Alert.objects.filter(kind="safety_review", read_at__isnull=True)
    assert told.count() == 2 and {a.urgency for a in told} == {"normal"}
