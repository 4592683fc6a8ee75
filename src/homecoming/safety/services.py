"""Reporting an adverse event, and following its outcome.

Staff on the resident's care team (and supervisors, and the nurse on the round) report what they
saw; a resident reports in the portal what happened to them. The suspected medicines are
chosen from the resident's own orders that were given to them: a report cannot blame a drug
the resident never had, nor name one from someone else's record. The report, its suspects,
their versions and ledger entries are one transaction; signal detection runs afterwards, in the
worker, over all reports (signals.py).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role, User
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.ledger import services as ledger
from homecoming.medications.models import AdministrationStatus, Order
from homecoming.residents.models import Resident

from . import terms
from .models import (
    AdverseEvent,
    Conclusion,
    EventOutcome,
    ReportedVia,
    Review,
    Seriousness,
    SignalStatus,
    Suspect,
)

REPORT = "safety.report"
FOLLOW_UP = "safety.outcome"
# How far back an onset may be: a stay is weeks long, and a year covers a late report after it.
EARLIEST_ONSET = dt.timedelta(days=366)
MAX_DESCRIPTION = 4000


@dataclass
class Report:
    term: str
    onset: dt.date
    seriousness: str
    outcome: str = EventOutcome.UNKNOWN
    description: str = ""
    suspect_order_ids: list[int] = field(default_factory=list)


def suspectable_orders(resident) -> list[Order]:
    """The resident's orders with at least one dose given: what a report may suspect."""
    return list(
        Order.objects.filter(resident=resident, administrations__status=AdministrationStatus.GIVEN)
        .select_related("protocol")
        .distinct()
        .order_by("protocol__drug", "-starts_at")
    )


