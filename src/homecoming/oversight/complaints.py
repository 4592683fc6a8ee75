"""Every write to a complaint: filing (in the portal, by staff, or through the public form with
no account), messages both ways, attachments, assignment and moving it through its states.

A complaint cannot be buried: none is ever deleted (the database refuses it), each change is a
versioned row on the ledger, and one left untouched by staff for the set time is escalated to
the oversight body automatically (escalation.py). A complainant who files through the public
form gets a receipt code and a passphrase, and with them follows the complaint up later; the
passphrase is kept only as a hash. Who complained is never shown to staff the complaint names.
"""

import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action, Purpose
from homecoming.accounts.models import Role, User
from homecoming.alerts import services as alerts
from homecoming.core import uploads
from homecoming.ledger import services as ledger

from . import public_limits
from .models import (
    Attachment,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    EventKind,
    FiledVia,
    NamedStaff,
)

FILE = "complaint.file"
UPDATE = "complaint.update"
FOLLOW_UP = "complaint.follow_up"
MAX_SUBJECT, MAX_BODY = 200, 10_000
# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ATTACHMENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
}
ATTACHMENT_NAMES = "PDF, JPEG, PNG or WebP"
MAX_ATTACHMENTS = 5
# The longest of what a public complainant says about themselves (the columns' own lengths).
MAX_ABOUT = {"name": 200, "contact": 200, "relationship": 120}

# The moves a complaint may make; resolving and closing need the outcome told to the complainant.
MOVES = {
    ComplaintStatus.RECEIVED: {
        ComplaintStatus.ACKNOWLEDGED,
        ComplaintStatus.INVESTIGATING,
        ComplaintStatus.REFERRED,
    },
    ComplaintStatus.ACKNOWLEDGED: {
        ComplaintStatus.INVESTIGATING,
        ComplaintStatus.REFERRED,
        ComplaintStatus.RESOLVED,
    },
    ComplaintStatus.INVESTIGATING: {ComplaintStatus.REFERRED, ComplaintStatus.RESOLVED},
    ComplaintStatus.REFERRED: {ComplaintStatus.INVESTIGATING, ComplaintStatus.RESOLVED},
    ComplaintStatus.RESOLVED: {ComplaintStatus.CLOSED, ComplaintStatus.INVESTIGATING},
    ComplaintStatus.CLOSED: set(),
}


def _code(groups: int) -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(groups))


def new_reference() -> str:
    return f"HC-{_code(2)}"


def new_passphrase() -> str:
    return _code(4)  # 80 bits


def normalise(code: str) -> str:
    """What a person typed, as the code it means: case, spaces, dashes and look-alike letters
    forgiven (the passphrase is hashed in this form)."""
    code = (code or "").strip().upper().replace(" ", "").replace("-", "")
    return code.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def normalise_reference(typed: str) -> str:
    code = normalise(typed).removeprefix("HC")
    return f"HC-{code[:4]}-{code[4:]}"


@dataclass
class Filing:
    subject: str
    body: str
    named_staff: list = field(default_factory=list)  # User rows
    files: list = field(default_factory=list)  # uploaded files
    # Public filings: who it is from, if they say.
    name: str = ""
    contact: str = ""
    relationship: str = ""


def named_in_words(*texts) -> list[User]:
    """Staff whose full name the complaint's own words use: named as surely as by choosing them
    (a public complaint has no list to choose from), so they too never learn who complained."""
    words = " ".join(t for t in texts if t).casefold()
    staff = User.objects.filter(is_active=True).exclude(role__in=(Role.RESIDENT,))
    return [u for u in staff if u.full_name and u.full_name.casefold() in words]


