"""An investigational product is never ordered or given unseen: the oversight body is told of
every order and every dose, and a prescriber cannot order the trial drug on a consent they
witnessed themselves.

Orders are alerted at "high" urgency (at once, never escalated: escalation would go to the
supervisors, who may be the ones pushing the trial); each dose at "normal" (at once or in the
officer's daily digest, by their choice: a trial runs twice a day for weeks, and the order's alert
already came at once). Both kinds are in alerts/urgency.py.
"""

from fractions import Fraction

from django.core.exceptions import ValidationError

from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts

from .doses import describe

ORDERED = "investigational_order"
GIVEN = "investigational_dose"


def check_order(actor, protocol, consent) -> None:
    """A prescriber does not order a trial drug on a consent they witnessed: the witness is to
    be someone other than whoever stands to prescribe it (consents/attestation.py refuses it when
    the consent is recorded; this holds for a witness who became the prescriber afterwards)."""
    if protocol.investigational and consent is not None and consent.witness_id == actor.pk:
        raise ValidationError(
            {
                "protocol": f"You witnessed {consent.resident.display_name}'s consent to "
                f"{protocol.drug}: the prescriber cannot be the witness of the consent to their "
                "own order. Ask the resident to confirm it themselves, or record it anew before "
                "another witness."
            }
        )


def alert_ordered(actor, order) -> None:
    """Call inside the order's transaction: the alert goes only if the order is written."""
    if not order.protocol.investigational:
        return
    resident = order.resident
    message = (
        f"{actor} ordered the investigational drug {order.protocol.drug} for "
        f"{resident.display_name}: {describe(Fraction(order.dose_amount), order.dose_unit)}, "
        f"{order.get_frequency_display().lower()}."
    )
    alerts.notify_role(Role.OVERSIGHT, kind=ORDERED, message=message, resident=resident)


def alert_given(actor, row) -> None:
    """Call inside the administration's transaction, after the row is written."""
    protocol = row.order.protocol
    if not protocol.investigational:
        return
    resident = row.resident
    witness = f", witnessed by {row.witness}" if row.witness_id else ""
    message = (
        f"{actor} gave {resident.display_name} the investigational drug {protocol.drug} "
        f"{describe(Fraction(row.dose_amount), row.dose_unit)}{witness} (ordered by "
        f"{row.order.prescribed_by})."
    )
    alerts.notify_role(Role.OVERSIGHT, kind=GIVEN, message=message, resident=resident)
