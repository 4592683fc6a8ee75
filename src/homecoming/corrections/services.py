"""Asking for a correction, answering it, and disagreeing with the answer.

The resident files a request about an entry of their own record (entries.py checks the entry is
theirs and one they may read: a probe for anyone else's is a refused attempt on the ledger). The
care team answers once: they amend the record (a signed note by an addendum, signed with the
answerer's password or code like any addendum; any other entry by an amendment written into the
answer) or decline with the reason. Nobody declines a request about an entry they wrote: another
member of the care team or a supervisor does, and every decline is told to the supervisors. A
declined request may be followed by the resident's statement of disagreement. Nothing here is
ever changed or deleted (models.py; the database refuses it too).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.encounters import notes
from homecoming.encounters.models import Note
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident

from . import entries
from .models import CorrectionAnswer, CorrectionRequest, Disagreement, Kind, Outcome

FILE = "correction.request"
ANSWER = "correction.answer"
DECLINE = "correction.decline"  # a refused decline (the entry's own author) is entered as this
DISAGREE = "correction.disagree"
# HIPAA gives the center 60 days to act on a request; the supervisors hear of one left
# unanswered for half of that (timers.py), once.
ANSWER_WITHIN = dt.timedelta(days=60)
REMIND_AFTER = dt.timedelta(days=30)
NEW_ALERT = "correction_request"
DECLINED_ALERT = "correction_declined"
OVERDUE_ALERT = "correction_overdue"
DISAGREEMENT_ALERT = "correction_disagreement"
LONGEST = 4000
# The ledger's name for the row each kind points at (a refused probe names it).
ENTRY_TYPES = {
    Kind.NOTE: "encounters.note",
    Kind.QUESTIONNAIRE: "measures.questionnaire",
    Kind.VITALS: "vitals.vitalsigns",
    Kind.MEDICATION: "medications.order",
    Kind.DETAILS: "residents.resident",
}


def _text(errors, field, value, missing):
    if not isinstance(value, str):
        errors[field] = "Write it as text."
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not value and missing:
        errors[field] = missing
    elif len(value) > LONGEST:
        errors[field] = f"At most {LONGEST} characters, please."
    return value


def entry_of(actor, resident, kind, entry_id) -> entries.Entry:
    """The entry, if it is one of the resident's own that they may read; otherwise the attempt
    is refused on the ledger (naming the row asked for, never another resident)."""
    try:
        return entries.find(resident, kind, entry_id)
    except entries.NotYours as exc:
        object_type = ENTRY_TYPES.get(kind, f"corrections.{str(kind)[:40]}")
        target = ledger.Target(
            resident_id=resident.pk, object_type=object_type, object_id=str(entry_id)[:40]
        )
        policy.refuse(actor, Action.REQUEST_CORRECTION, target, reason=str(exc))


def file_request(
    actor, resident: Resident, kind, entry_id, what_is_wrong, should_say=""
) -> CorrectionRequest:
    """The resident's request about one entry of their own record; the care team is told."""
    decision = policy.require(actor, Action.REQUEST_CORRECTION, resident)
    entry = entry_of(actor, resident, kind, entry_id)
    errors = {}
    what_is_wrong = _text(
        errors, "what_is_wrong", what_is_wrong, "Say what is wrong in this entry."
    )
    should_say = _text(errors, "should_say", should_say or "", "")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request = CorrectionRequest.objects.create(
            resident=resident,
            kind=entry.kind,
            entry_id=entry.id,
            entry_label=entry.label,
            entry_author=entry.author,
            what_is_wrong=what_is_wrong,
            should_say=should_say,
            filed_by=actor,
            filed_at=timezone.now(),
        )
        ledger.record_write(actor, FILE, request, resident_id=resident.pk, purpose=decision.purpose)
        alerts.notify_care_team(
            resident,
            kind=NEW_ALERT,
            message=(
                f"{resident.display_name} asks for a correction of {entry.label}. Answer within "
                "60 days: amend it, or decline with the reason."
            ),
            about=request,
        )
    return request


