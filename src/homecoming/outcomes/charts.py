"""Bar charts of the outcomes, as inline SVG drawn on the server (as measures/charts.py: pure
geometry here, the template only draws; nothing is downloaded, and it prints).

A hidden (suppressed) count has no bar: its place says "<11" instead, so the chart never shows
more than the table beside it."""

from dataclasses import dataclass

WIDTH = 700
HEIGHT = 220
LEFT = 8
TOP = 18  # room for the value above the tallest bar
BOTTOM = 34  # room for the labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    says: str  # the value written above the bar (or "<11")
    label_x: float
    says_y: float
    highlight: bool  # drawn apart (return to duty)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    width: int
    height: int
    baseline: int
    bars: tuple[Bar, ...]
    label_y: int


def bars(
    key: str, title: str, items, *, highlight_first=False, top=None, width=WIDTH, height=HEIGHT
):
    """`items`: (label, number or None when hidden, what to write). Bars share one scale, from
    0 to `top` (a percentage: 100), or to the largest number shown."""
    items = list(items)
    baseline = height - BOTTOM
    top = top or max([v for _, v, _ in items if v is not None] + [1])
    slot = (width - LEFT) / max(len(items), 1)
    drawn = []
    for i, (label, value, says) in enumerate(items):
        h = 0 if value is None else round((baseline - TOP) * value / top, 1)
        x = round(LEFT + i * slot + slot * 0.15, 1)
        w = round(slot * 0.7, 1)
        drawn.append(
            Bar(
                x=x,
                y=round(baseline - h, 1),
                width=w,
                height=h,
                label=label,
                says=says,
                label_x=round(x + w / 2, 1),
                says_y=round(baseline - h - 4, 1),
                highlight=highlight_first and i == 0,
            )
        )
    return Chart(key, title, width, height, baseline, tuple(drawn), baseline + 16)
