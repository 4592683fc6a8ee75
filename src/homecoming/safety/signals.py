"""Signal detection: every (drug, event term) pair of the center's reports, measured at once.

The counts come from one aggregate SQL query (the 2x2 table of each pair over reports, and the
residents given each drug who had each event); the measures are vector arithmetic over those
columns (statistics.py); only the pairs a configured rule flags are looked at one by one. A
flagged pair with no signal yet becomes one: a review task for the medical lead, and alerts to
the medical lead, the program director and the oversight body. A signal is a prompt for review,
not a verdict, and it is never raised twice for the same pair: its latest counts keep updating.

Which drugs a report counts against does not hang on the reporter: besides the medicines they
suspected, every medicine the medication record shows given to the resident in the
HOMECOMING_SIGNAL_EXPOSURE_DAYS (30) days up to the onset, onset day included. A reporter who
leaves the trial drug unticked, or a resident who cannot know which capsule it was, still
counts against it; a supervisor who tells staff never to tick it changes nothing.

Residents "on" a drug (Fisher's test) are those given at least one dose of it; the comparison is
with every other resident of the center.
"""

import math
import operator
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from homecoming.accounts.models import Role, User
from homecoming.alerts import services as alerts
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident

from . import statistics, terms
from .models import AdverseEvent, Review, Scan, Signal, SignalStatus

RAISE = "safety.signal"
UPDATE = "safety.signal_update"  # a signal's counts, as a later scan found them
ALERT_KIND = "safety_signal"
RULE_WORDS = {
    "evans": "the Evans criteria",
    "ror": "the reporting odds ratio",
    "ic": "the information component",
    "fisher": "Fisher's test over residents",
}

GIVEN_DAYS_SQL = """
SELECT DISTINCT m.resident_id, p.drug, {given_day}
FROM medications_administration m
JOIN medications_order o ON o.id = m.order_id
JOIN medications_protocol p ON p.id = o.protocol_id
WHERE m.status = 'given'
"""


def exposure_days() -> int:
    return int(settings.HOMECOMING_SIGNAL_EXPOSURE_DAYS)


def _window() -> tuple[dict, dict]:
    """The SQL pieces of the exposure window for this database: `given_day` (a dose's day, on
    the center's calendar, from `m.at`) and `window_start` (the window's first day, from
    `e.onset`), with their parameters.

    A dose counts on the center's calendar day it was given (the onset is a day on that
    calendar too): Django's own date cast in the center's zone. Taking days from a date is the
    one thing the two databases spell differently."""
    from homecoming.residents.setup import center_zone_name

    cast, cast_params = connection.ops.datetime_cast_date_sql("m.at", (), center_zone_name())
    names = [f"zone{i}" for i in range(len(cast_params))]
    pieces = {"given_day": cast % tuple(f"%({n})s" for n in names)}
    params = dict(zip(names, cast_params, strict=True))
    if connection.vendor == "sqlite":
        pieces["window_start"] = "date(e.onset, %(window)s)"
        params["window"] = f"-{exposure_days()} days"
    else:
        pieces["window_start"] = "(e.onset - CAST(%(window)s AS integer))"
        params["window"] = exposure_days()
    return pieces, params


CASES_SQL = """
SELECT e.id FROM safety_adverseevent e
WHERE e.term = %(term)s AND (
    EXISTS (SELECT 1 FROM safety_suspect s WHERE s.event_id = e.id AND s.drug = %(drug)s)
    OR EXISTS (
        SELECT 1 FROM medications_administration m
        JOIN medications_order o ON o.id = m.order_id
        JOIN medications_protocol p ON p.id = o.protocol_id
        WHERE m.resident_id = e.resident_id AND m.status = 'given' AND p.drug = %(drug)s
          AND {given_day} <= e.onset AND {given_day} >= {window_start}
    )
)
"""


def case_ids(drug: str, term: str) -> list[int]:
    """The reports a (drug, term) pair counts, as count_pairs counts them: those suspecting
    the drug, and those of residents given it in the exposure window before the onset."""
    pieces, params = _window()
    with connection.cursor() as cursor:
        cursor.execute(CASES_SQL.format(**pieces), {"drug": drug, "term": term, **params})
        return [row[0] for row in cursor.fetchall()]


