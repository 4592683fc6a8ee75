"""The formulary: protocols the medical lead adds, and retires; never edits.

A protocol's limits are what every order and every dose is held to, so they cannot change under
an order already written: new limits are a new protocol (the database refuses edits too). Each
protocol names the consent document its doses need; an investigational one needs a document
under an ethics-board approval, whose expiry ends every consent to it.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.consents.models import ConsentDocument, ConsentPurpose
from homecoming.ledger import services as ledger

from . import ingredient_limits
from .doses import MASS_UNITS, parse_amount
from .models import LIQUID_FORMS, Form, Protocol

ADD = "medication.protocol_add"
RETIRE = "medication.protocol_retire"
MAX_INTERVAL_MINUTES = 7 * 24 * 60


def _amount(data, field, errors, required=True):
    raw = data.get(field)
    if raw in (None, ""):
        if required:
            errors[field] = "Give an amount."
        return None
    try:
        return parse_amount(raw, field)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return None


def _consent_document(code, investigational, errors):
    """The latest version of the consent document the protocol names, checked for its purpose."""
    wanted = ConsentPurpose.INVESTIGATIONAL if investigational else ConsentPurpose.MEDICATION
    document = ConsentDocument.objects.filter(code=code).order_by("-version").first()
    if document is None:
        errors["consent_code"] = (
            f"No consent document has the code {code!r}. The program director publishes it first."
        )
    elif document.purpose != wanted:
        errors["consent_code"] = (
            f"{document.title} is consent to {document.get_purpose_display().lower()}; "
            f"this protocol needs consent to {wanted.label.lower()}."
        )
    return document


def add_protocol(actor, data: dict) -> Protocol:
    """Add a protocol from the form's or the API's fields (amounts as typed, exact)."""
    decision = policy.require(actor, Action.MANAGE_FORMULARY)
    errors = {}
    drug = (data.get("drug") or "").strip()
    if not drug:
        errors["drug"] = "Name the drug."
    elif len(drug) > 120:
        errors["drug"] = "A drug's name has at most 120 characters."
    form = data.get("form")
    if form not in Form.values:
        errors["form"] = "Choose the form."
    strength = _amount(data, "strength_amount", errors)
    per_ml = _amount(data, "strength_per_ml", errors, required=form in LIQUID_FORMS)
    if form not in LIQUID_FORMS and per_ml is not None:
        errors["strength_per_ml"] = "Only a liquid has a volume per strength."
    for field in ("strength_unit", "limit_unit"):
        if data.get(field) not in MASS_UNITS:
            errors[field] = "Choose a unit of mass (g, mg or mcg)."
    single = _amount(data, "max_single_dose", errors)
    daily = _amount(data, "max_daily_dose", errors)
    if single is not None and daily is not None and daily < single:
        errors["max_daily_dose"] = "The 24-hour maximum cannot be less than the single maximum."
    try:
        interval = int(data.get("min_interval_minutes"))
    except (TypeError, ValueError):
        interval = None
    if interval is None or not 0 <= interval <= MAX_INTERVAL_MINUTES:
        errors["min_interval_minutes"] = "Give the minimum interval in minutes (0 to 10080)."
    investigational = bool(data.get("investigational"))
    code = (data.get("consent_code") or "").strip()
    document = _consent_document(code, investigational, errors) if code else None
    if not code:
        errors["consent_code"] = "Name the consent document the doses need."
    ingredient = ingredient_limits.check_protocol(data, errors)
    if errors:
        raise ValidationError(errors)
    expires = document.ethics_approval_expires if document is not None else None
    if expires is not None and expires < timezone.localdate():
        raise ValidationError(
            {"consent_code": f"The ethics approval of {document.title} expired on {expires}."}
        )
    with transaction.atomic():
        protocol = Protocol.objects.create(
            drug=drug,
            form=form,
            strength_amount=strength,
            strength_unit=data["strength_unit"],
            strength_per_ml=per_ml,
            limit_unit=data["limit_unit"],
            max_single_dose=single,
            max_daily_dose=daily,
            min_interval_minutes=interval,
            controlled=bool(data.get("controlled")),
            investigational=investigational,
            consent_code=code,
            added_at=timezone.now(),
            added_by=actor,
        )
        ledger.record_write(actor, ADD, protocol, resident_id=None, purpose=decision.purpose)
        ingredient_limits.link_protocol(actor, protocol, data, ingredient, decision.purpose)
    return protocol


def retire_protocol(actor, protocol: Protocol) -> Protocol:
    """No new orders for it; orders already running keep their protocol's limits."""
    decision = policy.require(actor, Action.MANAGE_FORMULARY)
    with transaction.atomic():
        protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
        if protocol.retired_at is not None:
            raise ValidationError("This protocol is already retired.")
        protocol.retired_at = timezone.now()
        protocol.retired_by = actor
        protocol.save(update_fields=["retired_at", "retired_by"])
        ledger.record_write(actor, RETIRE, protocol, resident_id=None, purpose=decision.purpose)
    return protocol
