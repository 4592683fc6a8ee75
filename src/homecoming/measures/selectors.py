"""Reading a resident's questionnaires: every administration, and each instrument's trend.

The policy is checked first; the rows are read in one query and each questionnaire shown is a
read entry in the ledger, in the same transaction. A resident reads their own (purpose "self").
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Window
from django.db.models.functions import FirstValue, RowNumber
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core import keyset
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import charts, instruments, scoring
from .instruments import Definition
from .models import Questionnaire
from .present import Administration, administration
from .scoring import Band


@dataclass
class Trend:
    definition: Definition
    administrations: list[Administration]  # oldest first
    points: list[tuple[dt.datetime, int]]  # (completed, in the center's zone; total), oldest first
    baseline: int | None  # the first administration's total
    bands: tuple[Band, ...]
    latest: Administration | None
    plot: charts.Plot | None
    narrow_plot: charts.Plot | None = None  # the same chart drawn for a phone
    from_first: bool = True  # False when only the latest administrations are plotted

    @property
    def summary(self) -> str:
        """What the chart shows, in a sentence (the SVG's description for screen readers)."""
        name = self.definition.name
        if not self.points:
            return f"No {name} completed yet."
        first, last = self.points[0][0], self.points[-1][0]
        count = len(self.points)
        span = (
            f"on {charts.date_label(first, True)}"
            if count == 1
            else f"from {charts.date_label(first, True)} to {charts.date_label(last, True)}"
        )
        bands = ", ".join(f"{b.label} {b.low}–{b.high}" for b in self.bands)
        latest = self.latest.questionnaire
        return (
            f"{name} totals, {count} administration{'s' if count > 1 else ''} {span}: "
            f"baseline {self.baseline}, latest {latest.total} ({latest.band}). "
            f"Scale 0–{self.definition.max_total}; bands: {bands}."
        )


@dataclass
class Trends:
    resident: Resident
    instruments: list[Trend]  # every instrument, in the center's order, completed or not
    own: bool  # the viewer is the resident: links lead to their own pages
    can_record: bool
    purpose: str

    @property
    def any(self) -> bool:
        return any(t.points for t in self.instruments)


@dataclass
class History:
    resident: Resident
    administrations: list[Administration]  # newest first, one page
    trends: Trends
    purpose: str
    older: int | None = None  # keyset cursors of the pages around this one (core.keyset)
    newer: int | None = None

    def find(self, questionnaire_id) -> Administration | None:
        """One of the administrations shown (a confirmation page names the one just saved)."""
        return next(
            (a for a in self.administrations if str(a.questionnaire.pk) == str(questionnaire_id)),
            None,
        )


def bands_of(code: str) -> tuple[Band, ...]:
    """The instrument's severity bands at this center (the PCL-5's cut-point is a setting)."""
    return scoring.bands(code, settings.HOMECOMING_PCL5_CUTPOINT)


def _trends(
    actor,
    resident,
    decision,
    administrations: list[Administration],
    baselines=None,
    *,
    may_record=None,
) -> Trends:
    """`baselines`: each instrument's first total ever, when `administrations` are only the
    latest ones; otherwise the first administration given is the baseline."""
    trends = []
    for definition in instruments.ALL:
        mine = [a for a in administrations if a.definition.code == definition.code]
        points = [
            (timezone.localtime(a.questionnaire.completed_at), a.questionnaire.total) for a in mine
        ]
        bands = bands_of(definition.code)
        baseline = (baselines or {}).get(definition.code, points[0][1] if points else None)
        trends.append(
            Trend(
                definition=definition,
                administrations=mine,
                points=points,
                baseline=baseline,
                bands=bands,
                latest=mine[-1] if mine else None,
                from_first=definition.code not in (baselines or {}),
                plot=(
                    charts.plot(
                        points, max_total=definition.max_total, bands=bands, baseline=baseline
                    )
                    if points
                    else None
                ),
                narrow_plot=(
                    charts.narrow(
                        points, max_total=definition.max_total, bands=bands, baseline=baseline
                    )
                    if points
                    else None
                ),
            )
        )
    return Trends(
        resident=resident,
        instruments=trends,
        own=resident.user_id is not None and resident.user_id == actor.pk,
        can_record=(
            policy.decide(actor, Action.RECORD_MEASURE, resident).allowed
            if may_record is None
            else may_record
        ),
        purpose=decision.purpose,
    )


# A chart plots each instrument's latest administrations: weekly for half a year is plenty to
# read a trend, and the chart costs the same however long the record grows.
TREND_POINTS = 26


def trends(actor, resident_id: int, *, opened=None, may_record=None) -> Trends:
    """Each instrument's recent trend, for a page that already shows (and records reading) the
    resident, like the chart or the resident's own record. The totals plotted are part of that
    one recorded read; the questionnaires page, which shows every answer, records each one.
    `opened`: the (resident, VIEW decision) of the page that opened the resident, and
    `may_record` whether it lets the actor record a questionnaire, when the page has decided."""
    if opened is not None:
        resident, decision = opened
    else:
        resident = existing(actor, resident_id, Action.VIEW)
        decision = policy.require(actor, Action.VIEW, resident)
    # One query whatever the record's length: each instrument's latest TREND_POINTS, each row
    # carrying its instrument's very first total (the baseline when older ones are cut off).
    by_instrument = [F("instrument")]
    rows = list(
        Questionnaire.objects.filter(
            resident=resident, instrument__in=[d.code for d in instruments.ALL]
        )
        .annotate(
            recent=Window(
                RowNumber(),
                partition_by=by_instrument,
                order_by=[F("completed_at").desc(), F("id").desc()],
            ),
            first_total=Window(
                FirstValue("total"),
                partition_by=by_instrument,
                order_by=[F("completed_at").asc(), F("id").asc()],
            ),
        )
        .filter(recent__lte=TREND_POINTS)
        .select_related("completed_by")
        .order_by("completed_at", "id")
    )
    baselines = {}
    for definition in instruments.ALL:
        theirs = [q for q in rows if q.instrument == definition.code]
        if len(theirs) == TREND_POINTS:  # older ones may exist: the baseline is the very first
            baselines[definition.code] = theirs[0].first_total
    administrations = [administration(q) for q in rows]
    return _trends(actor, resident, decision, administrations, baselines, may_record=may_record)


def history(actor, resident_id: int, cursor=None) -> History:
    """A page of the administrations, newest first (core.keyset: `cursor` continues from one
    page to the next), with the trends: the questionnaires page. Each questionnaire shown is a
    recorded read; with none to show, reading the page is recorded as a read of the resident."""
    resident = existing(actor, resident_id, Action.VIEW)
    decision = policy.require(actor, Action.VIEW, resident)
    page = keyset.page_of(
        Questionnaire.objects.filter(resident=resident).select_related("completed_by"),
        cursor or keyset.Cursor(),
    )
    ledger.record_reads(
        actor,
        str(Action.VIEW),
        page.rows or [resident],
        resident_of=lambda _: resident.pk,
        purpose=decision.purpose,
    )
    return History(
        resident=resident,
        administrations=[administration(q) for q in page.rows],
        # The plotted trends stay each instrument's latest (and its first ever), whichever page
        # of the list is shown.
        trends=trends(actor, resident_id, opened=(resident, decision)),
        purpose=decision.purpose,
        older=page.older,
        newer=page.newer,
    )


class Administrations:
    """A resident's administrations, newest first, for a list cut into pages by its reader (the
    API's `limit` and `offset`): `len()` counts them in one query, and cutting a page reads those
    rows and records each as read (with none to show, the read of the resident), as `history`
    does for the questionnaires page. Nothing is read, or recorded, that is not shown."""

    def __init__(self, actor, resident: Resident, decision):
        self.actor = actor
        self.resident = resident
        self.decision = decision
        self.own = resident.user_id is not None and resident.user_id == actor.pk
        self._rows = (
            Questionnaire.objects.filter(resident=resident)
            .select_related("completed_by")
            .order_by("-completed_at", "-id")
        )

    def __len__(self) -> int:
        return self._rows.count()

    def __getitem__(self, cut: slice) -> list[Administration]:
        if not isinstance(cut, slice):
            raise TypeError("Administrations are read a page (a slice) at a time.")
        rows = list(self._rows[cut])
        ledger.record_reads(
            self.actor,
            str(Action.VIEW),
            rows or [self.resident],
            resident_of=lambda _: self.resident.pk,
            purpose=self.decision.purpose,
        )
        return [administration(q) for q in rows]


def administrations(actor, resident_id: int) -> Administrations:
    """Every administration of the resident, newest first, each read recorded when shown: the
    questionnaires page's list for a reader that pages by offset (the API)."""
    resident = existing(actor, resident_id, Action.VIEW)
    decision = policy.require(actor, Action.VIEW, resident)
    return Administrations(actor, resident, decision)


def recorded_trends(actor, resident_id: int) -> Trends:
    """Each instrument's trend on its own (the API), not inside a page that records the read of
    the resident: every questionnaire plotted is recorded as read (with none, the resident)."""
    resident = existing(actor, resident_id, Action.VIEW)
    decision = policy.require(actor, Action.VIEW, resident)
    found = trends(actor, resident_id, opened=(resident, decision))
    plotted = [a.questionnaire for t in found.instruments for a in t.administrations]
    ledger.record_reads(
        actor,
        str(Action.VIEW),
        plotted or [resident],
        resident_of=lambda _: resident.pk,
        purpose=decision.purpose,
    )
    return found
