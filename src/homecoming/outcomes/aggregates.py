"""The program's outcomes: admissions, length of stay, PCL-5 change, dispositions, follow-up
reach, lost to follow-up, adverse events, signals and complaints.

Every figure is counted in SQL: no resident row is loaded (the few lists fetched are numbers:
days, totals), so nothing here reads a record and the only ledger entry is the view itself.
`compute` checks no permission (the CLI runs it as the operator); `for_reader` is what pages and
the API call: the policy first, then the entry, then the figures.
"""

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest, Least, TruncMonth
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.discharge.models import DischargePlan, Disposition, PlanStatus
from homecoming.followup.models import DEFAULT_DAYS, Contact, ContactStatus, Lost
from homecoming.ledger import services as ledger
from homecoming.measures.models import Instrument, Questionnaire
from homecoming.measures.scoring import MEANINGFUL_CHANGE
from homecoming.oversight.models import Complaint, ComplaintEvent, ComplaintStatus, EventKind
from homecoming.residents.models import Program, Stay, StayStatus
from homecoming.safety.models import AdverseEvent, Seriousness, Signal, SignalStatus

from .selectors import Occupancy, occupancy_counts

VIEW = "outcomes.view"
EXPORT = "outcomes.export"

# PCL-5 change (last total minus first; lower is better), in bands of 10 points.
CHANGE_BANDS = (
    ("Better by 30 or more", None, -30),
    ("Better by 20 to 29", -29, -20),
    ("Better by 10 to 19", -19, -10),
    ("Within 9 either way", -9, 9),
    ("Worse by 10 to 19", 10, 19),
    ("Worse by 20 or more", 20, None),
)
CLOSED_COMPLAINT = (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)


@dataclass(frozen=True)
class Filters:
    """A period (either end open) and a program; none: everything, to today."""

    start: dt.date | None = None
    end: dt.date | None = None
    program: Program | None = None

    def words(self) -> str:
        when = (
            f"{self.start or 'the beginning'} to {self.end or 'today'}"
            if self.start or self.end
            else "all time"
        )
        return f"{when}; {self.program.name if self.program else 'all programs'}"


@dataclass
class LengthOfStay:
    stays: int
    median: float | None
    lower_quartile: float | None
    upper_quartile: float | None


@dataclass
class Reach:
    interval_days: int
    due: int  # contacts due so far (day reached or made), not closed as unneeded
    made: int


@dataclass
class Outcomes:
    filters: Filters
    today: dt.date
    months: list[tuple[dt.date, int]]  # (first of month, admissions), the last 12 months
    admissions: int
    occupancy: Occupancy
    length_of_stay: LengthOfStay
    pcl5_bands: list[tuple[str, int]]
    pcl5_improved: int  # better by MEANINGFUL_CHANGE points or more
    dispositions: list[tuple[str, str, int]]  # (code, label, discharges), return to duty first
    reach: list[Reach]
    lost_open: int
    lost_closed: int
    events_serious: int
    events_not_serious: int
    resident_days: int
    signals_open: int
    signals_reviewed: int
    complaints_closed: int
    complaints_open: int
    median_days_to_close: float | None
    notes: list[str] = field(default_factory=list)

    @property
    def pcl5_residents(self) -> int:
        return sum(n for _, n in self.pcl5_bands)

    @property
    def discharges(self) -> int:
        return sum(n for _, _, n in self.dispositions)


def _in(qs, name: str, f: Filters, *, date_of_datetime=False):
    lookup = f"{name}__date" if date_of_datetime else name
    if f.start:
        qs = qs.filter(**{f"{lookup}__gte": f.start})
    if f.end:
        qs = qs.filter(**{f"{lookup}__lte": f.end})
    return qs


def _months(end: dt.date) -> list[dt.date]:
    first = end.replace(day=1)
    months = []
    for _ in range(12):
        months.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return months[::-1]


def _admissions(f: Filters, today: dt.date):
    stays = Stay.objects.filter(status__in=[StayStatus.IN_RESIDENCE, StayStatus.DISCHARGED])
    if f.program:
        stays = stays.filter(program=f.program)
    months = _months(f.end or today)
    window = _in(stays, "admitted_on", f).filter(admitted_on__gte=months[0])
    if f.end is None:
        window = window.filter(admitted_on__lte=today)
    counts = {
        row["month"]: row["n"]
        for row in window.annotate(month=TruncMonth("admitted_on"))
        .values("month")
        .annotate(n=Count("id"))
        .values("month", "n")
    }
    per_month = [(m, counts.get(m, 0)) for m in months]
    return per_month, _in(stays, "admitted_on", f).count()


