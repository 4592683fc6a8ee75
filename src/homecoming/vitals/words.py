"""Vital signs in the words a nurse writes: "BP 128/82, pulse 76, temp 36.8 °C"."""

from .ranges import MEASURES


def value(measure, v) -> str:
    return f"{v} {measure.unit}" if measure.unit not in ("/10",) else f"{v}/10"


def summary(values: dict) -> str:
    """From {field: value} (a row's values, or a version's fields)."""
    parts = []
    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    if systolic is not None and diastolic is not None:
        parts.append(f"BP {systolic}/{diastolic}")
    for m in MEASURES:
        if m.field in ("systolic", "diastolic") or values.get(m.field) in (None, ""):
            continue
        v = values[m.field]
        if m.field == "pulse":
            parts.append(f"pulse {v}")
        elif m.field == "respiratory_rate":
            parts.append(f"RR {v}")
        elif m.field == "spo2":
            parts.append(f"SpO2 {v}%")
        elif m.field == "temperature":
            parts.append(f"temp {v} °C")
        elif m.field == "weight":
            parts.append(f"weight {v} kg")
        elif m.field == "pain":
            parts.append(f"pain {v}/10")
    return ", ".join(parts)
