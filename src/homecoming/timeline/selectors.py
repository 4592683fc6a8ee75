"""A resident's history, read from the ledger itself.

The timeline is the ledger's entries for the resident that wrote a record version (reads and
refusals are the "who looked" history, shown elsewhere), joined to those versions. The "as of"
view is the latest version of every row of the record written at or before a moment. Both are
rebuilt from what the ledger committed to, so they cannot disagree with it.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry, Outcome
from homecoming.ledger.models import Version as StoredVersion
from homecoming.residents.models import Resident
from homecoming.residents.selectors import existing

from . import present
from .kinds import BY_CODE, DRAFT_SAVE, KIND_OF_TYPE, KINDS, OTHER, WITHHELD, kind_of

PAGE = 50


@dataclass
class Event:
    seq: int
    time: dt.datetime
    actor: object
    actor_role: str
    action: str
    kind: object
    summary: str
    version_sha256: str


@dataclass
class TimelinePage:
    resident: Resident
    events: list[Event]
    more: bool  # older (or newer) events remain past the last one shown
    cursor: int | None  # the seq to continue from


def _writes(resident_id):
    """The resident's entries that wrote a version: each change to their record, once (but
    the withheld ones: complaints and investigations, see kinds.WITHHELD)."""
    wrote = StoredVersion.objects.filter(resident_id=resident_id).values("seq")
    return Entry.objects.filter(
        resident_id=resident_id, outcome=Outcome.ALLOWED, seq__in=wrote
    ).exclude(object_type__in=WITHHELD)


def _versions_shown(resident_id, *, drafts):
    """The resident's versions the timeline lists, read through the (resident, seq) index of
    the versions: a page costs the same however many reads of the resident the ledger holds.
    Each candidate's entry is looked up by its seq (unique) to leave out refused attempts and,
    unless asked for, saved drafts."""
    listed = Entry.objects.filter(seq=OuterRef("seq"), outcome=Outcome.ALLOWED)
    if not drafts:
        listed = listed.exclude(action=DRAFT_SAVE)
    return (
        StoredVersion.objects.filter(resident_id=resident_id)
        .exclude(object_type__in=WITHHELD)
        .filter(Exists(listed))
    )


def _kind_filter(kinds):
    known = [t for k in KINDS for t in k.object_types]
    chosen = [t for code in kinds if code in BY_CODE for t in BY_CODE[code].object_types]
    condition = Q(object_type__in=chosen)
    if OTHER.code in kinds:
        condition |= ~Q(object_type__in=known)
    return condition


DRAFT_HIDDEN = "(a draft: only its author reads it until it is signed)"


def _as_shown_to(actor, version):
    """A draft note is its author's working copy (see encounters.notes_selectors): the history
    shows that it existed and when it changed, and its text only to its author."""
    fields = version.fields
    if (
        version.object_type == "encounters.note"
        and not fields.get("signed_at")
        and fields.get("author_id") != actor.pk
    ):
        fields["sections"] = {key: DRAFT_HIDDEN for key in fields.get("sections") or {}}
    return version


def _record_history_read(actor, resident, purpose):
    ledger.record_resident_read(actor, str(Action.VIEW_HISTORY), resident, purpose=purpose)


def timeline(
    actor,
    resident_id: int,
    *,
    kinds=(),
    drafts=False,
    cursor: int | None = None,
    oldest_first=False,
    limit=PAGE,
) -> TimelinePage:
    """One page of the resident's changes, newest first (or oldest first), `limit` at a time.

    Keyset pagination on the ledger sequence: page N costs what page 1 costs."""
    resident = existing(actor, resident_id, Action.VIEW_HISTORY)
    decision = policy.require(actor, Action.VIEW_HISTORY, resident)
    qs = _versions_shown(resident.pk, drafts=drafts)
    if kinds:
        qs = qs.filter(_kind_filter(kinds))  # the version names its row's type, as the entry does
    if cursor is not None:
        qs = qs.filter(seq__gt=cursor) if oldest_first else qs.filter(seq__lt=cursor)
    qs = qs.order_by("seq" if oldest_first else "-seq")
    contents = dict(qs.values_list("seq", "content")[: limit + 1])
    more = len(contents) > limit
    seqs = sorted(contents, reverse=not oldest_first)[:limit]
    by_seq = Entry.objects.select_related("actor").in_bulk(seqs, field_name="seq")
    entries = [by_seq[seq] for seq in seqs]
    _record_history_read(actor, resident, decision.purpose)
    versions = {
        e.seq: present.parse(e.object_type, e.object_id, e.seq, contents[e.seq]) for e in entries
    }
    names = present.Names(versions.values())
    events = [
        Event(
            seq=e.seq,
            time=e.time,
            actor=e.actor,
            actor_role=e.actor_role,
            action=e.action,
            kind=kind_of(e.object_type),
            summary=present.summary(e.action, versions[e.seq], names),
            version_sha256=e.version_sha256,
        )
        for e in entries
    ]
    return TimelinePage(
        resident=resident, events=events, more=more, cursor=entries[-1].seq if more else None
    )


@dataclass
class Change:
    """One change in full: every field of the version it wrote."""

    resident: Resident
    seq: int
    summary: str
    fields: list[tuple[str, str]]
    version_sha256: str


def change(actor, resident_id: int, seq: int) -> Change:
    """The version one timeline entry wrote, field by field (opened from the timeline)."""
    resident = existing(actor, resident_id, Action.VIEW_HISTORY)
    decision = policy.require(actor, Action.VIEW_HISTORY, resident)
    entry = _writes(resident.pk).filter(seq=seq).first()
    if entry is None:
        raise Entry.DoesNotExist(f"No change #{seq} in this resident's record.")
    content = StoredVersion.objects.get(seq=seq).content
    _record_history_read(actor, resident, decision.purpose)
    version = _as_shown_to(actor, present.parse(entry.object_type, entry.object_id, seq, content))
    names = present.Names([version])
    return Change(
        resident=resident,
        seq=seq,
        summary=present.summary(entry.action, version, names),
        fields=present.field_rows(version, names),
        version_sha256=entry.version_sha256,
    )


@dataclass
class Row:
    """One row of the record as it stood: its fields, and the entry that wrote that state."""

    object_type: str
    object_id: str
    seq: int
    title: str
    fields: list[tuple[str, str]]


@dataclass
class Section:
    kind: object
    rows: list[Row] = field(default_factory=list)


@dataclass
class AsOf:
    resident: Resident
    moment: dt.datetime
    sections: list[Section]
    last_seq: int | None  # the last change included: the record is exactly the ledger up to it


def check_history(actor, resident_id: int):
    """Before the "as of" page asks for a moment: refused, and recorded, to whoever may not read
    this resident's history (the question form shows nothing of the record itself)."""
    resident = existing(actor, resident_id, Action.VIEW_HISTORY)
    policy.require(actor, Action.VIEW_HISTORY, resident)
    return resident


