"""Every read of complaints and investigations, checked and recorded.

Complaints: the complaints officers and the oversight body read them all; a complainant reads
their own (in the portal, as staff, or with the receipt); a member of staff named in a
complaint may read it, but never who filed it, nor what the complainant attached. Each read of
a resident's complaint is an entry on that resident's ledger.

Investigations: the oversight body reads all; an investigator reads those they hold a grant
for, and, while it is current, the ledger entries of the staff it names.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action, Purpose
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry

from . import complaints, grants
from .models import (
    OPEN_STATUSES,
    Attachment,
    Complaint,
    ComplaintEvent,
    FiledVia,
    Grant,
    GrantScope,
    Investigation,
)

READ = "complaint.view"
READ_ACTIONS = "investigation.read_entries"
PAGE = 50
WITHHELD = "withheld: you are named in this complaint"


def complainant_words(complaint: Complaint, reader) -> str:
    """Who filed it, as this reader may be told."""
    if reader is not None and complaints.is_named(reader, complaint):
        return WITHHELD
    if complaint.filed_via == FiledVia.PUBLIC:
        words = complaint.complainant_name or "anonymous"
        if complaint.relationship:
            words += f", {complaint.relationship}"
        if complaint.complainant_contact:
            words += f" ({complaint.complainant_contact})"
        return f"{words}; public form"
    if complaint.filed_via == FiledVia.PORTAL and complaint.resident is not None:
        return f"{complaint.resident.display_name} (resident, in the portal)"
    return f"{complaint.filed_by} ({complaint.filed_by.get_role_display().lower()})"


def _record(actor, rows, purpose=Purpose.COMPLAINT):
    if rows:
        ledger.record_reads(actor, READ, rows, resident_of=lambda c: c.resident_id, purpose=purpose)


def handled_complaints(actor, *, status=None) -> list[Complaint]:
    """Every complaint, for the complaints officers and the oversight body."""
    policy.require(actor, Action.HANDLE_COMPLAINTS)
    qs = Complaint.objects.select_related("resident", "filed_by", "assignee")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    rows = list(qs)
    with transaction.atomic():
        _record(actor, rows)
    return rows


def own_complaints(actor) -> list[Complaint]:
    """The complaints this person filed (a resident in the portal, or a member of staff)."""
    rows = list(Complaint.objects.filter(filed_by=actor).select_related("resident", "assignee"))
    with transaction.atomic():
        _record(actor, rows)
    return rows


@dataclass
class ComplaintView:
    complaint: Complaint
    events: list[ComplaintEvent]
    complainant: str
    as_complainant: bool  # the reader is the one who complained
    may_handle: bool
    named: list  # staff named in it
    attachments_shown: bool
    reader_role: str = ""


def _events(complaint, *, for_complainant):
    qs = complaint.events.select_related("actor", "assignee").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    if for_complainant:
        qs = qs.filter(visible_to_complainant=True)
    return list(qs)


def complaint_for(actor, complaint_id: int) -> ComplaintView:
    complaint = (
        Complaint.objects.select_related("resident", "filed_by", "assignee")
        .filter(pk=complaint_id)
        .first()
    )
    if complaint is None:
        error = Complaint.DoesNotExist(f"No complaint #{complaint_id}.")
        policy.refuse_unknown(actor, READ, "oversight.complaint", complaint_id, error)
    mine = complaints.is_complainant(actor, complaint)
    handler = policy.decide(actor, Action.HANDLE_COMPLAINTS).allowed
    named = complaints.is_named(actor, complaint)
    if not (mine or handler or named):
        target = ledger.Target(object_type="oversight.complaint", object_id=str(complaint_id))
        policy.refuse(actor, READ, target, reason="Only those handling a complaint read it.")
    with transaction.atomic():
        view = ComplaintView(
            complaint=complaint,
            # Staff named in it read what the complainant reads, never the handlers' own notes
            # about them (how the complaint is being looked into is not theirs to watch).
            events=_events(complaint, for_complainant=(mine and not handler) or named),
            complainant=complainant_words(complaint, actor),
            as_complainant=mine,
            may_handle=handler and not named,
            named=[n.user for n in complaint.named.select_related("user")],
            attachments_shown=not named,
            reader_role=actor.role,
        )
        _record(actor, [complaint])
    return view


def with_receipt(complaint: Complaint) -> ComplaintView:
    """What the complainant of a public filing reads, once their receipt has opened it."""
    return ComplaintView(
        complaint=complaint,
        events=_events(complaint, for_complainant=True),
        complainant=complainant_words(complaint, None),
        as_complainant=True,
        may_handle=False,
        named=[],
        attachments_shown=True,
    )


def attachment_for(actor, attachment_id: int, *, receipt_complaint=None) -> Attachment:
    """An attachment to download: for whoever may read its complaint, except staff the
    complaint names (a complainant's document may say who they are)."""
    attachment = (
        Attachment.objects.select_related("complaint", "event").filter(pk=attachment_id).first()
    )
    if attachment is None:
        raise Attachment.DoesNotExist(f"No attachment #{attachment_id}.")
    complaint = attachment.complaint
    if receipt_complaint is not None:
        if receipt_complaint.pk != complaint.pk or not attachment.event.visible_to_complainant:
            refuse_attachment(None, attachment_id)
        actor = None
    else:
        view = complaint_for(actor, complaint.pk)
        if not view.attachments_shown or (
            view.as_complainant
            and not view.may_handle
            and not attachment.event.visible_to_complainant
        ):
            target = ledger.Target(object_type="oversight.complaint", object_id=str(complaint.pk))
            policy.refuse(actor, READ, target, reason="This attachment is not yours to open.")
    ledger.record_reads(
        actor,
        READ,
        [attachment],
        resident_of=lambda a: complaint.resident_id,
        purpose=Purpose.COMPLAINT,
    )
    return attachment


def refuse_attachment(actor, attachment_id: int):
    """An attachment asked for by its number through a receipt that does not open it (or with
    no receipt opened): a probe, written down on the complaint's resident, then not found."""
    found = Attachment.objects.select_related("complaint").filter(pk=attachment_id).first()
    policy.refuse_unknown(
        actor,
        READ,
        "oversight.attachment",
        attachment_id,
        Attachment.DoesNotExist(f"No attachment #{attachment_id} under this receipt."),
        resident_id=found.complaint.resident_id if found else None,
    )


# --- investigations ----------------------------------------------------------------------------


@dataclass
class Summary:
    open_complaints: int
    escalated: int
    open_investigations: int
    open_signals: int


def summary(actor) -> Summary:
    """Counts for the oversight body's home page (no resident, no complaint text)."""
    from homecoming.safety.models import Signal, SignalStatus

    policy.require(actor, Action.INVESTIGATE)
    open_complaints = Complaint.objects.filter(status__in=OPEN_STATUSES)
    return Summary(
        open_complaints=open_complaints.count(),
        escalated=open_complaints.filter(escalations__gt=0).count(),
        open_investigations=Investigation.objects.filter(status="open").count(),
        open_signals=Signal.objects.filter(status=SignalStatus.OPEN).count(),
    )


def _record_named(actor, residents):
    """Residents an investigation's pages show by name (those a grant covers): one `resident.list`
    entry each, with the purpose `investigation`, so the resident sees the look."""
    residents = list({r.pk: r for r in residents}.values())
    if residents:
        ledger.record_reads(
            actor,
            str(Action.LIST),
            residents,
            resident_of=lambda r: r.pk,
            purpose=Purpose.INVESTIGATION,
        )


def my_current_grants(actor) -> list[Grant]:
    """An investigator's grants in force, with the residents each covers (named on their home
    page, and recorded as read)."""
    with transaction.atomic():
        rows = list(
            grants.current(actor)
            .select_related("investigation")
            .prefetch_related(
                Prefetch("scope", queryset=GrantScope.objects.select_related("resident", "staff"))
            )
        )
        _record_named(actor, [s.resident for g in rows for s in g.resident_scope])
    return rows


def investigations_for(actor) -> list[Investigation]:
    policy.require(actor, Action.VIEW_INVESTIGATIONS)
    qs = Investigation.objects.select_related("complaint", "signal", "opened_by")
    if actor.role != "oversight":
        qs = qs.filter(grants__investigator=actor).distinct()
    return list(qs)


@dataclass
class InvestigationView:
    investigation: Investigation
    grants: list[Grant]
    current_grants: list[Grant]  # the reader's own grants in force now (an investigator)


def investigation_for(actor, investigation_id: int) -> InvestigationView:
    policy.require(actor, Action.VIEW_INVESTIGATIONS)
    investigation = (
        Investigation.objects.select_related("complaint", "signal", "opened_by", "closed_by")
        .filter(pk=investigation_id)
        .first()
    )
    if investigation is None:
        raise Investigation.DoesNotExist(f"No investigation #{investigation_id}.")
    all_grants = list(
        investigation.grants.select_related(
            "investigator", "granted_by", "revoked_by"
        ).prefetch_related(
            Prefetch("scope", queryset=GrantScope.objects.select_related("resident", "staff"))
        )
    )
    if actor.role != "oversight":
        all_grants = [g for g in all_grants if g.investigator_id == actor.pk]
        if not all_grants:
            policy.refuse(
                actor,
                Action.VIEW_INVESTIGATIONS,
                ledger.Target.of(investigation),
                reason="No grant of yours is in this investigation.",
            )
    now = timezone.now()
    current = [g for g in all_grants if g.investigator_id == actor.pk and g.active_at(now)]
    with transaction.atomic():
        # The page names the residents of the reader's own grants in force (the oversight body
        # sees residents by number only).
        _record_named(actor, [s.resident for g in current for s in g.resident_scope])
    return InvestigationView(investigation=investigation, grants=all_grants, current_grants=current)


def current_grant(actor, grant_id: int) -> Grant:
    """One of the actor's own grants, in force now; a refusal on the ledger otherwise."""
    grant = (
        Grant.objects.select_related("investigation")
        .prefetch_related(
            Prefetch("scope", queryset=GrantScope.objects.select_related("resident", "staff"))
        )
        .filter(pk=grant_id)
        .first()
    )
    if grant is None or grant.investigator_id != actor.pk or not grant.active_at(timezone.now()):
        reason = (
            "This grant is not yours."
            if grant and grant.investigator_id != actor.pk
            else ("This grant has expired or was revoked: the access it gave has ended.")
        )
        target = ledger.Target(object_type="oversight.grant", object_id=str(grant_id))
        policy.refuse(actor, READ_ACTIONS, target, reason=reason)
    return grant


@dataclass
class StaffEntries:
    grant: Grant
    entries: list[Entry]
    older: int | None


def staff_entries(actor, grant_id: int, *, before: int | None = None) -> StaffEntries:
    """Everything the staff a grant names did, as the ledger has it: newest first, a page at a
    time. The investigator's reading is itself an entry."""
    grant = current_grant(actor, grant_id)
    staff_ids = [s.staff_id for s in grant.staff_scope]
    if not staff_ids:
        raise Grant.DoesNotExist("This grant names no member of staff: it covers records only.")
    qs = Entry.objects.filter(actor_id__in=staff_ids).select_related("actor")
    if before is not None:
        qs = qs.filter(seq__lt=before)
    with transaction.atomic():
        rows = list(qs.order_by("-seq")[: PAGE + 1])
        ledger.append(actor, READ_ACTIONS, ledger.Target.of(grant), purpose=Purpose.INVESTIGATION)
        # The page names the residents the grant covers whose entries it shows.
        on_page = {e.resident_id for e in rows[:PAGE]}
        _record_named(actor, [s.resident for s in grant.resident_scope if s.resident_id in on_page])
    older = rows[PAGE - 1].seq if len(rows) > PAGE else None
    return StaffEntries(grant=grant, entries=rows[:PAGE], older=older)


def may_read_entry(actor, entry) -> bool:
    """Ledger leaves for the API: the oversight body reads any; an investigator those in scope."""
    if actor.role == "investigator":
        return grants.covers_entry(actor, entry)
    return policy.decide(actor, Action.VIEW_LEDGER).allowed
