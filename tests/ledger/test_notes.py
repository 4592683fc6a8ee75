"""Signed notes, checkpoints and keys in the C2SP formats, checked against Go's sumdb/note."""

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homecoming.ledger import verify as v

# The example of golang.org/x/mod/sumdb/note: a published key pair and a signed note. Ed25519
# is deterministic, so our signer must reproduce the note byte for byte.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = GO_TEXT + f"\n\u2014 PeterNeumann {GO_SIGNATURE}\n"
# A published verifier key whose base64 holds a '+' (transparency-dev/formats tests).
PLUS_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"


def test_go_verifier_key_and_note_open():
    vkey = v.VerifierKey.parse(GO_VKEY)
    assert vkey.name == "PeterNeumann" and vkey.id.hex() == "c74f20a3"
    assert v.format_vkey(vkey.name, vkey.public_key) == GO_VKEY
    assert v.open_note(GO_NOTE, vkey) == GO_TEXT


def test_our_signer_reproduces_go_byte_for_byte(tmp_path):
    from homecoming.ledger import signing

    path = tmp_path / "go.key"
    path.write_text(GO_SKEY + "\n")
    key = signing.load(path)
    assert key.vkey == GO_VKEY
    assert key.sign_note(GO_TEXT) == GO_NOTE


def test_a_key_whose_base64_holds_a_plus_parses():
    assert v.VerifierKey.parse(PLUS_VKEY).id.hex() == "7997405c"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda n: n.replace("cryptography", "cryptographY"),
        lambda n: n.replace("x08go", "y08go"),
        lambda n: n.replace("PeterNeumann x", "PeterNewman x"),
        lambda n: n.replace("\n\n", "\n"),
        lambda n: n.rstrip("\n"),
    ],
)
def test_tampered_notes_do_not_open(tamper):
    with pytest.raises(v.NoteError):
        v.open_note(tamper(GO_NOTE), v.VerifierKey.parse(GO_VKEY))


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "PeterNeumann",
        GO_VKEY.replace("c74f20a3", "c74f20a4"),  # wrong key ID
        "PeterNeumann+c74f20a3+AhpjZXJ0",  # not an Ed25519 key
        "PeterNeumann+zz+ARpc",
    ],
)
def test_bad_verifier_keys_are_refused(bad):
    with pytest.raises(v.NoteError):
        v.VerifierKey.parse(bad)


@settings(max_examples=25, deadline=None)
@given(
    size=st.integers(0, 2**63),
    root=st.binary(min_size=32, max_size=32),
    name=st.from_regex(r"[a-z0-9.\-]{1,20}/ledger", fullmatch=True),
)
def test_generated_keys_sign_checkpoints_that_verify(tmp_path_factory, size, root, name):
    from homecoming.ledger import signing

    path = tmp_path_factory.mktemp("keys") / "ledger.key"
    key = signing.generate(name, path)
    assert signing.load(path).vkey == key.vkey
    note = key.sign_note(v.Checkpoint(name, size, root).text())
    checkpoint = v.open_checkpoint(note, v.VerifierKey.parse(key.vkey))
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (name, size, root)
    other = signing.generate(name, path.with_name("other.key"))
    with pytest.raises(v.NoteError):
        v.open_checkpoint(note, v.VerifierKey.parse(other.vkey))


def test_checkpoint_text_is_the_c2sp_format():
    root = bytes(range(32))
    text = v.Checkpoint("example.com/log", 42, root).text()
    assert text == f"example.com/log\n42\n{base64.b64encode(root).decode()}\n"
    assert v.Checkpoint.parse(text).size == 42
    for bad in (
        "example.com/log\n042\nAAAA\n",
        "example.com/log\n42\n",
        "x\n-1\n" + "A" * 44 + "\n",
    ):
        with pytest.raises(v.NoteError):
            v.Checkpoint.parse(bad)


def test_a_key_file_is_never_overwritten(tmp_path):
    from homecoming.ledger import signing

    path = tmp_path / "ledger.key"
    signing.generate("a/ledger", path)
    with pytest.raises(FileExistsError):
        signing.generate("a/ledger", path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