def as_of(actor, resident_id: int, moment: dt.datetime) -> AsOf:
    """The resident's record exactly as it stood at `moment`: for every row written for them
    by then, its latest version at or before that moment (drafts and all: it is the record)."""
    resident = existing(actor, resident_id, Action.VIEW_HISTORY)
    decision = policy.require(actor, Action.VIEW_HISTORY, resident)
    latest = {}
    for object_type, object_id, seq in (
        _writes(resident.pk)
        .filter(time__lte=moment)
        .order_by("seq")
        .values_list("object_type", "object_id", "seq")
    ):
        latest[(object_type, object_id)] = seq  # ordered by seq: the last one wins
    contents = dict(
        StoredVersion.objects.filter(seq__in=latest.values()).values_list("seq", "content")
    )
    _record_history_read(actor, resident, decision.purpose)
    versions = [
        _as_shown_to(actor, present.parse(object_type, object_id, seq, contents[seq]))
        for (object_type, object_id), seq in latest.items()
    ]
    names = present.Names(versions)
    sections = {k.code: Section(k) for k in (*KINDS, OTHER)}
    order = {t: i for i, t in enumerate(KIND_OF_TYPE)}
    for v in sorted(versions, key=lambda v: (order.get(v.object_type, 99), v.seq)):
        sections[kind_of(v.object_type).code].rows.append(
            Row(
                object_type=v.object_type,
                object_id=v.object_id,
                seq=v.seq,
                title=present.identify(v, names),
                fields=present.field_rows(v, names),
            )
        )
    return AsOf(
        resident=resident,
        moment=moment,
        sections=[s for s in sections.values() if s.rows],
        last_seq=max(latest.values(), default=None),
    )
