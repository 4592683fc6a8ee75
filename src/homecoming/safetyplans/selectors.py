"""Reading safety plans and risk flags: every read checked by the policy (the record's own
"resident.view") and named on the ledger."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident

from .models import RiskFlag, SafetyPlan
from .services import REVIEW_WITHIN

# As the resident reads them in "who looked at my record" (the rows' own names).
PLAN_SECTION = "safety plans"
FLAG_SECTION = "risk flags"


@dataclass
class Plan:
    """A resident's safety plan as a page shows it: the version asked for (the current one by
    default), every version's number and signature, and the flags, active first."""

    resident: Resident
    shown: SafetyPlan | None
    versions: list
    flags: list
    purpose: str

    @property
    def current(self) -> SafetyPlan | None:
        return self.versions[0] if self.versions else None

    @property
    def active_flag(self) -> RiskFlag | None:
        return next((f for f in self.flags if f.active), None)

    @property
    def review_due(self):
        """When a signed version is due after the latest flag, or None: signed since."""
        latest = self.flags[0] if self.flags else None
        if latest is None:
            return None
        if self.current is not None and self.current.signed_at >= latest.raised_at:
            return None
        return latest.raised_at + REVIEW_WITHIN

    @property
    def review_overdue(self) -> bool:
        due = self.review_due
        return due is not None and timezone.now() > due


def _record(actor, resident, rows, purpose):
    """The rows shown, each by its version; none shown is still a look at the resident."""
    if rows:
        ledger.record_reads(
            actor, str(Action.VIEW), rows, resident_of=lambda r: r.resident_id, purpose=purpose
        )
    else:
        ledger.record_resident_read(actor, str(Action.VIEW), resident, purpose=purpose)


def plan_of(actor, resident: Resident, number: int | None = None) -> Plan:
    """The resident's plan and flags. SafetyPlan.DoesNotExist for a version that is not there."""
    decision = policy.require(actor, Action.VIEW, resident)
    versions = list(
        SafetyPlan.objects.filter(resident=resident).select_related("signed_by").order_by("-number")
    )
    flags = list(
        RiskFlag.objects.filter(resident=resident)
        .select_related("cleared_by", "source")
        .order_by("-raised_at", "-id")
    )
    shown = versions[0] if versions else None
    if number is not None:
        shown = next((v for v in versions if v.number == number), None)
        if shown is None:
            raise SafetyPlan.DoesNotExist(f"No version {number} of this safety plan.")
    _record(actor, resident, ([shown] if shown else []) + flags, decision.purpose)
    return Plan(resident, shown, versions, flags, decision.purpose)


def flags_of(actor, resident: Resident) -> list[RiskFlag]:
    """The resident's risk flags, newest first (the API's list)."""
    decision = policy.require(actor, Action.VIEW, resident)
    flags = list(
        RiskFlag.objects.filter(resident=resident)
        .select_related("cleared_by")
        .order_by("-raised_at", "-id")
    )
    _record(actor, resident, flags, decision.purpose)
    return flags


def own_plan(actor, resident: Resident) -> SafetyPlan | None:
    """The plan in force, as the resident reads it in the portal (the flags are the staff's)."""
    decision = policy.require(actor, Action.VIEW, resident)
    plan = (
        SafetyPlan.objects.filter(resident=resident)
        .select_related("signed_by")
        .order_by("-number")
        .first()
    )
    _record(actor, resident, [plan] if plan else [], decision.purpose)
    return plan


def flag_for(actor, flag_id: int, action=Action.CLEAR_RISK_FLAG) -> RiskFlag:
    """One flag, for acting on it: the policy decides on its resident (a probe for one that does
    not exist is recorded like one for a resident)."""
    flag = RiskFlag.objects.select_related("resident").filter(pk=flag_id).first()
    if flag is None:
        error = RiskFlag.DoesNotExist(f"No risk flag #{flag_id}.")
        policy.refuse_unknown(actor, action, "safetyplans.riskflag", flag_id, error)
    policy.require(actor, action, flag.resident)
    return flag


# --- the worklist ---------------------------------------------------------------------------


@dataclass
class Due:
    flag: RiskFlag
    due_at: object

    @property
    def overdue(self) -> bool:
        return timezone.now() > self.due_at


def unreviewed():
    """Flags with no safety plan version signed since they were raised."""
    since = SafetyPlan.objects.filter(
        resident=OuterRef("resident"), signed_at__gte=OuterRef("raised_at")
    )
    return RiskFlag.objects.filter(~Exists(since))


def reviews_due(actor) -> list[Due]:
    """The safety plan reviews due on the actor's residents (their caseload; a supervisor's, the
    center), oldest first: a list naming residents, so a LIST entry on the ledger."""
    visible = Resident.objects.visible_to(actor)
    flags = list(
        unreviewed()
        .filter(resident__in=visible)
        .select_related("resident")
        .order_by("raised_at", "id")
    )
    if flags:
        ledger.record_reads(
            actor,
            str(Action.LIST),
            [f.resident for f in flags],
            resident_of=lambda r: r.pk,
            purpose=policy.standing_purpose(actor),
        )
    return [Due(f, f.raised_at + REVIEW_WITHIN) for f in flags]


# --- the chart's banner, in the chart's one resident query ----------------------------------


def flagged_with(residents):
    """Annotations for a query of residents: their active flag's id, reason and when raised."""
    active = RiskFlag.objects.filter(resident=OuterRef("pk"), cleared_at__isnull=True)
    return residents.annotate(
        risk_flag_id=Subquery(active.values("pk")[:1]),
        risk_flag_raised_at=Subquery(active.values("raised_at")[:1]),
        risk_flag_reason=Subquery(active.values("reason")[:1]),
    )


@dataclass
class Banner:
    id: int
    raised_at: object
    reason: str


def banner(resident) -> Banner | None:
    """From a resident annotated by `flagged_with`: the active flag, or None."""
    if resident.risk_flag_id is None:
        return None
    return Banner(resident.risk_flag_id, resident.risk_flag_raised_at, resident.risk_flag_reason)
