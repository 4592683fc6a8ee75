"""Verify a Homecoming ledger offline: the Merkle tree, its proofs, signed checkpoints, bundles.

This file is deliberately self-contained: it imports only the Python standard library and the
`cryptography` package, never Django or the rest of Homecoming, so an investigator can copy it
and run it with nothing but an exported bundle and the log's public key:

    python verify.py DIR [--vkey FILE ...] [--previous CHECKPOINT] [--witness WITNESS_VKEY ...]
    python verify.py witness DIR --vkey FILE          (check a witness folder)
    python verify.py serve-witness --vkey FILE --state FILE [--port 8100] [--key FILE]
    python verify.py witness-keygen NAME --out FILE   (a witness's own cosigning key)

The formats it checks are specified in docs/ledger.md:

- the tree is RFC 6962's Merkle Tree Hash: leaf hash SHA-256(0x00 || leaf), node hash
  SHA-256(0x01 || left || right);
- checkpoints are C2SP `tlog-checkpoint` bodies in a C2SP `signed-note`, signed with Ed25519,
  and the public key is a C2SP verifier key (`vkey`);
- a bundle is a folder with entries.ndjson, versions.ndjson, checkpoint and vkey (and, for a
  per-resident bundle, proofs.ndjson; for a bundle since an older checkpoint, range.json; for
  an investigator's evidence bundle, scope.json), or the same folder as a .zip file.
- after the log's signing key was changed, a bundle's transitions.ndjson holds each key
  transition (the retiring key's last checkpoint, announcing the next key in a `key-rotation`
  extension line and signed by both): the chain leads from any key the reader holds to the
  bundle's, and every later tree must extend each transition's.

Homecoming itself uses the tree and note functions below when it builds the ledger, so the
writer and the verifier cannot drift apart.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # Run as a script (`python .../ledger/verify.py`), Python puts this file's own folder first
    # on the module path, and a neighbour named like a standard module (the app's selectors.py)
    # would shadow it for everything imported below (subprocess, concurrent.futures). The
    # verifier needs nothing from its folder, wherever an investigator copied it: drop it.
    _here = os.path.dirname(os.path.realpath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != _here]

import argparse
import base64
import hashlib
import itertools
import json
import operator
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# ---------------------------------------------------------------------------------------------
# RFC 6962 Merkle tree
# ---------------------------------------------------------------------------------------------

EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256


def leaf_hash(leaf: bytes) -> bytes:
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """The right edge of a tree of `size` leaves: the roots of its perfect subtrees, left to
    right (one per 1-bit of size). O(log n) hashes give the root of the tree so far, and the
    tree can grow from them without its leaves: this is how the verifier streams a million
    entries in flat memory, and how the ledger extends its tree at each checkpoint."""

    __slots__ = ("size", "hashes")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()):
        self.size = size
        self.hashes = list(hashes)
        if len(self.hashes) != bin(size).count("1"):
            raise ValueError(f"a compact range of size {size} has {bin(size).count('1')} hashes")

    def append(self, leaf_h: bytes, on_node: Callable[[int, int, bytes], None] | None = None):
        """Add one leaf hash. `on_node(level, index, hash)` hears of every subtree completed."""
        hashes = self.hashes
        hashes.append(leaf_h)
        self.size += 1
        size, level = self.size, 0
        while not size & 1:
            right = hashes.pop()
            hashes[-1] = node_hash(hashes[-1], right)
            size >>= 1
            level += 1
            if on_node is not None:
                on_node(level, size - 1, hashes[-1])

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        h = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            h = node_hash(left, h)
        return h


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    cr = CompactRange()
    for h in leaf_hashes:
        cr.append(h)
    return cr.root()


def perfect_subtrees(begin: int, end: int) -> list[tuple[int, int]]:
    """The aligned perfect subtrees, as (level, index), that make up leaves [begin, end) the way
    RFC 6962 composes them; their hashes are all a proof ever needs from storage."""
    out = []
    while begin < end:
        level = (begin & -begin).bit_length() - 1 if begin else (end - begin).bit_length() - 1
        while (1 << level) > end - begin:
            level -= 1
        out.append((level, begin >> level))
        begin += 1 << level
    return out


SubtreeHash = Callable[[int, int], bytes]  # (begin, end) -> MTH of leaves [begin, end)


def inclusion_proof(index: int, size: int, mth: SubtreeHash) -> list[bytes]:
    """RFC 6962 section 2.1.1 PATH(index, D[size]); `mth(a, b)` hashes any subtree."""
    if not 0 <= index < size:
        raise ValueError(f"entry {index} is not in a tree of {size}")
    proof, begin, end = [], 0, size
    while end - begin > 1:
        k = split_point(end - begin)
        if index - begin < k:
            proof.append(mth(begin + k, end))
            end = begin + k
        else:
            proof.append(mth(begin, begin + k))
            begin += k
    return list(reversed(proof))


def consistency_proof(old: int, new: int, mth: SubtreeHash) -> list[bytes]:
    """RFC 6962 section 2.1.2 PROOF(old, D[new])."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from {old} to {new}")
    if old == 0 or old == new:
        return []
    proof, begin, end, m, complete = [], 0, new, old, True
    while m != end - begin:
        k = split_point(end - begin)
        if m <= k:
            proof.append(mth(begin + k, end))
            end = begin + k
        else:
            proof.append(mth(begin, begin + k))
            begin += k
            m -= k
            complete = False
    if not complete:
        proof.append(mth(begin, end))
    return list(reversed(proof))


class ProofError(ValueError):
    pass


def root_from_inclusion(index: int, size: int, leaf_h: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2: the root the proof leads to."""
    if not 0 <= index < size:
        raise ProofError(f"entry {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf_h
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    return r


def verify_inclusion(index: int, size: int, leaf_h: bytes, proof: list[bytes], root: bytes):
    if root_from_inclusion(index, size, leaf_h, proof) != root:
        raise ProofError(f"entry {index} is not in the tree of {size} with that root")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]):
    """RFC 9162 section 2.1.4.2: the tree of `new` leaves extends the tree of `old`."""
    if not 0 <= old <= new:
        raise ProofError(f"a tree of {new} cannot extend one of {old}")
    if old == new:
        if proof or old_root != new_root:
            raise ProofError("equal sizes need equal roots and an empty proof")
        return
    if old == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is itself the first node
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != old_root:
        raise ProofError(f"the proof does not lead to the old root of tree {old}")
    if sr != new_root:
        raise ProofError(f"the proof does not lead to the new root of tree {new}")


# ---------------------------------------------------------------------------------------------
# C2SP signed notes, checkpoints and verifier keys (Ed25519)
# ---------------------------------------------------------------------------------------------

ED25519 = 0x01
EM_DASH = "\u2014"


class NoteError(ValueError):
    pass


def key_id(name: str, public_key: bytes) -> bytes:
    """C2SP signed-note key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return _sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def check_key_name(name: str):
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"a key name has no spaces and no '+': {name!r}")


def format_vkey(name: str, public_key: bytes) -> str:
    check_key_name(name)
    blob = base64.b64encode(bytes([ED25519]) + public_key).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{blob}"


@dataclass(frozen=True)
class VerifierKey:
    name: str
    id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        try:
            name, hex_id, blob = text.strip().split("+", 2)  # base64 may hold "+"
            raw = base64.b64decode(blob, validate=True)
            kid = bytes.fromhex(hex_id)
        except ValueError as exc:
            raise NoteError(f"not a verifier key: {exc}") from exc
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("the verifier key is not an Ed25519 key")
        if key_id(name, raw[1:]) != kid:
            raise NoteError("the verifier key's ID does not match its name and key")
        return cls(name, kid, raw[1:])

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def sign_note(text: str, name: str, sign: Callable[[bytes], bytes], public_key: bytes) -> str:
    """A signed note: the text, a blank line, and a signature line by key `name`."""
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("a note's text ends with one newline and has no blank lines")
    signature = sign(text.encode())
    blob = base64.b64encode(key_id(name, public_key) + signature).decode()
    return f"{text}\n{EM_DASH} {name} {blob}\n"


