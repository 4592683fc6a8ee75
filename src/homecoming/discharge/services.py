"""Writing, signing and carrying out a discharge plan; recording a resident who left against
advice. The policy is asked first (a denial is on the ledger before any transaction), then each
write is saved with its version and ledger entry in one transaction.

Who signs what is a rule of this module, not of the policy tables: the policy says a care-team
member may sign a discharge; here the primary caseworker signs as caseworker and a clinician on
the care team signs as clinician, never one person twice."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts import reauth
from homecoming.accounts.models import Role
from homecoming.core import dates
from homecoming.followup import schedule
from homecoming.ledger import services as ledger
from homecoming.residents.models import Stay, StayStatus, TeamRole

from . import asking, ending
from .models import DischargePlan, Disposition, PlanStatus

PLAN = "discharge.plan"
EDIT = "discharge.edit"
CANCEL = "discharge.cancel"
SIGN = "discharge.sign"
ASSESS = "discharge.fitness"
ACKNOWLEDGE = "discharge.acknowledge"
CARRY_OUT = "discharge.carry_out"
AGAINST_ADVICE = "discharge.against_advice"
# Planned dispositions: left against advice is recorded after the fact (record_against_advice).
PLANNED = [d for d in Disposition.values if d != Disposition.AGAINST_ADVICE]


def _write(actor, action, plan, purpose):
    ledger.record_write(actor, action, plan, resident_id=plan.resident_id, purpose=purpose)


def _refuse(actor, action: str, plan: DischargePlan, reason: str):
    """A rule the policy tables cannot express (who signs which line): the refusal is on the
    ledger in its own transaction, and the answer is 403."""
    policy.refuse(
        actor, action, ledger.Target.of(plan, resident_id=plan.resident_id), reason=reason
    )


def _clean(fields: dict, program, *, against_advice=False) -> dict:
    """The plan's fields checked together: every problem named at once."""
    errors = {}
    disposition = fields.get("disposition") or ""
    other = (fields.get("disposition_other") or "").strip()
    text = (fields.get("plan") or "").strip()
    if against_advice:
        disposition = Disposition.AGAINST_ADVICE
    elif disposition not in PLANNED:
        errors["disposition"] = (
            "Choose the disposition from the list (left against advice is recorded on its own)."
        )
    if disposition == Disposition.OTHER and not other:
        errors["disposition_other"] = "Say what the other disposition is."
    if disposition != Disposition.OTHER:
        other = ""
    planned_on = fields.get("planned_on")
    if not isinstance(planned_on, dt.date):
        errors["planned_on"] = "Give the day the resident leaves."
    if not text:
        errors["plan"] = "Write the plan: where the resident goes and what was arranged."
    days = fields.get("follow_up_days")
    if days in (None, "", []):
        days = schedule.days_for(program)
    try:
        days = schedule.check_days(days)
    except ValueError as exc:
        errors["follow_up_days"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return {
        "disposition": disposition,
        "disposition_other": other,
        "planned_on": planned_on,
        "plan": text,
        "contacts": (fields.get("contacts") or "").strip(),
        "follow_up_days": days,
    }


def _in_residence(stay: Stay):
    if stay.status != StayStatus.IN_RESIDENCE:
        raise ValidationError("Only a stay in residence is discharged.")


def write_plan(actor, stay: Stay, /, **fields) -> DischargePlan:
    """A draft plan for the stay: disposition, the day, the plan, who to call, follow-up days
    (the program's unless set)."""
    decision = policy.require(actor, Action.PLAN_DISCHARGE, stay.resident)
    _in_residence(stay)
    cleaned = _clean(fields, stay.program)
    if cleaned["planned_on"] < stay.admitted_on:
        raise ValidationError({"planned_on": "The resident cannot leave before admission."})
    try:
        with transaction.atomic():
            plan = DischargePlan.objects.create(
                stay=stay,
                resident=stay.resident,
                written_by=actor,
                written_at=timezone.now(),
                **cleaned,
            )
            _write(actor, PLAN, plan, decision.purpose)
            asking.ask(plan, actor)
    except IntegrityError as exc:
        raise ValidationError(
            "This stay already has a discharge plan: edit it, or cancel it first."
        ) from exc
    return plan


def _fresh(plan) -> DischargePlan:
    """The plan as stored now: a caller's copy may predate a signature given since."""
    return DischargePlan.objects.select_related("stay__program", "resident").get(pk=plan.pk)


def _locked(plan) -> DischargePlan:
    return DischargePlan.objects.select_for_update().select_related("stay").get(pk=plan.pk)


def _draft(plan):
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(f"This plan is {plan.get_status_display().lower()}.")


def _signed_any(plan) -> bool:
    return bool(
        plan.caseworker_signed_at
        or plan.clinician_signed_at
        or plan.fitness_assessed_at
        or plan.resident_acknowledged_at
    )


def edit_plan(actor, plan: DischargePlan, /, **fields) -> DischargePlan:
    """Change a draft nobody has signed yet (a signature covers the plan as it was signed)."""
    plan = _fresh(plan)
    decision = policy.require(actor, Action.PLAN_DISCHARGE, plan.resident)
    _draft(plan)
    cleaned = _clean(fields, plan.stay.program)
    with transaction.atomic():
        plan = _locked(plan)
        _draft(plan)
        if _signed_any(plan):
            raise ValidationError(
                "This plan is signed already: cancel it with a reason and write a new one."
            )
        for name, value in cleaned.items():
            setattr(plan, name, value)
        plan.save(update_fields=list(cleaned))
        _write(actor, EDIT, plan, decision.purpose)
    return plan


def cancel(actor, plan: DischargePlan, reason: str) -> DischargePlan:
    """Drop a draft plan with the reason; the stay goes on and a new plan may be written."""
    plan = _fresh(plan)
    decision = policy.require(actor, Action.PLAN_DISCHARGE, plan.resident)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the plan is cancelled."})
    _draft(plan)
    with transaction.atomic():
        plan = _locked(plan)
        _draft(plan)
        plan.status = PlanStatus.CANCELLED
        plan.cancelled_at = timezone.now()
        plan.cancel_reason = reason
        plan.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        _write(actor, CANCEL, plan, decision.purpose)
        asking.done(plan, actor, "the discharge plan was cancelled", purpose=decision.purpose)
    return plan


def _is_primary_caseworker(user, resident) -> bool:
    return resident.care_team.filter(
        user=user, team_role=TeamRole.PRIMARY_CASEWORKER, ended_at__isnull=True
    ).exists()


def _is_team_clinician(user, resident) -> bool:
    return user.role == Role.CLINICIAN and policy.on_care_team(user, resident)


def signature_line(user, plan) -> str | None:
    """Which line this person signs: "caseworker", "clinician", or None."""
    if _is_primary_caseworker(user, plan.resident):
        return "caseworker"
    if _is_team_clinician(user, plan.resident):
        return "clinician"
    return None


def _signable(plan):
    """A draft is signed before it is carried out; left against advice, after."""
    if plan.status == PlanStatus.DRAFT:
        return
    if plan.status == PlanStatus.DISCHARGED and plan.disposition == Disposition.AGAINST_ADVICE:
        return
    raise ValidationError(f"This plan is {plan.get_status_display().lower()}: it is not signed.")


def sign(actor, plan: DischargePlan, secret: str) -> DischargePlan:
    """The primary caseworker or a clinician on the care team signs, with their password."""
    plan = _fresh(plan)
    decision = policy.require(actor, Action.SIGN_DISCHARGE, plan.resident)
    _signable(plan)
    line = signature_line(actor, plan)
    if line is None:
        _refuse(
            actor,
            SIGN,
            plan,
            "A discharge is signed by the resident's primary caseworker and by a clinician "
            "on their care team.",
        )
    if actor.pk in (plan.caseworker_signed_by_id, plan.clinician_signed_by_id):
        _refuse(actor, SIGN, plan, "You have signed this plan already: one person signs once.")
    if getattr(plan, f"{line}_signed_at"):
        raise ValidationError(f"The {line}'s signature is given already.")
    reauth.confirm(
        actor,
        secret,
        action=SIGN,
        target=ledger.Target.of(plan, resident_id=plan.resident_id),
        by=actor,
    )
    with transaction.atomic():
        plan = _locked(plan)
        _signable(plan)
        if getattr(plan, f"{line}_signed_at") or actor.pk in (
            plan.caseworker_signed_by_id,
            plan.clinician_signed_by_id,
        ):
            raise ValidationError(f"The {line}'s signature is given already.")
        setattr(plan, f"{line}_signed_by", actor)
        setattr(plan, f"{line}_signed_at", timezone.now())
        plan.save(update_fields=[f"{line}_signed_by", f"{line}_signed_at"])
        _write(actor, SIGN, plan, decision.purpose)
        if plan.caseworker_signed_at and plan.clinician_signed_at:
            asking.done(plan, actor, "the discharge plan is signed", purpose=decision.purpose)
        else:
            asking.ask(plan, actor)
    return plan


def _assessable(plan):
    """One assessment per plan: the resident acknowledges what it says, so it is never
    rewritten afterwards (a new assessment is a new plan: cancel this one with a reason)."""
    if plan.fitness_assessed_at:
        raise ValidationError(
            {
                "fitness_assessment": "The fitness assessment is written already; to change it, "
                "cancel the plan with a reason and write a new one."
            }
        )


def assess_fitness(actor, plan: DischargePlan, text: str) -> DischargePlan:
    """Return to duty: a clinician on the care team documents fitness for duty. Never a
    supervisor (who may be the one pushing the resident back), never the caseworker who signed."""
    plan = _fresh(plan)
    decision = policy.require(actor, Action.SIGN_DISCHARGE, plan.resident)
    if not plan.returns_to_duty:
        raise ValidationError("A fitness assessment is written for a return to duty only.")
    _draft(plan)
    if not _is_team_clinician(actor, plan.resident) or actor.pk == plan.caseworker_signed_by_id:
        _refuse(
            actor,
            ASSESS,
            plan,
            "Fitness for duty is assessed by a clinician on the care team, not by the "
            "caseworker who signed nor by a supervisor.",
        )
    text = (text or "").strip()
    if not text:
        raise ValidationError({"fitness_assessment": "Write the fitness assessment."})
    _assessable(plan)
    with transaction.atomic():
        plan = _locked(plan)
        _draft(plan)
        _assessable(plan)
        plan.fitness_assessment = text
        plan.fitness_assessed_by = actor
        plan.fitness_assessed_at = timezone.now()
        plan.save(
            update_fields=["fitness_assessment", "fitness_assessed_by", "fitness_assessed_at"]
        )
        _write(actor, ASSESS, plan, decision.purpose)
    return plan


def acknowledge(actor, plan: DischargePlan, secret: str) -> DischargePlan:
    """The resident signs that they have read their return-to-duty plan, with their password."""
    plan = _fresh(plan)
    decision = policy.require(actor, Action.ACKNOWLEDGE_DISCHARGE, plan.resident)
    if not plan.returns_to_duty:
        raise ValidationError("Only a return to duty is acknowledged by the resident.")
    _draft(plan)
    if plan.resident_acknowledged_at:
        raise ValidationError("You have acknowledged this plan already.")
    if not plan.fitness_assessed_at:
        # The resident acknowledges the plan with the clinician's assessment, not before it.
        raise ValidationError(
            "The clinician's fitness assessment is not written yet: you acknowledge it with "
            "the plan, so it comes first."
        )
    reauth.confirm(
        actor,
        secret,
        action=ACKNOWLEDGE,
        target=ledger.Target.of(plan, resident_id=plan.resident_id),
        by=actor,
    )
    with transaction.atomic():
        plan = _locked(plan)
        _draft(plan)
        if plan.resident_acknowledged_at:
            raise ValidationError("You have acknowledged this plan already.")
        plan.resident_acknowledged_at = timezone.now()
        plan.save(update_fields=["resident_acknowledged_at"])
        _write(actor, ACKNOWLEDGE, plan, decision.purpose)
    return plan


def missing(plan: DischargePlan, today: dt.date | None = None) -> list[str]:
    """What the plan still needs before it is carried out, in words (empty: it may be)."""
    wanting = []
    if not plan.caseworker_signed_at:
        wanting.append("the primary caseworker's signature")
    if not plan.clinician_signed_at:
        wanting.append("a clinician's signature")
    if plan.returns_to_duty:
        if not plan.fitness_assessed_at:
            wanting.append("a clinician's fitness assessment")
        if not plan.resident_acknowledged_at:
            wanting.append("the resident's acknowledgement")
    if plan.status == PlanStatus.DRAFT and plan.planned_on > (today or timezone.localdate()):
        wanting.append(f"the planned day ({dates.day(plan.planned_on)})")
    return wanting


class NotReady(ValidationError):
    """A plan carried out before it is complete: names what it is missing."""

    def __init__(self, wanting):
        self.wanting = wanting
        super().__init__(f"This plan still needs {', '.join(wanting)}.")


def carry_out(actor, plan: DischargePlan) -> DischargePlan:
    """The discharge, all or nothing: the stay ends, the bed is freed, orders end, future
    sessions are cancelled, their alerts close, the follow-up schedule starts."""
    plan = _fresh(plan)
    decision = policy.require(actor, Action.PLAN_DISCHARGE, plan.resident)
    _draft(plan)
    wanting = missing(plan)
    if wanting:
        raise NotReady(wanting)
    with transaction.atomic():
        plan = _locked(plan)
        _draft(plan)
        wanting = missing(plan)
        if wanting:
            raise NotReady(wanting)
        stay = Stay.objects.select_for_update().get(pk=plan.stay_id)
        _in_residence(stay)
        _finish(actor, plan, stay, decision.purpose, CARRY_OUT)
    return plan


def record_against_advice(actor, stay: Stay, /, **fields) -> DischargePlan:
    """The resident has left against advice: recorded at once by any care-team member, the
    discharge carried out in the same step; the two signatures follow."""
    decision = policy.require(actor, Action.PLAN_DISCHARGE, stay.resident)
    _in_residence(stay)
    fields.setdefault("planned_on", timezone.localdate())
    cleaned = _clean(fields, stay.program, against_advice=True)
    errors = {}
    if cleaned["planned_on"] > timezone.localdate():
        errors["planned_on"] = "Left against advice is recorded when it happened, not ahead."
    if cleaned["planned_on"] < stay.admitted_on:
        errors["planned_on"] = "The resident cannot leave before admission."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            stay = Stay.objects.select_for_update().get(pk=stay.pk)
            _in_residence(stay)
            plan = DischargePlan.objects.create(
                stay=stay,
                resident=stay.resident,
                written_by=actor,
                written_at=timezone.now(),
                **cleaned,
            )
            _finish(actor, plan, stay, decision.purpose, AGAINST_ADVICE)
            asking.ask(plan, actor)
    except IntegrityError as exc:
        raise ValidationError(
            "This stay already has a discharge plan: cancel it first, then record this."
        ) from exc
    return plan


def _finish(actor, plan, stay, purpose, action):
    """Inside the caller's transaction: end everything and mark the plan discharged."""
    plan.stay = stay  # the locked row, which end_stay changes
    now = timezone.now()
    left_on = plan.planned_on if action == AGAINST_ADVICE else timezone.localdate()
    ended = ending.end_stay(actor, plan, stay, purpose, now=now, left_on=left_on)
    plan.status = PlanStatus.DISCHARGED
    plan.discharged_at = now
    plan.discharged_by = actor
    plan.ended = ended
    plan.save()
    _write(actor, action, plan, purpose)
    ending.alert(plan)
    schedule.start(plan, actor=actor, purpose=purpose, discharged_on=left_on)