def _check(filing: Filing):
    errors = {}
    subject, body = (filing.subject or "").strip(), (filing.body or "").strip()
    if not subject:
        errors["subject"] = "Say in a few words what the complaint is about."
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = f"Keep the subject to {MAX_SUBJECT} characters; the rest goes below."
    if len(body) < 10:
        errors["body"] = "Describe what happened: who, what, when, as far as you know."
    elif len(body) > MAX_BODY:
        errors["body"] = f"Describe it in at most {MAX_BODY:,} characters (attach a document)."
    for name, longest in MAX_ABOUT.items():
        if len((getattr(filing, name) or "").strip()) > longest:
            errors[name] = f"At most {longest} characters."
    staff = [u for u in filing.named_staff if u is not None]
    if any(u.role == Role.RESIDENT for u in staff):
        errors["named_staff"] = "Name members of staff only."
    if len(filing.files) > MAX_ATTACHMENTS:
        errors["file"] = f"Attach at most {MAX_ATTACHMENTS} files."
    if errors:
        raise ValidationError(errors)
    for f in filing.files:
        uploads.check_size(f, settings.HOMECOMING_ATTACHMENT_MAX_MB, "attachments")
        uploads.kind_of(f, ATTACHMENT_TYPES, ATTACHMENT_NAMES, "a document or picture")
    staff += named_in_words(subject, body)
    return subject, body, list(dict.fromkeys(staff))


def _write(actor, row, complaint, action=UPDATE):
    ledger.record_write(
        actor, action, row, resident_id=complaint.resident_id, purpose=Purpose.COMPLAINT
    )


def _event(actor, complaint, kind, **fields) -> ComplaintEvent:
    event = ComplaintEvent.objects.create(
        complaint=complaint, kind=kind, at=timezone.now(), actor=actor, **fields
    )
    _write(actor, event, complaint)
    return event


def _attach(actor, complaint, event, files, stored):
    """Copy each file into the storage (appending its name to `stored`, for clean-up on
    failure) and write its row."""
    for f in files:
        extension, content_type = uploads.kind_of(
            f, ATTACHMENT_TYPES, ATTACHMENT_NAMES, "a document or picture"
        )
        name, reader = uploads.store(f, "complaints", extension)
        stored.append(name)
        attachment = Attachment.objects.create(
            complaint=complaint,
            event=event,
            storage_name=name,
            original_name=uploads.original_name(f, "attachment"),
            content_type=content_type,
            size=reader.bytes_read,
            sha256=reader.hexdigest,
            uploaded_at=timezone.now(),
        )
        _write(actor, attachment, complaint)


def _tell_handlers(complaint, message):
    """The complaints officers and the oversight body, except anyone the complaint names."""
    named = NamedStaff.objects.filter(complaint=complaint).values("user_id")
    people = User.objects.filter(
        is_active=True, role__in=(Role.SUPERVISOR, Role.PROGRAM_DIRECTOR, Role.OVERSIGHT)
    ).exclude(pk__in=named)
    alerts.notify(people, kind="complaint", message=message, about=complaint)


def _file(actor, filing: Filing, *, via, resident=None, passphrase="") -> Complaint:
    subject, body, staff = _check(filing)
    now = timezone.now()
    stored = []
    try:
        with transaction.atomic():
            for _ in range(5):  # a clash of random references is rare; try another
                try:
                    with transaction.atomic():
                        complaint = Complaint.objects.create(
                            reference=new_reference(),
                            passphrase_hash=make_password(normalise(passphrase))
                            if passphrase
                            else "",
                            filed_via=via,
                            filed_by=actor,
                            complainant_name=(filing.name or "").strip(),
                            complainant_contact=(filing.contact or "").strip(),
                            relationship=(filing.relationship or "").strip(),
                            resident=resident,
                            subject=subject,
                            body=body,
                            status=ComplaintStatus.RECEIVED,
                            received_at=now,
                            touched_at=now,
                        )
                    break
                except IntegrityError:
                    continue
            else:  # pragma: no cover - 5 clashes in a 40-bit space
                raise ValidationError("Could not issue a receipt code; please try again.")
            _write(actor, complaint, complaint, FILE)
            for user in staff:
                _write(actor, NamedStaff.objects.create(complaint=complaint, user=user), complaint)
            event = _event(
                actor,
                complaint,
                EventKind.FILED,
                from_complainant=True,
                status=ComplaintStatus.RECEIVED,
                visible_to_complainant=True,
            )
            _attach(actor, complaint, event, filing.files, stored)
            _tell_handlers(
                complaint,
                f"New complaint {complaint.reference}: “{subject}” "
                f"({FiledVia(via).label.lower()}). It escalates to the oversight body if "
                f"untouched for {settings.HOMECOMING_COMPLAINT_ESCALATION_DAYS} days.",
            )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return complaint


