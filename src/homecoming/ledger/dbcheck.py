"""`homecoming ledger verify --database`: check the live database against itself and its
signatures, and find record rows edited behind the application's back.

1. Every entry row, re-encoded, still hashes to the leaf hash stored at append, and the
   sequence has no gap.
2. The tree over those leaves has, at every checkpoint, the root that checkpoint signed (and
   the signature is the ledger key's).
3. Every record version was written by the entry with its number, and every ledgered table
   matches its latest versions both ways (ledger/dbrows.py): a row changed, inserted or
   deleted with SQL, or a version planted to cover a change, is named here with its table and row.
4. The database's ledger extends the largest tree this ledger remembers signing outside the
   database (ledger/rollback.py): an older backup restored behind its back is named here.
5. The index of residents named by lists (ledger_mention) is exactly what the list entries
   name: a mention deleted hides a list from that resident's "who looked" and bundle, and one
   inserted shows them a look that never was."""

import itertools
import json
from dataclasses import dataclass, field

from . import dbrows, signing
from .canonical import canonical_json
from .models import Checkpoint, Entry, Head, Mention
from .verify import CompactRange, KeyChain, NoteError, leaf_hash

BATCH = 5000


@dataclass
class DatabaseReport:
    entries: int = 0
    checkpoints: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    # The problems that are a rollback (ledger/rollback.py), which raises its own alert.
    rolled_back: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(limit_problems: int = 20) -> DatabaseReport:
    from .rollback import problems as rollback_problems

    report = DatabaseReport()
    _check_ledger(report)
    report.rolled_back = rollback_problems()
    report.problems += report.rolled_back
    if len(report.problems) < limit_problems:
        _check_mentions(report.problems, limit_problems)
    if len(report.problems) < limit_problems:
        latest = dbrows.latest_counted(report.problems, limit_problems)
        if len(report.problems) < limit_problems:
            report.rows = dbrows.check_rows(report.problems, latest, limit_problems)
    return report


def _check_ledger(report: DatabaseReport):
    checkpoints = list(Checkpoint.objects.order_by("tree_size"))
    # The key is needed only to check signatures: a new center's worker checks its database
    # before the first checkpoint (and before `ledger keygen`) too.
    # After key rotations, each checkpoint is checked with the key of its era (ledger/rotation.py).
    verifier = _chain(report) if checkpoints else None
    pending = iter(checkpoints)
    next_cp = next(pending, None)
    tree = CompactRange()
    while next_cp is not None and next_cp.tree_size == 0:  # a checkpoint of the empty ledger
        _check_checkpoint(report, next_cp, tree, verifier)
        next_cp = next(pending, None)
    for entry in Entry.objects.order_by("seq").iterator(chunk_size=BATCH):
        if entry.seq != tree.size:
            report.problems.append(f"entry #{tree.size} is missing (the next one is #{entry.seq})")
            return
        if leaf_hash(canonical_json(entry.leaf())) != bytes(entry.leaf_hash):
            report.problems.append(
                f"entry #{entry.seq} was changed after it was written (it no longer hashes to "
                "its leaf hash)"
            )
            return
        tree.append(bytes(entry.leaf_hash))
        while next_cp is not None and next_cp.tree_size == tree.size:
            _check_checkpoint(report, next_cp, tree, verifier)
            next_cp = next(pending, None)
    report.entries = tree.size
    head = Head.objects.get(pk=1).size
    if head != tree.size:
        report.problems.append(f"the ledger head says {head} entries but {tree.size} exist")
    if next_cp is not None:
        report.problems.append(
            f"checkpoint {next_cp.tree_size} signs more entries than the ledger holds"
        )


def _check_mentions(problems: list[str], limit: int):
    """Walk the list entries and the mentions together in sequence order, one entry's names at
    a time. The entries' details are what their leaf hashes cover (checked above), so they are
    the truth and the index is held to them."""
    # Every detail is parsed, none picked by its text: the leaf hashes the parsed detail, so
    # `{"residents": [3]}` rewritten as `{ "\u0072esidents": [3] }` still hashes the same.
    lists = (
        Entry.objects.exclude(detail=None)
        .order_by("seq")
        .values_list("seq", "detail")
        .iterator(chunk_size=BATCH)
    )
    named = (
        (seq, {resident for _, resident in group})
        for seq, group in itertools.groupby(
            Mention.objects.order_by("seq", "resident_id")
            .values_list("seq", "resident_id")
            .iterator(chunk_size=BATCH),
            key=lambda mention: mention[0],
        )
    )
    entry, mentioned = next(lists, None), next(named, None)
    while (entry is not None or mentioned is not None) and len(problems) < limit:
        seq = min(x[0] for x in (entry, mentioned) if x is not None)
        names = set()
        if entry is not None and entry[0] == seq:
            names = set(json.loads(entry[1]).get("residents", []))
            entry = next(lists, None)
        indexed = set()
        if mentioned is not None and mentioned[0] == seq:
            indexed = mentioned[1]
            mentioned = next(named, None)
        for resident in sorted(names - indexed):
            problems.append(
                f"entry #{seq} names resident #{resident} in a list but their mention of it is "
                "missing: it was deleted outside the application, hiding the list from them"
            )
        for resident in sorted(indexed - names):
            problems.append(
                f"resident #{resident} has a mention of entry #{seq}, which does not name them: "
                "it was inserted outside the application"
            )


def _chain(report) -> KeyChain:
    from . import rotation

    key = signing.load()
    try:
        return rotation.chain(key)
    except NoteError as exc:
        report.problems.append(f"the ledger's signing keys: {exc}")
        return KeyChain([key.verifier])


def _check_checkpoint(report, checkpoint, tree, verifier):
    report.checkpoints += 1
    try:
        signed = verifier.open(checkpoint.note)
    except NoteError as exc:
        report.problems.append(f"checkpoint {checkpoint.tree_size}: {exc}")
        return
    if signed.size != checkpoint.tree_size or signed.root != tree.root():
        report.problems.append(
            f"the entries up to #{checkpoint.tree_size - 1} no longer hash to the root "
            f"checkpoint {checkpoint.tree_size} signed: history was rewritten"
        )
    elif checkpoint.frontier != [h.hex() for h in tree.hashes]:
        # The next checkpoint, and since-checkpoint bundles, start from this stored range.
        report.problems.append(f"checkpoint {checkpoint.tree_size}'s stored frontier was altered")
