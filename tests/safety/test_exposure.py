"""Signals that do not hang on the reporter (issue 13, part 4): a report counts against every
medicine the medication record shows given to the resident in the exposure window up to its
onset, whatever the reporter ticked.

The replay: residents on Mnemosyne-7 report memory problems, and nobody ticks the trial drug
(the reporters were told not to, or did not know it was the trial capsule). On main the default
rule (Evans) counted only ticked medicines and never flagged the pair."""

import datetime as dt

import time_machine
from django.utils import timezone

from homecoming.alerts.models import Alert
from homecoming.safety import selectors, signals

from .conftest import report_for

TRIAL = "Mnemosyne-7 (investigational)"


def reported():
    """The reports counted against each (drug, term) pair: the `a` of its 2x2 table."""
    counts = signals.count_pairs()
    return dict(zip(zip(counts.drugs, counts.terms, strict=True), counts.a, strict=True))


def _unticked_cluster(ward, staff):
    """Residents 0-4 given Mnemosyne-7, 5-9 sertraline. Four on Mnemosyne report memory
    impairment with no medicine ticked, the fifth a headache; those on sertraline report their
    usual effects, ticking sertraline."""
    r = ward.residents
    for i in range(5):
        ward.dose(r[i], "mnemosyne")
    sertraline = {i: ward.dose(r[i], "sertraline") for i in range(5, 10)}
    for i in range(4):
        report_for(staff["supervisor"], r[i], "memory-impairment")  # nothing ticked
    report_for(staff["supervisor"], r[4], "headache")
    for i in range(5, 10):
        for term in ("headache", "insomnia", "nausea"):
            report_for(staff["supervisor"], r[i], term, [sertraline[i]])


def test_replay_unticked_reports_on_the_trial_drug_raise_its_signal(
    ward, staff, medical_lead, client_for
):
    _unticked_cluster(ward, staff)
    result = signals.scan("report")
    raised = {(s.drug, s.term): s for s in result.raised}
    signal = raised[(TRIAL, "memory-impairment")]
    # Counted from the medication record: 20 reports, 5 against the trial drug (4 memory
    # impairment, 1 headache), memory impairment only on it: a=4, b=1, c=0, d=15.
    assert signal.measures["reports"] == {"a": 4, "b": 1, "c": 0, "d": 15}
    assert signal.rules == ["evans"]
    told = Alert.objects.filter(kind="safety_signal").values_list("recipient__username", flat=True)
    assert "lead" in told and "oversight" in told
    # The medical lead reads the four reports behind it, though none ticked the drug.
    assert len(selectors.signal_detail(medical_lead, signal.pk).cases) == 4
    page = client_for(medical_lead).get(f"/safety/signals/{signal.pk}/").content.decode()
    assert page.count("none ticked") == 4 and "Decide: monitor, restrict or suspend" in page


def test_a_dose_outside_the_window_before_onset_does_not_count(ward, staff, settings):
    """Doses given 40 days before the onset fall outside the default 30-day window; a longer
    window takes them in. A dose after the onset never counts."""
    r = ward.residents
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=40), tick=False):
        for i in range(4):
            ward.dose(r[i], "mnemosyne")
    with time_machine.travel(now, tick=False):
        for i in range(4):
            report_for(staff["supervisor"], r[i], "memory-impairment")
        for i in range(4, 10):
            report_for(staff["supervisor"], r[i], "headache")
        assert signals.exposure_days() == 30
        assert reported()[(TRIAL, "memory-impairment")] == 0

        settings.HOMECOMING_SIGNAL_EXPOSURE_DAYS = 45
        assert reported()[(TRIAL, "memory-impairment")] == 4


def test_a_dose_after_the_onset_does_not_count(ward, staff):
    r = ward.residents
    report_for(
        staff["supervisor"], r[0], "amnesia", onset=timezone.localdate() - dt.timedelta(days=2)
    )
    ward.dose(r[0], "mnemosyne")  # given today, after the onset two days ago
    assert reported().get((TRIAL, "amnesia"), 0) == 0
