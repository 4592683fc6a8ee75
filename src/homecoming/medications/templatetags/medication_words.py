"""Doses and medication facts in the words the pages use: exact amounts with their unit."""

from django import template

from ..doses import describe, plain

register = template.Library()


@register.filter
def amount(value) -> str:
    """A Decimal as typed, without trailing zeros: 400.000 -> '400'."""
    return "" if value is None else plain(value)


@register.filter
def dose(row) -> str:
    """The dose of an administration, an order or a stopped attempt: '400 mg'."""
    if row is None or row.dose_amount is None:
        return ""
    return f"{plain(row.dose_amount)} {row.dose_unit}"


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
