"""Changing the ledger's signing key (`homecoming ledger rotate-key`) without breaking the proofs
of the years before.

The retiring key signs one last checkpoint, the **key transition**: its body announces the new
key in an extension line `key-rotation <new vkey>`, and the new key signs the same body too. A
verifier holding only the old vkey follows the announcement to the new key; one holding only the
new vkey sees the new key vouch for the tree signed so far. The new key signs from the next
checkpoint on, and every later tree must extend the transition's (verify.py checks it), so a
rotation cannot re-sign the past.

The public keys, oldest first, are kept in `<key file>.vkeys` beside the key, so the app goes on
checking old checkpoints; the old private key is not kept: the new key file replaces it (a
rename, in one step). A retired key still at hand could sign a second, different history after
its transition that a verifier holding only that key would accept; nothing needs it any more
(checking takes the public key). Its backups must be destroyed too (docs/ledger.md)."""

import os
from pathlib import Path

from django.db import transaction

from . import signing
from .models import Checkpoint
from .verify import Checkpoint as CheckpointText
from .verify import (
    KeyChain,
    NoteError,
    VerifierKey,
    announced_key,
    format_verifier,
)

ALERT_KIND = "ledger_key_rotated"
ACTION = "ledger.key_rotated"


class RotationRefused(Exception):
    """Every reason the key cannot be rotated now, each in words."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


class KeyRetired(signing.KeyMissing):
    """The key file holds a key the ledger handed signing over from: it must not sign again."""


def history_path() -> Path:
    key = signing.key_path()
    return key.with_name(key.name + ".vkeys")


def pending_path() -> Path:
    """The new key while the rotation is under way: beside the old one, renamed over it once the
    transition is committed."""
    key = signing.key_path()
    return key.with_name(key.name + ".new")


def _history() -> list[str]:
    try:
        return [line for line in history_path().read_text("utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        return []


def known_keys(current: signing.SigningKey | None = None) -> list[VerifierKey]:
    """The ledger's public keys, oldest first: the kept ones, then the current key."""
    keys = [VerifierKey.parse(line) for line in _history()]
    if current is None:
        try:
            current = signing.load()
        except signing.KeyMissing:
            return keys
    if not keys or keys[-1] != current.verifier:
        keys.append(current.verifier)
    return keys


def _body(note: str) -> CheckpointText:
    return CheckpointText.parse(note[: note.rfind("\n\n") + 1])


def transitions() -> list[Checkpoint]:
    """The key transitions the ledger signed, in tree order."""
    found = []
    for checkpoint in Checkpoint.objects.filter(note__contains="\nkey-rotation ").order_by(
        "tree_size"
    ):
        try:
            if announced_key(_body(checkpoint.note)) is not None:
                found.append(checkpoint)
        except NoteError:
            continue  # not a transition of ours; the database check names a damaged note
    return found


def chain(current: signing.SigningKey | None = None) -> KeyChain:
    """The chain of signing keys, followed from the first kept key through every transition in
    the database; NoteError when the transitions and the kept keys disagree."""
    keys = known_keys(current)
    if not keys:
        raise signing.KeyMissing(f"No ledger signing key at {signing.key_path()}.")
    followed = KeyChain.follow(keys[0], [c.note for c in transitions()])
    if followed.keys != keys:
        raise NoteError(
            f"the kept public keys ({history_path()}) are not the chain the key transitions "
            "announce"
        )
    return followed


def eras() -> list[tuple[str, int | None]]:
    """Every signing key the ledger had, oldest first, as its vkey with the tree size it signed
    up to (None for the current key): for the Audit ledger page and its API. Empty when there
    is no key, or when the chain does not hold together, which the database check reports (a
    critical alert) rather than a page guessing at it."""
    try:
        followed = chain()
    except (signing.KeyMissing, NoteError):
        return []
    sizes = [t.size for t in followed.transitions] + [None]
    return [(format_verifier(k), size) for k, size in zip(followed.keys, sizes, strict=True)]


def signing_key_after(latest: Checkpoint | None, key: signing.SigningKey) -> signing.SigningKey:
    """The key that may sign the next checkpoint: after a key transition only the announced key.
    A rotation interrupted between its commit and the rename is finished here."""
    if key.verifier in [VerifierKey.parse(line) for line in _history()[:-1]]:
        raise KeyRetired(
            f"The key at {signing.key_path()} was retired by a key rotation and must not sign "
            "again: put the current key there."
        )
    if latest is None:
        return key
    try:
        announced = announced_key(_body(latest.note))
    except NoteError:
        return key
    if announced is None or announced == key.verifier:
        return key
    pending = pending_path()
    if pending.exists():
        new = signing.load(pending)
        if new.verifier == announced:
            _put_in_place(key, new)
            return new
    raise KeyRetired(
        f"The ledger's checkpoint of {latest.tree_size} entries handed signing over to the key "
        f"{announced.name}+{announced.id.hex()}; the key at {signing.key_path()} was retired and "
        "must not sign again. Put the new key there."
    )


def problems(reason: str) -> list[str]:
    """Why a rotation cannot run now: all the reasons, not the first."""
    from . import rollback

    found = []
    if not reason.strip():
        found.append("Give a --reason: the oversight body reads it.")
    try:
        key = signing.load()
    except signing.KeyMissing as exc:
        found.append(f"{exc} There is no key to rotate.")
        key = None
    pending = pending_path()
    if pending.exists():
        found.append(
            f"{pending} exists: another rotation is under way or was interrupted before its "
            "transition was signed. Check that no rotation runs, then remove it."
        )
    if key is not None:
        try:
            chain(key)
        except NoteError as exc:
            found.append(f"The ledger's keys do not follow each other: {exc}.")
        latest = Checkpoint.objects.order_by("-tree_size").first()
        if latest is not None and not pending.exists():
            try:
                signing_key_after(latest, key)
            except KeyRetired as exc:
                found.append(str(exc))
    found += [f"Signing is stopped: {p}" for p in rollback.problems()]
    return found


def _write_history(keys: list[VerifierKey]):
    path = history_path()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(format_verifier(k) + "\n" for k in keys), encoding="utf-8")
    os.replace(tmp, path)


def _put_in_place(old: signing.SigningKey, new: signing.SigningKey):
    """Keep the old public key, then replace the old private key by the new one in one rename."""
    keys = known_keys(old)
    if new.verifier not in keys:
        keys.append(new.verifier)
    _write_history(keys)
    try:
        os.replace(pending_path(), signing.key_path())
    except FileNotFoundError:
        # A checkpoint signed meanwhile (the worker) finished the rotation first.
        if signing.load().verifier != new.verifier:
            raise


def rotate(reason: str, record) -> tuple[Checkpoint, signing.SigningKey, signing.SigningKey]:
    """Make a new key, sign the transition with both, then put the new key in place.

    `record(old, new)` writes the ledger entries and the alert, inside the transaction of the
    transition, so the transition's tree holds them. If anything fails before the commit, the
    new key file is removed and the old key goes on signing."""
    from . import checkpoints, rollback, witnesses

    found = problems(reason)
    if found:
        raise RotationRefused(found)
    old = signing.load()
    new = signing.generate(old.name, pending_path())
    try:
        with transaction.atomic():
            record(old, new)
            checkpoint = checkpoints.make_transition(old, new)
    except BaseException:
        pending_path().unlink(missing_ok=True)
        raise
    _put_in_place(old, new)
    rollback.remember(checkpoint)
    witnesses.deliver_pending_quietly()
    return checkpoint, old, new