def open_note(note: str, vkey: VerifierKey) -> str:
    """The note's text if `vkey` signed it; NoteError otherwise."""
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("not a signed note: no blank line before the signatures")
    text, sig_lines = note[: cut + 1], note[cut + 2 :]
    if not sig_lines.endswith("\n"):
        raise NoteError("a signed note ends with a newline")
    for line in sig_lines[:-1].split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH:
            raise NoteError(f"malformed signature line: {line!r}")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except ValueError as exc:
            raise NoteError(f"malformed signature: {exc}") from exc
        if parts[1] == vkey.name and blob[:4] == vkey.id:
            if len(blob) == 68 and vkey.verify(text.encode(), blob[4:]):
                return text
            raise NoteError(f"the signature by {vkey.name} is not valid")
    raise NoteError(f"the note carries no signature by {vkey.name}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint has an origin, a size and a root hash, one per line")
        origin, size_text, root_text, *ext = lines[:-1]
        if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
            raise NoteError(f"the checkpoint's size is not a number: {size_text!r}")
        try:
            root = base64.b64decode(root_text, validate=True)
        except ValueError as exc:
            raise NoteError(f"the checkpoint's root is not base64: {exc}") from exc
        if len(root) != 32:
            raise NoteError("the checkpoint's root is not a SHA-256 hash")
        return cls(origin, int(size_text), root, tuple(ext))


def open_checkpoint(note: str, vkey: VerifierKey) -> Checkpoint:
    checkpoint = Checkpoint.parse(open_note(note, vkey))
    if checkpoint.origin != vkey.name:
        raise NoteError(f"the checkpoint is for {checkpoint.origin!r}, not {vkey.name!r}")
    return checkpoint


# ---------------------------------------------------------------------------------------------
# Key rotation: a chain of signing keys, each announced by the one before it
# ---------------------------------------------------------------------------------------------

ROTATION = "key-rotation "


def format_verifier(key: VerifierKey) -> str:
    return format_vkey(key.name, key.public_key)


def announced_key(checkpoint: Checkpoint) -> VerifierKey | None:
    """The next signing key a checkpoint announces (its `key-rotation <vkey>` extension line),
    or None. The new key signs the same log, so it has the log's name."""
    lines = [e for e in checkpoint.extensions if e.startswith(ROTATION)]
    if not lines:
        return None
    if len(lines) > 1:
        raise NoteError("a checkpoint announces at most one new key")
    key = VerifierKey.parse(lines[0][len(ROTATION) :])
    if key.name != checkpoint.origin:
        raise NoteError(f"the announced key is named {key.name!r}, not {checkpoint.origin!r}")
    return key


def open_transition(note: str, old: VerifierKey) -> tuple[Checkpoint, VerifierKey]:
    """A key transition: the retiring key's last checkpoint, announcing the next key, signed by
    the retiring key and cosigned by the new one (which thereby vouches for the tree so far)."""
    checkpoint = open_checkpoint(note, old)
    new = announced_key(checkpoint)
    if new is None:
        raise NoteError(f"the checkpoint of {checkpoint.size} announces no new key")
    if new == old:
        raise NoteError("a key transition announces the key that signed it")
    try:
        open_note(note, new)
    except NoteError as exc:
        raise NoteError(
            f"the key transition at tree size {checkpoint.size} is not signed by the key it "
            f"announces ({new.name}+{new.id.hex()}): {exc}"
        ) from exc
    return checkpoint, new


def _key_label(key: VerifierKey) -> str:
    return f"{key.name}+{key.id.hex()}"


@dataclass
class KeyChain:
    """A log's signing keys, oldest first, and the transitions between them: `transitions[i]`
    is the last checkpoint `keys[i]` signed, announcing `keys[i + 1]`. A checkpoint of size s
    is signed by the first key whose last checkpoint is at least s (the current key's if none):
    a retired key signs nothing after its transition."""

    keys: list[VerifierKey]
    transitions: list[Checkpoint] = field(default_factory=list)

    @classmethod
    def follow(cls, first: VerifierKey, notes: Iterable[str]) -> KeyChain:
        chain = cls([first])
        for note in notes:
            checkpoint, new = open_transition(note, chain.keys[-1])
            if chain.transitions and checkpoint.size <= chain.transitions[-1].size:
                raise NoteError(
                    f"the key transition at tree size {checkpoint.size} does not come after the "
                    f"one at {chain.transitions[-1].size}"
                )
            if new in chain.keys:
                raise NoteError(f"the key {_key_label(new)} is announced twice")
            chain.keys.append(new)
            chain.transitions.append(checkpoint)
        return chain

    @property
    def current(self) -> VerifierKey:
        return self.keys[-1]

    def era(self, size: int) -> int:
        for i, transition in enumerate(self.transitions):
            if size <= transition.size:
                return i
        return len(self.transitions)

    def open(self, note: str) -> Checkpoint:
        """Open a checkpoint of this log with the key of its era, naming a retired key's
        signature after its transition as such."""
        unverified = Checkpoint.parse(note[: max(note.rfind("\n\n"), 0) + 1])
        i = self.era(unverified.size)
        try:
            checkpoint = open_checkpoint(note, self.keys[i])
        except NoteError as exc:
            for j, key in enumerate(self.keys[:i]):
                try:
                    open_checkpoint(note, key)
                except NoteError:
                    continue
                raise NoteError(
                    f"the checkpoint of tree size {unverified.size} is signed by the key "
                    f"{_key_label(key)}, retired at tree size {self.transitions[j].size} when it "
                    f"announced {_key_label(self.keys[j + 1])}: a retired key signs nothing after "
                    "its transition"
                ) from exc
            raise
        if i < len(self.transitions):
            transition = self.transitions[i]
            if checkpoint.size == transition.size and checkpoint.root != transition.root:
                raise NoteError(
                    f"the checkpoint of tree size {checkpoint.size} has another root than the key "
                    "transition of that size: two histories were signed"
                )
        return checkpoint


# ---------------------------------------------------------------------------------------------
# Witness cosignatures (C2SP tlog-cosignature: Ed25519 cosignature/v1)
# ---------------------------------------------------------------------------------------------

COSIGNATURE_V1 = 0x04


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """C2SP tlog-cosignature key ID: SHA-256(name || 0x0A || 0x04 || public key)[:4]."""
    return _sha256(name.encode() + b"\n" + bytes([COSIGNATURE_V1]) + public_key).digest()[:4]


def format_witness_vkey(name: str, public_key: bytes) -> str:
    check_key_name(name)
    blob = base64.b64encode(bytes([COSIGNATURE_V1]) + public_key).decode()
    return f"{name}+{cosigner_key_id(name, public_key).hex()}+{blob}"


@dataclass(frozen=True)
class WitnessKey:
    """A witness's public key, as a C2SP verifier key of type 0x04 (cosignature/v1)."""

    name: str
    id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, text: str) -> WitnessKey:
        try:
            name, hex_id, blob = text.strip().split("+", 2)
            raw = base64.b64decode(blob, validate=True)
            kid = bytes.fromhex(hex_id)
        except ValueError as exc:
            raise NoteError(f"not a witness key: {exc}") from exc
        if len(raw) != 33 or raw[0] != COSIGNATURE_V1:
            raise NoteError(f"{name} is not a witness (cosignature/v1 Ed25519) key")
        if cosigner_key_id(name, raw[1:]) != kid:
            raise NoteError(f"the witness key {name}'s ID does not match its name and key")
        return cls(name, kid, raw[1:])


