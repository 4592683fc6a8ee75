"""The trend chart's geometry: bands, baseline, line and labels land where they should."""

import datetime as dt

import pytest

from homecoming.measures import charts, scoring

UTC = dt.UTC


def day(d, month=3, year=2025):
    return dt.datetime(year, month, d, 10, 0, tzinfo=UTC)


def phq9_plot(points, baseline=None):
    return charts.plot(
        points, max_total=27, bands=scoring.bands("phq9"), baseline=baseline or points[0][1]
    )


def test_totals_map_onto_the_vertical_scale():
    p = phq9_plot([(day(1), 0), (day(2), 27)])
    first, last = p.markers
    assert first.y == p.bottom and last.y == p.top
    middle = phq9_plot([(day(1), 9)]).markers[0]
    assert middle.y == pytest.approx(p.bottom - (p.bottom - p.top) * 9 / 27, abs=0.1)


def test_time_maps_onto_the_horizontal_axis():
    p = phq9_plot([(day(1), 5), (day(3), 10), (day(11), 15)])
    xs = [m.x for m in p.markers]
    assert xs[0] == p.left and xs[-1] == p.right
    # Day 3 is 2 of 10 days along.
    assert xs[1] == pytest.approx(p.left + (p.right - p.left) * 0.2, abs=0.1)
    assert p.line == " ".join(f"{m.x},{m.y}" for m in p.markers)


def test_points_are_drawn_in_time_order():
    p = phq9_plot([(day(9), 20), (day(1), 5)], baseline=5)
    assert [m.total for m in p.markers] == [5, 20]


def test_one_administration_sits_in_the_middle():
    p = phq9_plot([(day(1), 12)])
    assert p.markers[0].x == p.left + (p.right - p.left) / 2


def test_bands_stack_from_bottom_to_top_without_gaps():
    p = phq9_plot([(day(1), 12)])
    assert [b.label for b in p.bands] == [
        "none-minimal",
        "mild",
        "moderate",
        "moderately severe",
        "severe",
    ]
    assert p.bands[0].y + p.bands[0].height == pytest.approx(p.bottom)
    assert p.bands[-1].y == p.top
    for lower, upper in zip(p.bands, p.bands[1:], strict=False):
        assert upper.y + upper.height == pytest.approx(lower.y, abs=0.11)
    fills = [b.fill for b in p.bands]
    assert fills[0] == charts.FILLS[0] and fills[-1] == charts.FILLS[-1]


@pytest.mark.parametrize(
    "total, band", [(4, 0), (5, 1), (9, 1), (10, 2), (14, 2), (15, 3), (20, 4)]
)
def test_a_total_on_a_boundary_lies_inside_its_own_band(total, band):
    p = phq9_plot([(day(1), total)])
    area = p.bands[band]
    assert area.y < p.markers[0].y < area.y + area.height


def test_pcl5_has_two_bands_either_side_of_the_cutpoint():
    p = charts.plot([(day(1), 40)], max_total=80, bands=scoring.bands("pcl5", 33), baseline=40)
    below, above = p.bands
    assert (below.label, above.label) == ("below cut-point", "at or above cut-point")
    assert [t.label for t in p.y_ticks] == ["0", "33", "80"]


def test_baseline_is_drawn_at_its_total():
    p = phq9_plot([(day(1), 18), (day(8), 9)], baseline=18)
    assert p.baseline == 18 and p.baseline_y == p.markers[0].y
    assert p.baseline_label_y == pytest.approx(p.baseline_y - 4)


def test_the_total_axis_is_labelled_at_band_boundaries():
    p = phq9_plot([(day(1), 3)])
    assert [t.label for t in p.y_ticks] == ["0", "5", "10", "15", "20", "27"]


def test_date_labels_never_overlap_and_the_latest_keeps_its_label():
    # Daily for a week then one a month later: the daily labels crowd, most are dropped.
    points = [(day(d), 10) for d in range(1, 8)] + [(day(7, month=4), 12)]
    p = phq9_plot(points)
    xs = [t.position for t in p.x_ticks]
    assert all(b - a >= charts.MIN_LABEL_GAP for a, b in zip(xs, xs[1:], strict=False))
    assert p.x_ticks[0].label == "Mar 1"
    assert p.x_ticks[-1].label == "Apr 7"
    assert len(p.x_ticks) < len(points)


def test_the_latest_label_replaces_a_crowding_neighbour():
    points = [(day(1), 1), (day(30), 2), (day(31), 3)]
    labels = [t.label for t in phq9_plot(points).x_ticks]
    assert labels == ["Mar 1", "Mar 31"]


def test_dates_carry_the_year_when_the_chart_spans_two():
    p = phq9_plot([(day(20, month=12, year=2024), 10), (day(10, month=1, year=2025), 8)])
    assert [t.label for t in p.x_ticks] == ["Dec 20, 2024", "Jan 10, 2025"]


def test_the_narrow_chart_keeps_its_labels_inside_a_phone_wide_drawing():
    """Drawn about as wide as a phone's card, its 11-unit text is drawn at about 11 px: the band
    names go inside the plotted area, right-aligned, and the latest date still fits."""
    points = [(day(1), 20), (day(15), 12), (day(29), 6)]
    wide = phq9_plot(points)
    narrow = charts.narrow(points, max_total=27, bands=scoring.bands("phq9"), baseline=points[0][1])
    assert narrow.width == charts.NARROW_WIDTH < wide.width
    assert narrow.labels_inside and not wide.labels_inside
    assert narrow.band_label_anchor == "end" and wide.band_label_anchor == "start"
    assert narrow.left < narrow.band_label_x < narrow.right
    assert wide.band_label_x > wide.right
    # The latest date, centred on the right edge: half of "Mar 29" (about 16 units) fits.
    assert narrow.x_ticks[-1].position == narrow.right
    assert narrow.width - narrow.right >= 16
    # The same scale: a total sits at the same height in both.
    assert [m.y for m in narrow.markers] == [m.y for m in wide.markers]