def file_own(actor, filing: Filing) -> Complaint:
    """A resident's complaint, filed in the portal."""
    resident = getattr(actor, "resident", None)
    if actor.role != Role.RESIDENT or resident is None:
        raise ValidationError("Only a resident files a complaint in the portal.")
    policy.require(actor, Action.FILE_COMPLAINT, resident)
    return _file(actor, filing, via=FiledVia.PORTAL, resident=resident)


def file_as_staff(actor, filing: Filing) -> Complaint:
    policy.require(actor, Action.FILE_STAFF_COMPLAINT)
    if actor in filing.named_staff:
        raise ValidationError({"named_staff": "A complaint is about someone else."})
    return _file(actor, filing, via=FiledVia.STAFF)


def file_public(filing: Filing) -> tuple[Complaint, str]:
    """Anyone, with no account (a family member, a former resident, a member of staff who will
    not give their name). Returns the complaint and the passphrase, shown once."""
    passphrase = new_passphrase()
    return _file(None, filing, via=FiledVia.PUBLIC, passphrase=passphrase), passphrase


# --- following up with the receipt -------------------------------------------------------------


class ReceiptRefused(ValidationError):
    """A receipt code and passphrase that open no complaint (the API answers 403)."""


def open_with_receipt(reference: str, passphrase: str, *, source: str = "") -> Complaint:
    """The public complaint with this receipt, if the passphrase is right; each wrong try is on
    the ledger, and after five in 15 minutes from one `source` (the client's address) the
    receipt refuses there for a while, never elsewhere (public_limits.py says why)."""
    reference = normalise_reference(reference)
    refusal = "That receipt code and passphrase do not match a complaint."
    public_limits.check_receipt_not_locked(reference, source)
    complaint = Complaint.objects.filter(reference=reference, filed_via=FiledVia.PUBLIC).first()
    if complaint is None or not check_password(normalise(passphrase), complaint.passphrase_hash):
        target = ledger.Target(object_type="oversight.complaint", object_id=reference)
        policy.record_denial(None, FOLLOW_UP, target)
        public_limits.count_wrong_try(reference, source)
        raise ReceiptRefused(refusal)
    ledger.record_reads(
        None, FOLLOW_UP, [complaint], resident_of=lambda c: c.resident_id, purpose=Purpose.COMPLAINT
    )
    return complaint


# --- messages, assignment, states --------------------------------------------------------------


def is_named(user, complaint) -> bool:
    return NamedStaff.objects.filter(complaint=complaint, user=user).exists()


def may_handle(user, complaint) -> bool:
    """A complaints officer or the oversight body, and not named in the complaint."""
    return policy.decide(user, Action.HANDLE_COMPLAINTS).allowed and not is_named(user, complaint)


def require_handler(actor, complaint):
    """A complaints officer or the oversight body, not named in it; or AccessDenied, on the
    ledger."""
    policy.require(actor, Action.HANDLE_COMPLAINTS)
    if is_named(actor, complaint):
        policy.refuse(
            actor,
            UPDATE,
            ledger.Target.of(complaint, resident_id=complaint.resident_id),
            reason="You are named in this complaint: others handle it.",
        )


def is_complainant(user, complaint) -> bool:
    return user is not None and complaint.filed_by_id == getattr(user, "pk", None)


