"""Signal detection end to end: a planted cluster of memory-impairment reports on one medicine
raises exactly that signal, once, with a review task and alerts; the counts behind it are the
2x2 table worked out by hand; the configured rule decides; and the worker scans when reports
come in and on its schedule."""

import datetime as dt

import pytest
from django.utils import timezone

from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry
from homecoming.safety import signals
from homecoming.safety.models import Review, Scan, Signal, SignalStatus

from .conftest import report_for


@pytest.fixture
def cluster(ward, staff):
    """Residents 0-4 given Mnemosyne-7, 5-9 sertraline. Four on Mnemosyne report memory
    impairment suspecting it, the fifth a headache; those on sertraline report three events
    each (headache, insomnia, nausea), suspecting sertraline."""
    r = ward.residents
    mnemosyne = {i: ward.dose(r[i], "mnemosyne") for i in range(5)}
    sertraline = {i: ward.dose(r[i], "sertraline") for i in range(5, 10)}
    cw = staff["supervisor"]
    for i in range(4):
        report_for(cw, r[i], "memory-impairment", [mnemosyne[i]])
    report_for(cw, r[4], "headache", [mnemosyne[4]])
    for i in range(5, 10):
        for term in ("headache", "insomnia", "nausea"):
            report_for(cw, r[i], term, [sertraline[i]])
    return ward


def test_the_planted_cluster_raises_exactly_its_signal(cluster, medical_lead, staff):
    result = signals.scan("manual")
    assert [(s.drug, s.term) for s in result.raised] == [
        ("Mnemosyne-7 (investigational)", "memory-impairment")
    ]
    signal = result.raised[0]
    # 20 reports: Mnemosyne suspected in 5 (4 memory impairment, 1 headache); memory impairment
    # reported 4 times, all on Mnemosyne. a=4, b=1, c=0, d=15.
    assert signal.measures["reports"] == {"a": 4, "b": 1, "c": 0, "d": 15}
    assert signal.measures["prr"] == "inf"  # no memory impairment on anything else
    # Yates: N(|ad - bc| - N/2)^2 / ((a+b)(c+d)(a+c)(b+d)) = 20 (60 - 10)^2 / (5 * 15 * 4 * 16)
    #   = 50,000 / 4,800 = 10.42: at least 4, with PRR >= 2 and 3 cases or more: Evans.
    assert signal.measures["chi2"] == pytest.approx(20 * 50**2 / (5 * 15 * 4 * 16), abs=1e-4)
    # IC: E = (a+b)(a+c)/N = 5 * 4 / 20 = 1; IC = log2(4.5 / 1.5) = log2(3) = 1.585
    assert signal.measures["ic"] == pytest.approx(1.585, abs=1e-3)
    # Residents: 5 of 10 given Mnemosyne, 4 with memory impairment, all 4 among them.
    assert signal.measures["residents"] == {
        "exposed_cases": 4,
        "exposed": 5,
        "cases": 4,
        "total": 10,
    }
    assert signal.rules == ["evans"] and signal.status == SignalStatus.OPEN
    review = Review.objects.get(signal=signal)
    assert review.assigned_to == medical_lead and review.concluded_at is None
    told = set(
        Alert.objects.filter(kind="safety_signal").values_list(
            "recipient__username", "recipient__role"
        )
    )
    assert ("lead", "clinician") in told
    assert {"program_director", "oversight"} <= {role for _, role in told}
    assert "caseworker" not in {role for _, role in told}
    assert Entry.objects.filter(action="safety.signal", object_type="safety.signal").count() == 1


def test_a_second_scan_raises_nothing_new_and_updates_the_counts(cluster, staff):
    first = signals.scan("manual").raised[0]
    assert signals.scan("manual").raised == []
    r = cluster.residents
    report_for(staff["supervisor"], r[4], "memory-impairment", [r[4].medication_orders.get()])
    assert signals.scan("report").raised == []
    first.refresh_from_db()
    assert first.measures["reports"]["a"] == 4  # as raised
    assert first.latest["reports"]["a"] == 5  # as it now stands
    assert Signal.objects.count() == 1
    assert Scan.objects.count() == 3


def test_a_few_scattered_reports_raise_no_signal(ward, staff):
    r = ward.residents
    orders = [ward.dose(r[i], "mnemosyne") for i in range(3)]
    report_for(staff["supervisor"], r[0], "memory-impairment", [orders[0]])
    report_for(staff["supervisor"], r[1], "headache", [orders[1]])
    report_for(staff["supervisor"], r[5], "memory-impairment")  # no suspect named
    result = signals.scan("manual")
    assert result.raised == [] and result.scan.pairs > 0


def test_fisher_flags_events_among_residents_given_a_drug_even_when_nobody_suspected_it(
    ward, staff, settings
):
    """The story's failure: reports that nobody connected to the drug. Fisher compares the
    residents given it with the rest, whatever the reporters suspected."""
    r = ward.residents
    for i in range(5):
        ward.dose(r[i], "mnemosyne")
    for i in range(5):
        report_for(staff["supervisor"], r[i], "amnesia")  # no suspect named
    settings.HOMECOMING_SIGNAL_RULES = ["evans"]
    assert signals.scan("manual").raised == []
    settings.HOMECOMING_SIGNAL_RULES = ["evans", "fisher"]
    raised = signals.scan("manual").raised
    assert [(s.drug, s.term, s.rules) for s in raised] == [
        ("Mnemosyne-7 (investigational)", "amnesia", ["fisher"])
    ]
    # 5 of 10 residents given it, 5 had amnesia, all of them: p = 1 / C(10, 5) = 1/252.
    assert raised[0].measures["fisher_p"] == pytest.approx(1 / 252, abs=1e-6)


def test_the_worker_scans_after_new_reports_and_on_its_schedule(ward, staff, settings):
    assert signals.due() is None  # no report yet
    report_for(staff["supervisor"], ward.residents[0], "insomnia")
    assert signals.due() == "report"
    signals.scan("report")
    assert signals.due() is None
    later = timezone.now() + settings.HOMECOMING_SIGNAL_SCAN_INTERVAL + dt.timedelta(minutes=1)
    assert signals.due(later) == "schedule"
