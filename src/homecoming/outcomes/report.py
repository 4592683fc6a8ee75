"""The outcomes as tables a reader sees: the page, the CSV and the API all show these, so the
contractor's suppression is applied in one place (suppression.py's rules, table by table).

Each table is a partition of the total it shows (its "cells"), so complementary suppression
works on it as a whole; a figure computed from counts (a percentage, rate, median) is shown
only when every count it comes from is."""

from dataclasses import dataclass, field

from homecoming.core import dates

from . import suppression
from .aggregates import Outcomes
from .suppression import MARK

# What a bar says under it (the table beside the chart has the full words).
SHORT_BANDS = ("−30 or less", "−29 to −20", "−19 to −10", "−9 to +9", "+10 to +19", "+20 or more")
SHORT_DISPOSITIONS = {
    "return_to_duty": "Return to duty",
    "home": "Home",
    "transfer": "Transfer",
    "against_advice": "Against advice",
    "administrative": "Administrative",
    "deceased": "Deceased",
    "other": "Other",
}


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # For the chart: (label, number or None when hidden, what the bar says).
    bars: list[tuple[str, float | None, str]] = field(default_factory=list)
    note: str = ""
    chart: object = None  # the page's chart of `bars` (charts.Chart), when it draws one


def _pct(part, whole) -> str | None:
    if MARK in (part, whole) or not whole:
        return None if whole == 0 else MARK
    return f"{round(100 * part / whole)}%"


def _num(value, digits=1):
    if value is None:
        return None
    return round(value, digits) if isinstance(value, float) else value


def _partition(title_rows, cells, suppress):
    shown, total, hidden = suppression.table(cells, suppress=suppress)
    return [[label, value] for label, value in zip(title_rows, shown, strict=True)], total, hidden


def _gives_away(total: int, parts: list[int]) -> bool:
    """A total shown elsewhere that is the sum of these parts, exactly one of them hidden."""
    return total == sum(parts) and sum(suppression.small(p) for p in parts) == 1


