"""How urgent each kind of alert is: the one place that decides.

- critical: e-mailed at once, whatever the person chose, and escalated while nobody acknowledges it
  (to the supervisors, then the program director: HOMECOMING_ALERT_ESCALATION_MINUTES).
- high: e-mailed at once, never escalated (escalating it would tell people it must not reach, e.g.
  a complaint that may name a supervisor).
- normal: e-mailed at once or in the daily digest, as each person chose.

A kind missing from the map is treated as high (sent at once, never silently held for a digest);
tests/alerts/test_urgency.py fails until every kind written in the code is in the map.
"""

from django.db import models


class Urgency(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"


URGENCY = {
    # Critical: a life, a dose or the record's integrity at stake.
    "safety": Urgency.CRITICAL,  # PHQ-9 item 9 answered above 0 (suicide risk)
    "break_glass": Urgency.CRITICAL,  # a record opened outside the care team
    "medication_override": Urgency.CRITICAL,  # a dose stop overridden with a co-signature
    "dose_stopped": Urgency.CRITICAL,  # a dose stopped at a ceiling
    "order_stopped": Urgency.CRITICAL,  # an order stopped at an ingredient ceiling or interaction
    "interaction_override": Urgency.CRITICAL,  # an interacting pair ordered with a co-signature
    "allergy_override": Urgency.CRITICAL,  # a known allergen ordered with a co-signature
    # An allergy recorded while an order of its substance runs: the prescriber must review it.
    "allergy_order": Urgency.CRITICAL,
    # A vital sign past a critical threshold (vitals/ranges.py): the care team sees the resident.
    "vitals_critical": Urgency.CRITICAL,
    "ledger": Urgency.CRITICAL,  # a witness refused a checkpoint: the ledger may be rewritten
    "database_check": Urgency.CRITICAL,  # the live database no longer matches its ledger
    "safety_signal": Urgency.CRITICAL,  # a new drug-event safety signal
    # High: sent at once, but not escalated.
    "complaint_escalated": Urgency.HIGH,  # untouched too long; may name a supervisor
    # accounts/overseers.py: an account created, (de)activated, a role, a reset, a CLI token
    "account": Urgency.HIGH,
    # An investigational drug ordered: to the oversight body, never escalated (escalation would
    # reach the supervisors, who may be the ones pushing the trial).
    "investigational_order": Urgency.HIGH,
    # An allergy ruled out (to the medical lead and the program director): it no longer stops
    # orders, so ruling one out to get past the stop is never unseen.
    "allergy_ruled_out": Urgency.HIGH,
    # A risk flag (PHQ-9 item 9) cleared by a clinician (to the supervisors): clearing a flag to
    # hide a risk is never unseen.
    "risk_flag_cleared": Urgency.HIGH,
    # No safety plan signed within 24 hours of a risk flag (to the supervisors, once per flag).
    "safety_plan_overdue": Urgency.HIGH,
    # A resident's message unanswered by the care team for two working days (to the supervisors,
    # once per message).
    "message_unanswered": Urgency.HIGH,
    # A correction request declined (to the supervisors): declining to hide a mistake is never
    # unseen. One unanswered for 30 days (to the supervisors, once per request).
    "correction_declined": Urgency.HIGH,
    "correction_overdue": Urgency.HIGH,
    "resident_adverse_event": Urgency.HIGH,  # a resident's own side-effect report (portal)
    "safety_decision": Urgency.HIGH,  # the medical lead's decision on a signal (oversight)
    # Follow-up after discharge: a former resident lost to follow-up (to the director, the
    # oversight body and the supervisors); a contact overdue past its grace (supervisors); a
    # former resident asking for a call in their check-in (the contact's owner).
    "follow_up_lost": Urgency.HIGH,
    # ... and closed: to the director (unless they closed it) and the oversight body.
    "follow_up_lost_closed": Urgency.HIGH,
    "follow_up_overdue": Urgency.HIGH,
    "follow_up_call": Urgency.HIGH,
    # A resident discharged to return to duty (oversight, program director): sent at once and
    # never escalated to the supervisors, who may be the ones sending them back.
    "discharge_return_to_duty": Urgency.HIGH,
    # Identified records left the center in a FHIR bulk export (to the oversight body, and the
    # program director unless they ran it): never escalated, never held for a digest.
    "records_exported": Urgency.HIGH,
    # The ledger's signing key was changed (ledger/rotation.py, to the oversight body): they
    # check the announcement against the old key they hold and keep the new one.
    "ledger_key_rotated": Urgency.HIGH,
    # Normal: the person's choice of at once or the daily digest.
    "discharge_signature": Urgency.NORMAL,  # a discharge plan waits for the recipient's signature
    "note.cosign": Urgency.NORMAL,
    # A planned admission cancelled before the arrival (to the care team who planned for them).
    "admission_cancelled": Urgency.NORMAL,
    # Each investigational dose given, to the oversight body: its order was told at once.
    "investigational_dose": Urgency.NORMAL,
    "safety_review": Urgency.NORMAL,
    "complaint": Urgency.NORMAL,
    # A resident's correction request, and their statement of disagreement (the care team).
    "correction_request": Urgency.NORMAL,
    "correction_disagreement": Urgency.NORMAL,
    "investigation": Urgency.NORMAL,
}

# Kinds whose alert, held for an inactive recipient (an overseer the sysadmin deactivated),
# escalates as an unacknowledged critical alert does: nobody can read it where it waits.
ESCALATES_WHEN_HELD = frozenset({"account"})


def urgency_of(kind: str) -> Urgency:
    return URGENCY.get(kind, Urgency.HIGH)