def configured_rules() -> tuple[str, ...]:
    return tuple(settings.HOMECOMING_SIGNAL_RULES)


@dataclass
class Counts:
    """The columns of the pair table, and the totals they are taken from."""

    drugs: list[str]
    terms: list[str]
    a: np.ndarray
    drug_reports: np.ndarray  # a + b
    term_reports: np.ndarray  # a + c
    exposed_cases: np.ndarray
    exposed: np.ndarray
    cases: np.ndarray
    reports: int
    residents: int
    last_report_id: int

    def table(self) -> statistics.Table:
        a = self.a
        b = self.drug_reports - a
        c = self.term_reports - a
        d = self.reports - a - b - c
        return statistics.measures(
            a, b, c, d, self.exposed_cases, self.exposed, self.cases, self.residents
        )


def _columns(sql: str, params: dict, width: int) -> list[list]:
    """The query's rows, as one list per column."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [list(map(operator.itemgetter(i), rows)) for i in range(width)]


def _ints(column: list) -> np.ndarray:
    return np.fromiter(column, dtype=np.int64, count=len(column))


def _day_number_sql(date_sql: str) -> str:
    """A date as a whole number of days, in the database (parsing a million dates in Python
    costs more than all the counting)."""
    if connection.vendor == "sqlite":
        return f"CAST(julianday({date_sql}) AS INTEGER)"
    return f"(({date_sql}) - DATE '2000-01-01')"


def _codes(values, code: dict) -> np.ndarray:
    return np.fromiter(map(code.__getitem__, values), dtype=np.int64, count=len(values))


def _distinct(keys: np.ndarray, counts: bool = False):
    """The distinct keys in order (and how often each occurs), by one sort: for millions of
    integers this is several times quicker than np.unique, which hashes them first."""
    keys = np.sort(keys)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    distinct = keys[first]
    if not counts:
        return distinct
    starts = np.flatnonzero(first)
    return distinct, np.diff(np.append(starts, len(keys)))


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [lo[i], hi[i]): (i repeated once per member, the members), flattened."""
    sizes = hi - lo
    owner = np.repeat(np.arange(len(lo)), sizes)
    starts = np.repeat(lo - np.cumsum(sizes) + sizes, sizes)
    return owner, starts + np.arange(int(sizes.sum()))


