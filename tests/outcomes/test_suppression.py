"""Small-cell suppression: the rules one by one, then random tables (hypothesis) on which no
hidden cell can be worked out as the total minus the cells shown, and whole random reports on
which no count from 1 to 10 shows."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from homecoming.outcomes import report, suppression
from homecoming.outcomes.aggregates import CHANGE_BANDS, Filters, LengthOfStay, Outcomes, Reach
from homecoming.outcomes.selectors import Occupancy
from homecoming.outcomes.suppression import MARK


def test_small_counts_are_hidden_zero_is_shown():
    assert [suppression.small(n) for n in (0, 1, 10, 11, 250)] == [False, True, True, False, False]
    shown, total, _ = suppression.table([0, 25, 40], suppress=True)
    assert (shown, total) == ([0, 25, 40], 65)


def test_one_hidden_cell_takes_the_next_smallest_with_it():
    shown, total, _ = suppression.table([5, 30, 12, 40], suppress=True)
    assert shown == [MARK, 30, MARK, 40] and total == 87


def test_a_zero_can_be_the_complementary_cell():
    shown, total, _ = suppression.table([3, 0, 20], suppress=True)
    assert shown == [MARK, MARK, 20] and total == 23


def test_two_small_cells_need_nothing_more():
    shown, _, _ = suppression.table([3, 4, 20], suppress=True)
    assert shown == [MARK, MARK, 20]


def test_a_small_total_is_hidden_and_protects_the_cells():
    shown, total, _ = suppression.table([3, 0, 0], suppress=True)
    assert shown == [MARK, 0, 0] and total == MARK


def test_unsuppressed_tables_are_as_counted():
    assert suppression.table([3, 0, 20], suppress=False)[:2] == ([3, 0, 20], 23)


def test_no_total_shown_needs_no_complement():
    assert suppression.hidden_cells([3, 20, 30], total_shown=False) == [True, False, False]


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=10))
def test_no_hidden_cell_is_the_total_minus_the_visible_ones(cells):
    shown, total, hidden = suppression.table(cells, suppress=True)
    assert suppression.recoverable(shown, total) == []
    if total != MARK:
        visible = sum(c for c in shown if c != MARK)
        missing = [c for c, h in zip(cells, hidden, strict=True) if h]
        # What subtraction gives is the sum of two hidden cells at least, never one of them.
        assert len(missing) != 1 and total - visible == sum(missing)
    for original, value in zip(cells, shown, strict=True):
        assert value == MARK or value == original  # nothing shown is changed
        assert value == MARK or value == 0 or value >= 11
    assert total == MARK or total == 0 or total >= 11


counts = st.integers(min_value=0, max_value=40)


@st.composite
def outcomes(draw):
    months = [(dt.date(2026, m, 1), draw(counts)) for m in range(1, 13)]
    ended = draw(counts)
    return Outcomes(
        filters=Filters(),
        today=dt.date(2026, 12, 31),
        months=months,
        admissions=sum(n for _, n in months) + draw(counts),
        occupancy=Occupancy(
            beds=draw(counts),
            occupied=draw(counts),
            in_residence=draw(counts),
            expected=draw(counts),
            discharged=draw(counts),
        ),  # fmt: skip
        length_of_stay=LengthOfStay(ended, 30.0 if ended else None, 20.0, 40.0),
        pcl5_bands=[(label, draw(counts)) for label, _, _ in CHANGE_BANDS],
        pcl5_improved=0,
        dispositions=[(c, c, draw(counts)) for c in report.SHORT_DISPOSITIONS],
        reach=[
            Reach(d, due, draw(st.integers(0, due)))
            for d, due in zip(
                (7, 30, 90, 180, 365), draw(st.lists(counts, min_size=5, max_size=5)), strict=True
            )
        ],  # fmt: skip
        lost_open=draw(counts),
        lost_closed=draw(counts),
        events_serious=draw(counts),
        events_not_serious=draw(counts),
        resident_days=draw(st.integers(0, 5000)),
        signals_open=draw(counts),
        signals_reviewed=draw(counts),
        complaints_closed=draw(counts),
        complaints_open=draw(counts),
        median_days_to_close=4.5,
    )


NOT_COUNTS_OF_PEOPLE = {"Beds in service", "Resident-days"}


@given(outcomes())
def test_a_suppressed_report_shows_no_count_from_1_to_10(o):
    o.pcl5_improved = sum(n for _, n in o.pcl5_bands[:3])
    for table in report.build(o, suppress=True):
        for row in table.rows:
            if row[0] in NOT_COUNTS_OF_PEOPLE:
                continue
            for value in row[1:]:
                if isinstance(value, int):
                    assert value == 0 or value >= 11, (table.key, row)
        for _, number, says in table.bars:
            assert number is None or not suppression.small(number) or table.key == "follow_up"
            assert not (isinstance(says, str) and says.isdigit() and suppression.small(int(says)))


@given(outcomes())
def test_derived_figures_hide_with_their_counts(o):
    tables = {t.key: dict((r[0], r[1:]) for r in t.rows) for t in report.build(o, True)}
    los = tables["length_of_stay"]
    if los["Stays ended"][0] == MARK:
        assert los["Median"][0] == MARK and los["Upper quartile"][0] == MARK
    ae = tables["adverse_events"]
    if ae["Reports"][0] == MARK:
        assert ae["Reports per 1,000 resident-days"][0] == MARK
    for due, made, pct in tables["follow_up"].values():
        if MARK in (due, made):
            assert pct in (MARK, None)
    c = tables["complaints"]
    if c["Closed or resolved"][0] == MARK:
        assert c["Median days to close"][0] == MARK