def build(o: Outcomes, suppress: bool) -> list[Table]:
    tables = []

    # Admissions: the last 12 months, and those before (so the total hides nothing small).
    months = [n for _, n in o.months]
    earlier = max(o.admissions - sum(months), 0)
    labels = [f"{dates.month(m)}" for m, _ in o.months] + ["Before these 12 months"]
    rows, total, _ = _partition(labels, [*months, earlier], suppress)
    occ = o.occupancy
    if suppress and _gives_away(o.admissions, [occ.in_residence, occ.discharged]):
        # Every stay admitted is in residence or ended: the total less the residents shown in
        # the occupancy table would give away a hidden "stays ended" (40 - 39 = 1).
        total = MARK
    t = Table("admissions", "Admissions", ["Month", "Admissions"], [*rows, ["Total", total]])
    t.bars = [
        (dates.month_abbreviated(m), None if v == MARK else v, str(v))
        for (m, _), (_, v) in zip(o.months, rows[:12], strict=True)
    ]
    tables.append(t)

    occ = o.occupancy
    cells = [occ.occupied, occ.in_residence, occ.expected, occ.discharged]
    shown = [suppression.show(c, suppress and suppression.small(c)) for c in cells]
    tables.append(
        Table(
            "occupancy",
            "Occupancy (today, whole center)",
            ["Figure", "Value"],
            [
                ["Beds in service", occ.beds],
                ["Beds occupied", shown[0]],
                ["Occupied (%)", _pct(shown[0], occ.beds)],
                ["Residents in residence", shown[1]],
                ["Admissions expected", shown[2]],
                ["Stays ended (all time)", shown[3]],
            ],
        )
    )

    los = o.length_of_stay
    hide = suppress and suppression.small(los.stays)
    tables.append(
        Table(
            "length_of_stay",
            "Length of stay of ended stays (days)",
            ["Figure", "Value"],
            [
                ["Stays ended", suppression.show(los.stays, hide)],
                ["Median", MARK if hide else _num(los.median)],
                ["Lower quartile", MARK if hide else _num(los.lower_quartile)],
                ["Upper quartile", MARK if hide else _num(los.upper_quartile)],
            ],
        )
    )

    labels = [label for label, _ in o.pcl5_bands]
    rows, total, hidden = _partition(labels, [n for _, n in o.pcl5_bands], suppress)
    # Better by 10 or more is the first three bands: shown only when all three are.
    improved = MARK if any(hidden[:3]) else o.pcl5_improved
    t = Table(
        "pcl5_change",
        "PCL-5 change, first to last questionnaire (residents discharged)",
        ["Change", "Residents"],
        [
            *rows,
            ["Total", total],
            ["Better by 10 points or more", improved],
            ["Better by 10 points or more (%)", _pct(improved, total)],
        ],
    )
    t.bars = [
        (short, None if v == MARK else v, str(v))
        for short, (_, v) in zip(SHORT_BANDS, rows, strict=True)
    ]
    tables.append(t)

    labels = [label for _, label, _ in o.dispositions]
    rows, total, _ = _partition(labels, [n for _, _, n in o.dispositions], suppress)
    t = Table(
        "dispositions", "Dispositions", ["Disposition", "Discharges"], [*rows, ["Total", total]]
    )
    t.bars = [
        (SHORT_DISPOSITIONS[code], None if v == MARK else v, str(v))
        for (code, _, _), (_, v) in zip(o.dispositions, rows, strict=True)
    ]
    t.note = "Return to duty is shown first, on its own."
    tables.append(t)

    t = Table(
        "follow_up", "Follow-up reach", ["Day after discharge", "Due so far", "Made", "Reached (%)"]
    )
    for r in o.reach:
        (made, missed_), due, _ = suppression.table([r.made, r.due - r.made], suppress=suppress)
        pct = _pct(made, due)
        t.rows.append([f"Day {r.interval_days}", due, made, pct])
        value = None if pct in (None, MARK) else round(100 * r.made / r.due)
        t.bars.append((f"Day {r.interval_days}", value, pct or "none due"))
    tables.append(t)

    rows, total, _ = _partition(
        ["Still lost", "Closed with a reason"], [o.lost_open, o.lost_closed], suppress
    )
    tables.append(
        Table(
            "lost", "Lost to follow-up", ["Figure", "Former residents"], [*rows, ["Total", total]]
        )
    )

    (serious, not_serious), total, _ = suppression.table(
        [o.events_serious, o.events_not_serious], suppress=suppress
    )

    # Resident-days are people too: over a night or two (or one program's one resident) they
    # are a head count, so from 1 to 10 they are hidden like any count, with the rates on them.
    days_hidden = suppress and suppression.small(o.resident_days)
    resident_days = MARK if days_hidden else o.resident_days

    def rate(count):
        if count == MARK or days_hidden:
            return MARK
        return round(1000 * count / o.resident_days, 2) if o.resident_days else None

    tables.append(
        Table(
            "adverse_events",
            "Adverse events",
            ["Figure", "Value"],
            [
                ["Reports", total],
                ["Serious", serious],
                ["Not serious", not_serious],
                ["Resident-days", resident_days],
                ["Reports per 1,000 resident-days", rate(total)],
                ["Serious per 1,000 resident-days", rate(serious)],
            ],
        )
    )

    rows, total, _ = _partition(
        ["Open: awaiting review", "Reviewed"], [o.signals_open, o.signals_reviewed], suppress
    )
    tables.append(
        Table("signals", "Safety signals", ["Status", "Signals"], [*rows, ["Total", total]])
    )

    rows, total, hidden = _partition(
        ["Closed or resolved", "Open"], [o.complaints_closed, o.complaints_open], suppress
    )
    median = MARK if hidden[0] else _num(o.median_days_to_close)
    tables.append(
        Table(
            "complaints",
            "Complaints",
            ["Figure", "Value"],
            [["Filed", total], *rows, ["Median days to close", median]],
        )
    )
    return tables


def as_dict(o: Outcomes, suppress: bool, tables: list[Table]) -> dict:
    f = o.filters
    return {
        "suppressed": suppress,
        "as_of": o.today.isoformat(),
        "period_from": f.start.isoformat() if f.start else None,
        "period_to": f.end.isoformat() if f.end else None,
        "program": f.program.name if f.program else None,
        "notes": o.notes,
        "tables": [
            {"key": t.key, "title": t.title, "columns": t.columns, "rows": t.rows} for t in tables
        ],
    }


def csv_text(o: Outcomes, suppress: bool, tables: list[Table], *, sponsor=False) -> str:
    import csv
    import io

    out = io.StringIO()
    w = csv.writer(out)
    view = "for the sponsor, " if sponsor else ""
    view += "counts under 11 suppressed (<11)" if suppress else "unsuppressed"
    w.writerow(["Homecoming program outcomes", f"as of {o.today}", o.filters.words(), view])
    for t in tables:
        w.writerow([])
        w.writerow([t.title])
        w.writerow(t.columns)
        for row in t.rows:
            w.writerow(["" if v is None else v for v in row])
    for note in o.notes:
        w.writerow([note])
    return out.getvalue()
