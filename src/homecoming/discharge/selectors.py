"""Reading discharge plans and the discharge summary: the policy first, then one read entry per
plan shown, in the read's transaction (the summary is a read entry of its own, for each view
and each PDF)."""

from dataclasses import dataclass, field

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core import dates
from homecoming.followup import checkin
from homecoming.followup.models import Contact
from homecoming.ledger import services as ledger
from homecoming.measures import selectors as measures_selectors
from homecoming.measures.models import Questionnaire
from homecoming.medications.models import Order
from homecoming.residents.models import BedAssignment, Resident
from homecoming.residents.selectors import existing
from homecoming.safety import terms
from homecoming.safety.models import AdverseEvent

from . import services
from .models import DischargePlan, PlanStatus

VIEW = "discharge.view"
SUMMARY = "discharge.summary"


def find(actor, plan_id: int) -> DischargePlan:
    """The plan, after its resident's record is allowed to this person; a missing number is a
    refused attempt on the ledger, like a refused one."""
    plan = (
        DischargePlan.objects.select_related("stay__program", "resident").filter(pk=plan_id).first()
    )
    if plan is None:
        error = Http404(f"No discharge plan #{plan_id}.")
        policy.refuse_unknown(actor, VIEW, "discharge.dischargeplan", plan_id, error)
    policy.require(actor, Action.VIEW, plan.resident)
    return plan


def _read(actor, plans, purpose):
    ledger.record_reads(actor, VIEW, plans, resident_of=lambda p: p.resident_id, purpose=purpose)


@dataclass
class PlanPage:
    resident: Resident
    stay: object  # the stay in residence, or None
    plan: DischargePlan | None  # the plan being written, or the discharge done
    earlier: list[DischargePlan]  # cancelled plans, and discharges of earlier stays
    missing: list[str]
    can: dict = field(default_factory=dict)
    my_line: str | None = None  # which line this person signs, if any
    purpose: str = ""


def page(actor, resident_id: int) -> PlanPage:
    """A resident's discharge: the current plan with what it is missing, and earlier ones."""
    resident = existing(actor, resident_id, Action.VIEW)
    decision = policy.require(actor, Action.VIEW, resident)
    plans = list(
        DischargePlan.objects.filter(resident=resident)
        .select_related(
            "stay__program",
            "written_by",
            "caseworker_signed_by",
            "clinician_signed_by",
            "fitness_assessed_by",
            "discharged_by",
        )
        .order_by("-written_at", "-id")
    )
    if plans:
        _read(actor, plans, decision.purpose)
    else:
        ledger.record_resident_read(actor, VIEW, resident, purpose=decision.purpose)
    stay = resident.stays.filter(status="in_residence").first()
    current = next((p for p in plans if p.status != PlanStatus.CANCELLED), None)
    decisions = policy.decide_many(actor, (Action.PLAN_DISCHARGE, Action.SIGN_DISCHARGE), resident)
    return PlanPage(
        resident=resident,
        stay=stay,
        plan=current,
        earlier=[p for p in plans if p is not current],
        missing=services.missing(current) if current else [],
        can={a.name.lower(): d.allowed for a, d in decisions.items()},
        my_line=services.signature_line(actor, current) if current else None,
        purpose=decision.purpose,
    )


@dataclass
class Summary:
    plan: DischargePlan
    resident: Resident
    length_days: int | None
    bed: str
    findings: list[str]
    measures: object  # measures.selectors.Trends
    changes: list[dict]  # per instrument: first, last, change
    at_discharge: list[Order]  # the orders running when the resident left (ended by it)
    ended_sessions: list[dict]
    events: list[dict]  # onset, the term's name, seriousness, outcome
    contacts: list[Contact]
    check_in_links: list  # the check-in links sent (to whom, when; never the link itself)
    link_days: int  # how long a check-in link works
    generated_at: object


