"""The dose guard's arithmetic, by example and by property: no sequence of doses, recorded in any
order and at any times, puts more than the protocol's maximum into any 24-hour window."""

import datetime as dt
from fractions import Fraction

from hypothesis import given, note
from hypothesis import strategies as st

from homecoming.medications.guard import (
    WINDOW,
    Dose,
    Limits,
    Rule,
    dose_stops,
    heaviest_window,
)

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
LIMITS = Limits(
    unit="mg",
    max_single=Fraction(100),
    max_daily=Fraction(200),
    min_interval=dt.timedelta(hours=6),
)


def hours(h):
    return T0 + dt.timedelta(hours=h)


def rules(stops):
    return [s.rule for s in stops]


def test_a_dose_within_every_limit_passes():
    assert dose_stops(LIMITS, Fraction(50), Dose(hours(0), Fraction(50)), []) == []


def test_above_the_order_and_the_single_maximum_are_both_named():
    stops = dose_stops(LIMITS, Fraction(50), Dose(hours(0), Fraction(150)), [])
    assert rules(stops) == [Rule.ABOVE_ORDER, Rule.ABOVE_SINGLE_MAXIMUM]
    assert stops[0].message == "150 mg is more than the ordered dose of 50 mg."
    assert not any(s.overridable for s in stops)


def test_the_24_hour_maximum_counts_the_window_ending_at_the_new_dose():
    given = [Dose(hours(0), Fraction(100)), Dose(hours(8), Fraction(100))]
    stops = dose_stops(LIMITS, Fraction(100), Dose(hours(16), Fraction(50)), given)
    assert rules(stops) == [Rule.ABOVE_DAILY_MAXIMUM]
    assert "250 mg in the 24 hours" in stops[0].message
    # Exactly 24 hours after the first dose, the first has left the window.
    assert dose_stops(LIMITS, Fraction(100), Dose(hours(24), Fraction(100)), given) == []


def test_a_dose_recorded_late_is_checked_against_doses_given_after_it():
    # 100 mg at 20:00 and 100 mg the next day at 04:00 are already recorded; a dose charted late
    # at 12:00 the first day would put 250 mg in the 24 hours ending at 04:00.
    given = [Dose(hours(12), Fraction(100)), Dose(hours(20), Fraction(100))]
    stops = dose_stops(LIMITS, Fraction(100), Dose(hours(4), Fraction(50)), given)
    assert Rule.ABOVE_DAILY_MAXIMUM in rules(stops)


def test_the_interval_names_when_the_next_dose_may_be_given():
    stops = dose_stops(LIMITS, Fraction(50), Dose(hours(2), Fraction(50)), [Dose(T0, Fraction(50))])
    assert rules(stops) == [Rule.INTERVAL]
    assert stops[0].overridable
    assert "at least 6 hours apart" in stops[0].message
    assert dose_stops(LIMITS, Fraction(50), Dose(hours(6), Fraction(50)), [Dose(T0, 50)]) == []


def test_the_interval_also_holds_before_a_later_recorded_dose():
    stops = dose_stops(LIMITS, Fraction(50), Dose(T0, Fraction(50)), [Dose(hours(3), Fraction(50))])
    assert rules(stops) == [Rule.INTERVAL]


def test_the_heaviest_window_is_found_among_later_doses():
    given = [Dose(hours(10), Fraction(60)), Dose(hours(23), Fraction(70))]
    total, end = heaviest_window(given, Dose(hours(1), Fraction(80)))
    assert (total, end) == (Fraction(210), hours(23))


# --- properties ------------------------------------------------------------------------------

amounts = st.fractions(min_value=Fraction(1, 4), max_value=Fraction(150), max_denominator=12)
attempts = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=72 * 60),  # minutes after T0, in any order
        amounts,
        st.booleans(),  # a co-signed override of the interval is offered
    ),
    max_size=30,
)
limits = st.builds(
    Limits,
    unit=st.just("mg"),
    max_single=st.fractions(min_value=1, max_value=100, max_denominator=4),
    max_daily=st.fractions(min_value=1, max_value=300, max_denominator=4),
    min_interval=st.integers(min_value=0, max_value=12 * 60).map(lambda m: dt.timedelta(minutes=m)),
).filter(lambda lim: lim.max_daily >= lim.max_single)


def windows_of(doses):
    """Every 24-hour window's total, brute force: a window ending at each dose."""
    return [
        sum((d.amount for d in doses if end.at - WINDOW < d.at <= end.at), Fraction(0))
        for end in doses
    ]


def run(limits, attempts):
    """Apply the attempts in the order they come, as the service does: a dose is given when no
    rule stops it, or when only the interval does and an override is offered."""
    given = []
    for minutes, amount, override in attempts:
        new = Dose(T0 + dt.timedelta(minutes=minutes), amount)
        stops = dose_stops(limits, limits.max_single, new, given)
        if not stops or (override and all(s.overridable for s in stops)):
            given.append(new)
        else:
            yield new, stops
    note(f"given: {given}")
    yield given, None


@given(limits, attempts)
def test_no_sequence_of_doses_passes_the_24_hour_maximum(limits, attempts):
    *_, (given, _) = run(limits, attempts)
    assert all(total <= limits.max_daily for total in windows_of(given))
    assert all(d.amount <= limits.max_single for d in given)


@given(limits, attempts)
def test_the_interval_holds_unless_overridden(limits, attempts):
    no_overrides = [(m, a, False) for m, a, _ in attempts]
    *_, (given, _) = run(limits, no_overrides)
    times = sorted(d.at for d in given)
    assert all(b - a >= limits.min_interval for a, b in zip(times, times[1:], strict=False))


@given(limits, attempts)
def test_the_daily_stop_fires_exactly_when_a_window_would_overfill(limits, attempts):
    """Against the doses given, any further dose is stopped by the 24-hour rule if and only if
    some 24-hour window holding it would pass the maximum: never a false alarm, never a miss."""
    *_, (given, _) = run(limits, attempts)
    for minutes, amount, _ in attempts:
        new = Dose(T0 + dt.timedelta(minutes=minutes), amount)
        stops = dose_stops(limits, amount, new, given)
        overfills = max(windows_of([*given, new])) > limits.max_daily
        assert (Rule.ABOVE_DAILY_MAXIMUM in rules(stops)) == overfills
