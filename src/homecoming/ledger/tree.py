"""The ledger's Merkle tree as stored: leaf hashes on entries, completed subtrees in Node rows.

Every hash a proof needs is an aligned perfect subtree (see verify.perfect_subtrees); this
module fetches exactly those, in two queries, and lets verify.py's RFC 6962 functions do the
rest. Proofs are served for trees up to the latest checkpoint, whose nodes are all stored."""

from .models import Checkpoint, Entry, Node
from .verify import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    node_hash,
    perfect_subtrees,
)


class NotCheckpointed(ValueError):
    """Proofs exist only for trees the ledger has signed (up to its latest checkpoint)."""


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-tree_size").first()


def _check_size(size: int):
    latest = latest_checkpoint()
    if latest is None or size > latest.tree_size:
        have = latest.tree_size if latest else 0
        raise NotCheckpointed(
            f"The ledger has signed trees up to size {have}; make a checkpoint first."
        )


def _fetch(subtrees: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    leaves = [i for level, i in subtrees if level == 0]
    found = {
        (0, seq): bytes(h)
        for seq, h in Entry.objects.filter(seq__in=leaves).values_list("seq", "leaf_hash")
    }
    by_level: dict[int, list[int]] = {}
    for level, i in subtrees:
        if level:
            by_level.setdefault(level, []).append(i)
    for level, indexes in by_level.items():
        rows = Node.objects.filter(level=level, index__in=indexes).values_list("index", "hash")
        found.update({(level, i): bytes(h) for i, h in rows})
    missing = subtrees - found.keys()
    if missing:
        raise LookupError(f"The stored tree lacks {len(missing)} node(s), e.g. {min(missing)}.")
    return found


def _mth_from(hashes):
    def mth(begin: int, end: int) -> bytes:
        parts = [hashes[s] for s in perfect_subtrees(begin, end)]
        if not parts:
            return EMPTY_ROOT
        h = parts[-1]
        for left in reversed(parts[:-1]):
            h = node_hash(left, h)
        return h

    return mth


def _with_stored_hashes(make_proof):
    """Run a proof builder twice: once to learn which subtrees it needs, once with them."""
    needed: set[tuple[int, int]] = set()

    def record(begin, end):
        needed.update(perfect_subtrees(begin, end))
        return EMPTY_ROOT

    make_proof(record)
    return make_proof(_mth_from(_fetch(needed)))


def inclusion(index: int, size: int) -> list[bytes]:
    _check_size(size)
    return _with_stored_hashes(lambda mth: inclusion_proof(index, size, mth))


def consistency(old: int, new: int) -> list[bytes]:
    _check_size(new)
    return _with_stored_hashes(lambda mth: consistency_proof(old, new, mth))


def frontier(size: int) -> CompactRange:
    """The compact range of the tree of `size` leaves, from stored hashes."""
    _check_size(size)
    subtrees = perfect_subtrees(0, size)
    hashes = _fetch(set(subtrees))
    return CompactRange(size, [hashes[s] for s in subtrees])
