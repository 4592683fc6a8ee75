"""Who vouches for a consent, so that one member of staff alone cannot make it count.

A consent recorded by staff counts only once the resident confirms it themselves (their own
password typed on the recorder's screen, or later in the portal) or a witness signs with their
own password or authenticator code. The witness is never the person who recorded it; for a trial
drug, research or recording (ATTESTED_PURPOSES) the witness is not one of the resident's
prescribers either: whoever stands to order the drug is no check on the consent to it. With
nobody to vouch for it, the consent is kept as pending and counts for nothing until then.

(In the story behind this product, residents were given a trial drug on a consent one person
wrote down alone; the witness field defaulted to that same person.)
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from homecoming.accounts import reauth
from homecoming.accounts.models import User
from homecoming.ledger import services as ledger

from .models import ConsentPurpose, SignedVia

ATTESTED_PURPOSES = (
    ConsentPurpose.INVESTIGATIONAL,
    ConsentPurpose.RESEARCH,
    ConsentPurpose.RECORDING,
)
# Ledger actions: each person who vouches for a consent has an entry in their own name.
WITNESS = "consent.witness"
CONFIRM = "consent.confirm"


@dataclass(frozen=True)
class Attestation:
    """What staff bring to vouch for a consent: a witness with their secret, or the resident's
    own password. Neither: the consent waits for the resident's confirmation."""

    witness: User | None = None
    witness_secret: str = ""
    resident_secret: str = ""
    # A log-in named through the API that matched no account: refused like a wrong secret.
    witness_username: str = ""

    @property
    def given(self) -> bool:
        named = self.witness is not None or bool(self.witness_username)
        return named or bool(self.witness_secret or self.resident_secret)

    @property
    def via(self) -> str:
        if self.resident_secret:
            return SignedVia.OWN_PASSWORD
        if self.witness is not None:
            return SignedVia.IN_PERSON
        return SignedVia.PENDING


def prescribers_of(resident) -> set[int]:
    """Who prescribes for the resident: the prescribers on their care team now, and whoever has
    ever written them an order."""
    on_team = resident.care_team.filter(ended_at__isnull=True, user__is_prescriber=True)
    ordered = resident.medication_orders.values_list("prescribed_by_id", flat=True)
    return set(on_team.values_list("user_id", flat=True)) | set(ordered)


def problems(recorder, resident, purpose, attestation: Attestation) -> dict[str, str]:
    """Every reason the attestation cannot make the consent count, by field (all at once)."""
    errors = {}
    witness = attestation.witness
    if witness is not None and attestation.resident_secret:
        errors["resident_secret"] = (
            "Either the resident confirms with their own password, or a witness signs: not both."
        )
    if witness is not None:
        if not witness.is_active or witness.role not in User.RECORD_ROLES:
            errors["witness"] = f"{witness} is not an active member of the staff."
        elif witness.pk == recorder.pk:
            errors["witness"] = (
                f"The witness is someone other than the person who records the consent "
                f"({recorder}): one person alone cannot vouch for a consent."
            )
        elif purpose in ATTESTED_PURPOSES and witness.pk in prescribers_of(resident):
            errors["witness"] = (
                f"{witness} prescribes for {resident.display_name}: a consent to "
                f"{ConsentPurpose(purpose).label.lower()} is witnessed by someone who does not."
            )
        if not attestation.witness_secret:
            errors["witness_secret"] = "The witness confirms with their own password or code."
    elif attestation.witness_secret:
        errors["witness"] = "Name the witness whose password or code this is."
    if attestation.resident_secret and not _has_log_in(resident):
        errors["resident_secret"] = (
            f"{resident.display_name} has no portal log-in to confirm with: a witness signs "
            "instead, or give them portal access first."
        )
    return errors


def _has_log_in(resident) -> bool:
    return resident.user_id is not None and resident.user.is_active


def _confirm_witness(attestation: Attestation, target, errors, by) -> None:
    """The witness's secret, checked before anything is said about the witness (issue 13):
    whether a log-in exists, is active or may witness is told only to someone who knows its
    password or code. A wrong one is a refused entry at the keyboard (`by`), never counting
    against the witness, and the same words whatever was wrong; with the caller's other
    errors, all at once."""
    if not attestation.witness_secret:
        missing = "The witness confirms with their own password or code."
        raise ValidationError({**errors, "witness_secret": missing})
    try:
        reauth.confirm(
            attestation.witness,
            attestation.witness_secret,
            action=WITNESS,
            target=target,
            field="witness_secret",
            wrong=reauth.WRONG_SECOND_PERSON,
            by=by,
        )
    except ValidationError as exc:
        raise ValidationError({**errors, **exc.message_dict}) from None


def check(recorder, resident, purpose, attestation: Attestation, target, errors=None, *, by):
    """The witness's secret, then `problems` (with any the caller found already) as one
    ValidationError, then the resident's own password. `by` is the account at the keyboard.
    Call it before the consent's transaction."""
    errors = dict(errors or {})
    if attestation.witness is not None or attestation.witness_username:
        _confirm_witness(attestation, target, errors, by)
    errors.update(problems(recorder, resident, purpose, attestation))
    if errors:
        raise ValidationError(errors)
    if attestation.resident_secret:
        reauth.confirm(
            resident.user,
            attestation.resident_secret,
            action=CONFIRM,
            target=target,
            field="resident_secret",
            wrong=f"That is not {resident.display_name}'s password.",
            by=by,
        )


def countersign(actor, consent, entry, attestation: Attestation) -> None:
    """Whoever vouched acts in their own name: an entry on the same version as the write, unless
    they are the actor (whose write entry already names them)."""
    if attestation.resident_secret:
        person, action = consent.resident.user, CONFIRM
    elif attestation.witness is not None:
        person, action = attestation.witness, WITNESS
    else:
        return
    if person.pk == actor.pk:
        return
    target = ledger.Target.of(
        consent, resident_id=consent.resident_id, version_sha256=entry.version_sha256
    )
    ledger.append(person, action, target, purpose=entry.purpose)
