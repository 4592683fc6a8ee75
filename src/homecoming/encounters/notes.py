"""Every write to progress notes: drafts, signing, co-signing, addenda and release decisions.

A note is its author's draft until they sign it, confirming who they are; from then on it is
final (here, and in the database's triggers). What happens to a signed note afterwards is a row
of its own: a co-signature, an addendum with its reason, a decision to withhold it from the
resident or release it. Each function checks the access policy before its transaction (a denial
is committed on its own), then writes the rows and their ledger entries in one transaction.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts import reauth
from homecoming.accounts.models import Role
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.ledger import services as ledger
from homecoming.ledger.canonical import canonical_json, sha256_hex

from .models import (
    SECTIONS,
    Addendum,
    CoSignature,
    Note,
    NoteRelease,
    NoteTemplate,
    SessionStatus,
    WithholdingReason,
)

SIGNED_IS_FINAL = "This note is signed and cannot be changed. Add an addendum instead."


class SignedIsFinal(ValidationError):
    """A change asked of a note that is already signed: not a mistake in what was typed but a
    conflict with the note's state (the API answers 409)."""

    def __init__(self, message: str = SIGNED_IS_FINAL):
        super().__init__(message)


class DraftConflict(ValidationError):
    """The draft was saved elsewhere (another tab or device) since this copy was loaded.

    Saving anyway would overwrite newer text, so the save is refused; the page answers 409
    and keeps what the user typed. `revision` is the stored draft's revision."""

    def __init__(self, note: Note):
        super().__init__(
            {
                "revision": (
                    "This draft was changed in another window or tab since you opened it. "
                    "Your text is still here: copy what you need, or save it over the other "
                    "version."
                )
            }
        )
        self.revision = note.revision


def _write(actor, action: str, instance, note: Note, purpose):
    ledger.record_write(actor, action, instance, resident_id=note.resident_id, purpose=purpose)


def _refuse(actor, action: str, note: Note, reason: str):
    """A rule the policy tables cannot express (whose note it is): record the refusal in its
    own transaction, so it stays on the ledger, and answer 403."""
    policy.refuse(
        actor, action, ledger.Target.of(note, resident_id=note.resident_id), reason=reason
    )


def _confirm(actor, action: str, note: Note, secret: str):
    """The signer is who the session says: a wrong secret is a refused attempt on the ledger."""
    target = ledger.Target.of(note, resident_id=note.resident_id)
    reauth.confirm(actor, secret, action=action, target=target, by=actor)


def _locked(note: Note) -> Note:
    return Note.objects.select_for_update().get(pk=note.pk)


def _clean_sections(template, sections: dict) -> dict:
    """Only the template's sections, as text with the line breaks browsers and scripts agree on
    (a form sends CRLF, a script LF: the same text must compare equal)."""
    keys = [k for k, _ in SECTIONS[template]]
    unknown = sorted(set(sections) - set(keys))
    if unknown:
        raise ValidationError(
            {"sections": f"This note has no section called {', '.join(map(repr, unknown))}."}
        )
    cleaned = {}
    for key, text in sections.items():
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise ValidationError({key: "A section holds text."})
        cleaned[key] = text.replace("\r\n", "\n").replace("\r", "\n")
    return cleaned


def empty_sections(note: Note) -> list[str]:
    """The labels of the sections without text: a note is signed only when all are written."""
    return [label for key, label, text in note.section_texts() if not (text or "").strip()]


def start(actor, resident, template, session=None) -> Note:
    """Begin a draft note about a resident, optionally about one of their sessions."""
    decision = policy.require(actor, Action.WRITE_NOTE, resident)
    if template not in NoteTemplate.values:
        raise ValidationError({"template": "Choose a note template (DAP or SOAP)."})
    if session is not None:
        if session.status == SessionStatus.CANCELLED:
            raise ValidationError({"session": "This session was cancelled; it has no note."})
        if not session.attendees.filter(resident=resident).exists():
            raise ValidationError({"session": "This resident was not at that session."})
    now = timezone.now()
    with transaction.atomic():
        note = Note.objects.create(
            resident=resident,
            session=session,
            author=actor,
            template=template,
            sections={key: "" for key, _ in SECTIONS[template]},
            created_at=now,
            updated_at=now,
        )
        _write(actor, "note.start", note, note, decision.purpose)
    return note


