"""Writing ledger bundles for investigators: `homecoming ledger export -o DIR`.

A bundle is written into a temporary folder beside DIR and renamed into place at the end, so an
interrupted export leaves nothing half-written. Formats are in docs/ledger.md; verify.py checks
them offline."""

import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from . import cosigned, rotation, signing, tree
from .canonical import canonical_json
from .checkpoints import make_checkpoint
from .models import Entry, Version, about
from .verify import Checkpoint, NoteError, format_verifier

BATCH = 5000


class ExportError(Exception):
    pass


def _entries_ndjson(path: Path, entries) -> set[str]:
    """One leaf's canonical bytes per line; returns the version hashes they commit to."""
    referenced = set()
    with path.open("wb") as f:
        for entry in entries.iterator(chunk_size=BATCH):
            f.write(canonical_json(entry.leaf()) + b"\n")
            if entry.version_sha256:
                referenced.add(entry.version_sha256)
    return referenced


def _versions_of_rows_written(entries) -> set[str]:
    """Every version of every row the entries wrote: a read commits to the resident's record,
    not to each row shown (a look is one entry), so a version planted behind the ledger on one
    of those rows is found by being in the bundle with no entry inside the tree that wrote it."""
    rows = set(
        entries.exclude(version_sha256="")
        .exclude(object_type="")
        .values_list("object_type", "object_id")
    )
    hashes = set()
    by_type: dict[str, list[str]] = {}
    for object_type, object_id in rows:
        by_type.setdefault(object_type, []).append(object_id)
    for object_type, ids in by_type.items():
        for i in range(0, len(ids), BATCH):
            hashes.update(
                Version.objects.filter(
                    object_type=object_type, object_id__in=ids[i : i + BATCH]
                ).values_list("sha256", flat=True)
            )
    return hashes


def _versions_ndjson(path: Path, hashes: set[str] | None):
    """The record versions the entries commit to (all of them for a full bundle)."""
    if hashes is None:
        batches = [Version.objects.order_by("pk")]
    else:  # in slices: databases limit how many values one IN (...) may hold
        wanted = sorted(hashes)
        batches = [
            Version.objects.filter(sha256__in=wanted[i : i + BATCH]).order_by("pk")
            for i in range(0, len(wanted), BATCH)
        ]
    seen = set()
    with path.open("wb") as f:
        for v in (v for batch in batches for v in batch.iterator(chunk_size=BATCH)):
            if v.sha256 in seen:
                continue  # the same content saved twice commits to one hash
            seen.add(v.sha256)
            f.write(
                canonical_json(
                    {
                        "object_type": v.object_type,
                        "object_id": v.object_id,
                        "seq": v.seq,
                        "sha256": v.sha256,
                        "content": v.content,
                    }
                )
                + b"\n"
            )


def export(
    out: Path, resident_id: int | None = None, since: str | None = None, on_disclose=None
) -> dict:
    """Write a bundle to `out` (which must not exist yet); return a summary. `on_disclose`
    is called with the ids of the residents whose data the bundle holds, before it is put in
    place (the command line writes one ledger entry per resident there): if it fails, nothing
    is left behind."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} exists and is not empty; choose a new folder.")
    if resident_id is not None and since is not None:
        raise ExportError("Choose either --resident or --since-checkpoint, not both.")
    key = signing.load()
    checkpoint = make_checkpoint(key)
    key = signing.load()  # the one that signed it (a rotation interrupted is finished there)
    size = checkpoint.tree_size
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=out.parent))
    try:
        (work / "checkpoint").write_text(cosigned.collect(checkpoint), encoding="utf-8")
        (work / "vkey").write_text(key.vkey + "\n", encoding="utf-8")
        _transitions(work, key, size)
        entries = Entry.objects.filter(seq__lt=size).order_by("seq")
        if resident_id is not None:
            entries = entries.filter(about(resident_id))
            if not entries.exists():
                raise ExportError(f"The ledger holds no entry about resident #{resident_id}.")
            _entries_ndjson(work / "entries.ndjson", entries)
            referenced = _versions_of_rows_written(entries)
            with (work / "proofs.ndjson").open("wb") as f:
                for seq in entries.values_list("seq", flat=True).iterator(chunk_size=BATCH):
                    proof = [h.hex() for h in tree.inclusion(seq, size)]
                    f.write(canonical_json({"seq": seq, "proof": proof}) + b"\n")
            _versions_ndjson(work / "versions.ndjson", referenced)
            kind = "resident"
            disclosed = [resident_id]
        elif since is not None:
            start = _older(since, key)
            frontier = tree.frontier(start.size)
            (work / "previous").write_text(since, encoding="utf-8")
            (work / "range.json").write_text(
                json.dumps({"size": start.size, "hashes": [h.hex() for h in frontier.hashes]})
            )
            referenced = _entries_ndjson(
                work / "entries.ndjson", entries.filter(seq__gte=start.size)
            )
            _versions_ndjson(work / "versions.ndjson", referenced)
            kind = "since"
            disclosed = _residents(entries.filter(seq__gte=start.size))
        else:
            _entries_ndjson(work / "entries.ndjson", entries)
            _versions_ndjson(work / "versions.ndjson", None)
            kind = "full"
            disclosed = _residents(entries)
        if on_disclose is not None:
            on_disclose(disclosed)
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return {"kind": kind, "tree_size": size, "folder": str(out), "residents": len(disclosed)}


def _transitions(work: Path, key, size: int):
    """After key rotations: each transition (the retiring key's last checkpoint, announcing the
    next key), the retiring key, and a consistency proof from its tree to the bundle's, so a
    reader holding any one of the keys follows the chain and sees that the bundle's tree extends
    every retired key's last one."""
    chain = rotation.chain(key)
    if not chain.transitions:
        return
    lines = []
    for old, checkpoint in zip(chain.keys, rotation.transitions(), strict=False):
        lines.append(
            canonical_json(
                {
                    "key": format_verifier(old),
                    "note": checkpoint.note,
                    "consistency": [h.hex() for h in tree.consistency(checkpoint.tree_size, size)],
                }
            )
            + b"\n"
        )
    (work / "transitions.ndjson").write_bytes(b"".join(lines))


