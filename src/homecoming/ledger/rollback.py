"""Rollback detection: the ledger remembers, outside the database, the largest tree it signed.

A database administrator who restores an old backup (or an old snapshot of the disk the
database lives on) rewinds the ledger with it: every entry written since is gone, and nothing
inside the database can tell. So after each checkpoint commits, its tree size and root are
written to a state file beside the signing key (HOMECOMING_LEDGER_KEY's folder, which a database
restore does not reach), and folder witnesses hold every checkpoint delivered to them. Before
each checkpoint, at worker start, after a restore and in `ledger verify --database`, the
database's ledger is compared with those records:

- a record larger than the database's ledger, or whose root the database's first entries no
  longer hash to (the DBA restored an old backup and wrote new entries past the recorded size),
  is a rollback: signing is refused (a checkpoint now would sign a history that diverges from
  one already signed), and the oversight body and the program director are alerted, with a
  ledger entry in the database as it stands;
- a record the database's ledger extends (checked with a consistency proof from ledger/tree.py
  against the recorded root) is fine.

Limits: whoever can delete the state file and restore the database at once is not stopped by
the file alone; the witnesses (which the operator does not control) still hold the larger tree,
and refuse the next checkpoint. Without witnesses, nothing outside the operator's reach remains.
"""

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from . import signing, tree
from .models import Checkpoint, Entry, Head
from .verify import (
    EMPTY_ROOT,
    CompactRange,
    NoteError,
    ProofError,
    verify_consistency,
)

ACTION = "ledger.rollback_detected"


class RollbackDetected(Exception):
    """The database's ledger is behind, or beside, a tree this ledger signed before."""


@dataclass(frozen=True)
class Signed:
    """A tree this ledger signed, as remembered somewhere the database does not reach."""

    size: int
    root: bytes
    where: str


def state_path() -> Path:
    key = signing.key_path()
    return key.with_name(key.stem + ".state")


def _read() -> dict | None:
    path = state_path()
    try:
        data = json.loads(path.read_text("utf-8"))
        int(data["tree_size"]), bytes.fromhex(data["root"])
        for gone in data.get("accepted", []):
            int(gone["tree_size"]), bytes.fromhex(gone["root"])
        return data
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RollbackDetected(
            f"the ledger's state file {path} is unreadable ({exc}): it was damaged or replaced"
        ) from exc


def read_state() -> Signed | None:
    data = _read()
    if data is None:
        return None
    return Signed(int(data["tree_size"]), bytes.fromhex(data["root"]), str(state_path()))


def _accepted() -> set[tuple[int, bytes]]:
    """Trees declared lost with `ledger accept-rollback` (their witnesses keep them)."""
    try:
        data = _read() or {}
    except RollbackDetected:
        return set()
    return {(int(g["tree_size"]), bytes.fromhex(g["root"])) for g in data.get("accepted", [])}


def _write(body: dict):
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ledger-state-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(body, indent=2) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _body(checkpoint: Checkpoint | None, accepted) -> dict:
    body = {"tree_size": 0, "root": EMPTY_ROOT.hex(), "signed_at": None, "note": None}
    if checkpoint is not None:
        body = {
            "tree_size": checkpoint.tree_size,
            "root": bytes(checkpoint.root).hex(),
            "signed_at": checkpoint.created_at.astimezone(dt.UTC).isoformat(),
            "note": checkpoint.note,
        }
    if accepted:
        body["accepted"] = [{"tree_size": n, "root": r.hex()} for n, r in sorted(accepted)]
    return body


def remember(checkpoint: Checkpoint):
    """Record a committed checkpoint in the state file; never backwards (writers race)."""
    try:
        known = read_state()
    except RollbackDetected:
        known = None  # a damaged file is reported by check(); do not stop signing for it twice
    if known is not None and known.size >= checkpoint.tree_size:
        return
    _write(_body(checkpoint, _accepted()))


def _witnessed() -> list[Signed]:
    """The largest checkpoint each folder witness holds, signed by this ledger's key.
    (An HTTPS witness answers for itself: it refuses a checkpoint that does not extend its own.)"""
    found = []
    from . import rotation

    try:
        keys = rotation.chain()
    except (signing.KeyMissing, NoteError):
        return found
    for address in settings.HOMECOMING_WITNESSES:
        if address.startswith(("https://", "http://")):
            continue
        folder = Path(address.removeprefix("dir:"))
        sizes = [int(p.name[11:]) for p in folder.glob("checkpoint.*") if p.name[11:].isdigit()]
        for size in sorted(sizes, reverse=True):
            try:
                note = (folder / f"checkpoint.{size}").read_text("utf-8")
                checkpoint = keys.open(note)
            except (OSError, NoteError):
                continue  # not ours, or not signed: proves nothing
            if (checkpoint.size, checkpoint.root) not in _accepted():
                found.append(Signed(checkpoint.size, checkpoint.root, f"witness {address}"))
            break
    return found