def write(actor, complaint: Complaint, body: str, *, files=(), for_staff_only=False):
    """A message on the complaint: from the complainant (in the portal, by staff who filed it,
    or with the receipt: `actor` None), or from a handler, to the complainant or as a note for
    staff only. A handler's message touches the complaint (the escalation timer restarts)."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write the message."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"At most {MAX_BODY:,} characters."})
    files = list(files)
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError({"file": f"Attach at most {MAX_ATTACHMENTS} files."})
    for f in files:
        uploads.check_size(f, settings.HOMECOMING_ATTACHMENT_MAX_MB, "attachments")
        uploads.kind_of(f, ATTACHMENT_TYPES, ATTACHMENT_NAMES, "a document or picture")
    from_complainant = actor is None or is_complainant(actor, complaint)
    if actor is None:  # with the receipt: a bounded number a day
        public_limits.check_message_allowance(complaint)
    if not from_complainant:
        require_handler(actor, complaint)
    elif for_staff_only:
        raise ValidationError("A note for staff only is written by those handling it.")
    if complaint.status == ComplaintStatus.CLOSED:
        raise ValidationError(
            "This complaint is closed; file a new one if something is still wrong."
        )
    stored = []
    try:
        with transaction.atomic():
            complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
            event = _event(
                actor,
                complaint,
                EventKind.NOTE if for_staff_only else EventKind.MESSAGE,
                from_complainant=from_complainant,
                body=body,
                visible_to_complainant=not for_staff_only,
            )
            _attach(actor, complaint, event, files, stored)
            if not from_complainant:
                _touch(actor, complaint)
            elif complaint.assignee_id:
                alerts.notify(
                    [complaint.assignee],
                    kind="complaint",
                    message=f"The complainant wrote on {complaint.reference}.",
                    about=complaint,
                )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return event


def _touch(actor, complaint):
    complaint.touched_at = timezone.now()
    complaint.save(update_fields=["touched_at"])
    _write(actor, complaint, complaint)


def assign(actor, complaint: Complaint, assignee) -> Complaint:
    require_handler(actor, complaint)
    if assignee is None or not policy.decide(assignee, Action.HANDLE_COMPLAINTS).allowed:
        raise ValidationError(
            {"assignee": "Assign it to a complaints officer or the oversight body."}
        )
    if is_named(assignee, complaint):
        raise ValidationError({"assignee": f"{assignee} is named in this complaint."})
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        complaint.assignee = assignee
        complaint.save(update_fields=["assignee"])
        _event(actor, complaint, EventKind.ASSIGNED, assignee=assignee)
        _touch(actor, complaint)
    if assignee != actor:
        alerts.notify(
            [assignee],
            kind="complaint",
            message=f"{actor} assigned complaint {complaint.reference} to you.",
            about=complaint,
        )
    return complaint


def move(
    actor, complaint: Complaint, status: str, *, note: str = "", outcome: str = ""
) -> Complaint:
    """Move the complaint on. Resolving says the outcome the complainant is told."""
    require_handler(actor, complaint)
    if status not in ComplaintStatus.values:
        raise ValidationError({"status": "Choose the new status."})
    outcome = (outcome or "").strip()
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if complaint.status == ComplaintStatus.REFERRED and actor.role != Role.OVERSIGHT:
            raise ValidationError(
                {
                    "status": "This complaint is with the oversight body: only the oversight "
                    "body moves it on. Write to the complainant, or add a note, meanwhile."
                }
            )
        if status not in MOVES[ComplaintStatus(complaint.status)]:
            raise ValidationError(
                {
                    "status": f"A complaint that is {complaint.get_status_display().lower()} "
                    f"cannot become {ComplaintStatus(status).label.lower()}."
                }
            )
        if status == ComplaintStatus.RESOLVED and len(outcome) < 20:
            raise ValidationError(
                {"outcome": "Say what was found and done: the complainant reads it."}
            )
        complaint.status = status
        complaint.touched_at = timezone.now()
        fields = ["status", "touched_at"]
        if status == ComplaintStatus.RESOLVED:
            complaint.outcome = outcome
            fields.append("outcome")
        complaint.save(update_fields=fields)  # one write: once closed, the row is final
        _write(actor, complaint, complaint)
        body = outcome if status == ComplaintStatus.RESOLVED else (note or "").strip()
        _event(
            actor,
            complaint,
            EventKind.STATUS,
            status=status,
            body=body,
            visible_to_complainant=True,
        )
        if status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED):
            alerts.close_for(
                complaint,
                actor,
                f"the complaint is {complaint.get_status_display().lower()}",
                purpose=Purpose.COMPLAINT,
            )
    return complaint