def _residents(entries) -> list[int]:
    """The residents the bundle's entries are about: the versions they commit to hold those
    residents' records (a full bundle's other versions are staff and center rows)."""
    ids = entries.filter(resident_id__isnull=False).values_list("resident_id", flat=True)
    return sorted(set(ids.order_by().distinct()))


def _older(note: str, key) -> Checkpoint:
    try:
        return rotation.chain(key).open(note)
    except NoteError as exc:
        raise ExportError(f"The older checkpoint is not one of this ledger's: {exc}") from exc


EVIDENCE_README = """An evidence bundle of the Homecoming audit ledger.

scope.json      the residents (record numbers) and members of staff (account numbers) in scope
entries.ndjson  every entry of the ledger up to the checkpoint: identifiers, codes and hashes
                only, so that nothing in scope can have been left out
versions.ndjson the record versions the entries about the residents in scope commit to: their
                records, exactly as written
checkpoint      the signed tree head the entries hash to, followed by the cosignatures of the
                witnesses that accepted it
vkey            the ledger's public key (check it against the one the oversight body keeps)
transitions.ndjson  only after the ledger's key was changed: each retiring key's last
                checkpoint, announcing the next key and signed by both; your copy of any of the
                keys (--vkey) is enough

Check it offline:  python verify.py THIS.zip --vkey YOUR-COPY-OF-THE-VKEY
Against a checkpoint kept earlier (by you, a resident, a lawyer, the oversight body), so that a
history rewritten since is caught, and with the witnesses' own keys:
                   python verify.py THIS.zip --previous KEPT-CHECKPOINT --witness WITNESS.vkey
(verify.py is the one file homecoming/ledger/verify.py; it needs Python and `cryptography`.)
"""


def evidence(resident_ids, actor_ids) -> tuple[bytes, dict]:
    """An investigator's evidence bundle as a .zip: the whole ledger's entries up to a fresh
    checkpoint (completeness), with the versions of the entries about the residents in scope,
    and the scope itself. Returns the archive and a summary."""
    key = signing.load()
    checkpoint = make_checkpoint(key)
    key = signing.load()  # the one that signed it (a rotation interrupted is finished there)
    size = checkpoint.tree_size
    residents, actors = sorted(set(resident_ids)), sorted(set(actor_ids))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        entries = Entry.objects.filter(seq__lt=size).order_by("seq")
        _entries_ndjson(work / "entries.ndjson", entries)
        referenced = _versions_of_rows_written(entries.filter(resident_id__in=residents))
        _versions_ndjson(work / "versions.ndjson", referenced)
        (work / "scope.json").write_text(
            json.dumps({"residents": residents, "actors": actors}, sort_keys=True)
        )
        (work / "checkpoint").write_text(cosigned.collect(checkpoint), encoding="utf-8")
        (work / "vkey").write_text(key.vkey + "\n", encoding="utf-8")
        _transitions(work, key, size)
        (work / "README.txt").write_text(EVIDENCE_README, encoding="utf-8")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name in sorted(p.name for p in work.iterdir()):
                z.write(work / name, arcname=f"evidence/{name}")
    return buffer.getvalue(), {
        "tree_size": size,
        "residents": residents,
        "actors": actors,
        "versions": len(referenced),
    }