def _quartiles(values: list[float]):
    if not values:
        return None, None, None
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def _days(delta) -> int:
    return delta.days if isinstance(delta, dt.timedelta) else int(delta or 0)


def _length_of_stay(f: Filters) -> LengthOfStay:
    ended = Stay.objects.filter(status=StayStatus.DISCHARGED, discharged_on__isnull=False)
    if f.program:
        ended = ended.filter(program=f.program)
    days = sorted(
        _days(d)
        for d in _in(ended, "discharged_on", f)
        .annotate(days=ExpressionWrapper(F("discharged_on") - F("admitted_on"), DurationField()))
        .values_list("days", flat=True)
    )
    q1, median, q3 = _quartiles(days)
    return LengthOfStay(len(days), median, q1, q3)


def _discharged(f: Filters):
    plans = DischargePlan.objects.filter(status=PlanStatus.DISCHARGED)
    if f.program:
        plans = plans.filter(stay__program=f.program)
    return _in(plans, "discharged_at", f, date_of_datetime=True)


def _pcl5(f: Filters):
    """First and last PCL-5 total of each resident with a discharged stay in the period (two
    questionnaires at least), grouped into bands of change."""
    pcl5 = Questionnaire.objects.filter(instrument=Instrument.PCL5, resident=OuterRef("resident"))
    first = pcl5.order_by("completed_at", "id").values("total")[:1]
    last = pcl5.order_by("-completed_at", "-id").values("total")[:1]
    residents = _discharged(f).values("resident").distinct()
    pairs = (
        Questionnaire.objects.filter(instrument=Instrument.PCL5, resident__in=residents)
        .values("resident")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .annotate(first=Subquery(first), last=Subquery(last))
        .values_list("first", "last")
    )
    changes = [b - a for a, b in pairs]
    bands = [
        (
            label,
            sum(1 for c in changes if (low is None or c >= low) and (high is None or c <= high)),
        )
        for label, low, high in CHANGE_BANDS
    ]
    return bands, sum(1 for c in changes if c <= -MEANINGFUL_CHANGE)


def _dispositions(f: Filters):
    counts = dict(_discharged(f).values_list("disposition").annotate(n=Count("id")))
    order = [Disposition.RETURN_TO_DUTY] + [
        d for d in Disposition if d != Disposition.RETURN_TO_DUTY
    ]
    return [(d.value, d.label, counts.get(d.value, 0)) for d in order]


def _reach(f: Filters, today: dt.date) -> list[Reach]:
    contacts = Contact.objects.exclude(status=ContactStatus.CLOSED).filter(
        discharge__in=_discharged(f)
    )
    due = contacts.filter(Q(due_on__lte=today) | Q(status=ContactStatus.MADE))
    rows = {
        r["interval_days"]: r
        for r in due.values("interval_days").annotate(
            due=Count("id"), made=Count("id", filter=Q(status=ContactStatus.MADE))
        )
    }
    intervals = sorted(set(DEFAULT_DAYS) | set(rows))
    return [
        Reach(d, rows.get(d, {}).get("due", 0), rows.get(d, {}).get("made", 0)) for d in intervals
    ]


def _lost(f: Filters):
    lost = Lost.objects.filter(discharge__in=_discharged(f))
    return lost.aggregate(
        open=Count("id", filter=Q(closed_at__isnull=True)),
        closed=Count("id", filter=Q(closed_at__isnull=False)),
    )


def _resident_days(f: Filters, today: dt.date) -> int:
    """Nights in residence within the period (a stay still open counts to today)."""
    stays = Stay.objects.filter(status__in=[StayStatus.IN_RESIDENCE, StayStatus.DISCHARGED])
    if f.program:
        stays = stays.filter(program=f.program)
    end = min(f.end, today) if f.end else today
    stays = stays.filter(admitted_on__lte=end)
    if f.start:
        stays = stays.exclude(discharged_on__lt=f.start)
    stay_end = Least(Coalesce(F("discharged_on"), end), end)
    stay_start = Greatest(F("admitted_on"), f.start) if f.start else F("admitted_on")
    total = stays.aggregate(days=Sum(ExpressionWrapper(stay_end - stay_start, DurationField())))[
        "days"
    ]
    return max(_days(total), 0)


def _events(f: Filters):
    events = _in(AdverseEvent.objects.all(), "onset", f)
    if f.program:
        events = events.filter(resident__stays__program=f.program).distinct()
    return events.aggregate(
        serious=Count("id", filter=~Q(seriousness=Seriousness.NOT_SERIOUS), distinct=True),
        not_serious=Count("id", filter=Q(seriousness=Seriousness.NOT_SERIOUS), distinct=True),
    )


