"""Reading the ledger: a resident's own disclosure history, and the entries staff may review."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Entry, Mention, Version


@dataclass
class Disclosures:
    entries: list[Entry]
    older: int | None  # the sequence number to page on from, when older entries remain
    own_reads_hidden: bool


# The resident's own reads that stay listed: a copy of the record that left the center (a
# download) is worth remembering, where a page they opened is not.
OWN_READS_LISTED = ("record.download",)


def disclosures(resident, *, before: int | None = None, limit=50) -> Disclosures:
    """What the resident reads as "who looked at my record": every entry about them, newest
    first, a page at a time, except their own reads of it (each page they open would otherwise
    bury everyone else's accesses under their own). Their own changes and downloads stay
    listed."""
    # Two walks down an index each, (resident, seq) on the entries and on the names lists
    # carry, merged here: one query with "about them OR named" cannot use either index and
    # reads the whole ledger, which grows with every look.
    wrote = Version.objects.filter(seq=OuterRef("seq"))
    own = resident.user_id
    on_record = Entry.objects.filter(resident_id=resident.pk)
    named = Mention.objects.filter(resident_id=resident.pk)
    if own:
        on_record = on_record.exclude(
            Q(actor_id=own) & ~Exists(wrote) & ~Q(action__in=OWN_READS_LISTED)
        )
    if before is not None:
        on_record, named = on_record.filter(seq__lt=before), named.filter(seq__lt=before)
    seqs = [
        *on_record.order_by("-seq").values_list("seq", flat=True)[: limit + 1],
        *named.order_by("-seq").values_list("seq", flat=True)[: limit + 1],
    ]
    seqs = sorted(set(seqs), reverse=True)[: limit + 1]
    older = seqs[limit - 1] if len(seqs) > limit else None
    rows = Entry.objects.filter(seq__in=seqs[:limit]).select_related("actor").order_by("-seq")
    # A list that named them, read by the resident themself, is one of their own reads.
    rows = [r for r in rows if not (own and r.actor_id == own and r.residents_named)]
    entries = _grouped(rows)
    for entry in entries:
        entry.who, entry.who_role = who_for_resident(entry, resident)
        entry.day = timezone.localdate(entry.time)
    return Disclosures(entries=entries, older=older, own_reads_hidden=resident.user_id is not None)


def every_disclosure(resident) -> list[Entry]:
    """The whole of "who looked at my record", page after page of `disclosures`, newest first:
    the copy of the record and the API's paged list read it whole."""
    entries, before = [], None
    while True:
        found = disclosures(resident, before=before)
        entries += found.entries
        if found.older is None:
            return entries
        before = found.older


RESIDENT_ROLE = "resident"


def who_for_resident(entry: Entry, resident) -> tuple[str, str]:
    """(name, role code) of an entry's actor as the resident may read it: staff by name and
    role, the resident by their own name, the system as such, and any other resident as "another
    resident" with no name (issue 13): an entry about them can be written by someone else's
    action (another resident refused at their chart's address, a log-in left open at a shared
    computer), and a resident's name is their own record, which this one may not read."""
    if entry.actor_id is None:
        return "the system", entry.actor_role
    own = resident.user_id is not None and entry.actor_id == resident.user_id
    if not own and RESIDENT_ROLE in (entry.actor_role, entry.actor.role):
        return "another resident", RESIDENT_ROLE
    return entry.actor.full_name or entry.actor.username, entry.actor_role


def _format(entry) -> str | None:
    """A download's format: a PDF and a data file taken in the same minute are two lines."""
    return entry.details.get("format") if entry.action in OWN_READS_LISTED else None


def _grouped(entries):
    """One line for what a person did in one go: a report and the medicines it suspects, a
    session booked for its attendees, the chart opened and then its notes, are several entries
    written the same minute. Each kept entry carries `times`, how many it stands for, and
    `shown`, every section those looks showed."""
    shown = []
    for entry in entries:
        last = shown[-1] if shown else None
        same = last is not None and (
            (last.actor_id, last.action, last.purpose, last.outcome, _format(last))
            == (entry.actor_id, entry.action, entry.purpose, entry.outcome, _format(entry))
            and abs((last.time - entry.time).total_seconds()) < 60
        )
        if same:
            last.times += 1
            last.shown = last.shown + [s for s in entry.sections if s not in last.shown]
            continue
        entry.times = 1
        entry.shown = list(entry.sections)
        shown.append(entry)
    return shown
