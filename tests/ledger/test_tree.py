"""The stored tree: checkpoints sign the right root, proofs from storage verify."""

import pytest

from homecoming.ledger import tree
from homecoming.ledger import verify as v
from homecoming.ledger.canonical import canonical_json
from homecoming.ledger.checkpoints import make_checkpoint
from homecoming.ledger.models import Checkpoint, Entry, Node
from homecoming.residents import selectors


def leaf_hashes():
    return [bytes(h) for h in Entry.objects.order_by("seq").values_list("leaf_hash", flat=True)]


def test_each_entry_stores_the_rfc6962_hash_of_its_canonical_leaf(resident):
    for entry in Entry.objects.all():
        assert bytes(entry.leaf_hash) == v.leaf_hash(canonical_json(entry.leaf()))


def test_a_checkpoint_signs_the_root_of_every_entry(resident, ledger_key):
    checkpoint = make_checkpoint()
    signed = v.open_checkpoint(checkpoint.note, ledger_key.verifier)
    assert signed.size == Entry.objects.count()
    assert signed.root == v.root_of(leaf_hashes()) == bytes(checkpoint.root)
    assert signed.origin == "test.homecoming/ledger"
    assert make_checkpoint().pk == checkpoint.pk  # nothing new, nothing re-signed


def test_checkpoints_extend_each_other_and_proofs_verify(resident, staff, ledger_key):
    first = make_checkpoint()
    for _ in range(7):
        selectors.chart(staff["caseworker"], resident.pk)
    second = make_checkpoint()
    assert second.tree_size == first.tree_size + 7
    assert Node.objects.count() == second.tree_size - bin(second.tree_size).count("1")
    proof = tree.consistency(first.tree_size, second.tree_size)
    v.verify_consistency(
        first.tree_size, second.tree_size, bytes(first.root), bytes(second.root), proof
    )
    hashes = leaf_hashes()
    for size in (first.tree_size, second.tree_size):
        root = v.root_of(hashes[:size])
        for index in range(size):
            v.verify_inclusion(index, size, hashes[index], tree.inclusion(index, size), root)


def test_every_consistency_proof_between_stored_sizes(resident, staff, ledger_key):
    sizes = [make_checkpoint().tree_size]
    for _ in range(3):
        selectors.chart(staff["caseworker"], resident.pk)
        sizes.append(make_checkpoint().tree_size)
    roots = {c.tree_size: bytes(c.root) for c in Checkpoint.objects.all()}
    hashes = leaf_hashes()
    for new in sizes:
        for old in range(0, new + 1):
            old_root = v.root_of(hashes[:old])
            v.verify_consistency(old, new, old_root, roots[new], tree.consistency(old, new))


def test_proofs_beyond_the_latest_checkpoint_are_refused(resident, staff, ledger_key):
    size = make_checkpoint().tree_size
    selectors.chart(staff["caseworker"], resident.pk)
    with pytest.raises(tree.NotCheckpointed):
        tree.inclusion(size, size + 1)
    with pytest.raises(ValueError):
        tree.inclusion(size + 5, size)


def test_checkpoints_are_append_only(resident, ledger_key):
    from django.db import DatabaseError, transaction

    checkpoint = make_checkpoint()
    with pytest.raises(DatabaseError), transaction.atomic():
        Checkpoint.objects.filter(pk=checkpoint.pk).update(note="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        Node.objects.all().delete()


def test_without_a_key_no_checkpoint_is_made(resident, settings, tmp_path):
    from homecoming.ledger import signing

    settings.HOMECOMING_LEDGER_KEY = str(tmp_path / "none.key")
    with pytest.raises(signing.KeyMissing, match="ledger keygen"):
        make_checkpoint()


def test_a_checkpoint_of_the_empty_ledger_and_the_database_check(db, ledger_key):
    from homecoming.ledger import dbcheck
    from homecoming.ledger import services as ledger

    assert make_checkpoint().tree_size == 0
    for _ in range(3):
        ledger.append(None, "test.entry", purpose="operations")
    make_checkpoint()
    report = dbcheck.check()
    assert report.ok and report.checkpoints == 2, report.problems


def test_a_larger_checkpoint_signed_meanwhile_does_not_break_signing(db, ledger_key):
    """Another process signs a larger tree between our reading the head and extending."""
    from unittest import mock

    from homecoming.ledger import checkpoints
    from homecoming.ledger import services as ledger

    for _ in range(4):
        ledger.append(None, "test.entry", purpose="operations")
    real = checkpoints._extend_and_sign

    def racing(key, size):
        ledger.append(None, "test.entry", purpose="operations")
        real(key, size + 1)
        return real(key, size)

    with mock.patch.object(checkpoints, "_extend_and_sign", racing):
        assert make_checkpoint().tree_size == 4
    assert sorted(Checkpoint.objects.values_list("tree_size", flat=True)) == [4, 5]
