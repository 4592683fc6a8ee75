"""The tree, against RFC 6962 / Certificate Transparency's published vectors, and proofs for
every (m, n) up to 64 that verify, and fail when anything about them is wrong."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homecoming.ledger import verify as v

# Certificate Transparency's reference leaves and the roots of the trees over their prefixes.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, proof) from the same suite.
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def reference_mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, written as the RFC writes it (recursively), to check the rest."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return v.leaf_hash(leaves[0])
    k = v.split_point(len(leaves))
    return v.node_hash(reference_mth(leaves[:k]), reference_mth(leaves[k:]))


def mth_of(leaves):
    return lambda a, b: reference_mth(leaves[a:b])


def test_empty_tree_root():
    assert v.root_of([]) == hashlib.sha256(b"").digest() == v.EMPTY_ROOT


@pytest.mark.parametrize("n", range(1, 9))
def test_roots_match_certificate_transparency(n):
    leaf_hashes = [v.leaf_hash(x) for x in CT_LEAVES[:n]]
    assert v.root_of(leaf_hashes).hex() == CT_ROOTS[n - 1]
    assert reference_mth(CT_LEAVES[:n]).hex() == CT_ROOTS[n - 1]


@pytest.mark.parametrize("index, size, proof", CT_INCLUSION)
def test_inclusion_proofs_match_certificate_transparency(index, size, proof):
    assert [h.hex() for h in v.inclusion_proof(index, size, mth_of(CT_LEAVES))] == proof
    root = bytes.fromhex(CT_ROOTS[size - 1])
    v.verify_inclusion(
        index, size, v.leaf_hash(CT_LEAVES[index]), [bytes.fromhex(h) for h in proof], root
    )


@pytest.mark.parametrize("old, new, proof", CT_CONSISTENCY)
def test_consistency_proofs_match_certificate_transparency(old, new, proof):
    assert [h.hex() for h in v.consistency_proof(old, new, mth_of(CT_LEAVES))] == proof
    v.verify_consistency(
        old,
        new,
        bytes.fromhex(CT_ROOTS[old - 1]),
        bytes.fromhex(CT_ROOTS[new - 1]),
        [bytes.fromhex(h) for h in proof],
    )


LEAVES = [f"leaf {i}".encode() for i in range(64)]
LEAF_HASHES = [v.leaf_hash(x) for x in LEAVES]
ROOTS = [reference_mth(LEAVES[:n]) for n in range(65)]


def test_compact_range_gives_every_prefix_root_and_every_completed_node():
    cr, nodes = v.CompactRange(), {}
    for i, h in enumerate(LEAF_HASHES):
        cr.append(h, lambda level, index, hh: nodes.__setitem__((level, index), hh))
        assert cr.root() == ROOTS[i + 1]
    for (level, index), h in nodes.items():
        width = 1 << level
        assert h == reference_mth(LEAVES[index * width : (index + 1) * width])
    assert len(nodes) == 63  # a perfect tree of 64 leaves has 63 inner nodes


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_inclusion_proofs_verify_for_every_size_and_fail_when_wrong(data):
    n = data.draw(st.integers(1, 64), label="size")
    i = data.draw(st.integers(0, n - 1), label="index")
    proof = v.inclusion_proof(i, n, mth_of(LEAVES))
    v.verify_inclusion(i, n, LEAF_HASHES[i], proof, ROOTS[n])
    wrong = data.draw(st.sampled_from(["index", "size", "leaf", "root", "hash", "short", "long"]))
    with pytest.raises(v.ProofError):
        if wrong == "index":
            other = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
            v.verify_inclusion(other, n, LEAF_HASHES[i], proof, ROOTS[n])
        elif wrong == "size":
            # As in CT's tests: a proof for one tree height fails at double or half of it.
            # (A proof cannot tell apart sizes whose paths have the same shape, such as 33 and
            # 34 for entry 0; the root tells them apart, and it is checked.)
            other = data.draw(st.sampled_from([n * 2, n // 2]))
            v.verify_inclusion(i, other, LEAF_HASHES[i], proof, ROOTS[n])
        elif wrong == "leaf":
            v.verify_inclusion(i, n, v.leaf_hash(b"forged"), proof, ROOTS[n])
        elif wrong == "root":
            v.verify_inclusion(i, n, LEAF_HASHES[i], proof, ROOTS[n - 1] if n > 1 else b"x" * 32)
        elif wrong == "hash" and proof:
            k = data.draw(st.integers(0, len(proof) - 1))
            bad = proof[:k] + [hashlib.sha256(proof[k]).digest()] + proof[k + 1 :]
            v.verify_inclusion(i, n, LEAF_HASHES[i], bad, ROOTS[n])
        elif wrong == "short" and proof:
            v.verify_inclusion(i, n, LEAF_HASHES[i], proof[:-1], ROOTS[n])
        else:
            v.verify_inclusion(i, n, LEAF_HASHES[i], [*proof, ROOTS[n]], ROOTS[n])


def test_inclusion_proofs_for_every_m_n_up_to_64():
    for n in range(1, 65):
        for i in range(n):
            v.verify_inclusion(
                i, n, LEAF_HASHES[i], v.inclusion_proof(i, n, mth_of(LEAVES)), ROOTS[n]
            )


def test_consistency_proofs_for_every_m_n_up_to_64():
    for n in range(0, 65):
        for m in range(0, n + 1):
            proof = v.consistency_proof(m, n, mth_of(LEAVES))
            v.verify_consistency(m, n, ROOTS[m], ROOTS[n], proof)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_consistency_proofs_fail_when_anything_is_wrong(data):
    n = data.draw(st.integers(2, 64), label="new")
    m = data.draw(st.integers(1, n - 1), label="old")
    proof = v.consistency_proof(m, n, mth_of(LEAVES))
    wrong = data.draw(
        st.sampled_from(
            ["old root", "new root", "old size", "new size", "hash", "short", "long", "empty"]
        )
    )
    with pytest.raises(v.ProofError):
        if wrong == "old root":
            v.verify_consistency(m, n, v.leaf_hash(b"rewritten"), ROOTS[n], proof)
        elif wrong == "new root":
            v.verify_consistency(m, n, ROOTS[m], v.leaf_hash(b"rewritten"), proof)
        elif wrong == "old size":  # the alterations CT's own tests make
            other = data.draw(st.sampled_from([m - 1, m + 1, m ^ 2]).filter(lambda k: k != m))
            v.verify_consistency(other, n, ROOTS[m], ROOTS[n], proof)
        elif wrong == "new size":
            v.verify_consistency(
                m, data.draw(st.sampled_from([n * 2, n // 2])), ROOTS[m], ROOTS[n], proof
            )
        elif wrong == "hash":
            k = data.draw(st.integers(0, len(proof) - 1))
            bad = proof[:k] + [hashlib.sha256(proof[k]).digest()] + proof[k + 1 :]
            v.verify_consistency(m, n, ROOTS[m], ROOTS[n], bad)
        elif wrong == "short":
            v.verify_consistency(m, n, ROOTS[m], ROOTS[n], proof[:-1])
        elif wrong == "long":
            v.verify_consistency(m, n, ROOTS[m], ROOTS[n], [*proof, ROOTS[n]])
        else:
            v.verify_consistency(m, n, ROOTS[m], ROOTS[n], [])


def test_a_rewritten_history_is_inconsistent():
    rewritten = list(LEAVES)
    rewritten[3] = b"steered record"
    new_root = reference_mth(rewritten[:20])
    proof = v.consistency_proof(10, 20, mth_of(rewritten))
    with pytest.raises(v.ProofError):
        v.verify_consistency(10, 20, ROOTS[10], new_root, proof)


@pytest.mark.parametrize("begin, end", [(0, 64), (0, 13), (4, 6), (8, 13), (5, 6), (32, 63)])
def test_perfect_subtrees_tile_a_range(begin, end):
    covered = []
    for level, index in v.perfect_subtrees(begin, end):
        covered.extend(range(index << level, (index + 1) << level))
    assert covered == list(range(begin, end))