def answer(actor, request: CorrectionRequest, outcome, statement, secret="") -> CorrectionAnswer:
    """Amend or decline, once. A note is amended by a signed addendum (`secret`: the answerer's
    password or code); anything else by the amendment written in `statement`. Declining needs
    someone other than the entry's author, and the supervisors are told."""
    resident = request.resident
    decision = policy.require(actor, Action.ANSWER_CORRECTION, resident)
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = "Choose: amend the record, or decline the request."
    missing = (
        "Say why the request is declined: the resident reads it."
        if outcome == Outcome.DECLINED
        else "Write the amendment: what the record now says."
    )
    statement = _text(errors, "statement", statement, missing)
    amends_note = outcome == Outcome.AMENDED and request.kind == Kind.NOTE
    if amends_note and not secret:
        errors["secret"] = "Sign the addendum with your password or authenticator code."
    if CorrectionAnswer.objects.filter(request=request).exists():
        errors["outcome"] = "This request has been answered already."
    if errors:
        raise ValidationError(errors)
    if outcome == Outcome.DECLINED and request.entry_author_id == actor.pk:
        policy.refuse(
            actor,
            DECLINE,
            ledger.Target.of(request, resident_id=resident.pk),
            reason=(
                "You wrote this entry: another clinician on the care team or a supervisor "
                "declines a request about it, if anyone does. You may amend it."
            ),
        )
    addendum = None
    if amends_note:
        note = Note.objects.select_related("resident").get(pk=request.entry_id)
        addendum = notes.add_addendum(
            actor,
            note,
            f"Correction asked by the resident (request #{request.pk})",
            statement,
            secret,
        )
    try:
        with transaction.atomic():
            Resident.objects.lock(resident.pk)
            given = CorrectionAnswer.objects.create(
                request=request,
                outcome=outcome,
                statement=statement,
                addendum=addendum,
                answered_by=actor,
                answered_at=timezone.now(),
            )
            ledger.record_write(
                actor, ANSWER, given, resident_id=resident.pk, purpose=decision.purpose
            )
            alerts.close_for(
                request, actor, "the request was answered", purpose=decision.purpose, kind=NEW_ALERT
            )
            alerts.close_for(
                request,
                actor,
                "the request was answered",
                purpose=decision.purpose,
                kind=OVERDUE_ALERT,
            )
            if outcome == Outcome.DECLINED:
                alerts.notify_role(
                    Role.SUPERVISOR,
                    kind=DECLINED_ALERT,
                    message=(
                        f"{actor} declined {resident.display_name}'s request to correct "
                        f"{request.entry_label}: “{statement}”"
                    ),
                    resident=resident,
                    about=request,
                )
    except IntegrityError as exc:
        # Two answers at once: the first stands (an addendum already written stays in the note,
        # where it was signed).
        raise ValidationError({"outcome": "This request has been answered already."}) from exc
    return given


def disagree(actor, request: CorrectionRequest, text) -> Disagreement:
    """The resident's statement of disagreement with a declined request, kept with it; the care
    team is told."""
    resident = request.resident
    decision = policy.require(actor, Action.REQUEST_CORRECTION, resident)
    errors = {}
    text = _text(errors, "text", text, "Say why you disagree.")
    given = CorrectionAnswer.objects.filter(request=request).first()
    if given is None or given.outcome != Outcome.DECLINED:
        errors["text"] = "A statement of disagreement answers a declined request."
    elif Disagreement.objects.filter(request=request).exists():
        errors["text"] = "Your statement of disagreement is already kept with this request."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            statement = Disagreement.objects.create(
                request=request, text=text, filed_by=actor, filed_at=timezone.now()
            )
            ledger.record_write(
                actor, DISAGREE, statement, resident_id=resident.pk, purpose=decision.purpose
            )
            alerts.notify_care_team(
                resident,
                kind=DISAGREEMENT_ALERT,
                message=(
                    f"{resident.display_name} disagrees with the declined correction of "
                    f"{request.entry_label}; their statement is kept with the record."
                ),
                about=request,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"text": "Your statement of disagreement is already kept with this request."}
        ) from exc
    return statement
