"""Writing a safety plan (a new signed version each time) and raising and clearing risk flags.

A plan is written with the resident by someone on their care team (or a supervisor), and signed
with the writer's password or code like a note: a wrong secret is a refused attempt on the
ledger. A risk flag is raised in the transaction of the answer that raised it (measures/services
.py), so the answer is never saved without its flag; it is cleared by a clinician on the care
team with the reason, which the supervisors are told.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts import reauth
from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident

from .models import OPTIONAL, SECTIONS, RiskFlag, SafetyPlan

SIGN = "safetyplan.sign"
RAISE = "riskflag.raise"
CLEAR = "riskflag.clear"
# A positive answer asks for the safety plan to be reviewed (a version signed) within this.
REVIEW_WITHIN = dt.timedelta(hours=24)
# The supervisors' alert when that passes (timers.py); a signed version closes it.
OVERDUE_ALERT = "safety_plan_overdue"
LONGEST = 4000
SECTION_KEYS = tuple(key for key, _ in SECTIONS)


def _clean(sections: dict) -> dict:
    """Every section's text, or a ValidationError naming every problem at once."""
    keys = [k for k, _ in SECTIONS]
    errors, clean = {}, {}
    unknown = sorted(set(sections) - set(keys))
    if unknown:
        errors["sections"] = f"A safety plan has no section called {', '.join(map(repr, unknown))}."
    for key, label in SECTIONS:
        text = sections.get(key) or ""
        if not isinstance(text, str):
            errors[key] = "A section holds text."
            continue
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not text and key not in OPTIONAL:
            errors[key] = f"Write this section with the resident: {label.lower()}."
        elif len(text) > LONGEST:
            errors[key] = f"A section has at most {LONGEST} characters."
        clean[key] = text
    if errors:
        raise ValidationError(errors)
    return clean


def sign(actor, resident: Resident, sections: dict, secret: str) -> SafetyPlan:
    """A new version of the resident's safety plan, signed by `actor` with their password or
    code. The earlier versions stay as they were."""
    decision = policy.require(actor, Action.WRITE_SAFETY_PLAN, resident)
    clean = _clean(sections)
    target = ledger.Target.of(resident, resident_id=resident.pk)
    reauth.confirm(actor, secret, action=SIGN, target=target, by=actor)
    with transaction.atomic():
        Resident.objects.lock(resident.pk)
        latest = (
            SafetyPlan.objects.filter(resident=resident)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        plan = SafetyPlan.objects.create(
            resident=resident,
            number=(latest or 0) + 1,
            signed_by=actor,
            signed_at=timezone.now(),
            **clean,
        )
        ledger.record_write(actor, SIGN, plan, resident_id=resident.pk, purpose=decision.purpose)
        for flag in RiskFlag.objects.filter(resident=resident, raised_at__lte=plan.signed_at):
            alerts.close_for(
                flag,
                actor,
                "a safety plan version was signed",
                purpose=decision.purpose,
                kind=OVERDUE_ALERT,
            )
    return plan


def raise_flag(actor, resident: Resident, *, reason: str, source=None, purpose) -> RiskFlag | None:
    """Inside the caller's transaction (the resident locked): a flag, unless one is active
    already (the answer then stands in the record beside the flag it renews)."""
    if RiskFlag.objects.filter(resident=resident, cleared_at__isnull=True).exists():
        return None
    flag = RiskFlag.objects.create(
        resident=resident, reason=reason, raised_at=timezone.now(), source=source
    )
    ledger.record_write(actor, RAISE, flag, resident_id=resident.pk, purpose=purpose)
    return flag


def clear(actor, flag: RiskFlag, reason: str) -> RiskFlag:
    """A clinician on the care team clears the flag, with the reason; the supervisors are told."""
    decision = policy.require(actor, Action.CLEAR_RISK_FLAG, flag.resident)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the risk no longer stands."})
    if len(reason) > LONGEST:
        raise ValidationError({"reason": f"A reason has at most {LONGEST} characters."})
    with transaction.atomic():
        flag = RiskFlag.objects.select_for_update().select_related("resident").get(pk=flag.pk)
        if flag.cleared_at is not None:
            raise ValidationError(
                {"reason": f"This flag was already cleared by {flag.cleared_by}."}
            )
        flag.cleared_at = timezone.now()
        flag.cleared_by = actor
        flag.cleared_reason = reason
        flag.save(update_fields=["cleared_at", "cleared_by", "cleared_reason"])
        ledger.record_write(
            actor, CLEAR, flag, resident_id=flag.resident_id, purpose=decision.purpose
        )
        alerts.notify_role(
            Role.SUPERVISOR,
            kind="risk_flag_cleared",
            message=(
                f"{actor} cleared the risk flag on {flag.resident.display_name} (raised "
                f"{dates.moment_this_year(flag.raised_at)}): “{reason}”"
            ),
            resident=flag.resident,
        )
    return flag