def save_draft(actor, note: Note, sections: dict, revision: int) -> Note:
    """Save the author's draft, if it is still the revision their copy was based on.

    Saving the text that is already stored writes nothing (the autosave fires often, and a
    version that changes nothing would only bury the real ones)."""
    decision = policy.require(actor, Action.WRITE_NOTE, note.resident)
    if note.author_id != actor.pk:
        _refuse(
            actor, "note.draft", note, "A draft is its author's working copy; only they edit it."
        )
    sections = _clean_sections(note.template, sections)
    with transaction.atomic():
        note = _locked(note)
        if note.is_signed:
            raise SignedIsFinal()
        merged = note.sections | sections
        if merged == note.sections:
            return note  # nothing new, whichever revision the copy was based on: nothing lost
        if revision != note.revision:
            raise DraftConflict(note)
        note.sections = merged
        note.revision += 1
        note.updated_at = timezone.now()
        note.save(update_fields=["sections", "revision", "updated_at"])
        _write(actor, "note.draft", note, note, decision.purpose)
    return note


def _before_session(note: Note) -> str:
    """Why a note about a session that has not begun cannot be signed yet ("" when it can): a
    signed note says what happened, so it is written after the session, never ahead of it."""
    session = note.session
    if session is None or session.starts_at <= timezone.now():
        return ""
    starts = timezone.localtime(session.starts_at)
    return (
        f"The session starts on {dates.day_this_year(starts)} at {dates.time_of_day(starts)}: "
        "its note is signed once it has begun. The draft is kept."
    )


def sign(actor, note: Note, secret: str, revision: int | None = None) -> Note:
    """The author signs their draft, confirming who they are; from now on it is final.

    Given `revision`, the signature is refused unless that is the stored draft: what is signed
    is then exactly the text the author had in front of them."""
    decision = policy.require(actor, Action.WRITE_NOTE, note.resident)
    if note.author_id != actor.pk:
        _refuse(actor, "note.sign", note, "Only the author of a note may sign it.")
    if note.is_signed:
        raise SignedIsFinal("This note is already signed.")
    errors = {}
    empty = empty_sections(note)
    if empty:
        errors["sections"] = f"Write every section before signing. Empty: {', '.join(empty)}."
    not_yet = _before_session(note)
    if not_yet:
        errors["session"] = not_yet
    if errors:
        raise ValidationError(errors)
    _confirm(actor, "note.sign", note, secret)
    with transaction.atomic():
        note = _locked(note)
        if note.is_signed:
            raise SignedIsFinal("This note is already signed.")
        if revision is not None and revision != note.revision:
            raise DraftConflict(note)
        empty = empty_sections(note)  # the draft may have changed since the check above
        if empty:
            raise ValidationError(
                {"sections": f"Write every section before signing. Empty: {', '.join(empty)}."}
            )
        note.signed_at = timezone.now()
        note.signed_sha256 = sha256_hex(canonical_json(note.sections))
        note.needs_cosignature = actor.is_trainee
        note.updated_at = note.signed_at
        note.save(update_fields=["signed_at", "signed_sha256", "needs_cosignature", "updated_at"])
        _write(actor, "note.sign", note, note, decision.purpose)
        if note.needs_cosignature:
            alerts.notify_role(
                Role.SUPERVISOR,
                kind="note.cosign",
                message=f"{actor} (in training) signed {note}; it needs your co-signature.",
                resident=note.resident,
                about=note,
            )
    return note


