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
   database (ledger/rollback.py): an older backup restored behind its back is named here."""

from dataclasses import dataclass, field

from . import dbrows, signing
from .canonical import canonical_json
from .models import Checkpoint, Entry, Head
from .verify import CompactRange, NoteError, leaf_hash, open_checkpoint

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
        latest = dbrows.latest_counted(report.problems, limit_problems)
        if len(report.problems) < limit_problems:
            report.rows = dbrows.check_rows(report.problems, latest, limit_problems)
    return report


def _check_ledger(report: DatabaseReport):
    checkpoints = list(Checkpoint.objects.order_by("tree_size"))
    # The key is needed only to check signatures: a new center's worker checks its database
    # before the first checkpoint (and before `ledger keygen`) too.
    verifier = signing.load().verifier if checkpoints else None
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


def _check_checkpoint(report, checkpoint, tree, verifier):
    report.checkpoints += 1
    try:
        signed = open_checkpoint(checkpoint.note, verifier)
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
