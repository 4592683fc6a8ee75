"""The verifier's checks against a kept checkpoint and the witnesses' cosignatures, on their own
(the end-to-end replay is tests/oversight/test_rewritten_history.py)."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from homecoming.ledger import cosigned
from homecoming.ledger import verify as v


def tree_of(n, salt=b""):
    return v.root_of(v.leaf_hash(salt + b"%d" % i) for i in range(n))


def test_a_smaller_tree_or_another_root_at_the_same_size_is_a_rewrite():
    kept = v.Checkpoint("log", 10, tree_of(10))
    v.check_not_behind(kept, v.Checkpoint("log", 12, tree_of(12)))  # later and larger: fine
    with pytest.raises(v.BundleError, match="entries #8..#9 were removed"):
        v.check_not_behind(kept, v.Checkpoint("log", 8, tree_of(8)))
    with pytest.raises(v.BundleError, match="both sign 10 entries but with different roots"):
        v.check_not_behind(kept, v.Checkpoint("log", 10, tree_of(10, b"x")))


def test_the_kept_root_is_derived_from_the_bundles_leaves(tmp_path):
    entries = tmp_path / "entries.ndjson"
    entries.write_bytes(b"".join(b"%d\n" % i for i in range(12)))
    for size in (0, 1, 5, 8, 12):
        note = v.check_extends_kept(entries, v.Checkpoint("log", size, tree_of(size)))
        assert note == f"consistent with the checkpoint you kept (tree size {size})"
    with pytest.raises(v.BundleError, match="REWRITTEN: entries #0..#4"):
        v.check_extends_kept(entries, v.Checkpoint("log", 5, tree_of(5, b"x")))


def test_a_cosignature_is_the_c2sp_cosignature_v1(tmp_path):
    """Built by hand from c2sp.org/tlog-cosignature and checked with `cryptography` alone."""
    v.main(["witness-keygen", "w.example/1", "--out", str(tmp_path / "k")])
    signer = v.WitnessSigner.load(tmp_path / "k")
    body = "log\n3\n" + base64.b64encode(tree_of(3)).decode() + "\n"
    line = signer.cosign(body, 1679315147)
    name, blob = line.rstrip("\n").split(" ")[1:]
    raw = base64.b64decode(blob)
    assert name == "w.example/1" and len(raw) == 76
    key_id = hashlib.sha256(b"w.example/1\n\x04" + signer.public_key).digest()[:4]
    assert raw[:4] == key_id and int.from_bytes(raw[4:12], "big") == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + body.encode()
    Ed25519PublicKey.from_public_bytes(signer.public_key).verify(raw[12:], message)
    # ... and the verifier finds it on a note, signed by the log first.
    note = body + "\n\u2014 log " + base64.b64encode(b"\0" * 68).decode() + "\n" + line
    key = v.WitnessKey.parse(signer.vkey)
    assert v.cosignatures(note, [key]) == [v.Cosignature("w.example/1", 1679315147, True)]
    other = v.WitnessKey.parse(v.format_witness_vkey("w.example/2", signer.public_key))
    with pytest.raises(v.BundleError, match="not cosigned by witness w.example/2"):
        v.cosignatures(note, [other])


def test_only_cosignature_lines_are_kept_from_a_witness_answer():
    good = "\u2014 w.example/1 " + base64.b64encode(b"\1" * 76).decode()
    answer = f"{good}\nhello\n\u2014 w.example/1 notbase64!\n\u2014 short " + "AAAA\n"
    assert cosigned.well_formed(answer) == good + "\n"
