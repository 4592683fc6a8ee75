"""Reading questionnaires: who may, one ledger entry per questionnaire shown, no N+1, trends."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from homecoming.access import services as access_services
from homecoming.access.policy import AccessDenied
from homecoming.ledger.models import Entry
from homecoming.measures import selectors, services
from homecoming.residents.models import Resident
from tests.measures.answers import pcl5, phq9


@pytest.fixture
def answered(resident, staff):
    """Two PCL-5s (the second 12 points better), a PHQ-9 with item 9 at 1, a GAD-7."""
    return [
        services.record(staff["caseworker"], resident, "pcl5", pcl5(45)),
        services.record(staff["clinician"], resident, "phq9", phq9(item9=1)),
        services.record(staff["caseworker"], resident, "pcl5", [2] * 16 + [1, 0, 0, 0]),
        services.record(staff["caseworker"], resident, "gad7", [2] * 7),
    ]


def reads(actor):
    return Entry.objects.filter(actor=actor, action="resident.view", outcome="allowed")


def test_history_lists_every_administration_newest_first(resident, staff, answered):
    history = selectors.history(staff["caseworker"], resident.pk)
    assert [a.questionnaire for a in history.administrations] == answered[::-1]
    latest_pcl5 = history.administrations[1]
    assert latest_pcl5.answers[0][0].number == 1 and latest_pcl5.answers[0][1].words == "Moderately"
    assert [f.text for f in latest_pcl5.flags] == [
        "Clinically meaningful improvement: -12 points since the previous PCL-5",
        "Provisional PTSD (DSM-5 symptom rule)",
        "Provisional PTSD (at or above cut-point 33)",
    ]
    phq = history.administrations[2]
    assert [(f.text, f.level) for f in phq.flags] == [
        ('Item 9 answered 1 ("Several days")', "danger")
    ]
    assert dict(history.administrations[1].clusters)["C (items 6–7)"] == 4


def test_the_questionnaires_shown_are_one_look_at_the_resident(resident, staff, answered):
    assert len(answered) > 1
    selectors.history(staff["caseworker"], resident.pk)
    [look] = reads(staff["caseworker"])
    assert (look.object_type, look.resident_id, look.purpose) == (
        "residents.resident",
        resident.pk,
        "care",
    )
    assert look.sections == ["questionnaires"]


def test_with_nothing_to_show_the_page_read_is_the_residents(resident, staff):
    history = selectors.history(staff["caseworker"], resident.pk)
    assert history.administrations == [] and not history.trends.any
    assert [(e.object_type, e.object_id) for e in reads(staff["caseworker"])] == [
        ("residents.resident", str(resident.pk))
    ]


def test_trends_for_the_chart_are_part_of_the_charts_one_read(resident, staff, answered):
    """The chart records reading the resident; the totals it plots add no entry of their own."""
    selectors.trends(staff["caseworker"], resident.pk)
    assert not reads(staff["caseworker"]).exists()


def test_a_long_record_plots_its_latest_points_against_the_first_baseline(resident, staff):
    for total in range(selectors.TREND_POINTS + 4):
        services.record(staff["caseworker"], resident, "gad7", [total % 4] + [0] * 6)
    gad = selectors.trends(staff["caseworker"], resident.pk).instruments[2]
    assert len(gad.points) == selectors.TREND_POINTS
    assert gad.baseline == 0 and [t for _, t in gad.points][:3] == [0, 1, 2]


def test_reading_costs_the_same_queries_for_many_questionnaires(resident, staff):
    services.record(staff["caseworker"], resident, "gad7", [1] * 7)
    with CaptureQueriesContext(connection) as one:
        selectors.history(staff["caseworker"], resident.pk)
    for total in (10, 20, 30, 40, 50):
        services.record(staff["caseworker"], resident, "pcl5", pcl5(total))
        services.record(staff["clinician"], resident, "phq9", phq9())
    with CaptureQueriesContext(connection) as many:
        history = selectors.history(staff["caseworker"], resident.pk)
        # Who completed each one is already loaded.
        names = [a.questionnaire.completed_by.full_name for a in history.administrations]
    assert len(names) == 11
    assert len(many) == len(one)


def test_trends_give_points_baseline_bands_and_latest_findings(resident, staff, answered):
    trends = selectors.trends(staff["caseworker"], resident.pk)
    by_code = {t.definition.code: t for t in trends.instruments}
    assert list(by_code) == ["pcl5", "phq9", "gad7"]
    pcl = by_code["pcl5"]
    assert [total for _, total in pcl.points] == [45, 33]
    assert pcl.baseline == 45
    assert [b.label for b in pcl.bands] == ["below cut-point", "at or above cut-point"]
    assert pcl.latest.questionnaire.findings["change"] == -12
    assert pcl.plot.baseline_y == pcl.plot.markers[0].y
    assert "baseline 45, latest 33 (at or above cut-point)" in pcl.summary
    assert by_code["phq9"].latest.item9_positive
    assert trends.can_record and not trends.own


def test_trend_dates_are_in_the_centers_zone(resident, staff, answered):
    trend = selectors.trends(staff["caseworker"], resident.pk).instruments[0]
    assert all(str(when.tzinfo) == "America/New_York" for when, _ in trend.points)


def test_an_instrument_never_completed_has_an_empty_trend(resident, staff):
    services.record(staff["caseworker"], resident, "gad7", [0] * 7)
    trends = selectors.trends(staff["caseworker"], resident.pk)
    pcl = trends.instruments[0]
    assert pcl.points == [] and pcl.plot is None and pcl.baseline is None
    assert pcl.summary == "No PCL-5 completed yet."


def test_the_resident_reads_their_own(resident, portal_user, answered):
    history = selectors.history(portal_user, resident.pk)
    assert len(history.administrations) == 4 and history.trends.own
    assert {e.purpose for e in reads(portal_user)} == {"self"}


def test_break_glass_reads_are_recorded_as_such(resident, staff, answered):
    access_services.open_break_glass(staff["clinician_other"], resident, "Seizure in room N101")
    trends = selectors.trends(staff["clinician_other"], resident.pk)
    assert trends.purpose == "break_glass" and not trends.can_record
    selectors.history(staff["clinician_other"], resident.pk)
    assert {e.purpose for e in reads(staff["clinician_other"])} == {"break_glass"}


@pytest.mark.parametrize(
    "who",
    ["caseworker_other", "clinician_other", "contractor", "oversight", "investigator", "sysadmin"],
)
def test_others_may_not_read(resident, staff, answered, who):
    for read in (selectors.history, selectors.trends):
        with pytest.raises(AccessDenied):
            read(staff[who], resident.pk)
    denied = Entry.objects.filter(actor=staff[who], action="resident.view", outcome="denied")
    assert denied.count() == 2 and {e.resident_id for e in denied} == {resident.pk}
    assert not reads(staff[who]).exists()


def test_a_resident_may_not_read_someone_elses(resident, other_resident, portal_user):
    with pytest.raises(AccessDenied):
        selectors.history(portal_user, other_resident.pk)
    assert Entry.objects.get(actor=portal_user, outcome="denied").resident_id == other_resident.pk


def test_an_unknown_resident_is_recorded_and_refused(staff, db):
    with pytest.raises(Resident.DoesNotExist):
        selectors.history(staff["supervisor"], 999999)
    probe = Entry.objects.get(actor=staff["supervisor"])
    assert probe.outcome == "denied" and probe.object_id == "999999"


def test_administrations_read_and_record_only_the_page_cut(resident, staff, answered):
    found = selectors.administrations(staff["clinician"], resident.pk)
    assert len(found) == 4
    assert not reads(staff["clinician"]).exists()  # counted, nothing shown yet
    with CaptureQueriesContext(connection) as queries:
        page = found[1:3]
    assert [a.questionnaire.pk for a in page] == [answered[2].pk, answered[1].pk]
    assert len([q for q in queries if "measures_questionnaire" in q["sql"]]) == 1
    [look] = reads(staff["clinician"])
    assert look.resident_id == resident.pk and look.sections == ["questionnaires"]


def test_administrations_refuse_outside_the_care_team(resident, staff):
    with pytest.raises(AccessDenied):
        selectors.administrations(staff["caseworker_other"], resident.pk)
    assert Entry.objects.filter(actor=staff["caseworker_other"], outcome="denied").exists()


def test_recorded_trends_record_what_they_plot(resident, staff, answered):
    trends = selectors.recorded_trends(staff["caseworker"], resident.pk)
    assert [len(t.points) for t in trends.instruments] == [2, 1, 1]
    [look] = reads(staff["caseworker"])
    assert look.sections == ["questionnaires"]
