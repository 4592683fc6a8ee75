"""A checkpoint with its witnesses' cosignatures: what bundles and the resident's page hand out.

The ledger's own signature says only that the operator's key signed a tree. A witness's
cosignature (C2SP tlog-cosignature) says that someone outside the operator's reach checked that
tree against every one it had accepted before; the operator cannot make one without the
witness's key. So every bundle's `checkpoint` file, and the checkpoint a resident downloads to
keep, is the signed note with the cosignature lines the witnesses answered appended: a C2SP
signed note with more than one signature, which verify.py opens with the ledger's key and checks
against the witnesses' keys it is given (`--witness`)."""

import base64
from dataclasses import dataclass

from .models import Checkpoint, Delivery
from .verify import EM_DASH, NoteError, signature_lines

COSIGNATURE_BYTES = 4 + 8 + 64  # key ID, timestamp, Ed25519 signature


def well_formed(text: str) -> str:
    """The lines of a witness's answer that have a cosignature's shape; the rest is dropped
    (an answer is the witness's to give, but a bundle holds nothing that is not a signature)."""
    kept = []
    for line in text.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH or not parts[1]:
            continue
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except ValueError:
            continue
        if len(blob) == COSIGNATURE_BYTES:
            kept.append(line + "\n")
    return "".join(kept)


def note(checkpoint: Checkpoint) -> str:
    """The checkpoint's signed note followed by every cosignature its witnesses gave."""
    lines = (
        Delivery.objects.filter(checkpoint=checkpoint, delivered_at__isnull=False)
        .exclude(cosignature="")
        .order_by("witness__address")
        .values_list("cosignature", flat=True)
    )
    extra = "".join(well_formed(text) for text in lines)
    return checkpoint.note + "".join(
        line + "\n" for line in dict.fromkeys(extra.splitlines()) if line not in checkpoint.note
    )


def collect(checkpoint: Checkpoint) -> str:
    """Before a bundle leaves: deliver this checkpoint to the witnesses now if it still waits
    (the bundle should carry their cosignatures, not only the next one), then its note."""
    from . import witnesses

    waiting = Delivery.objects.filter(checkpoint=checkpoint, delivered_at__isnull=True)
    if waiting.exists():
        witnesses.deliver_pending_quietly()
    return note(checkpoint)


@dataclass(frozen=True)
class Shown:
    """A cosignature as the resident's page shows it (unchecked: the reader's tools check)."""

    witness: str
    time: int


def shown(cosigned_note: str, log_name: str) -> list[Shown]:
    try:
        _, lines = signature_lines(cosigned_note)
    except NoteError:
        return []
    return [
        Shown(name, int.from_bytes(blob[4:12], "big"))
        for name, blob in lines
        if name != log_name and len(blob) == COSIGNATURE_BYTES
    ]