def cosignature_message(body: str, timestamp: int) -> bytes:
    """What a witness signs: a header line, a time line, then the checkpoint body."""
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, name: str, sign: Callable[[bytes], bytes], public_key: bytes, when: int):
    """A witness's signature line over a checkpoint body it verified, at POSIX time `when`."""
    signature = sign(cosignature_message(body, when))
    blob = cosigner_key_id(name, public_key) + when.to_bytes(8, "big") + signature
    return f"{EM_DASH} {name} {base64.b64encode(blob).decode()}\n"


def signature_lines(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A signed note's body and its signature lines as (key name, key ID || signature)."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("not a signed note: no blank line before the signatures")
    lines = []
    for line in note[cut + 2 : -1].split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH:
            raise NoteError(f"malformed signature line: {line!r}")
        try:
            lines.append((parts[1], base64.b64decode(parts[2], validate=True)))
        except ValueError as exc:
            raise NoteError(f"malformed signature: {exc}") from exc
    return note[: cut + 1], lines


@dataclass(frozen=True)
class Cosignature:
    witness: str
    time: int  # POSIX seconds, as the witness signed it
    checked: bool  # verified with a witness key the verifier was given


def cosignatures(note: str, keys: Iterable[WitnessKey] = ()) -> list[Cosignature]:
    """The witnesses' cosignatures on a checkpoint. Every key given must have cosigned it
    (a missing or invalid cosignature is a BundleError naming the witness); other lines that
    have a cosignature's shape are listed unchecked, for the reader to see who else holds it."""
    body, lines = signature_lines(note)
    keys = list(keys)
    found = []
    for key in keys:
        for name, blob in lines:
            if name == key.name and blob[:4] == key.id:
                when = int.from_bytes(blob[4:12], "big")
                try:
                    Ed25519PublicKey.from_public_bytes(key.public_key).verify(
                        blob[12:], cosignature_message(body, when)
                    )
                except (InvalidSignature, ValueError) as exc:
                    raise BundleError(
                        f"the cosignature by witness {key.name} is not valid for this checkpoint"
                    ) from exc
                found.append(Cosignature(key.name, when, True))
                break
        else:
            raise BundleError(
                f"the checkpoint is not cosigned by witness {key.name}: that witness never "
                "accepted this tree as extending the one it held (or was not reached)"
            )
    checked = {(k.name, k.id) for k in keys}
    for name, blob in lines:
        if len(blob) == 76 and (name, blob[:4]) not in checked:
            found.append(Cosignature(name, int.from_bytes(blob[4:12], "big"), False))
    return found


def _cosignature_notes(note: str, keys: list[WitnessKey]) -> list[str]:
    import datetime as dt

    def when(c):
        return dt.datetime.fromtimestamp(c.time, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

    found = cosignatures(note, keys)
    checked = [f"{c.witness} ({when(c)})" for c in found if c.checked]
    unchecked = [f"{c.witness} ({when(c)})" for c in found if not c.checked]
    notes = []
    if checked:
        notes.append("cosigned by witness " + ", ".join(checked))
    if unchecked:
        notes.append(
            "also carries cosignatures by " + ", ".join(unchecked) + ", not checked: pass "
            "--witness FILE with a witness's key to check it"
        )
    if not found:
        notes.append("no witness cosigned this checkpoint")
    return notes


# ---------------------------------------------------------------------------------------------
# A checkpoint kept earlier (by a resident, a lawyer, an investigator): --previous
# ---------------------------------------------------------------------------------------------


def kept_checkpoint(note: str, keys: VerifierKey | KeyChain) -> Checkpoint:
    """Open a checkpoint someone kept, with the bundle's key (of its era, when the key was
    rotated), saying plainly when it is not."""
    chain = keys if isinstance(keys, KeyChain) else KeyChain([keys])
    try:
        return chain.open(note)
    except NoteError as exc:
        raise BundleError(
            f"the checkpoint you kept (--previous) was not signed by this bundle's key: {exc}"
        ) from exc


def check_not_behind(kept: Checkpoint, checkpoint: Checkpoint):
    """A log never signs a smaller tree after a larger one, nor two roots for one size: either
    is, by itself, proof that the history was rewritten."""
    if kept.size > checkpoint.size:
        raise BundleError(
            f"REWRITTEN: the checkpoint you kept signs {kept.size} entries, this bundle's "
            f"checkpoint only {checkpoint.size}: entries #{checkpoint.size}..#{kept.size - 1} "
            "were removed after you kept yours, so the ledger's history was rewritten"
        )
    if kept.size == checkpoint.size and kept.root != checkpoint.root:
        raise BundleError(
            f"REWRITTEN: the checkpoint you kept and this bundle's both sign {kept.size} entries "
            "but with different roots: the ledger's history was rewritten"
        )


def check_extends_kept(entries: Path, kept: Checkpoint) -> str:
    """For a bundle holding every entry from #0 (full and evidence bundles), after its entries
    were checked against its own checkpoint: the first `kept.size` of them must hash to the
    kept root. With every leaf at hand this is what a consistency proof from the kept tree to
    the bundle's proves, derived from the bundle itself."""
    tree = CompactRange()
    if kept.size:
        for line in _entry_lines(entries):
            tree.append(leaf_hash(line))
            if tree.size == kept.size:
                break
    if tree.size != kept.size or tree.root() != kept.root:
        raise BundleError(
            f"REWRITTEN: entries #0..#{kept.size - 1} of this bundle do not hash to the root of "
            f"the checkpoint you kept (tree size {kept.size}): the bundle's signed tree does not "
            "extend yours, so the ledger's history was rewritten after you kept it"
        )
    return f"consistent with the checkpoint you kept (tree size {kept.size})"


# ---------------------------------------------------------------------------------------------
# Bundles
# ---------------------------------------------------------------------------------------------


class BundleError(Exception):
    """The bundle is not intact; the message names the first thing found wrong."""


@dataclass
class Report:
    kind: str
    size: int
    entries: int = 0
    versions: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        what = {
            "full": f"all {self.entries} entries",
            "resident": f"{self.entries} entries about one resident, each with its proof,",
            "since": f"{self.entries} new entries",
            "evidence": f"all {self.entries} entries (so none is missing from the scope)",
        }[self.kind]
        extra = "".join(f"; {n}" for n in self.notes)
        return (
            f"OK: {what} and {self.versions} record versions verified against the signed "
            f"checkpoint of tree size {self.size}{extra}"
        )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BundleError(f"{path.name} is missing from the bundle") from exc
    except UnicodeDecodeError as exc:
        raise BundleError(f"{path.name} is not UTF-8 text") from exc


_SEQ = re.compile(rb'"seq":(\d+)[,}]')
_NULL_TAIL = b'"version":null}'  # how an entry that commits to no version ends


@dataclass
class _Versions:
    """The bundle's record versions: hash -> the entry that wrote it, and a label to name it."""

    writer: dict[bytes, int] = field(default_factory=dict)
    by_writer: dict[int, bytes] = field(default_factory=dict)
    label: dict[bytes, str] = field(default_factory=dict)

    def keys(self):
        return self.writer.keys()


def _versions(path: Path) -> tuple[_Versions, int]:
    """Check every version: its content hashes to its hash, it says what it is a version of,
    and it is listed once. (That an entry commits to it is checked while scanning entries.)"""
    found = _Versions()
    if not path.exists():
        raise BundleError("versions.ndjson is missing from the bundle")
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                version = json.loads(line)
                content, claimed, seq = version["content"], version["sha256"], version["seq"]
                actual = _sha256(content.encode("utf-8")).hexdigest()
                inner = json.loads(content)
                what = (inner["type"], str(inner["id"]))
                if type(seq) is not int or not isinstance(claimed, str):
                    raise TypeError("seq is a number, sha256 a string")
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise BundleError(f"versions.ndjson line {number} is not a version") from exc
            label = f"{version.get('object_type')}#{version.get('object_id')}"
            if actual != claimed:
                raise BundleError(
                    f"version on line {number} ({label}, written by entry #{seq}) was altered: "
                    f"its content hashes to {actual[:16]}…, not {claimed[:16]}…"
                )
            if what != (version.get("object_type"), version.get("object_id")):
                raise BundleError(
                    f"version on line {number} says it is {label}, its content "
                    f"says {what[0]}#{what[1]}"
                )
            key = claimed.encode()
            if key in found.writer:
                raise BundleError(f"version on line {number} ({label}) is listed twice")
            found.writer[key] = seq
            found.by_writer[seq] = key
            found.label[key] = f"{label} (line {number}, written by entry #{seq})"
    return found, len(found.writer)


def _check_versions_committed(versions: _Versions, scans, covers):
    """Every version in the bundle is committed to by an entry in it, and a version whose
    writing entry is in the bundle (`covers(seq)`) is the one that entry commits to: a version
    added to the bundle, or swapped for another, is named here."""
    referenced = set().union(*(s.referenced for s in scans))
    confirmed = set().union(*(s.confirmed for s in scans))
    for key in sorted(versions.keys() - referenced, key=versions.writer.__getitem__)[:1]:
        raise BundleError(f"version {versions.label[key]} is committed to by no entry")
    for key, seq in versions.writer.items():
        if covers(seq) and key not in confirmed:
            raise BundleError(f"version {versions.label[key]} is not the one that entry commits to")


def _check_versions_in_tree(versions: _Versions, size: int):
    """A version counts only if an entry inside the signed tree wrote it. One whose writing
    entry's number lies beyond the checkpoint was planted behind the ledger (a database
    administrator covering an edited row); the entries that read it since commit to it, so
    without this check it would pass as "committed to by an entry"."""
    beyond = [seq for seq in versions.by_writer if seq >= size]
    if beyond:
        key = versions.by_writer[min(beyond)]
        raise BundleError(
            f"version {versions.label[key]} is beyond the signed tree of {size} entries: no "
            "entry in it wrote this version, so it was planted behind the ledger"
        )


def _confirm_writer(versions: _Versions, index: int, version, seen: _Scan):
    """An evidence bundle holds every entry, so the entry that wrote each of its versions is in
    it, whatever the scope: it must commit to exactly that version."""
    key = versions.by_writer.get(index)
    if key is not None and version is not None and str(version).encode() == key:
        seen.confirmed.add(key)


def _entry_lines(path: Path):
    if not path.exists():
        raise BundleError("entries.ndjson is missing from the bundle")
    with path.open("rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                raise BundleError("entries.ndjson does not end with a newline (truncated?)")
            yield line[:-1]


def _entry_problem(leaf: bytes, expected: int, versions: _Versions) -> str | None:
    """What is wrong with this line as entry #expected, or None.

    Keys are sorted, so "version" comes last: two slices and a substring test instead of a
    JSON parse keep the verifier near the speed of bare hashing. Quotes inside strings are
    escaped, so '"seq":N,' can only be the key."""
    if b'"seq":%d,' % expected not in leaf:
        seq = _SEQ.search(leaf)
        found = f"#{int(seq[1])}" if seq else "a line that is not an entry"
        return f"entry #{expected} is missing or out of order: found {found} in its place"
    if leaf[-15:] != b'"version":null}':
        if leaf[-77:-66] != b'"version":"' or leaf[-2:] != b'"}':
            return f"entry #{expected} is not a well-formed ledger entry"
        if leaf[-66:-2] not in versions.writer:
            return f"entry #{expected} commits to a version missing from the bundle"
    return None


def _check_entry(leaf: bytes, expected: int, versions: _Versions):
    problem = _entry_problem(leaf, expected, versions)
    if problem:
        raise BundleError(problem)


@dataclass
class _Scan:
    """What one pass over a stretch of entries.ndjson found: the entries [begin, end) as a
    stack of perfect subtrees (level, index, hash), or the first problem."""

    begin: int | None = None
    end: int | None = None
    stack: list[tuple[int, int, bytes]] = field(default_factory=list)
    error: str | None = None
    roots_at: dict[int, bytes] = field(default_factory=dict)
    referenced: set[bytes] = field(default_factory=set)  # versions the entries commit to
    confirmed: set[bytes] = field(default_factory=set)  # ... that their writing entry commits to


def _push(stack, level, index, h):
    """Add a perfect subtree on the right, merging with its left sibling while there is one."""
    while stack and index & 1 and stack[-1][0] == level and stack[-1][1] == index - 1:
        h = _sha256(b"\x01" + stack.pop()[2] + h).digest()
        level += 1
        index >>= 1
    stack.append((level, index, h))


def _stack_root(stack) -> bytes:
    if not stack:
        return EMPTY_ROOT
    h = stack[-1][2]
    for item in reversed(stack[:-1]):
        h = node_hash(item[2], h)
    return h


_VERSIONS_FOR_WORKERS = _Versions()
# Below this, starting worker processes costs more than it saves.
PARALLEL_FROM_BYTES = 32 * 2**20


def _scan(
    path: str,
    start: int,
    stop: int,
    versions: _Versions | None = None,
    first: int | None = None,
    roots_at: tuple[int, ...] = (),
) -> _Scan:
    """Hash and check the entries whose lines start at byte offsets [start, stop).

    The hot loop of the verifier: one leaf hash and, on average, one node hash per entry, a
    sequence check and a version check, with no per-entry allocation beyond the hashes."""
    versions = _VERSIONS_FOR_WORKERS if versions is None else versions
    out = _Scan()
    sha, seq_re, check, stack = _sha256, _SEQ.search, _entry_problem, out.stack
    with open(path, "rb") as f:
        if start:
            f.seek(start - 1)
            start += len(f.readline()) - 1  # move to the first line that starts in range
        pos, expected = start, first
        while pos < stop:
            line = f.readline()
            if not line:
                break
            pos += len(line)
            if line[-1:] != b"\n":
                out.error = "entries.ndjson does not end with a newline (truncated?)"
                break
            leaf = line[:-1]
            if expected is None:  # the first line of this stretch says where it starts
                seq = seq_re(leaf)
                if seq is None:
                    out.error = "entry after the first is not a well-formed ledger entry"
                    break
                expected = out.begin = int(seq[1])
            problem = check(leaf, expected, versions)
            if problem:
                out.error = problem
                break
            if leaf[-15:] != _NULL_TAIL:
                out.referenced.add(leaf[-66:-2])
                if versions.writer.get(leaf[-66:-2]) == expected:
                    out.confirmed.add(leaf[-66:-2])
            # _push, inlined: this loop runs once per entry.
            h, level, index = sha(b"\x00" + leaf).digest(), 0, expected
            while stack and index & 1 and stack[-1][0] == level and stack[-1][1] == index - 1:
                h = sha(b"\x01" + stack.pop()[2] + h).digest()
                level += 1
                index >>= 1
            stack.append((level, index, h))
            expected += 1
            if expected in roots_at:
                out.roots_at[expected] = _stack_root(stack)
    if out.begin is None and first is not None:
        out.begin = first
    out.end = expected
    if out.error is not None and out.begin is None:
        out.begin = expected
    return out


CHUNK_BYTES = 1 << 22  # read, checked and hashed together: about 14,000 entries

# The fast pass walks each block with map() over C functions, so no Python bytecode runs per
# entry or per node: at a million entries the interpreter's per-item cost, not SHA-256, is what
# separates a verifier from bare hashing.
_digest = type(_sha256()).digest
_LEAF_PREFIX = b"\x00".__add__
_VERSION_HEX = operator.itemgetter(slice(-66, -2))


def _leaf_hashes(leaves: list[bytes]) -> list[bytes]:
    return list(map(_digest, map(_sha256, map(_LEAF_PREFIX, leaves))))


def _parents(layer: list[bytes]) -> list[bytes]:
    """The next level up of a layer of 2^k hashes: each pair (left, right) -> its node hash."""
    pairs = iter(layer)  # one iterator given twice to zip: it yields (0x01, left, right)
    nodes = map(b"".join, zip(itertools.repeat(b"\x01"), pairs, pairs))
    return list(map(_digest, map(_sha256, nodes)))


def _push_hashes(stack, begin: int, hashes: list[bytes]):
    """Add the leaves [begin, begin + len(hashes)), reducing each aligned perfect subtree
    level by level: the same tree, at C speed per hash."""
    at = 0
    for level, index in perfect_subtrees(begin, begin + len(hashes)):
        layer = hashes[at : at + (1 << level)]
        at += 1 << level
        while len(layer) > 1:
            layer = _parents(layer)
        _push(stack, level, index, layer[0])


def _line_start(f, offset: int) -> int:
    """The offset of the first line that starts at or after `offset`."""
    if offset == 0:
        return 0
    f.seek(offset - 1)
    return offset - 1 + len(f.readline())


def _fast_scan(path: str, start: int, stop: int, first: int | None = None) -> _Scan:
    """Hash the entries whose lines start in [start, stop) and check that every version they
    commit to is in the bundle, block by block. It does not name problems: any doubt (a
    missing version, a truncated file, a wrong root) sends the caller to `_scan`, which does."""
    versions, out = _VERSIONS_FOR_WORKERS, _Scan()
    with open(path, "rb") as f:
        start, stop = _line_start(f, start), _line_start(f, stop)
        f.seek(start)
        left, expected, carry = stop - start, first, b""
        while left > 0:
            chunk = f.read(min(CHUNK_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            leaves = chunk.split(b"\n")
            leaves[0] = carry + leaves[0]
            carry = leaves.pop()  # the part of a line the next chunk completes
            if not leaves:
                continue
            if expected is None:
                seq = _SEQ.search(leaves[0])
                if seq is None:
                    out.error = "malformed"
                    break
                expected = out.begin = int(seq[1])
            count = len(leaves)
            # Every entry carries its own number: '"seq":N,' for N = expected, expected+1, ...
            # (rfind: the number sits near the end, where only "time" and "version" follow.)
            numbers = map(b'"seq":%d,'.__mod__, range(expected, expected + count))
            if min(map(bytes.rfind, leaves, numbers)) < 0:
                out.error = "sequence"
                break
            committing = list(
                itertools.compress(
                    leaves,
                    map(operator.not_, map(bytes.endswith, leaves, itertools.repeat(_NULL_TAIL))),
                )
            )
            refs = set(map(_VERSION_HEX, committing))
            if not refs <= versions.keys():
                out.error = "version"
                break
            out.referenced |= refs
            # The versions written in this block: is each the one its writing entry commits to?
            for w in versions.by_writer.keys() & range(expected, expected + count):
                leaf, key = leaves[w - expected], versions.by_writer[w]
                if not leaf.endswith(_NULL_TAIL) and leaf[-66:-2] == key:
                    out.confirmed.add(key)
            _push_hashes(out.stack, expected, _leaf_hashes(leaves))
            expected += count
        if carry and out.error is None:
            out.error = "truncated"  # the last line has no newline
    if out.begin is None and first is not None:
        out.begin = first
    out.end = expected
    return out


def _scan_in_parallel(path: Path, versions: _Versions) -> list[_Scan]:
    """The fast pass. A large file is split between the machine's cores; each part is hashed
    into perfect subtrees, which are then joined in order."""
    import multiprocessing

    global _VERSIONS_FOR_WORKERS
    size = path.stat().st_size
    workers = min(os.cpu_count() or 1, 8)
    _VERSIONS_FOR_WORKERS = versions  # forked workers inherit it instead of receiving a copy
    try:
        if (
            workers < 2
            or size < PARALLEL_FROM_BYTES
            or "fork" not in multiprocessing.get_all_start_methods()
        ):
            return [_fast_scan(str(path), 0, size, first=0)]
        parts = workers * 4
        bounds = [size * i // parts for i in range(parts + 1)]
        jobs = [(str(path), bounds[i], bounds[i + 1], 0 if i == 0 else None) for i in range(parts)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.starmap(_fast_scan, jobs)
    finally:
        _VERSIONS_FOR_WORKERS = _Versions()


def _join(scans: list[_Scan], stack=None) -> tuple[list, int]:
    """Join the parts' subtrees into one compact range; raise on the first problem, in order.
    (The fast pass's problems are bare flags: its caller goes again with `_scan` to name them.)"""
    stack = [] if stack is None else stack
    end = None
    for part in scans:
        if part.error:
            if part.begin is not None and end is not None and part.begin != end:
                raise BundleError(
                    f"entry #{end} is missing or out of order: found #{part.begin} in its place"
                )
            raise BundleError(part.error)
        if part.begin is None:  # a stretch in which no line starts
            continue
        if end is not None and part.begin != end:
            raise BundleError(
                f"entry #{end} is missing or out of order: found #{part.begin} in its place"
            )
        for item in part.stack:
            _push(stack, *item)
        end = part.end
    return stack, end if end is not None else 0


def _checkpoints(bundle: Path, chain: KeyChain) -> Checkpoint:
    checkpoint = chain.open(_read_text(bundle / "checkpoint"))
    if chain.transitions and checkpoint.size < chain.transitions[-1].size:
        raise BundleError(
            f"the bundle's checkpoint (tree size {checkpoint.size}) is older than its last key "
            f"transition (tree size {chain.transitions[-1].size})"
        )
    return checkpoint


@dataclass
class _Transition:
    key: VerifierKey  # the retiring key, which signed the note
    note: str
    consistency: list[bytes]  # from the transition's tree to the bundle's checkpoint


def _transitions(bundle: Path) -> list[_Transition]:
    path = bundle / "transitions.ndjson"
    if not path.exists():
        return []
    found = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        try:
            record = json.loads(line)
            note = record["note"]
            if not isinstance(note, str):
                raise TypeError("the note is text")
            key = VerifierKey.parse(record["key"])
            proof = [bytes.fromhex(h) for h in record["consistency"]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BundleError(f"transitions.ndjson line {number} is not a key transition") from exc
        found.append(_Transition(key, note, proof))
    return found


def _vkey(
    bundle: Path, trusted: str | list[str] | None
) -> tuple[KeyChain, list[_Transition], list[str]]:
    """The bundle's chain of signing keys, followed from its first key through each transition
    (each signed by the key before and cosigned by the next) to the key of its checkpoint; and
    every key the reader trusts (--vkey, any of the chain's: the old one is enough) in it."""
    own = VerifierKey.parse(_read_text(bundle / "vkey"))
    transitions = _transitions(bundle)
    try:
        chain = KeyChain.follow(
            transitions[0].key if transitions else own, [t.note for t in transitions]
        )
    except NoteError as exc:
        raise BundleError(f"the chain of signing keys is cut: {exc}") from exc
    for i, transition in enumerate(transitions):
        if transition.key != chain.keys[i]:
            raise BundleError(
                f"the chain of signing keys is cut: transitions.ndjson line {i + 1} is signed "
                f"by {_key_label(transition.key)}, but the key before announced "
                f"{_key_label(chain.keys[i])}"
            )
    if chain.current != own:
        raise BundleError(
            f"the chain of signing keys is cut: the bundle's vkey {_key_label(own)} was never "
            f"announced by the key before it (the last key announced is "
            f"{_key_label(chain.current)})"
        )
    notes = []
    if len(chain.keys) > 1:
        notes.append(
            f"signing key rotated {len(chain.transitions)} time(s): "
            + " -> ".join(
                f"{_key_label(k)}" + (f" (to tree size {t.size})" if t else "")
                for k, t in itertools.zip_longest(chain.keys, chain.transitions)
            )
            + ", each announced by the key before it"
        )
    if trusted is None or trusted == []:
        return (
            chain,
            transitions,
            [
                "signature checked with the bundle's own vkey: pass --vkey to use yours",
                *notes,
            ],
        )
    for text in [trusted] if isinstance(trusted, str) else trusted:
        vkey = VerifierKey.parse(text)
        if vkey not in chain.keys:
            if len(chain.keys) == 1:
                raise BundleError(
                    "the bundle's vkey is not the key you trust (--vkey), and the bundle holds "
                    "no key transition from yours (transitions.ndjson)"
                )
            raise BundleError(
                f"the key you trust (--vkey) {_key_label(vkey)} is not in this bundle's chain of "
                f"signing keys ({', '.join(map(_key_label, chain.keys))})"
            )
    return chain, transitions, notes


def _check_transitions_extended(transitions: list[_Transition], chain, checkpoint: Checkpoint):
    """The bundle's tree extends the last checkpoint of every retired key: a new key signs from
    its transition on, it cannot re-sign the history its predecessor signed."""
    for transition, signed in zip(transitions, chain.transitions, strict=True):
        try:
            verify_consistency(
                signed.size, checkpoint.size, signed.root, checkpoint.root, transition.consistency
            )
        except ProofError as exc:
            raise BundleError(
                f"REWRITTEN: the bundle's tree (size {checkpoint.size}) does not extend the key "
                f"transition at tree size {signed.size}, the last checkpoint of "
                f"{_key_label(transition.key)}: {exc}"
            ) from exc


def verify_bundle(
    bundle: Path,
    trusted_vkey: str | list[str] | None = None,
    previous: str | None = None,
    witness_keys: Iterable[str] = (),
):
    """Check a bundle; return a Report, or raise BundleError/NoteError/ProofError.
    `previous` is a checkpoint kept earlier, which the bundle's tree must extend;
    `witness_keys` are witnesses' keys, each of which must have cosigned its checkpoint."""
    chain, transitions, notes = _vkey(bundle, trusted_vkey)
    witnesses = [WitnessKey.parse(k) for k in witness_keys]
    checkpoint = _checkpoints(bundle, chain)
    _check_transitions_extended(transitions, chain, checkpoint)
    older = kept_checkpoint(previous, chain) if previous is not None else None
    if older is not None:
        check_not_behind(older, checkpoint)
    versions, version_count = _versions(bundle / "versions.ndjson")
    _check_versions_in_tree(versions, checkpoint.size)
    if (bundle / "scope.json").exists():
        report = _verify_evidence(bundle, checkpoint, versions)
        if older is not None:  # every leaf from #0 is in it: the proof is derived from them
            report.notes.append(check_extends_kept(bundle / "entries.ndjson", older))
    elif (bundle / "proofs.ndjson").exists():
        if older is not None:
            raise BundleError(
                "a per-resident bundle cannot be checked against an older checkpoint; "
                "export in full or with --since-checkpoint for that"
            )
        report = _verify_resident(bundle, checkpoint, versions)
    elif (bundle / "range.json").exists():
        report = _verify_since(bundle, checkpoint, versions, older, chain)
    else:
        report = _verify_full(bundle, checkpoint, versions, older)
    report.versions = version_count
    report.notes = notes + report.notes
    report.notes += _cosignature_notes(_read_text(bundle / "checkpoint"), witnesses)
    return report


def _verify_full(bundle, checkpoint, versions, older) -> Report:
    path = bundle / "entries.ndjson"
    if not path.exists():
        raise BundleError("entries.ndjson is missing from the bundle")
    if older is None:
        try:
            parts = _scan_in_parallel(path, versions)
            stack, size = _join(parts)
            if size == checkpoint.size and _stack_root(stack) == checkpoint.root:
                _check_versions_committed(versions, parts, lambda seq: seq < size)
                return Report("full", checkpoint.size, size)
        except BundleError:
            pass
        # Something is wrong: go again, entry by entry, to name the first bad one.
    scan = _scan(
        str(path),
        0,
        path.stat().st_size,
        versions,
        first=0,
        roots_at=(older.size,) if older else (),
    )
    stack, size = _join([scan])
    if size > checkpoint.size:
        raise BundleError(f"entry #{checkpoint.size} is beyond the checkpoint's tree size")
    if older is not None and older.size and scan.roots_at.get(older.size) != older.root:
        raise BundleError(
            f"the entries do not extend the older checkpoint: entries #0..#{older.size - 1} "
            "differ from what it signed, so history was rewritten"
        )
    if size != checkpoint.size:
        raise BundleError(
            f"the bundle holds {size} entries but the checkpoint signs {checkpoint.size}: "
            f"entry #{size} onwards is missing"
        )
    if _stack_root(stack) != checkpoint.root:
        raise BundleError(
            "the entries do not hash to the checkpoint's root: an entry was altered "
            "(its sequence numbers are intact, so a field inside an entry changed)"
        )
    _check_versions_committed(versions, [scan], lambda seq: seq < size)
    notes = [f"consistent with the older checkpoint of size {older.size}"] if older else []
    return Report("full", checkpoint.size, size, notes=notes)


def _verify_since(bundle, checkpoint, versions, older, chain) -> Report:
    start = chain.open(_read_text(bundle / "previous"))
    if older is not None and older != start:
        raise BundleError("--previous differs from the checkpoint the bundle starts from")
    try:
        frontier = json.loads(_read_text(bundle / "range.json"))
        if type(frontier["size"]) is not int or frontier["size"] < 0:
            raise TypeError("its size is not a whole number")
        hashes = [bytes.fromhex(h) for h in frontier["hashes"]]
        subtrees = perfect_subtrees(0, frontier["size"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BundleError(f"range.json is not a compact range: {exc}") from exc
    stack = [(level, index, h) for (level, index), h in zip(subtrees, hashes, strict=False)]
    if (
        frontier["size"] != start.size
        or len(hashes) != len(subtrees)
        or (_stack_root(stack) != start.root)
    ):
        raise BundleError(
            f"range.json does not hash to the starting checkpoint's root (size {start.size})"
        )
    path = bundle / "entries.ndjson"
    if not path.exists():
        raise BundleError("entries.ndjson is missing from the bundle")
    scan = _scan(str(path), 0, path.stat().st_size, versions, first=start.size)
    stack, size = _join([scan], stack)
    if size > checkpoint.size:
        raise BundleError(f"entry #{checkpoint.size} is beyond the checkpoint's tree size")
    if size != checkpoint.size:
        raise BundleError(f"entries #{size}..#{checkpoint.size - 1} are missing")
    if _stack_root(stack) != checkpoint.root:
        raise BundleError(
            f"entries #{start.size}..#{checkpoint.size - 1} do not hash to the checkpoint's root "
            "on top of the starting checkpoint: history was altered"
        )
    _check_versions_committed(versions, [scan], lambda seq: start.size <= seq < size)
    notes = [f"the tree extends the checkpoint of size {start.size}"]
    return Report("since", checkpoint.size, size - start.size, notes=notes)


def _about(entry: dict) -> set:
    """The residents an entry is about: the one on its record, or those a list names."""
    named = (entry.get("detail") or {}).get("residents", [])
    return ({entry["resident"]} if entry["resident"] is not None else set()) | set(named)


def _verify_resident(bundle, checkpoint, versions) -> Report:
    """A resident's entries, each with its inclusion proof: in ledger order, each once, all
    about the same resident, and every version committed to by its writing entry."""
    count, last, resident, seen, present = 0, -1, None, _Scan(), set()
    with (bundle / "proofs.ndjson").open("rb") as proofs:
        for line in _entry_lines(bundle / "entries.ndjson"):
            try:
                proof = json.loads(proofs.readline())
                index, path = proof["seq"], [bytes.fromhex(h) for h in proof["proof"]]
                if type(index) is not int:
                    raise TypeError("seq is not a whole number")
                about = _about(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise BundleError(f"proofs.ndjson has no proof for entry {count + 1}") from exc
            if index <= last:
                raise BundleError(f"entry #{index} is repeated or out of order")
            # Every entry is about the bundle's resident: on their record, or a list naming them.
            about = about if resident is None else about & resident
            if not about:
                raise BundleError(f"entry #{index} is about another resident")
            _check_entry(line, index, versions)
            try:
                verify_inclusion(index, checkpoint.size, leaf_hash(line), path, checkpoint.root)
            except ProofError as exc:
                raise BundleError(
                    f"entry #{index} was altered or is not in the ledger: {exc}"
                ) from exc
            if line[-15:] != _NULL_TAIL:
                seen.referenced.add(line[-66:-2])
                if versions.writer.get(line[-66:-2]) == index:
                    seen.confirmed.add(line[-66:-2])
            present.add(index)
            count, last, resident = count + 1, index, about
        if proofs.readline():
            raise BundleError("proofs.ndjson has more proofs than there are entries")
    _check_versions_committed(versions, [seen], present.__contains__)
    return Report("resident", checkpoint.size, count)


def _scope(bundle: Path) -> tuple[set[int], set[int]]:
    try:
        scope = json.loads(_read_text(bundle / "scope.json"))
        residents, actors = scope["residents"], scope["actors"]
        if not all(type(x) is int for x in [*residents, *actors]):
            raise TypeError("record numbers are whole numbers")
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError("scope.json does not say which residents and staff are in scope") from exc
    return set(residents), set(actors)


def _verify_evidence(bundle, checkpoint, versions) -> Report:
    """An investigator's evidence: every entry of the ledger up to the checkpoint, so that no
    entry about the residents in scope, nor any entry by the staff in scope, can have been left
    out (they all hash to the signed root); and the record versions the entries about those
    residents commit to. Entries are identifiers, codes and hashes only; record content comes
    only for the residents in scope."""
    residents, actors = _scope(bundle)
    tree, seen = CompactRange(), _Scan()
    about, by = 0, 0
    for index, line in enumerate(_entry_lines(bundle / "entries.ndjson")):
        if index >= checkpoint.size:
            raise BundleError(f"entry #{checkpoint.size} is beyond the checkpoint's tree size")
        try:
            entry = json.loads(line)
            seq = entry["seq"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BundleError(f"entry #{index} is not a well-formed ledger entry") from exc
        if seq != index:
            raise BundleError(
                f"entry #{index} is missing or out of order: found #{seq} in its place"
            )
        if entry.get("resident") in residents or residents & set(
            (entry.get("detail") or {}).get("residents", ())
        ):
            about += 1
            version = entry.get("version")
            if version is not None:
                key = str(version).encode()
                if key not in versions.writer:
                    raise BundleError(
                        f"entry #{index} commits to a version missing from the bundle"
                    )
                seen.referenced.add(key)
                if versions.writer[key] == index:
                    seen.confirmed.add(key)
        elif entry.get("actor") in actors:
            by += 1
        _confirm_writer(versions, index, entry.get("version"), seen)
        tree.append(leaf_hash(line))
    if tree.size != checkpoint.size:
        raise BundleError(
            f"the bundle holds {tree.size} entries but the checkpoint signs {checkpoint.size}: "
            f"entry #{tree.size} onwards is missing"
        )
    if tree.root() != checkpoint.root:
        raise BundleError(
            "the entries do not hash to the checkpoint's root: an entry was altered, left out "
            "or added"
        )
    _check_versions_committed(versions, [seen], lambda seq: seq < checkpoint.size)
    parts = []
    if residents:
        parts.append(f"{about} entries about resident #{', #'.join(map(str, sorted(residents)))}")
    if actors:
        parts.append(f"{by} more by staff #{', #'.join(map(str, sorted(actors)))}")
    note = "in scope: " + ", ".join(parts)
    return Report("evidence", checkpoint.size, tree.size, notes=[note])


# ---------------------------------------------------------------------------------------------
# A witness: a folder of checkpoints kept outside the operator's control
# ---------------------------------------------------------------------------------------------


def check_witness_folder(folder: Path, vkey: VerifierKey) -> list[Checkpoint]:
    """Check every checkpoint delivered to a witness folder against the one before it.

    The ledger delivers `checkpoint.<size>` files and, beside each, `consistency.<old>.<size>`
    (the hashes of a consistency proof from the previous delivered checkpoint, one hex per line).
    A checkpoint that does not extend its predecessor is reported: that is a rewritten history.
    A key transition hands the checking over to the key it announces (and the retired key is
    refused from then on)."""
    sizes = sorted(
        int(p.name.split(".")[1]) for p in folder.glob("checkpoint.*") if p.name[11:].isdigit()
    )
    seen: list[Checkpoint] = []
    for size in sizes:
        note = (folder / f"checkpoint.{size}").read_text("utf-8")
        checkpoint = open_checkpoint(note, vkey)
        if announced_key(checkpoint) is not None:
            vkey = open_transition(note, vkey)[1]
        if checkpoint.size != size:
            raise BundleError(f"checkpoint.{size} signs a tree of {checkpoint.size}")
        if seen:
            before = seen[-1]
            proof_file = folder / f"consistency.{before.size}.{size}"
            if not proof_file.exists():
                raise BundleError(f"no consistency proof from {before.size} to {size}")
            try:
                proof = [bytes.fromhex(h) for h in proof_file.read_text().split()]
                verify_consistency(before.size, size, before.root, checkpoint.root, proof)
            except (ProofError, ValueError) as exc:
                raise BundleError(
                    f"INCONSISTENT: checkpoint {size} does not extend checkpoint {before.size}: "
                    f"{exc}. The log's history was rewritten."
                ) from exc
        seen.append(checkpoint)
    return seen


class WitnessSigner:
    """A witness's own key, which cosigns the checkpoints it accepted. Kept in a file in the
    signer-key layout the ledger's key uses, with the cosignature type:
    PRIVATE+KEY+<name>+<key ID hex>+<base64(0x04 || seed)>."""

    PREFIX = "PRIVATE+KEY+"

    def __init__(self, name: str, seed: bytes):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        check_key_name(name)
        self.name = name
        self.private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self.private.public_key().public_bytes_raw()

    @property
    def vkey(self) -> str:
        return format_witness_vkey(self.name, self.public_key)

    def cosign(self, body: str, when: int) -> str:
        return cosign(body, self.name, self.private.sign, self.public_key, when)

    @classmethod
    def generate(cls, name: str, path: Path) -> WitnessSigner:
        signer = cls(name, os.urandom(32))
        seed = signer.private.private_bytes_raw()
        blob = base64.b64encode(bytes([COSIGNATURE_V1]) + seed).decode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never replace a key
        with os.fdopen(fd, "w") as f:
            f.write(f"{cls.PREFIX}{name}+{cosigner_key_id(name, signer.public_key).hex()}+{blob}\n")
        return signer

    @classmethod
    def load(cls, path: Path) -> WitnessSigner:
        text = path.read_text("utf-8").strip()
        try:
            if not text.startswith(cls.PREFIX):
                raise ValueError("it does not start with PRIVATE+KEY+")
            name, hex_id, blob = text[len(cls.PREFIX) :].split("+", 2)
            raw = base64.b64decode(blob, validate=True)
            if len(raw) != 33 or raw[0] != COSIGNATURE_V1:
                raise ValueError("it is not an Ed25519 cosignature key")
            signer = cls(name, raw[1:])
        except ValueError as exc:
            raise NoteError(f"{path} is not a witness key: {exc}") from exc
        if cosigner_key_id(name, signer.public_key).hex() != hex_id:
            raise NoteError(f"{path} is damaged: its key ID does not match the key")
        return signer


class TlogWitness:
    """A minimal C2SP tlog-witness for one log, for an oversight body to run: it keeps the
    latest checkpoint it accepted in a state file, and accepts a new one only with a valid
    consistency proof from it. With a key of its own it answers each accepted checkpoint with
    its cosignature (C2SP tlog-cosignature), which the ledger puts into every bundle; without
    one it only refuses and reports."""

    def __init__(self, vkey: VerifierKey, state: Path, signer: WitnessSigner | None = None):
        import threading

        self.vkey, self.state, self.signer = vkey, state, signer
        self.lock = threading.Lock()  # one request at a time may read, check and replace state
        # After a key transition, the key it announced, which the witness checks from then on
        # (the --vkey given at its start stays the first key it trusted).
        if self.followed.exists():
            self.vkey = VerifierKey.parse(self.followed.read_text("utf-8"))

    @property
    def followed(self) -> Path:
        return self.state.with_name(self.state.name + ".vkey")

    def current(self) -> Checkpoint | None:
        if not self.state.exists():
            return None
        return open_checkpoint(self.state.read_text("utf-8"), self.vkey)

    def add_checkpoint(self, body: bytes) -> tuple[int, str]:
        """Handle one add-checkpoint request body; return (HTTP status, response text)."""
        with self.lock:
            return self._add_checkpoint(body)

    def _add_checkpoint(self, body: bytes) -> tuple[int, str]:
        try:
            text = body.decode("utf-8")
            head, note = text.split("\n\n", 1)
            lines = head.split("\n")
            if not lines[0].startswith("old ") or not lines[0][4:].isdigit():
                return 400, "the request starts with 'old <size>'\n"
            old = int(lines[0][4:])
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except ValueError:
            return 400, "malformed add-checkpoint request\n"
        current = self.current()
        size = current.size if current else 0
        # The key that signs next: the one the checkpoint held announced, if it was a transition.
        expected = (announced_key(current) if current else None) or self.vkey
        try:
            try:
                checkpoint = open_checkpoint(note, expected)
            except NoteError:
                # A checkpoint this witness has already passed (a retry) may be signed by the
                # key before; a larger tree signed by a retired key is refused.
                checkpoint = open_checkpoint(note, self.vkey)
                if checkpoint.size > size:
                    raise
            if checkpoint.size > size and announced_key(checkpoint) is not None:
                open_transition(note, expected)
        except NoteError as exc:
            return 403, f"{exc}\n"
        if old != size:
            return 409, f"{size}\n"
        if checkpoint.size < size:
            return 400, "the checkpoint is older than the one this witness holds\n"
        try:
            verify_consistency(
                size,
                checkpoint.size,
                current.root if current else EMPTY_ROOT,
                checkpoint.root,
                proof,
            )
        except ProofError as exc:
            print(f"INCONSISTENT checkpoint {checkpoint.size}: {exc}", file=sys.stderr)
            return 422, f"{exc}\n"
        if expected != self.vkey:  # the first checkpoint signed by the announced key
            tmp = self.followed.with_name(self.followed.name + ".tmp")
            tmp.write_text(format_verifier(expected) + "\n", encoding="utf-8")
            os.replace(tmp, self.followed)
            self.vkey = expected
        tmp = self.state.with_name(self.state.name + ".tmp")
        tmp.write_text(note, encoding="utf-8")
        os.replace(tmp, self.state)
        if self.signer is None:
            return 200, ""
        import time

        return 200, self.signer.cosign(checkpoint.text(), int(time.time()))


def serve_witness(witness: TlogWitness, host: str, port: int):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            if self.path.rstrip("/").split("/")[-1] != "add-checkpoint":
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            status, text = witness.add_checkpoint(self.rfile.read(min(length, 1 << 20)))
            self.send_response(status)
            kind = "text/x.tlog.size" if status == 409 else "text/plain; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(text.encode())

    server = ThreadingHTTPServer((host, port), Handler)
    print(f"witness listening on http://{host}:{server.server_address[1]}/", flush=True)
    return server


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


BUNDLE_FILES = {
    "checkpoint",
    "vkey",
    "entries.ndjson",
    "versions.ndjson",
    "proofs.ndjson",
    "range.json",
    "previous",
    "scope.json",
    "README.txt",
    "transitions.ndjson",
}


def _unzip(archive: Path, folder: Path) -> Path:
    """A zipped bundle's files, flat in `folder` (a bundle has no subfolders): nothing else is
    taken from the archive, and no name can reach outside the folder."""
    try:
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                name = info.filename.rsplit("/", 1)[-1]
                if info.is_dir() or not name:
                    continue
                if name not in BUNDLE_FILES:
                    raise BundleError(f"{info.filename} in the archive is not a bundle file")
                (folder / name).write_bytes(z.read(info))
    except zipfile.BadZipFile as exc:
        raise BundleError(f"{archive.name} is not a readable .zip file") from exc
    return folder


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["witness"]:
        p = argparse.ArgumentParser(prog="verify.py witness")
        p.add_argument("folder", type=Path)
        p.add_argument("--vkey", type=Path, required=True, help="the log's verifier key")
        args = p.parse_args(argv[1:])
        try:
            vkey = VerifierKey.parse(args.vkey.read_text("utf-8"))
            seen = check_witness_folder(args.folder, vkey)
        except (OSError, NoteError, BundleError) as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
        last = seen[-1].size if seen else 0
        print(f"OK: {len(seen)} checkpoints, each consistent with the one before (size {last})")
        return 0

    if argv[:1] == ["serve-witness"]:
        p = argparse.ArgumentParser(prog="verify.py serve-witness")
        p.add_argument("--vkey", type=Path, required=True)
        p.add_argument("--state", type=Path, required=True, help="file holding the latest note")
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8100)
        p.add_argument("--key", type=Path, help="the witness's own key: cosign what it accepts")
        args = p.parse_args(argv[1:])
        vkey = VerifierKey.parse(args.vkey.read_text("utf-8"))
        signer = WitnessSigner.load(args.key) if args.key else None
        witness = TlogWitness(vkey, args.state, signer)
        serve_witness(witness, args.host, args.port).serve_forever()
        return 0

    if argv[:1] == ["witness-keygen"]:
        p = argparse.ArgumentParser(prog="verify.py witness-keygen")
        p.add_argument("name", help="the witness's name, e.g. oversight.example/witness")
        p.add_argument("--out", type=Path, required=True, help="the new private key file")
        args = p.parse_args(argv[1:])
        try:
            signer = WitnessSigner.generate(args.name, args.out)
        except (OSError, NoteError) as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 2
        print(signer.vkey)  # the public key, for investigators' --witness
        return 0

    p = argparse.ArgumentParser(
        prog="homecoming ledger verify",
        description="Check a Homecoming ledger bundle offline.",
    )
    p.add_argument("bundle", type=Path, help="the bundle folder, or the same as a .zip file")
    p.add_argument(
        "--vkey",
        type=Path,
        action="append",
        default=[],
        help="the log's verifier key, as you hold it (an old one is enough: the bundle's key "
        "transitions lead from it to the current key; repeatable)",
    )
    p.add_argument("--previous", type=Path, help="an older checkpoint the bundle must extend")
    p.add_argument(
        "--witness",
        type=Path,
        action="append",
        default=[],
        help="a witness's key: its cosignature of the bundle's checkpoint must be valid "
        "(repeat for each witness)",
    )
    args = p.parse_args(argv)
    zipped = args.bundle.is_file() and zipfile.is_zipfile(args.bundle)
    if not (args.bundle.is_dir() or zipped):
        print(f"FAILED: {args.bundle} is not a bundle folder or .zip file", file=sys.stderr)
        return 2
    try:
        trusted = [path.read_text("utf-8") for path in args.vkey] or None
        previous = args.previous.read_text("utf-8") if args.previous else None
        witnesses = [path.read_text("utf-8") for path in args.witness]
        if zipped:
            with tempfile.TemporaryDirectory() as folder:
                unzipped = _unzip(args.bundle, Path(folder))
                report = verify_bundle(unzipped, trusted, previous, witnesses)
        else:
            report = verify_bundle(args.bundle, trusted, previous, witnesses)
    except OSError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 2
    except (BundleError, NoteError, ProofError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