def _check(resident, report: Report):
    errors = {}
    if report.term not in terms.BY_CODE:
        errors["term"] = "Choose what happened from the list (describe it in your own words below)."
    if report.seriousness not in Seriousness.values:
        errors["seriousness"] = "Say how serious it was."
    if report.outcome not in EventOutcome.values:
        errors["outcome"] = "Say how the resident is now."
    elif (report.seriousness == Seriousness.DEATH) != (report.outcome == EventOutcome.FATAL):
        errors["outcome"] = (
            "An event that resulted in death has the outcome “fatal”, and only such an event."
        )
    description = (report.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Describe it in at most {MAX_DESCRIPTION} characters."
    if report.term == "other" and not description:
        errors["description"] = "Describe what happened: “other” needs the reporter's words."
    today = timezone.localdate()
    if not isinstance(report.onset, dt.date):
        errors["onset"] = "Give the date it began."
    elif report.onset > today:
        errors["onset"] = "The onset cannot be in the future."
    elif report.onset < today - EARLIEST_ONSET:
        errors["onset"] = (
            "The onset is more than a year ago: report it to the medical lead directly."
        )
    chosen = list(dict.fromkeys(report.suspect_order_ids or []))
    allowed = {o.pk: o for o in suspectable_orders(resident)}
    foreign = [i for i in chosen if i not in allowed]
    if foreign:
        errors["suspect_order_ids"] = (
            "Suspect only medicines from this resident's record that were given to them."
        )
    if errors:
        raise ValidationError(errors)
    orders = [allowed[i] for i in chosen]
    drugs = {}
    for order in orders:  # two orders of one drug are one suspect: signals count drugs
        drugs.setdefault(order.protocol.drug, order)
    return description, list(drugs.values())


def report(actor, resident: Resident, report: Report) -> AdverseEvent:
    decision = policy.require(actor, Action.REPORT_ADVERSE_EVENT, resident)
    description, suspects = _check(resident, report)
    via = ReportedVia.RESIDENT if actor.role == Role.RESIDENT else ReportedVia.STAFF
    with transaction.atomic():
        event = AdverseEvent.objects.create(
            resident=resident,
            term=report.term,
            description=description,
            onset=report.onset,
            seriousness=report.seriousness,
            outcome=report.outcome,
            reported_by=actor,
            reported_via=via,
            reported_at=timezone.now(),
        )
        ledger.record_write(actor, REPORT, event, resident_id=resident.pk, purpose=decision.purpose)
        for order in suspects:
            suspect = Suspect.objects.create(
                event=event, order=order, drug=order.protocol.drug, term=event.term
            )
            ledger.record_write(
                actor, REPORT, suspect, resident_id=resident.pk, purpose=decision.purpose
            )
        if via == ReportedVia.RESIDENT:
            _alert_own_report(event)
    return event


OWN_REPORT_ALERT = "resident_adverse_event"


def _alert_own_report(event: AdverseEvent):
    """A resident's own report reaches their care team and the medical lead at once, as one
    event: staff may not be the ones to pass it on, and a report left unread helps nobody."""
    resident = event.resident
    people = User.objects.filter(is_active=True).filter(
        Q(care_team_places__resident=resident, care_team_places__ended_at__isnull=True)
        | Q(is_medical_lead=True)
    )
    serious = "" if event.seriousness == Seriousness.NOT_SERIOUS else " (serious)"
    message = (
        f"{resident.display_name} reported a side effect in the portal: "
        f"{terms.name_of(event.term).lower()}{serious}. Read it on their adverse events page."
    )
    alerts.notify(people.distinct(), kind=OWN_REPORT_ALERT, message=message, resident=resident)


def follow_up(actor, event: AdverseEvent, outcome: str) -> AdverseEvent:
    """The resident's outcome as it now stands; the earlier one stays in the event's versions.

    Following a report up reads it (the answer shows it whole), so it needs the right to read
    the resident's reports too: the medication round lets any clinician report a reaction seen
    on the round, not open or rewrite the reports already on the record."""
    policy.require(actor, Action.VIEW_ADVERSE_EVENTS, event.resident)
    decision = policy.require(actor, Action.REPORT_ADVERSE_EVENT, event.resident)
    if outcome not in EventOutcome.values:
        raise ValidationError({"outcome": "Say how the resident is now."})
    with transaction.atomic():
        event = AdverseEvent.objects.select_for_update().get(pk=event.pk)
        if event.outcome == outcome:
            raise ValidationError({"outcome": "That is already the recorded outcome."})
        event.outcome = outcome
        event.outcome_updated_at = timezone.now()
        event.outcome_updated_by = actor
        event.save(update_fields=["outcome", "outcome_updated_at", "outcome_updated_by"])
        ledger.record_write(
            actor, FOLLOW_UP, event, resident_id=event.resident_id, purpose=decision.purpose
        )
    return event


# --- a signal's review -------------------------------------------------------------------------

CONCLUDE = "safety.review_signal"


def conclude_review(actor, signal, conclusion: str, assessment: str):
    """The medical lead concludes a signal's review once, with the reasons; the program director
    and the oversight body are told the conclusion."""
    decision = policy.require(actor, Action.REVIEW_SIGNAL)
    assessment = (assessment or "").strip()
    errors = {}
    if conclusion not in Conclusion.values:
        errors["conclusion"] = "Choose the conclusion of the review."
    if len(assessment) < 20:
        errors["assessment"] = "Give the assessment behind the conclusion (20 characters at least)."
    if conclusion == Conclusion.CONFIRMED and not signal.decisions.exists():
        # A confirmed signal is acted on: the decision (monitor, restrict, suspend) comes first.
        errors["conclusion"] = (
            "A confirmed signal needs your decision first: monitor, restrict or suspend."
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = Review.objects.select_for_update().select_related("signal").get(signal=signal)
        if review.concluded_at is not None:
            on = dates.day(review.concluded_at)
            raise ValidationError(f"This review was concluded on {on}.")
        now = timezone.now()
        review.conclusion, review.assessment = conclusion, assessment
        review.concluded_at, review.concluded_by = now, actor
        review.measures = review.signal.latest
        review.save(
            update_fields=["conclusion", "assessment", "concluded_at", "concluded_by", "measures"]
        )
        ledger.record_write(actor, CONCLUDE, review, resident_id=None, purpose=decision.purpose)
        signal = review.signal
        signal.status = SignalStatus.CLOSED
        signal.save(update_fields=["status"])
        ledger.record_write(actor, CONCLUDE, signal, resident_id=None, purpose=decision.purpose)
        words = Conclusion(conclusion).label
        alerts.close_for(
            signal, actor, "the signal's review is concluded", purpose=decision.purpose
        )
        alerts.notify(
            User.objects.filter(is_active=True, role__in=(Role.PROGRAM_DIRECTOR, Role.OVERSIGHT)),
            kind="safety_review",
            message=f"The review of the signal {signal} is concluded by {actor}: {words}.",
        )
    return review
