"""The medical lead's decision on a signal, and the hard stops it puts on the medicine.

A signal is a prompt; a decision is what is done about it: monitor (orders and doses go on),
restrict (only the named prescribers may order the medicine), or suspend (no new order and no
dose of it, for anyone). Only the medical lead decides; each decision is a row of its own with
its reasons, on the ledger, and alerts the oversight body and the program director, so a
suspension quietly lifted is as visible as one imposed. A later decision on the same signal
replaces the earlier one, which stays. A decision applies to the drug, every protocol of it.

The medication services ask this module at the moment of use (`order_refusals` when an order is
written, `dose_stops` when a dose is given); a refusal names the signal and the decision, and is
written to the ledger as a refused attempt. Every signal of a drug counts: one suspended signal
suspends the drug, and each restricting one must name the prescriber.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role, User
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.ledger import services as ledger
from homecoming.medications.guard import Rule, Stop

from .models import Decision, DecisionKind, NamedPrescriber, Signal

DECIDE = "safety.decide_signal"
ALERT_KIND = "safety_decision"
PRESCRIBE = "medication.prescribe"  # the action a refused order is written under
MIN_REASONS = 20


@dataclass
class Choice:
    kind: str
    reasons: str
    prescriber_ids: list[int] = field(default_factory=list)


def prescribers():
    """Who a restricting decision may name: the center's active prescribers."""
    return User.objects.filter(is_active=True, is_prescriber=True, role=Role.CLINICIAN).order_by(
        "full_name", "pk"
    )


def _check(choice: Choice) -> tuple[str, list[User]]:
    errors = {}
    reasons = (choice.reasons or "").strip()
    if choice.kind not in DecisionKind.values:
        errors["kind"] = "Choose monitor, restrict or suspend."
    if len(reasons) < MIN_REASONS:
        errors["reasons"] = (
            f"Give the reasons for the decision ({MIN_REASONS} characters at least)."
        )
    ids = list(dict.fromkeys(choice.prescriber_ids or []))
    named = list(prescribers().filter(pk__in=ids))
    if len(named) != len(ids):
        errors["prescriber_ids"] = "Name only active prescribers of the center."
    elif choice.kind == DecisionKind.RESTRICT and not named:
        errors["prescriber_ids"] = "Name the prescribers who may still order it."
    elif choice.kind != DecisionKind.RESTRICT and named:
        errors["prescriber_ids"] = "Only a restricting decision names prescribers."
    if errors:
        raise ValidationError(errors)
    return reasons, named


def decide(actor, signal: Signal, choice: Choice) -> Decision:
    """Record the medical lead's decision on the signal; it is in force at once."""
    allowed = policy.require(actor, Action.DECIDE_SIGNAL)
    reasons, named = _check(choice)
    with transaction.atomic():
        signal = Signal.objects.select_for_update().get(pk=signal.pk)
        decision = Decision.objects.create(
            signal=signal,
            drug=signal.drug,
            kind=choice.kind,
            reasons=reasons,
            decided_at=timezone.now(),
            decided_by=actor,
        )
        ledger.record_write(actor, DECIDE, decision, resident_id=None, purpose=allowed.purpose)
        for person in named:
            row = NamedPrescriber.objects.create(decision=decision, prescriber=person)
            ledger.record_write(actor, DECIDE, row, resident_id=None, purpose=allowed.purpose)
        _announce(decision, named)
    return decision


def _announce(decision: Decision, named):
    """Every decision, monitor included, reaches the oversight body and the program director."""
    if decision.kind == DecisionKind.RESTRICT:
        what = f"to restrict it to {_names(named)}"
    elif decision.kind == DecisionKind.SUSPEND:
        what = "to suspend it: no new order and no dose"
    else:
        what = "to monitor it (orders and doses go on)"
    message = (
        f"{decision.decided_by} decided on the signal #{decision.signal_id} "
        f"({decision.signal}) {what}. Reasons: {decision.reasons}"
    )
    people = User.objects.filter(is_active=True, role__in=(Role.OVERSIGHT, Role.PROGRAM_DIRECTOR))
    alerts.notify(people, kind=ALERT_KIND, message=message)


def _names(people) -> str:
    names = [str(p) for p in people]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --- what is in force ---------------------------------------------------------------------------


def history(signal: Signal) -> list[Decision]:
    return list(
        Decision.objects.filter(signal=signal)
        .select_related("decided_by")
        .prefetch_related("named__prescriber")
    )


def in_force(drug: str) -> list[Decision]:
    """The latest decision of each signal on the drug (those that are not merely monitoring)."""
    latest = {}
    rows = (
        Decision.objects.filter(drug=drug)
        .select_related("signal", "decided_by")
        .prefetch_related("named__prescriber")
        .order_by("signal_id", "-decided_at", "-id")
    )
    for row in rows:
        latest.setdefault(row.signal_id, row)
    return [d for d in latest.values() if d.kind != DecisionKind.MONITOR]


def current(signal: Signal) -> Decision | None:
    return Decision.objects.filter(signal=signal).order_by("-decided_at", "-id").first()


def _source(decision: Decision) -> str:
    on = dates.day(decision.decided_at)
    return (
        f"by the medical lead's decision of {on} on the safety signal #{decision.signal_id} "
        f"({decision.signal})"
    )


def refusals(prescriber, drug: str) -> list[tuple[Decision, str]]:
    """Each decision in force that refuses this prescriber a new order of the drug, and why."""
    found = []
    for decision in in_force(drug):
        if decision.kind == DecisionKind.SUSPEND:
            found.append((decision, f"{drug} is suspended {_source(decision)}: no new order."))
        elif not any(n.prescriber_id == prescriber.pk for n in decision.named.all()):
            names = _names([n.prescriber for n in decision.named.all()])
            found.append(
                (
                    decision,
                    f"{drug} is restricted to {names} {_source(decision)}; you are not named.",
                )
            )
    return found


def refuse_order(errors: dict, actor, resident, protocol, purpose) -> dict:
    """Add to an order's `errors` (under `protocol`) what the decisions in force refuse, each
    refused attempt written to the ledger naming its decision. Returns `errors`."""
    found = refusals(actor, protocol.drug)
    for decision, _ in found:
        target = ledger.Target.of(decision, resident_id=resident.pk)
        policy.record_denial(actor, PRESCRIBE, target, purpose=purpose)
    if found:
        words = [errors["protocol"]] if "protocol" in errors else []
        errors["protocol"] = " ".join(words + [why for _, why in found])
    return errors


def dose_stops(protocol) -> list:
    """The hard stops the decisions in force put on giving a dose of the protocol's drug: a
    suspension stops every dose, whoever ordered it and whenever the order was written."""
    return [
        Stop(Rule.SUSPENDED, f"{protocol.drug} is suspended {_source(d)}: no dose may be given.")
        for d in in_force(protocol.drug)
        if d.kind == DecisionKind.SUSPEND
    ]
