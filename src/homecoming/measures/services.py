"""Recording a completed questionnaire, by staff or by the resident themselves.

The policy is checked first (a denial is committed on its own); an incomplete questionnaire is
refused with the missing items named; then the row, its ledger version and, for a PHQ-9 with
item 9 above 0, the safety alert and the risk flag (safetyplans/) are written in one
transaction: the answer can never be saved without the alert and the flag, nor the alert sent
for an answer that was not saved.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident
from homecoming.safetyplans import services as safetyplans

from . import scoring
from .models import Instrument, Mode, Questionnaire

LEDGER_ACTION = "measure.record"
SAFETY_ALERT = "safety"


def _previous_pcl5_total(resident) -> int | None:
    return (
        Questionnaire.objects.filter(resident=resident, instrument=Instrument.PCL5)
        .order_by("-completed_at", "-id")
        .values_list("total", flat=True)
        .first()
    )


def safety_message(resident, answer: int) -> str:
    definition = scoring.definition_of(Instrument.PHQ9)
    words = definition.option(answer).words
    return (
        f'{resident.display_name} answered {answer} ("{words}") to PHQ-9 item 9 (thoughts '
        "that you would be better off dead, or of hurting yourself): contact them today."
    )


def _raise_safety_alert(resident, answer: int):
    """Everyone on the care team, at once; the supervisors when nobody on the team can get it,
    so an answer like this is never left unseen."""
    message = safety_message(resident, answer)
    sent = alerts.notify_care_team(resident, kind=SAFETY_ALERT, message=message)
    if not sent:
        sent = alerts.notify_role(
            Role.SUPERVISOR, kind=SAFETY_ALERT, message=message, resident=resident
        )
    return sent


def record(
    actor, resident: Resident, instrument: str, answers, *, difficulty: int | None = None
) -> Questionnaire:
    """Save a completed questionnaire with its scores. Mode "self" when the resident filled it
    in themselves, "staff" when a staff member administered it."""
    decision = policy.require(actor, Action.RECORD_MEASURE, resident)
    answers = list(answers)
    scoring.validate(instrument, answers, difficulty=difficulty)
    definition = scoring.definition_of(instrument)
    cutpoint = settings.HOMECOMING_PCL5_CUTPOINT
    with transaction.atomic():
        # Lock the resident so two questionnaires saved at once each see the other as "previous".
        Resident.objects.lock(resident.pk)
        previous = _previous_pcl5_total(resident) if definition.code == Instrument.PCL5 else None
        result = scoring.score(
            definition.code,
            answers,
            previous_total=previous,
            cutpoint=cutpoint,
            difficulty=difficulty,
        )
        questionnaire = Questionnaire.objects.create(
            resident=resident,
            instrument=definition.code,
            answers=answers,
            total=result.total,
            band=result.band,
            findings=result.findings,
            mode=Mode.SELF if resident.user_id == actor.pk else Mode.STAFF,
            completed_by=actor,
            completed_at=timezone.now(),
        )
        ledger.record_write(
            actor, LEDGER_ACTION, questionnaire, resident_id=resident.pk, purpose=decision.purpose
        )
        if result.findings.get("item9_positive"):
            _raise_safety_alert(resident, result.findings["item9"])
            # The flag stays on the chart until a clinician clears it; the care team's worklist
            # asks for the safety plan to be reviewed within the day.
            safetyplans.raise_flag(
                actor,
                resident,
                reason=safety_message(resident, result.findings["item9"]),
                source=questionnaire,
                purpose=decision.purpose,
            )
    return questionnaire
