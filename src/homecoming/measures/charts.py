"""Where everything goes in a trend chart: bands, baseline, line, points and axis labels.

Pure geometry (totals and times in, SVG coordinates out), so it is tested without a browser and
the template only draws. The chart is inline SVG rendered on the server: nothing is downloaded
when the page opens, and it prints.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from homecoming.core import dates

from .scoring import Band

WIDTH = 700
HEIGHT = 240
LEFT = 40  # room for the totals on the y-axis
RIGHT_GUTTER = 190  # room for the band names, outside the plotted area
TOP = 12
BOTTOM = 30  # room for the dates
MIN_LABEL_GAP = 64  # px between two date labels, so they never overlap
MIN_BAND_LABEL_HEIGHT = 11  # px: a thinner band is shaded but not named on the chart
# The chart for a phone: drawn about as wide as a phone's card, so its 11-unit text is drawn at
# about 11 px (the wide chart, scaled down to a phone, drew it at 5). No room for a gutter there:
# the band names go inside the plotted area, right-aligned, on a white halo.
NARROW_WIDTH = 300
NARROW_GUTTER = 28  # half the latest date label, which sits on the right edge
# Light fills from calm to alarming; bands take colours spread across this range.
FILLS = ("#e3f1e6", "#eef3d8", "#fbf0cf", "#fbe3cc", "#f8d3cf")


@dataclass(frozen=True)
class BandArea:
    label: str
    low: int
    high: int
    y: float
    height: float
    fill: str
    label_y: float
    show_label: bool


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    total: int
    when: dt.datetime
    label: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Plot:
    width: int
    height: int
    left: int
    top: int
    right: int  # x of the plotted area's right edge
    bottom: int  # y of the x-axis
    bands: tuple[BandArea, ...]
    baseline: int | None
    baseline_y: float | None
    line: str  # the polyline's "x,y x,y ..." points
    markers: tuple[Marker, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    labels_inside: bool = False  # the band names inside the plotted area (the narrow chart)

    # Where the template writes its labels, so it does no arithmetic of its own.
    @property
    def plot_width(self) -> int:
        return self.right - self.left

    @property
    def band_label_x(self) -> int:
        return self.right - 6 if self.labels_inside else self.right + 6

    @property
    def band_label_anchor(self) -> str:
        return "end" if self.labels_inside else "start"

    @property
    def total_label_x(self) -> int:
        return self.left - 6

    @property
    def date_label_y(self) -> int:
        return self.bottom + 18

    @property
    def baseline_label_x(self) -> int:
        return self.left + 4

    @property
    def baseline_label_y(self) -> float | None:
        return None if self.baseline_y is None else _round(self.baseline_y - 4)


def _round(value: float) -> float:
    return round(value, 1)


def date_label(when: dt.datetime | dt.date, with_year: bool) -> str:
    text = f"{dates.day_this_year(when)}"
    return f"{text}, {when.year}" if with_year else text


def _fill(index: int, count: int) -> str:
    if count == 1:
        return FILLS[0]
    return FILLS[round(index * (len(FILLS) - 1) / (count - 1))]


def _date_ticks(markers: list[Marker]) -> tuple[Tick, ...]:
    """One date label per point, left to right, skipping any that would overlap the one before;
    the latest point always keeps its label (it is the one a reader looks for)."""
    kept: list[Marker] = []
    for marker in markers:
        if not kept or marker.x - kept[-1].x >= MIN_LABEL_GAP:
            kept.append(marker)
    last = markers[-1] if markers else None
    if last is not None and kept[-1] is not last:
        while kept and last.x - kept[-1].x < MIN_LABEL_GAP:
            kept.pop()
        kept.append(last)
    return tuple(Tick(m.x, m.label) for m in kept)


def plot(
    points: Sequence[tuple[dt.datetime, int]],
    *,
    max_total: int,
    bands: Sequence[Band],
    baseline: int | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    gutter: int = RIGHT_GUTTER,
) -> Plot:
    """The chart of `points` (time, total), oldest first, on a 0..max_total scale.

    Bands are shaded from half a point below their lowest total to half a point above their
    highest, so a total on a boundary (a PHQ-9 of 10) sits inside its own band, not on a line.
    A `gutter` too narrow for the band names puts them inside the plotted area."""
    right = width - gutter
    bottom = height - BOTTOM
    plot_width = right - LEFT
    plot_height = bottom - TOP

    def y_of(total: float) -> float:
        return _round(bottom - plot_height * total / max_total)

    areas = []
    for index, band in enumerate(bands):
        top_y = y_of(min(band.high + 0.5, max_total))
        bottom_y = y_of(max(band.low - 0.5, 0))
        areas.append(
            BandArea(
                label=band.label,
                low=band.low,
                high=band.high,
                y=top_y,
                height=_round(bottom_y - top_y),
                fill=_fill(index, len(bands)),
                label_y=_round((top_y + bottom_y) / 2 + 4),  # +4: the text's middle, not its foot
                show_label=bottom_y - top_y >= MIN_BAND_LABEL_HEIGHT,
            )
        )

    points = sorted(points, key=lambda p: p[0])
    times = [p[0].timestamp() for p in points]
    first, last = (times[0], times[-1]) if times else (0.0, 0.0)
    with_year = bool(points) and points[0][0].year != points[-1][0].year

    def x_of(stamp: float) -> float:
        if last == first:  # one administration (or several at the same moment): the middle
            return _round(LEFT + plot_width / 2)
        return _round(LEFT + plot_width * (stamp - first) / (last - first))

    markers = [
        Marker(x_of(stamp), y_of(total), total, when, date_label(when, with_year))
        for stamp, (when, total) in zip(times, points, strict=True)
    ]
    y_values = [0, *(b.low for b in bands[1:]), max_total]
    return Plot(
        width=width,
        height=height,
        left=LEFT,
        top=TOP,
        right=right,
        bottom=bottom,
        bands=tuple(areas),
        baseline=baseline,
        baseline_y=None if baseline is None else y_of(baseline),
        line=" ".join(f"{m.x},{m.y}" for m in markers),
        markers=tuple(markers),
        x_ticks=_date_ticks(markers),
        y_ticks=tuple(Tick(y_of(v), str(v)) for v in dict.fromkeys(y_values)),
        labels_inside=gutter < RIGHT_GUTTER,
    )


def narrow(points, **kwargs) -> Plot:
    """The same chart for a phone (see NARROW_WIDTH)."""
    return plot(points, width=NARROW_WIDTH, gutter=NARROW_GUTTER, **kwargs)
