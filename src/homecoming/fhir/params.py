"""A FHIR search's parameters, read and checked at once: every problem is named together (an
OperationOutcome with an issue per parameter), and a parameter we do not support is refused,
never ignored, so a client is never given more than it asked for.

Dates follow FHIR's search rules: a value is a range as wide as its precision (2026, 2026-11,
2026-11-26, or a moment), and eq, ge, le, gt and lt compare against that range (ne is not
offered).
Days and moments without a zone are the center's (its TIME_ZONE)."""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils import timezone

DEFAULT_COUNT, MAX_COUNT = 20, 100
PREFIXES = ("eq", "ge", "le", "gt", "lt")
# Paging and format: understood by every search, never a filter.
CONTROL = {"_count", "_offset", "_format"}
DATE_WORDS = (
    "a date (YYYY, YYYY-MM, YYYY-MM-DD or a moment YYYY-MM-DDThh:mm[:ss][zone]), "
    "optionally after eq, ge, le, gt or lt"
)
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")


class Problem(Exception):
    """An error to answer as an OperationOutcome: one issue per (code, diagnostics, expression)."""

    def __init__(self, status: int, code: str, diagnostics: str, expression: str | None = None):
        super().__init__(diagnostics)
        self.status = status
        self.issues = [(code, diagnostics, expression)]

    @classmethod
    def many(cls, status: int, issues: list[tuple[str, str, str | None]]) -> "Problem":
        problem = cls(status, *issues[0])
        problem.issues = list(issues)
        return problem


@dataclass(frozen=True)
class Span:
    """A searched date as the half-open range [start, end) its precision covers, and how to
    compare: `eq` overlaps it, `ge` from its start, `gt` from its end, `le` before its end,
    `lt` before its start."""

    prefix: str
    start: dt.datetime
    end: dt.datetime

    def lookups(self, field: str, is_day: bool) -> dict:
        """Django filters on `field` (a DateField when `is_day`, else a DateTimeField)."""

        def at(moment):
            return timezone.localtime(moment).date() if is_day else moment

        start, end = at(self.start), at(self.end)
        if is_day and self.end - self.start < dt.timedelta(days=1):
            end = start + dt.timedelta(days=1)  # a moment searched on a day: its day
        return {
            "eq": {f"{field}__gte": start, f"{field}__lt": end},
            "ge": {f"{field}__gte": start},
            "gt": {f"{field}__gte": end},
            "le": {f"{field}__lt": end},
            "lt": {f"{field}__lt": start},
        }[self.prefix]


@dataclass
class Criteria:
    patient: int | None = None
    dates: list[Span] = field(default_factory=list)
    updated: list[Span] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # any of them
    statuses: list[str] = field(default_factory=list)  # any of them
    ids: list[str] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0


def span(text: str) -> Span:
    """`text` (with its prefix) as a Span; ValueError when it is not one."""
    prefix = text[:2] if text[:2] in PREFIXES else "eq"
    value = text[2:] if text[:2] in PREFIXES else text
    zone = timezone.get_current_timezone()
    if re.fullmatch(r"\d{4}", value):
        start = dt.datetime(int(value), 1, 1, tzinfo=zone)
        end = start.replace(year=start.year + 1)
    elif re.fullmatch(r"\d{4}-\d{2}", value):
        year, month = map(int, value.split("-"))
        start = dt.datetime(year, month, 1, tzinfo=zone)
        end = start.replace(year=year + month // 12, month=month % 12 + 1)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = dt.date.fromisoformat(value)
        start = timezone.make_aware(dt.datetime.combine(day, dt.time()), zone)
        end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), zone)
    elif _MOMENT.match(value):
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, zone)
        precision = dt.timedelta(seconds=1) if value.count(":") > 1 else dt.timedelta(minutes=1)
        start, end = moment, moment + precision
    else:
        raise ValueError(value)
    return Span(prefix, start, end)


def _number(params, name, low, high, default, issues):
    text = params.get(name)
    if text is None:
        return default
    value = int(text) if text.isdigit() else None
    if value is None or value < low or (high is not None and value > high):
        words = f"{low} to {high}" if high else f"{low} or more"
        issues.append(("invalid", f"{name} is a whole number, {words} (got {text!r}).", name))
        return default
    return value


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def types_asked(query, served: list[str]) -> list[str] | None:
    """The types `_type` asks for (taken out of `query`), or None for all; Problem (400)
    naming each that is not served."""
    if "_type" not in query:
        return None
    asked = _split(query.pop("_type"))
    unknown = [t for t in asked if t not in served]
    if unknown or not asked:
        raise Problem(
            400,
            "not-supported",
            f"_type names types served here ({', '.join(served)}); not: {', '.join(unknown)}.",
            "_type",
        )
    return asked


def criteria(query, supported: dict[str, tuple[str, str]]) -> Criteria:
    """The search `query` (a QueryDict) against the parameters a type `supported` ({name:
    (its FHIR type, what it means)}); Problem (400) naming every parameter that is unknown or
    ill-formed. A date parameter other than _lastUpdated (`date`, a Patient's `birthdate`)
    is the one date a type is searched by."""
    issues = []
    unknown = sorted(set(query) - set(supported) - CONTROL)
    if unknown:
        issues.append(
            (
                "not-supported",
                f"Not a search parameter here: {', '.join(unknown)}. "
                f"Supported: {', '.join([*supported, *sorted(CONTROL)])}.",
                unknown[0],
            )
        )
    found = Criteria()
    found.count = _number(query, "_count", 1, MAX_COUNT, DEFAULT_COUNT, issues)
    found.offset = _number(query, "_offset", 0, None, 0, issues)
    for name, (kind, _words) in supported.items():
        if kind != "date":
            continue
        into = found.updated if name == "_lastUpdated" else found.dates
        for text in query.getlist(name):
            try:
                into.append(span(text))
            except ValueError:
                issues.append(("invalid", f"{name} is {DATE_WORDS} (got {text!r}).", name))
    if "patient" in supported and "patient" in query:
        text = query["patient"].removeprefix("Patient/")
        if text.isdigit():
            found.patient = int(text)
        else:
            issues.append(
                (
                    "invalid",
                    f"patient is a resident's id, as 12 or Patient/12 (got {query['patient']!r}).",
                    "patient",
                )
            )
    if "code" in supported:
        found.codes = _split(query.getlist("code"))
    if "status" in supported:
        found.statuses = _split(query.getlist("status"))
    if "_id" in supported:
        found.ids = _split(query.getlist("_id"))
    if issues:
        raise Problem.many(400, issues)
    return found