def _findings(resident) -> list[str]:
    """What the record holds in place of diagnoses: the latest PCL-5's provisional findings."""
    latest = (
        Questionnaire.objects.filter(resident=resident, instrument="pcl5")
        .order_by("-completed_at", "-id")
        .first()
    )
    if latest is None:
        return []
    found = []
    if latest.findings.get("provisional_ptsd_dsm5"):
        found.append("Provisional PTSD (PCL-5, DSM-5 symptom rule)")
    if latest.findings.get("provisional_ptsd_cutpoint"):
        found.append(f"Provisional PTSD (PCL-5 at or above {latest.findings.get('cutpoint')})")
    if found:
        found = [f"{f}, on {dates.day(latest.completed_at)}" for f in found]
    return found


def summary(actor, plan_id: int) -> Summary:
    """The discharge summary: each view (page or PDF) is a read entry about the resident."""
    plan = find(actor, plan_id)
    decision = policy.require(actor, Action.VIEW, plan.resident)
    ledger.record_reads(
        actor, SUMMARY, [plan], resident_of=lambda p: p.resident_id, purpose=decision.purpose
    )
    stay = plan.stay
    length = (stay.discharged_on - stay.admitted_on).days if stay.discharged_on else None
    last_bed = (
        BedAssignment.objects.filter(stay=stay).select_related("bed__room").order_by("-id").first()
    )
    measures = measures_selectors.trends(actor, plan.resident_id)
    changes = []
    for trend in measures.instruments:
        if trend.points:
            first, last = trend.baseline, trend.points[-1][1]
            changes.append(
                {
                    "name": trend.definition.name,
                    "first": first,
                    "last": last,
                    "change": last - first,
                }
            )
    ended_ids = [o["id"] for o in plan.ended.get("orders", [])]
    return Summary(
        plan=plan,
        resident=plan.resident,
        length_days=length,
        bed=str(last_bed.bed) if last_bed else "",
        findings=_findings(plan.resident),
        measures=measures,
        changes=changes,
        at_discharge=list(
            Order.objects.filter(pk__in=ended_ids).select_related("protocol").order_by("id")
        ),
        ended_sessions=plan.ended.get("sessions", []),
        events=[
            {
                "onset": e.onset,
                "term": terms.name_of(e.term),
                "seriousness": e.get_seriousness_display(),
                "outcome": e.get_outcome_display(),
            }
            for e in AdverseEvent.objects.filter(
                resident=plan.resident, onset__gte=stay.admitted_on
            ).order_by("onset", "id")
        ],
        contacts=list(Contact.objects.filter(discharge=plan).order_by("due_on")),
        check_in_links=checkin.links_sent_for(plan),
        link_days=settings.HOMECOMING_CHECK_IN_LINK_DAYS,
        generated_at=timezone.now(),
    )


def for_stay(actor, stay_id: int):
    """The API's view of a stay's discharge: the current plan (or None) and what it misses."""
    from homecoming.residents.models import Stay

    stay = Stay.objects.select_related("resident").filter(pk=stay_id).first()
    if stay is None:
        policy.refuse_unknown(
            actor, VIEW, "residents.stay", stay_id, Http404(f"No stay #{stay_id}.")
        )
    decision = policy.require(actor, Action.VIEW, stay.resident)
    plan = stay.discharges.exclude(status=PlanStatus.CANCELLED).first()
    if plan is not None:
        _read(actor, [plan], decision.purpose)
    else:
        ledger.record_resident_read(actor, VIEW, stay.resident, purpose=decision.purpose)
    return stay, plan


def stay_to_discharge(actor, resident_id: int, action):
    """The resident and their stay in residence, for a form that will discharge it: the policy
    for `action` first, and the page's naming of the resident is a read entry."""
    resident = existing(actor, resident_id, Action.VIEW)
    decision = policy.require(actor, action, resident)
    ledger.record_resident_read(actor, VIEW, resident, purpose=decision.purpose)
    stay = resident.stays.filter(status="in_residence").first()
    if stay is None:
        raise Http404("This resident has no stay in residence to discharge.")
    return resident, stay