def _signals(f: Filters):
    return _in(Signal.objects.all(), "detected_at", f, date_of_datetime=True).aggregate(
        open=Count("id", filter=Q(status=SignalStatus.OPEN)),
        reviewed=Count("id", filter=Q(status=SignalStatus.CLOSED)),
    )


def _complaints(f: Filters):
    complaints = _in(Complaint.objects.all(), "received_at", f, date_of_datetime=True)
    counts = complaints.aggregate(
        closed=Count("id", filter=Q(status__in=CLOSED_COMPLAINT)),
        open=Count("id", filter=~Q(status__in=CLOSED_COMPLAINT)),
    )
    # Closed on the first status change to resolved or closed (its timeline says when).
    closed_at = (
        ComplaintEvent.objects.filter(
            complaint=OuterRef("pk"), kind=EventKind.STATUS, status__in=CLOSED_COMPLAINT
        )
        .order_by("at", "id")
        .values("at")[:1]
    )
    spans = (
        complaints.filter(status__in=CLOSED_COMPLAINT)
        .annotate(closed_at=Subquery(closed_at))
        .filter(closed_at__isnull=False)
        .values_list("received_at", "closed_at")
    )
    days = [(b - a).total_seconds() / 86400 for a, b in spans]
    median = round(statistics.median(days), 1) if days else None
    return counts, median


def compute(filters: Filters = Filters()) -> Outcomes:
    """Every figure, unsuppressed. No permission check: callers check (or are the operator)."""
    today = timezone.localdate()
    months, admissions = _admissions(filters, today)
    bands, improved = _pcl5(filters)
    lost = _lost(filters)
    events = _events(filters)
    signals = _signals(filters)
    complaints, median_close = _complaints(filters)
    notes = []
    if filters.program:
        notes.append("Signals and complaints are the whole center's: they have no program.")
    return Outcomes(
        filters=filters,
        today=today,
        months=months,
        admissions=admissions,
        occupancy=occupancy_counts(),
        length_of_stay=_length_of_stay(filters),
        pcl5_bands=bands,
        pcl5_improved=improved,
        dispositions=_dispositions(filters),
        reach=_reach(filters, today),
        lost_open=lost["open"],
        lost_closed=lost["closed"],
        events_serious=events["serious"],
        events_not_serious=events["not_serious"],
        resident_days=_resident_days(filters, today),
        signals_open=signals["open"],
        signals_reviewed=signals["reviewed"],
        complaints_closed=complaints["closed"],
        complaints_open=complaints["open"],
        median_days_to_close=median_close,
        notes=notes,
    )


def suppressed_for(actor, sponsor: bool = False) -> bool:
    """The contractor always sees suppressed figures; anything for the sponsor is suppressed."""
    return sponsor or actor.role == Role.CONTRACTOR


def for_reader(actor, filters: Filters = Filters(), *, action=VIEW, sponsor=False):
    """(outcomes, suppressed): the policy, then the view's (or export's) ledger entry."""
    decision = policy.require(actor, Action.VIEW_OUTCOMES)
    suppressed = suppressed_for(actor, sponsor)
    ledger.append(
        actor,
        action,
        ledger.Target(
            object_type="outcomes.aggregates",
            # Which figures were shown: for the sponsor, suppressed (the contractor), or full.
            object_id="sponsor" if sponsor else "suppressed" if suppressed else "full",
        ),
        purpose=decision.purpose,
    )
    return compute(filters), suppressed


def parse_filters(start: str | None, end: str | None, program: str | None) -> Filters:
    """Filters from what was typed (a page's query, the API's, the CLI's flags): ISO dates and
    a program's number or name. Every mistake is named at once (ValidationError by field)."""
    from django.core.exceptions import ValidationError

    errors, values = {}, {}
    for name, text in (("from", start), ("to", end)):
        if text:
            try:
                values[name] = dt.date.fromisoformat(text.strip())
            except ValueError:
                errors[name] = f"{text!r} is not a date: write it as YYYY-MM-DD."
    if values.get("from") and values.get("to") and values["from"] > values["to"]:
        errors["to"] = "The period ends before it starts."
    found = None
    if program:
        text = program.strip()
        found = Program.objects.filter(
            Q(pk=int(text)) if text.isdigit() else Q(name__iexact=text)
        ).first()
        if found is None:
            errors["program"] = f"No program {text!r}."
    if errors:
        raise ValidationError(errors)
    return Filters(values.get("from"), values.get("to"), found)