def _root_at(size: int, latest: Checkpoint | None) -> bytes | None:
    """The root of the database's first `size` entries, from the latest checkpoint's stored
    range (None when the database holds fewer entries)."""
    start = CompactRange()
    if latest is not None:
        start = CompactRange(latest.tree_size, [bytes.fromhex(h) for h in latest.frontier])
    leaves = (
        Entry.objects.filter(seq__gte=start.size, seq__lt=size)
        .order_by("seq")
        .values_list("seq", "leaf_hash")
    )
    for seq, h in leaves.iterator(chunk_size=5000):
        if seq != start.size:
            return None
        start.append(bytes(h))
    return start.root() if start.size == size else None


def compare(signed: Signed) -> str | None:
    """Why the database's ledger does not extend `signed` (None: it does)."""
    latest = tree.latest_checkpoint()
    if latest is not None and latest.tree_size >= signed.size:
        try:
            proof = tree.consistency(signed.size, latest.tree_size)
            verify_consistency(
                signed.size, latest.tree_size, signed.root, bytes(latest.root), proof
            )
            return None
        except (ProofError, LookupError, ValueError) as exc:
            why = f"its checkpoint of {latest.tree_size} does not extend it ({exc})"
    else:
        head = Head.objects.values_list("size", flat=True).get(pk=1)
        if head < signed.size:
            why = "the database's ledger holds fewer entries"
        elif _root_at(signed.size, latest) != signed.root:
            why = f"the database's first {signed.size} entries hash to a different root"
        else:
            return None  # grown past the record with the same history: not yet re-signed
    return (
        f"This ledger signed a tree of {signed.size} entries (recorded in {signed.where}), but "
        f"{why}: the database was rolled back or rewritten, e.g. an older backup restored"
    )


def problems() -> list[str]:
    """Every record of a signed tree the database's ledger fails to extend."""
    try:
        records = [s for s in [read_state()] if s is not None]
    except RollbackDetected as exc:
        return [str(exc)]
    records += _witnessed()
    found = []
    for signed in records:
        why = compare(signed)
        if why and why not in found:
            found.append(why)
    return found


def alarm(found: list[str]):
    """A critical alert to the oversight body and the program director, and a ledger entry;
    once per finding (the worker checks at every round)."""
    from homecoming.access.policy import Purpose
    from homecoming.accounts.models import Role
    from homecoming.alerts.models import Alert
    from homecoming.alerts.services import notify_role

    from . import services as ledger

    message = "Ledger rollback: " + " ".join(found) + ". No checkpoint is signed until resolved."
    with transaction.atomic():
        if Alert.objects.filter(kind="ledger", message=message).exists():
            return
        for role in (Role.OVERSIGHT, Role.PROGRAM_DIRECTOR):
            notify_role(role, kind="ledger", message=message)
        ledger.append(
            None, ACTION, ledger.Target(object_type="ledger.state"), purpose=Purpose.OPERATIONS
        )


def guard():
    """Before signing: refuse (and alarm) if signing now would diverge from a signed tree."""
    found = problems()
    if found:
        alarm(found)
        raise RollbackDetected("; ".join(found))


def check_and_alarm() -> list[str]:
    """At worker start and after a restore: alarm, but let the caller go on."""
    found = problems()
    if found:
        alarm(found)
    return found


def accept(reason: str, actor=None) -> list[str]:
    """After a real loss (the database restored from the last backup there was), the program
    director and the oversight body decide to carry on from the restored ledger: the trees it
    does not extend are recorded as accepted losses in the state file, which then starts again
    from the database's latest checkpoint. Loud by design: a ledger entry, and an alert to both
    with the reason. The witnesses keep the lost tree; an HTTPS witness goes on refusing the
    diverging checkpoints, which is for the oversight body to see."""
    from homecoming.access.policy import Purpose
    from homecoming.accounts.models import Role
    from homecoming.alerts.services import notify_role

    from . import services as ledger

    try:
        records = [s for s in [read_state()] if s is not None]
    except RollbackDetected:
        records = []  # a damaged state file is replaced
    records += _witnessed()
    lost = [r for r in records if compare(r)]
    found = problems()
    if not found:
        return []
    accepted = _accepted() | {(r.size, r.root) for r in lost}
    latest = tree.latest_checkpoint()
    message = (
        f"Ledger rollback accepted ({reason}): {' '.join(found)}. Signing resumes from the "
        f"restored ledger's checkpoint of {latest.tree_size if latest else 0} entries."
    )
    with transaction.atomic():
        for role in (Role.OVERSIGHT, Role.PROGRAM_DIRECTOR):
            notify_role(role, kind="ledger", message=message)
        ledger.append(
            actor,
            "ledger.rollback_accepted",
            ledger.Target(
                object_type="ledger.state", object_id=str(max((r.size for r in lost), default=0))
            ),
            purpose=Purpose.OPERATIONS,
        )
    _write(_body(latest, accepted))
    return found