def cosign(actor, note: Note, secret: str) -> CoSignature:
    """A supervisor co-signs a trainee's signed note, once, confirming who they are."""
    decision = policy.require(actor, Action.COSIGN_NOTE, note.resident)
    if note.author_id == actor.pk:
        _refuse(actor, "note.cosign", note, "Nobody co-signs their own note.")
    if not note.is_signed:
        raise ValidationError("Only a signed note can be co-signed.")
    if not note.needs_cosignature:
        raise ValidationError("This note does not need a co-signature.")
    if CoSignature.objects.filter(note=note).exists():
        raise ValidationError("This note is already co-signed.")
    _confirm(actor, "note.cosign", note, secret)
    try:
        with transaction.atomic():
            cosignature = CoSignature.objects.create(
                note=note, cosigner=actor, cosigned_at=timezone.now()
            )
            _write(actor, "note.cosign", cosignature, note, decision.purpose)
            alerts.close_for(note, actor, "the note is co-signed", purpose=decision.purpose)
    except IntegrityError as exc:  # another supervisor co-signed a moment ago
        raise ValidationError("This note is already co-signed.") from exc
    return cosignature


def _signed(note: Note, doing: str):
    if not note.is_signed:
        raise ValidationError(f"Sign the note before {doing}.")


def add_addendum(actor, note: Note, reason: str, text: str, secret: str) -> Addendum:
    """A correction or addition to a signed note: who, when and why, beside the original. It is
    signed like a note, with the author's password or code: an addendum changes what the
    record says, so it is never written from someone else's unlocked session."""
    decision = policy.require(actor, Action.ADD_ADDENDUM, note.resident)
    _signed(note, "adding an addendum; a draft can still be edited")
    reason, text = (reason or "").strip(), (text or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "Say why the addendum is written (a correction, late information…)."
    if not text:
        errors["text"] = "Write the addendum."
    if not secret:
        errors["secret"] = "Sign the addendum with your password or authenticator code."
    if errors:
        raise ValidationError(errors)
    # Its own action, so a refused confirmation reads as one (not as an addendum refused by
    # the policy) and counts towards the author's lock-out.
    _confirm(actor, "note.addendum_sign", note, secret)
    with transaction.atomic():
        addendum = Addendum.objects.create(
            note=note, author=actor, written_at=timezone.now(), reason=reason, text=text
        )
        _write(actor, "note.addendum", addendum, note, decision.purpose)
    return addendum


def is_withheld(note: Note) -> bool:
    """Signed notes are shown to the resident unless the latest decision withholds them."""
    latest = note.release_decisions.order_by("-decided_at", "-id").first()
    return latest is not None and latest.withheld


def _decide(actor, note: Note, purpose, *, withheld, reason, explanation) -> NoteRelease:
    with transaction.atomic():
        # Locking (not updating: the row is final) the note queues concurrent decisions, so
        # two clinicians cannot both record the same change.
        note = _locked(note)
        if is_withheld(note) == withheld:
            raise ValidationError(
                "This note is already withheld from the resident."
                if withheld
                else "The resident can already read this note."
            )
        release = NoteRelease.objects.create(
            note=note,
            decided_by=actor,
            decided_at=timezone.now(),
            withheld=withheld,
            reason=reason,
            explanation=explanation,
        )
        _write(actor, "note.withhold" if withheld else "note.release", release, note, purpose)
    return release


def withhold(actor, note: Note, reason: str, explanation: str) -> NoteRelease:
    """Withhold a signed note from its resident, for one of the documented reasons only."""
    decision = policy.require(actor, Action.RELEASE_NOTE, note.resident)
    _signed(note, "deciding whether the resident sees it")
    errors = {}
    if reason not in WithholdingReason.values:
        errors["reason"] = "Choose one of the documented reasons for withholding a note."
    explanation = (explanation or "").strip()
    if not explanation:
        errors["explanation"] = "Explain the decision: it is kept with the note for review."
    if errors:
        raise ValidationError(errors)
    return _decide(
        actor, note, decision.purpose, withheld=True, reason=reason, explanation=explanation
    )


def release(actor, note: Note, explanation: str = "") -> NoteRelease:
    """Show a withheld note to its resident again."""
    decision = policy.require(actor, Action.RELEASE_NOTE, note.resident)
    _signed(note, "deciding whether the resident sees it")
    return _decide(
        actor,
        note,
        decision.purpose,
        withheld=False,
        reason="",
        explanation=(explanation or "").strip(),
    )
