"""Dates and times in the center's words, for text written in Python (alerts, messages, PDFs,
the timeline): the same formats the templates use, from homecoming/formats/<language>/, always
in the center's time zone."""

import datetime as dt

from django.utils import formats, timezone


def _local(value):
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def day(value) -> str:
    """A calendar day: "Dec 6, 2026"."""
    return formats.date_format(_local(value), "DATE_FORMAT")


def moment(value) -> str:
    """A day and a time: "Dec 6, 2026 14:05"."""
    return formats.date_format(_local(value), "DATETIME_FORMAT")


def day_this_year(value) -> str:
    """A day in a list of this week or month: "Dec 6"."""
    return formats.date_format(_local(value), "MONTH_DAY_FORMAT")


def moment_this_year(value) -> str:
    """A moment in a list of this week: "Dec 6, 14:05"."""
    return formats.date_format(_local(value), "SHORT_DATETIME_FORMAT")


def time_of_day(value) -> str:
    """A time: "14:05"."""
    return formats.time_format(_local(value), "TIME_FORMAT")


def month(value) -> str:
    """A month: "Dec 2026"."""
    return formats.date_format(_local(value), "YEAR_MONTH_FORMAT")


def weekday(value) -> str:
    """The day of the week, short: "Sun"."""
    return formats.date_format(_local(value), "D")


def month_abbreviated(value) -> str:
    """A month on a chart's axis: "Dec"."""
    return formats.date_format(_local(value), "M")
