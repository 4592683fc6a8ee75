"""Signing checkpoints: extend the stored tree to the ledger's current size, sign its root.

Made on demand (`homecoming ledger checkpoint`) and on a schedule (`homecoming worker`); every
one is kept and queued for delivery to the witnesses, and remembered outside the database
(ledger/rollback.py), which refuses to sign a tree that diverges from one signed before."""

import json

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import rollback, rotation, signing, witnesses
from .models import Checkpoint, Entry, Head, Node
from .verify import ROTATION, CompactRange
from .verify import Checkpoint as CheckpointText

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
    key = rotation.signing_key_after(latest, key)
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


def _extend_and_sign(key, size, next_key: signing.SigningKey | None = None) -> Checkpoint:
    """Sign the tree of `size`. With `next_key`, this is the key transition: the checkpoint
    announces the next key (`key-rotation <vkey>`) and carries both keys' signatures."""
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
    extensions = (f"{ROTATION}{next_key.vkey}",) if next_key is not None else ()
    text = CheckpointText(key.name, size, tree.root(), extensions).text()
    note = key.sign_note(text)
    if next_key is not None:
        note += next_key.sign_note(text)[len(text) + 1 :]  # its signature line, after the old
    return Checkpoint.objects.create(
        tree_size=size,
        root=tree.root(),
        note=note,
        frontier=[h.hex() for h in tree.hashes],
        created_at=timezone.now(),
    )


def history_ndjson() -> str:
    """Every checkpoint ever signed, one JSON object a line: what the oversight body keeps."""
    return "".join(
        json.dumps({"tree_size": c.tree_size, "note": c.note}, sort_keys=True) + "\n"
        for c in Checkpoint.objects.order_by("tree_size")
    )


def make_transition(old: signing.SigningKey, new: signing.SigningKey) -> Checkpoint:
    """The old key's last checkpoint, announcing the new key and cosigned by it (ledger/
    rotation.py). Inside the caller's transaction: if it cannot be signed, nothing of the
    rotation is kept and the old key goes on signing."""
    size = Head.objects.values_list("size", flat=True).get(pk=1)
    latest = Checkpoint.objects.order_by("-tree_size").first()
    if latest is not None and latest.tree_size >= size:
        raise LedgerBroken(
            "nothing was appended since the latest checkpoint: a key transition signs a larger tree"
        )
    rollback.guard()
    checkpoint = _extend_and_sign(old, size, next_key=new)
    witnesses.schedule(checkpoint)
    return checkpoint
