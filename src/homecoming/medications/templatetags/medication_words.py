"""Doses and medication facts in the words the pages use: exact amounts with their unit."""

from django import template

from ..doses import MASS_UNITS, UnitMismatch, describe, plain, to_unit

register = template.Library()


@register.filter
def amount(value) -> str:
    """A Decimal as typed, without trailing zeros: 400.000 -> '400'."""
    return "" if value is None else plain(value)


@register.filter
def dose(row) -> str:
    """The dose of an administration, an order or a stopped attempt: '400 mg'. A dose charted
    in another unit than its order's also reads in the order's: '3000 mcg (3 mg)'."""
    if row is None or row.dose_amount is None:
        return ""
    text = f"{plain(row.dose_amount)} {row.dose_unit}"
    order = getattr(row, "order", None)  # administrations and stopped doses have one
    if order is not None and row.dose_unit != order.dose_unit:
        protocol = order.protocol
        target = order.dose_unit if order.dose_unit in MASS_UNITS else protocol.limit_unit
        if target != row.dose_unit:
            try:
                same = to_unit(row.dose_amount, row.dose_unit, target, protocol.strength)
            except UnitMismatch:
                return text  # a stopped dose in a unit that does not convert: as typed
            text += f" ({describe(same, target)})"
    return text


@register.filter
def last_24h(line) -> str:
    """How much of an order's protocol was given in the last 24 hours, exactly."""
    unit = line.order.protocol.limit_unit
    if line.given_last_24h is None:
        return f"0 {unit}"
    return describe(line.given_last_24h, unit)


@register.filter
def limits(protocol) -> str:
    unit = protocol.limit_unit
    return (
        f"at most {plain(protocol.max_single_dose)} {unit} a dose and "
        f"{plain(protocol.max_daily_dose)} {unit} in any 24 hours"
    )


@register.filter
def interval(protocol) -> str:
    hours, minutes = divmod(protocol.min_interval_minutes, 60)
    if not protocol.min_interval_minutes:
        return "no minimum interval"
    if minutes == 0:
        return f"{hours} hour{'s' if hours != 1 else ''} apart"
    if hours == 0:
        return f"{minutes} minutes apart"
    return f"{hours} h {minutes} min apart"
