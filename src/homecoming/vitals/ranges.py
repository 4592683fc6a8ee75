"""The one table of what each vital sign may be: the plausible range (outside it the value is
refused as a typing or device error), the normal range (outside it the value is flagged beside
it) and the critical thresholds (which also alert the resident's care team).

Plausible: wide enough for any living adult a nurse could measure, narrow enough to catch a
slipped digit (a pulse of 720, a temperature of 3.7). Normal and critical: the usual adult
early-warning thresholds (in the spirit of NEWS2), kept simple; the center's medical lead may
tighten them here, in one place, for pages, API, alerts and the demo alike.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Measure:
    field: str  # the model field
    label: str  # in words, for a nurse
    short: str  # for a table's heading and a timeline line
    unit: str
    plausible: tuple  # (lowest, highest) accepted, inclusive
    # Flagged beside the value: below `low` or at/above `high` (None: no such limit)
    low: object = None
    high: object = None
    # Critical: below `critical_low` or at/above `critical_high` alert the care team
    critical_low: object = None
    critical_high: object = None
    decimal: bool = False  # one decimal place (temperature, weight); else whole numbers

    def flag(self, value) -> str:
        """ "", "low", "high", "critical low" or "critical high"."""
        if value is None:
            return ""
        if self.critical_low is not None and value < self.critical_low:
            return "critical low"
        if self.critical_high is not None and value >= self.critical_high:
            return "critical high"
        if self.low is not None and value < self.low:
            return "low"
        if self.high is not None and value >= self.high:
            return "high"
        return ""


D = Decimal
MEASURES = (
    # Systolic ≥180 or <90 flagged; ≥200 or <80 critical.
    Measure("systolic", "Systolic blood pressure", "Systolic", "mmHg", (40, 300), 90, 180, 80, 200),
    # Diastolic ≥110 flagged (a hypertensive urgency); ≥130 critical. Also below the systolic.
    Measure(
        "diastolic",
        "Diastolic blood pressure",
        "Diastolic",
        "mmHg",
        (20, 200),
        None,
        110,
        None,
        130,
    ),
    # Pulse >120 or <50 flagged (so ≥121); ≥150 or <40 critical.
    Measure("pulse", "Pulse", "Pulse", "bpm", (20, 250), 50, 121, 40, 150),
    # Temperature ≥38.0 or <35.0 flagged; ≥40.0 or <34.0 critical.
    Measure(
        "temperature",
        "Temperature",
        "Temp",
        "°C",
        (D("30.0"), D("45.0")),
        D("35.0"),
        D("38.0"),
        D("34.0"),
        D("40.0"),
        decimal=True,
    ),
    # Respiratory rate >24 or <10 flagged (so ≥25); ≥30 or <8 critical.
    Measure("respiratory_rate", "Respiratory rate", "RR", "/min", (4, 60), 10, 25, 8, 30),
    # SpO2 <92 flagged; <88 critical.
    Measure("spo2", "Oxygen saturation (SpO2)", "SpO2", "%", (50, 100), 92, None, 88, None),
    # Weight: no normal range for one reading (a trend matters, not a value).
    Measure("weight", "Weight", "Weight", "kg", (D("25.0"), D("350.0")), decimal=True),
    # Pain ≥7 flagged (severe); no critical alert (the nurse treats it on the spot).
    Measure("pain", "Pain (0–10)", "Pain", "/10", (0, 10), None, 7),
)
BY_FIELD = {m.field: m for m in MEASURES}
FIELDS = tuple(m.field for m in MEASURES)
# How late a set may be charted after it was taken (a busy shift), never in the future.
LATE_HOURS = 12
