"""A vital sign over time, as a small inline SVG drawn on the server (no script, no download).

Pure geometry, as measures/charts.py (whose date labels and tick spacing it reuses): times and
values in, coordinates out. One size only: 300 units wide, drawn at the page's width, so the
same chart reads on a phone (its 11-unit text about 11 px at 360 px) and on a desk.
"""

import datetime as dt
from dataclasses import dataclass

from homecoming.measures.charts import Marker, Tick, _date_ticks, date_label

WIDTH = 300  # as measures/charts.py NARROW_WIDTH: its text about 11 px on a phone
HEIGHT = 120
LEFT = 36  # room for the values on the y-axis
RIGHT = 12  # half the latest date label
TOP = 8
BOTTOM = 24  # room for the dates
NORMAL_FILL = "#e3f1e6"


@dataclass(frozen=True)
class Plot:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    line: str
    markers: tuple  # Marker, each with its flag in `label`'s title
    x_ticks: tuple
    y_ticks: tuple
    normal_y: float | None  # the normal range's shaded band, when the measure has one
    normal_height: float | None

    @property
    def total_label_x(self) -> int:
        return self.left - 4

    @property
    def date_label_y(self) -> int:
        return self.bottom + 16

    @property
    def plot_width(self) -> int:
        return self.right - self.left


def _round(value: float) -> float:
    return round(value, 1)


def plot(measure, points: list[tuple[dt.datetime, object]]) -> Plot:
    """The chart of `points` (time, value), oldest first, on a scale from the lowest to the
    highest value shown, the normal range included so a reader sees how far out a value is."""
    values = [float(v) for _, v in points]
    normal = [float(x) for x in (measure.low, measure.high) if x is not None]
    low, high = min(values + normal), max(values + normal)
    pad = max((high - low) * 0.1, 1.0)
    low, high = low - pad, high + pad
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def y_of(v: float) -> float:
        return _round(bottom - (bottom - TOP) * (v - low) / (high - low))

    first, last = points[0][0].timestamp(), points[-1][0].timestamp()

    def x_of(stamp: float) -> float:
        if last == first:
            return _round((LEFT + right) / 2)
        return _round(LEFT + (right - LEFT) * (stamp - first) / (last - first))

    with_year = points[0][0].year != points[-1][0].year
    markers = tuple(
        Marker(x_of(t.timestamp()), y_of(float(v)), v, t, date_label(t, with_year))
        for t, v in points
    )
    band_low = measure.low if measure.low is not None else low
    band_high = measure.high if measure.high is not None else high
    shaded = measure.low is not None or measure.high is not None
    top_y, bottom_y = y_of(float(band_high)), y_of(float(band_low))
    y_values = sorted({round(low + pad), round(high - pad)})
    return Plot(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        right=right,
        bottom=bottom,
        line=" ".join(f"{m.x},{m.y}" for m in markers),
        markers=markers,
        x_ticks=_date_ticks(list(markers)),
        y_ticks=tuple(Tick(y_of(v), str(v)) for v in y_values),
        normal_y=top_y if shaded else None,
        normal_height=_round(bottom_y - top_y) if shaded else None,
    )
