"""Each aggregate on a small program whose figures are worked out by hand (conftest.TODAY is
2026-11-20: the last 12 months are Dec 2025 to Nov 2026)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from homecoming.outcomes import aggregates
from homecoming.outcomes.aggregates import Filters

D = dt.date


def test_admissions_per_month_and_total(known):
    o = aggregates.compute()
    assert o.months[0][0] == D(2025, 12, 1) and o.months[-1][0] == D(2026, 11, 1)
    per_month = dict(o.months)
    assert per_month[D(2026, 1, 1)] == 1 and per_month[D(2026, 2, 1)] == 1
    assert per_month[D(2026, 11, 1)] == 1 and sum(per_month.values()) == 3
    assert o.admissions == 4  # d, in 2025, too; the expected stay is not an admission


def test_length_of_stay_of_ended_stays(known):
    los = aggregates.compute().length_of_stay
    assert (los.stays, los.median, los.lower_quartile, los.upper_quartile) == (3, 50, 45, 55)


def test_pcl5_change_first_to_last_of_discharged_residents(known):
    o = aggregates.compute()
    bands = dict(o.pcl5_bands)
    assert bands["Better by 20 to 29"] == 1 and bands["Within 9 either way"] == 1
    assert o.pcl5_residents == 2  # d has one questionnaire; c is not discharged
    assert o.pcl5_improved == 1


def test_dispositions_return_to_duty_first(known):
    o = aggregates.compute()
    assert o.dispositions[0] == ("return_to_duty", "Return to duty", 1)
    assert dict((code, n) for code, _, n in o.dispositions)["home"] == 2
    assert o.discharges == 3


def test_follow_up_reach_per_interval(known):
    reach = {r.interval_days: (r.due, r.made) for r in aggregates.compute().reach}
    assert reach == {7: (2, 2), 30: (1, 0), 90: (1, 1), 180: (1, 0), 365: (1, 1)}


def test_lost_adverse_events_signals_complaints(known):
    o = aggregates.compute()
    assert (o.lost_open, o.lost_closed) == (1, 1)
    assert (o.events_serious, o.events_not_serious) == (1, 1)
    assert o.resident_days == 50 + 60 + 40 + 18  # c: Nov 2 to today
    assert (o.signals_open, o.signals_reviewed) == (1, 2)
    assert (o.complaints_closed, o.complaints_open, o.median_days_to_close) == (2, 1, 7.0)


def test_a_period_and_a_program(known, program):
    o = aggregates.compute(Filters(D(2026, 1, 1), D(2026, 3, 31)))
    assert o.admissions == 2
    assert [(c, n) for c, _, n in o.dispositions if n] == [("return_to_duty", 1)]
    assert o.resident_days == 50 + 54  # b: Feb 5 to Mar 31
    assert (o.events_serious, o.events_not_serious) == (1, 0)
    assert o.complaints_closed == 1
    o = aggregates.compute(Filters(D(2026, 1, 1), D(2026, 3, 31), program))
    assert (o.admissions, o.resident_days, o.discharges) == (1, 50, 1)
    assert o.notes  # signals and complaints have no program: said so


def test_no_resident_row_is_read(known):
    with CaptureQueriesContext(connection) as ctx:
        aggregates.compute()
    # Residents appear only inside subqueries and joins, never selected from on their own.
    assert not [q for q in ctx.captured_queries if 'FROM "residents_resident"' in q["sql"]]


def test_bad_filters_are_named_together(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        aggregates.parse_filters("2026-13-01", "yesterday", "No such program")
    assert set(exc.value.message_dict) == {"from", "to", "program"}
    with pytest.raises(ValidationError) as exc:
        aggregates.parse_filters("2026-05-01", "2026-04-01", None)
    assert "ends before it starts" in str(exc.value)
