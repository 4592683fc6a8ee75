"""Signing checkpoints: extend the stored tree to the ledger's current size, sign its root.

Made on demand (`homecoming ledger checkpoint`) and on a schedule (`homecoming worker`); every
one is kept and queued for delivery to the witnesses, and remembered outside the database
(ledger/rollback.py), which refuses to sign a tree that diverges from one signed before."""

import json

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import rollback, signing, witnesses
from .models import Checkpoint, Entry, Head, Node
from .verify import Checkpoint as CheckpointText
from .verify import CompactRange

BATCH = 5000


class LedgerBroken(Exception):
    """The stored ledger contradicts itself (a gap in the entries): signing stops."""


def _start(size: int) -> CompactRange:
    # The largest checkpoint not beyond `size`: another process may have signed a larger
    # tree since we read the head, and that one is not where this one starts.
    last = Checkpoint.objects.filter(tree_size__lte=size).order_by("-tree_size").first()
    if last is None:
        return CompactRange()
    return CompactRange(last.tree_size, [bytes.fromhex(h) for h in last.frontier])


def make_checkpoint(key: signing.SigningKey | None = None) -> Checkpoint:
    """Sign the tree as it stands now (or return the latest checkpoint if nothing was added)."""
    key = key or signing.load()
    size = Head.objects.values_list("size", flat=True).get(pk=1)
    latest = Checkpoint.objects.order_by("-tree_size").first()
    if latest is not None and latest.tree_size >= size:
        return latest
    rollback.guard()  # never sign a history that diverges from one signed before
    try:
        with transaction.atomic():
            checkpoint = _extend_and_sign(key, size)
            witnesses.schedule(checkpoint)
    except IntegrityError:
        # Another process signed the same size a moment ago: theirs is as good as ours.
        return Checkpoint.objects.get(tree_size=size)
    transaction.on_commit(lambda: rollback.remember(checkpoint))
    transaction.on_commit(witnesses.deliver_pending_quietly)
    return checkpoint


def _extend_and_sign(key, size) -> Checkpoint:
    tree = _start(size)
    nodes: list[Node] = []

    def keep(level, index, h):
        nodes.append(Node(level=level, index=index, hash=h))

    leaves = (
        Entry.objects.filter(seq__gte=tree.size, seq__lt=size)
        .order_by("seq")
        .values_list("seq", "leaf_hash")
    )
    for seq, h in leaves.iterator(chunk_size=BATCH):
        if seq != tree.size:
            raise LedgerBroken(f"Entry #{tree.size} is missing from the ledger.")
        tree.append(bytes(h), keep)
        if len(nodes) >= BATCH:
            Node.objects.bulk_create(nodes, ignore_conflicts=True)
            nodes.clear()
    Node.objects.bulk_create(nodes, ignore_conflicts=True)
    if tree.size != size:
        raise LedgerBroken(f"Entry #{tree.size} is missing from the ledger.")
    text = CheckpointText(key.name, size, tree.root()).text()
    return Checkpoint.objects.create(
        tree_size=size,
        root=tree.root(),
        note=key.sign_note(text),
        frontier=[h.hex() for h in tree.hashes],
        created_at=timezone.now(),
    )


def history_ndjson() -> str:
    """Every checkpoint ever signed, one JSON object a line: what the oversight body keeps."""
    return "".join(
        json.dumps({"tree_size": c.tree_size, "note": c.note}, sort_keys=True) + "\n"
        for c in Checkpoint.objects.order_by("tree_size")
    )
