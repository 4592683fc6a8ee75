"""Sending every checkpoint outside the operator's reach.

Checkpoints only expose a rewritten history if copies live where the operator cannot change
them. Each configured witness gets every checkpoint with a consistency proof from the last one
it accepted:

- an HTTPS witness receives a C2SP tlog-witness `add-checkpoint` request
  (`old <size>`, the proof hashes in base64, a blank line, the signed checkpoint); it answers
  409 with its own size when it holds a different one, 422 when the proof fails;
- a folder receives `checkpoint.<size>` and `consistency.<old>.<size>` files, which
  `python verify.py witness FOLDER --vkey FILE` checks on the collecting side.

A witness that holds a key of its own answers each accepted checkpoint with its cosignature
(C2SP tlog-cosignature), kept on the delivery and carried by every bundle of that checkpoint
(ledger/cosigned.py). Failed deliveries are retried by the worker; a witness that finds a
checkpoint inconsistent alerts the oversight body and the program director at once."""

import base64
import datetime as dt
import logging
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.alerts.services import notify

from . import cosigned, tree
from .models import Checkpoint, Delivery, Witness

TIMEOUT_SECONDS = 10
log = logging.getLogger("homecoming.witnesses")


class Refused(Exception):
    """The witness answered that the checkpoint does not extend what it holds."""


def configured() -> list[Witness]:
    return [Witness.objects.get_or_create(address=a)[0] for a in settings.HOMECOMING_WITNESSES]


def schedule(checkpoint: Checkpoint):
    now = timezone.now()
    for witness in configured():
        Delivery.objects.get_or_create(
            checkpoint=checkpoint, witness=witness, defaults={"next_attempt_at": now}
        )


def _is_url(address: str) -> bool:
    return address.startswith(("https://", "http://"))


def _write_atomically(path: Path, text: str):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _to_folder(folder: Path, old: int, checkpoint: Checkpoint, proof: list[bytes]):
    folder.mkdir(parents=True, exist_ok=True)
    if old:
        lines = "".join(h.hex() + "\n" for h in proof)
        _write_atomically(folder / f"consistency.{old}.{checkpoint.tree_size}", lines)
    _write_atomically(folder / f"checkpoint.{checkpoint.tree_size}", checkpoint.note)


def _post(url: str, old: int, checkpoint: Checkpoint, proof: list[bytes]) -> tuple[int, str]:
    body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    body += "\n" + checkpoint.note
    request = urllib.request.Request(
        url.rstrip("/") + "/add-checkpoint",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _to_url(witness: Witness, checkpoint: Checkpoint) -> tuple[int, str]:
    """The tree size the witness now holds, and its cosignature of this checkpoint if it
    gave one."""
    old = witness.size
    for _ in range(2):  # a 409 tells us the witness's size; one retry from there
        proof = tree.consistency(old, checkpoint.tree_size)
        status, text = _post(witness.address, old, checkpoint, proof)
        if status == 200:
            return checkpoint.tree_size, cosigned.well_formed(text)
        if status == 409 and text.strip().isdigit() and int(text) <= checkpoint.tree_size:
            old = int(text)
            continue
        if (
            status == 409
            and text.strip().isdigit()
            and Checkpoint.objects.filter(tree_size=int(text)).exists()
        ):
            return int(text), ""  # it already holds a later checkpoint of ours
        if status == 409:
            raise Refused(f"holds a tree of {text.strip()}, which this ledger never signed")
        if status == 422:
            raise Refused(f"could not verify the consistency proof: {text.strip()[:200]}")
        raise OSError(f"answered HTTP {status}: {text.strip()[:200]}")
    raise OSError("kept answering 409")


def _accepted(witness: Witness, size: int):
    """Record what the witness holds; never backwards (deliveries may run side by side)."""
    Witness.objects.filter(pk=witness.pk, size__lt=size).update(size=size)
    witness.size = max(witness.size, size)


def deliver(delivery: Delivery):
    witness, checkpoint = delivery.witness, delivery.checkpoint
    if checkpoint.tree_size <= witness.size:
        return  # it already holds this tree or a later one of ours, which extends it
    if _is_url(witness.address):
        accepted, delivery.cosignature = _to_url(witness, checkpoint)
    else:
        folder = Path(witness.address.removeprefix("dir:"))
        proof = tree.consistency(witness.size, checkpoint.tree_size)
        _to_folder(folder, witness.size, checkpoint, proof)
        accepted = checkpoint.tree_size
    _accepted(witness, accepted)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(60, attempts * attempts))


def _claim(delivery: Delivery) -> bool:
    """Take a due delivery for a while, so two processes never send it side by side. A plain
    compare-and-set UPDATE: no lock is held while talking to the witness."""
    hold = timezone.now() + dt.timedelta(seconds=TIMEOUT_SECONDS * 6)
    taken = Delivery.objects.filter(
        pk=delivery.pk, delivered_at__isnull=True, next_attempt_at=delivery.next_attempt_at
    ).update(next_attempt_at=hold)
    return taken == 1


def deliver_pending() -> tuple[int, int]:
    """Try every delivery that is due, oldest checkpoint first; return (sent, failed)."""
    sent = failed = 0
    due = (
        Delivery.objects.filter(delivered_at__isnull=True, next_attempt_at__lte=timezone.now())
        .select_related("witness", "checkpoint")
        .order_by("witness_id", "checkpoint__tree_size")
    )
    for delivery in due:
        if not _claim(delivery):
            continue
        delivery.witness.refresh_from_db()
        delivery.attempts += 1
        refused_before = delivery.refused
        try:
            deliver(delivery)
        except Refused as exc:
            failed += 1
            delivery.last_error = f"REFUSED: {exc}"
            delivery.next_attempt_at = timezone.now() + _backoff(delivery.attempts)
            if not refused_before:  # alarm once, not at every retry
                _alarm(delivery, str(exc))
        except Exception as exc:  # one broken witness must not stop the others
            log.warning("delivery of %s failed: %s", delivery, exc)
            failed += 1
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            delivery.next_attempt_at = timezone.now() + _backoff(delivery.attempts)
        else:
            sent += 1
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
        fields = ["attempts", "last_error", "next_attempt_at", "delivered_at", "cosignature"]
        delivery.save(update_fields=fields)
    return sent, failed


def deliver_pending_quietly():
    """Right after a checkpoint commits: try at once, but never fail the signing for it (the
    worker retries)."""
    try:
        deliver_pending()
    except Exception:
        log.exception("delivering checkpoints failed; the worker will retry")


def _alarm(delivery: Delivery, reason: str):
    message = (
        f"Witness {delivery.witness.address} refused ledger checkpoint "
        f"{delivery.checkpoint.tree_size}: {reason}. The ledger's history may have been rewritten."
    )
    people = get_user_model().objects.filter(
        is_active=True, role__in=(Role.OVERSIGHT, Role.PROGRAM_DIRECTOR)
    )
    with transaction.atomic():  # one event: whoever acknowledges first stops its escalation
        notify(people, kind="ledger", message=message)