def count_pairs() -> Counts:
    """The pair table: the reports, the suspects and the days each drug was given, read with
    three plain queries, then counted with NumPy over integer codes of the drugs and terms.

    The reports a (drug, term) pair counts are the distinct (report, drug, term) triples of the
    suspects, and of each report with every drug given to its resident in the exposure window
    before its onset (as case_ids lists them). A suspect's term is its report's (copied, both
    final), so it is taken from the report rather than read again. Counting in the database
    instead (one aggregate query, grouping and de-duplicating text keys) took longer than
    reading the rows into pandas and merging them there (bench/signals.py)."""
    last = AdverseEvent.objects.aggregate(last=Max("id"))["last"] or 0
    pieces, params = _window()
    events = _columns(
        f"SELECT id, resident_id, term, {_day_number_sql('onset')} FROM safety_adverseevent "
        "WHERE id <= %(last)s",
        {"last": last},
        4,
    )
    suspects = _columns(
        "SELECT event_id, drug FROM safety_suspect WHERE event_id <= %(last)s",
        {"last": last},
        2,
    )
    given = _columns(
        GIVEN_DAYS_SQL.format(given_day=_day_number_sql(pieces["given_day"])),
        {k: v for k, v in params.items() if k.startswith("zone")},
        3,
    )
    # Codes in name order (so that the pairs come out ordered by drug, then term).
    drug_names = sorted(set(suspects[1]) | set(given[1]))
    term_names = sorted(set(events[2]))
    drug_code = {name: i for i, name in enumerate(drug_names)}
    term_code = {name: i for i, name in enumerate(term_names)}
    n_drugs, n_terms = len(drug_names), len(term_names)
    residents = Resident.objects.count()

    e_id, e_resident, e_onset = _ints(events[0]), _ints(events[1]), _ints(events[3])
    e_term = _codes(events[2], term_code)
    g_resident, g_drug, g_day = _ints(given[0]), _codes(given[1], drug_code), _ints(given[2])

    # The doses in each report's window: given days sorted by (resident, day), one range each.
    span = exposure_days()
    day_range = int(max(g_day.max(initial=0), e_onset.max(initial=0))) + span + 2
    g_key = g_resident * day_range + g_day
    order = np.argsort(g_key, kind="stable")
    g_key, g_drug_sorted = g_key[order], g_drug[order]
    e_key = e_resident * day_range + e_onset
    lo = np.searchsorted(g_key, e_key - span, side="left")
    hi = np.searchsorted(g_key, e_key, side="right")
    report, dose = _expand(lo, hi)

    s_event, s_drug = _ints(suspects[0]), _codes(suspects[1], drug_code)
    by_id = np.argsort(e_id)
    s_term = e_term[by_id[np.searchsorted(e_id[by_id], s_event)]]  # its report's term
    attributed = _distinct(
        np.concatenate(
            [
                (s_event * n_drugs + s_drug) * n_terms + s_term,
                (e_id[report] * n_drugs + g_drug_sorted[dose]) * n_terms + e_term[report],
            ]
        )
    )
    a_pair = attributed % (n_drugs * n_terms)  # drug * n_terms + term
    reported, a = _distinct(a_pair, counts=True)
    drug_reports = np.bincount(a_pair // n_terms, minlength=n_drugs)
    term_reports = np.bincount(e_term, minlength=n_terms)

    # Residents given each drug who had each event: exposure x had, joined on the resident.
    exposure = _distinct(g_resident * n_drugs + g_drug)
    had = _distinct(e_resident * n_terms + e_term)
    x_resident, x_drug = exposure // n_drugs, exposure % n_drugs
    h_resident, h_term = had // n_terms, had % n_terms
    lo = np.searchsorted(x_resident, h_resident, side="left")
    hi = np.searchsorted(x_resident, h_resident, side="right")
    case, drug_of = _expand(lo, hi)
    exposed_pairs, k = _distinct(x_drug[drug_of] * n_terms + h_term[case], counts=True)
    drug_residents = np.bincount(x_drug, minlength=n_drugs)
    term_residents = np.bincount(h_term, minlength=n_terms)

    pairs = np.union1d(reported, exposed_pairs)  # in (drug, term) order: codes sort as names

    def at(keys, values):
        out = np.zeros(len(pairs), dtype=np.int64)
        out[np.searchsorted(pairs, keys)] = values
        return out

    drug, term = pairs // n_terms, pairs % n_terms
    return Counts(
        drugs=[drug_names[i] for i in drug.tolist()],
        terms=[term_names[i] for i in term.tolist()],
        a=at(reported, a),
        drug_reports=drug_reports[drug].astype(np.int64),
        term_reports=term_reports[term].astype(np.int64),
        exposed_cases=at(exposed_pairs, k),
        exposed=drug_residents[drug].astype(np.int64),
        cases=term_residents[term].astype(np.int64),
        reports=len(e_id),
        residents=residents,
        last_report_id=last,
    )


def _number(x, places=4):
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf"
    return round(x, places)


def pair_measures(table: statistics.Table, i: int, counts: Counts) -> dict:
    """One pair's counts and measures, as stored with its signal (JSON: no NaN, no infinity)."""
    return {
        "reports": {
            "a": int(table.a[i]),
            "b": int(table.b[i]),
            "c": int(table.c[i]),
            "d": int(table.d[i]),
        },
        "prr": _number(table.prr[i]),
        "chi2": _number(table.chi2[i]),
        "ror": _number(table.ror[i]),
        "ror_low": _number(table.ror_low[i]),
        "ror_high": _number(table.ror_high[i]),
        "expected": _number(table.expected[i]),
        "ic": _number(table.ic[i]),
        "ic025": _number(table.ic025[i]),
        "residents": {
            "exposed_cases": int(counts.exposed_cases[i]),
            "exposed": int(counts.exposed[i]),
            "cases": int(counts.cases[i]),
            "total": counts.residents,
        },
        "fisher_p": _number(table.fisher_p[i], places=6),
        "flagged_by": [r for r in statistics.RULES if bool(table.rule(r)[i])],
    }


def _announce(signal: Signal, measures: dict):
    reports = measures["reports"]["a"]
    found = " and ".join(RULE_WORDS.get(r, r) for r in signal.rules)
    prr = {"inf": "unbounded", None: "undefined"}.get(measures["prr"])
    prr = prr or f"{measures['prr']:.2f}"
    message = (
        f"New safety signal: {signal.drug} and {terms.name_of(signal.term).lower()}, raised by "
        f"{found} ({reports} report{'s' if reports != 1 else ''}, PRR {prr}). A review by the "
        "medical lead is opened: a signal is a prompt for review, not a verdict."
    )
    people = User.objects.filter(is_active=True).filter(
        Q(is_medical_lead=True) | Q(role__in=(Role.PROGRAM_DIRECTOR, Role.OVERSIGHT))
    )
    alerts.notify(people, kind=ALERT_KIND, message=message, about=signal)


def _raise(drug, term, measures, rules, now) -> Signal:
    signal = Signal.objects.create(
        drug=drug,
        term=term,
        rules=list(rules),
        detected_at=now,
        measures=measures,
        latest=measures,
        latest_at=now,
        status=SignalStatus.OPEN,
    )
    ledger.record_write(None, RAISE, signal, resident_id=None, purpose="operations")
    review = Review.objects.create(
        signal=signal,
        assigned_to=User.objects.filter(is_medical_lead=True, is_active=True).first(),
        opened_at=now,
    )
    ledger.record_write(None, RAISE, review, resident_id=None, purpose="operations")
    _announce(signal, measures)
    return signal


@dataclass
class ScanResult:
    scan: Scan
    raised: list[Signal]
    counts: Counts
    table: statistics.Table


def scan(trigger: str = "manual") -> ScanResult:
    """Measure every pair; raise the signals the configured rules call for."""
    rules = configured_rules()
    started = timezone.now()
    with transaction.atomic():
        counts = count_pairs()
        table = counts.table()
        flagged = np.zeros(len(counts.drugs), dtype=bool)
        for rule in rules:
            flagged |= table.rule(rule)
        known = {(s.drug, s.term): s for s in Signal.objects.select_for_update()}
        raised = []
        now = timezone.now()
        index = {(d, t): i for i, (d, t) in enumerate(zip(counts.drugs, counts.terms, strict=True))}
        for i in np.flatnonzero(flagged):
            pair = (counts.drugs[i], counts.terms[i])
            if pair not in known:
                by = [r for r in rules if bool(table.rule(r)[i])]
                measures = pair_measures(table, i, counts)
                try:
                    with transaction.atomic():  # a scan running at the same moment may win
                        raised.append(_raise(*pair, measures, by, now))
                except IntegrityError:
                    continue
        for pair, signal in known.items():  # the signals' counts, as they now stand
            i = index.get(pair)
            if i is None:
                continue
            latest = pair_measures(table, i, counts)
            if latest != signal.latest:
                signal.latest, signal.latest_at = latest, now
                signal.save(update_fields=["latest", "latest_at"])
                ledger.record_write(None, UPDATE, signal, resident_id=None, purpose="operations")
        record = Scan.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            trigger=trigger,
            reports=counts.reports,
            last_report_id=counts.last_report_id,
            pairs=len(counts.drugs),
            rules=list(rules),
            raised=len(raised),
        )
    return ScanResult(scan=record, raised=raised, counts=counts, table=table)


def due(now=None) -> str | None:
    """Why a scan is due now ("report": reports came in since the last; "schedule": the last is
    older than the scan interval), or None."""
    now = now or timezone.now()
    last = Scan.objects.order_by("-started_at", "-id").first()
    reports = AdverseEvent.objects.count()
    if last is None:
        return "report" if reports else None
    if reports != last.reports:
        return "report"
    if now - last.started_at >= settings.HOMECOMING_SIGNAL_SCAN_INTERVAL:
        return "schedule"
    return None
