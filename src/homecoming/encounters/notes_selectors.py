"""Every read of progress notes: checked by the policy, and one ledger entry per note shown.

Drafts are their author's working copy: staff see their own drafts and everyone's signed notes.
A resident sees their signed notes with the addenda, except those withheld from them, and never
the reasons or explanations of a decision to withhold.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Prefetch, Q

from homecoming.access import policy
from homecoming.access.policy import Action, Purpose
from homecoming.core import keyset, worklist
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from .models import Addendum, CoSignature, Note, NoteRelease, Session


@dataclass
class NoteView:
    """A note as the reader may see it."""

    note: Note
    addenda: list[Addendum]
    cosignature: CoSignature | None
    # Every decision about showing it to the resident, oldest first (staff only).
    decisions: list[NoteRelease] = field(default_factory=list)
    withheld: bool = False

    @property
    def awaiting_cosignature(self) -> bool:
        return self.note.needs_cosignature and self.cosignature is None

    @property
    def released_to_resident(self) -> bool:
        """Whether the resident may read it: signed, not withheld, and (a trainee's note) not
        before a supervisor has co-signed it."""
        return self.note.is_signed and not self.withheld and not self.awaiting_cosignature

    @property
    def status(self) -> str:
        if not self.note.is_signed:
            return "draft"
        if self.withheld:
            return "withheld"
        if self.awaiting_cosignature:
            return "awaiting co-signature"
        return "signed"

    @property
    def badges(self) -> list[tuple[str, str]]:
        """(words, badge class) for each state the note is in."""
        if not self.note.is_signed:
            return [("draft", "warn")]
        shown = [("signed", "ok")]
        if self.awaiting_cosignature:
            shown.append(("awaiting co-signature", "warn"))
        elif self.cosignature is not None:
            shown.append(("co-signed", "ok"))
        if self.withheld:
            shown.append(("withheld from the resident", "danger"))
        return shown


@dataclass
class ResidentNotes:
    resident: Resident
    notes: list[NoteView]
    purpose: str
    older: int | None = None  # keyset cursors of the pages around this one (core.keyset)
    newer: int | None = None


def _notes():
    """Notes with everything a page shows about them, in a fixed number of queries."""
    return Note.objects.select_related(
        "resident", "author", "session", "cosignature__cosigner"
    ).prefetch_related(
        Prefetch("addenda", queryset=Addendum.objects.select_related("author")),
        Prefetch(
            "release_decisions",
            queryset=NoteRelease.objects.select_related("decided_by").order_by("decided_at", "id"),
        ),
    )


def _cosignature(note):
    try:
        return note.cosignature
    except ObjectDoesNotExist:
        return None


def _view(note: Note, purpose) -> NoteView:
    decisions = list(note.release_decisions.all())
    withheld = bool(decisions) and decisions[-1].withheld
    return NoteView(
        note=note,
        addenda=list(note.addenda.all()),
        cosignature=_cosignature(note),
        # The resident reads the note, never the deliberation about whether they may.
        decisions=[] if purpose == Purpose.SELF else decisions,
        withheld=withheld,
    )


def _record(actor, notes, purpose):
    ledger.record_reads(
        actor, str(Action.VIEW), notes, resident_of=lambda n: n.resident_id, purpose=purpose
    )


def _shown(qs, purpose, limit) -> list[NoteView]:
    """The notes the reader sees, newest first. With a `limit` (the chart's summary) only as
    many rows are loaded as it takes, so the summary costs the same for a record of thousands
    of notes; a resident's withheld notes are skipped, so a batch may not fill the limit."""
    views, start = [], 0
    batch = limit * 2 if limit else None
    while True:
        rows = list(qs[start : start + batch]) if batch else list(qs)
        views += [
            v
            for v in (_view(n, purpose) for n in rows)
            if not (purpose == Purpose.SELF and not v.released_to_resident)
        ]
        if not batch or len(rows) < batch or len(views) >= limit:
            return views[:limit] if limit else views
        start += batch


def notes_for(
    actor, resident_id: int, limit: int | None = None, *, opened=None, cursor=None
) -> ResidentNotes:
    """A resident's notes, newest first, as the actor may see them (`limit` for a summary).
    `opened`: the (resident, VIEW decision) of a page that has just opened the resident (the
    chart), so neither is asked again. `cursor` (core.keyset.Cursor): one page of the list, in
    the order written, with the cursors of the pages before and after it."""
    if opened is not None:
        resident, decision = opened
    else:
        resident = existing(actor, resident_id, Action.VIEW)
        decision = policy.require(actor, Action.VIEW, resident)
    qs = _notes().filter(resident=resident)
    if decision.purpose == Purpose.SELF:
        qs = qs.filter(signed_at__isnull=False)
    else:
        qs = qs.filter(Q(signed_at__isnull=False) | Q(author=actor))
    page = None
    if cursor is not None:
        page = keyset.page_of(
            qs,
            cursor,
            key=lambda v: v.note.pk,
            fetch=lambda ordered, n: _shown(ordered, decision.purpose, n),
        )
        views = page.rows
    else:
        views = _shown(qs, decision.purpose, limit)
    _record(actor, [v.note for v in views], decision.purpose)
    if not views:  # "no notes" is still something read about this resident
        ledger.record_resident_read(actor, str(Action.VIEW), resident, purpose=decision.purpose)
    return ResidentNotes(
        resident=resident,
        notes=views,
        purpose=decision.purpose,
        older=page.older if page else None,
        newer=page.newer if page else None,
    )


def note_detail(actor, note_id: int) -> NoteView:
    """One note, if the actor may read it: a draft only by its author, a withheld note not by
    the resident. Unknown ids are recorded as refused probes, like unknown residents."""
    note = _notes().filter(pk=note_id).first()
    if note is None:
        error = Note.DoesNotExist(f"No note #{note_id}.")
        policy.refuse_unknown(actor, Action.VIEW, "encounters.note", note_id, error)
    decision = policy.require(actor, Action.VIEW, note.resident)
    view = _view(note, decision.purpose)
    target = ledger.Target.of(note, resident_id=note.resident_id)
    if decision.purpose == Purpose.SELF:
        if not view.released_to_resident:
            policy.refuse(actor, Action.VIEW, target, reason="This note is not available to you.")
    elif not note.is_signed and note.author_id != actor.pk:
        reason = "A draft is its author's working copy until they sign it."
        policy.refuse(actor, Action.VIEW, target, reason=reason)
    _record(actor, [note], decision.purpose)
    return view


def note_to_change(actor, note_id: int) -> Note:
    """The note a write acts on (a save, a signature, an addendum, a decision). Not a read:
    nothing of it is shown (an autosave every second would bury the record's real reads); the
    service checks and records the write or its refusal. An unknown id is a refused probe
    (DoesNotExist), and someone who may not write notes about this resident learns nothing
    more of the note, not even that what they sent was malformed."""
    note = Note.objects.select_related("resident").filter(pk=note_id).first()
    if note is None:
        error = Note.DoesNotExist(f"No note #{note_id}.")
        policy.refuse_unknown(actor, Action.WRITE_NOTE, "encounters.note", note_id, error)
    policy.require(actor, Action.WRITE_NOTE, note.resident)
    return note


def my_notes(actor, cursor=None) -> ResidentNotes:
    """The resident's own notes, for their portal (a page of them with a `cursor`)."""
    resident = getattr(actor, "resident", None)
    if resident is None:
        raise Resident.DoesNotExist("Your account is not linked to a resident record.")
    return notes_for(actor, resident.pk, cursor=cursor)


def notes_to_cosign(actor) -> list[NoteView]:
    """Trainees' signed notes that no supervisor has co-signed yet, oldest first."""
    if Action.COSIGN_NOTE not in policy.WHOLE_CENTER.get(getattr(actor, "role", None), ()):
        role = actor.get_role_display().lower()
        policy.refuse(actor, Action.COSIGN_NOTE, reason=f"A {role} co-signs no notes.")
    purpose = policy.standing_purpose(actor)
    qs = (
        _notes()
        .filter(
            signed_at__isnull=False,
            needs_cosignature=True,
            cosignature__isnull=True,
            resident__in=policy.visible_residents(actor),
        )
        .exclude(author=actor)
        .order_by("signed_at", "id")
    )
    views = [_view(n, purpose) for n in qs]
    _record(actor, [v.note for v in views], purpose)
    return views


def session_for_note(session_id) -> Session | None:
    """The session a new note is about (the service checks the resident attended it)."""
    if session_id in (None, ""):
        return None
    session = Session.objects.filter(pk=session_id).first()
    if session is None:
        raise ValidationError({"session": f"No session #{session_id}."})
    return session


# --- the home page's worklists (core/worklist.py: the first few, oldest first, and a count) ----


def _listed(actor, short):
    """A worklist names its residents: decided at once for all of them (LIST), and one look per
    resident under the purpose that allowed it (a former resident's is follow-up, not care)."""
    decisions = policy.decide_for_residents(actor, Action.LIST, {n.resident for n in short.rows})
    short.rows = [n for n in short.rows if decisions[n.resident_id].allowed]
    ledger.record_reads_each(
        actor,
        str(Action.LIST),
        short.rows,
        resident_of=lambda n: n.resident_id,
        purpose_of=lambda n: decisions[n.resident_id].purpose,
    )
    return short


def writes_notes(actor) -> bool:
    role = getattr(actor, "role", None)
    return Action.WRITE_NOTE in policy.CARE_TEAM.get(role, policy.WHOLE_CENTER.get(role, ()))


def unsigned_drafts(actor, limit: int = worklist.SHOWN) -> worklist.Short | None:
    """The actor's own drafts, oldest first (the longest waiting to be signed), on residents the
    policy still lets them list: a draft on someone who has left their caseload is not theirs to
    finish from the home page. None for those who write no notes."""
    if not writes_notes(actor):
        return None
    qs = (
        Note.objects.filter(
            author=actor,
            signed_at__isnull=True,
            resident__in=policy.visible_residents(actor),
        )
        .select_related("resident")
        .order_by("created_at", "id")
    )
    return _listed(actor, worklist.of(qs, limit))


def may_cosign(actor) -> bool:
    """Whether the actor co-signs trainees' notes (the supervisors and the program director)."""
    return Action.COSIGN_NOTE in policy.WHOLE_CENTER.get(getattr(actor, "role", None), ())


def cosignatures_due(actor, limit: int = worklist.SHOWN) -> worklist.Short | None:
    """Trainees' signed notes waiting for a co-signature, the longest waiting first; None for
    those who co-sign nothing (the list is theirs to keep empty, not a count to show others)."""
    if not may_cosign(actor):
        return None
    qs = (
        Note.objects.filter(
            signed_at__isnull=False,
            needs_cosignature=True,
            cosignature__isnull=True,
            resident__in=policy.visible_residents(actor),
        )
        .exclude(author=actor)
        .select_related("resident", "author")
        .order_by("signed_at", "id")
    )
    return _listed(actor, worklist.of(qs, limit))
