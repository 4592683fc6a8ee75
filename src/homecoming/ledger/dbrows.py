"""The record rows against their versions, for `ledger verify --database` (ledger/dbcheck.py).

A version counts only if the ledger entry with its sequence number wrote it: that entry names
the same row and commits to the version's SHA-256, and the version's content still hashes to
it. (The entries themselves are checked against their leaf hashes and the signed roots by
dbcheck.) A database administrator who drops a trigger, edits a row and inserts a matching
version with a made-up sequence number is named here, with the table and the row.

Then every ledgered table is compared both ways with the latest version that counts:
- each live row of a versioned model (`ledger_versioned = True`) has that version, and its
  content is the row's;
- each row whose latest version counts still exists: nothing ledgered is deleted (no service
  deletes a ledgered row, and the database refuses it), so a missing row was deleted behind
  the application.
Tables versioned only for some changes (alerts: acknowledged, closed or escalated ones) are
checked for the rows that have a version, leaving out the fields the model lists in
`ledger_unversioned_fields` (an alert's e-mail bookkeeping)."""

import json

from django.apps import apps

from .canonical import canonical_json, sha256_hex, snapshot
from .models import Entry, Head, Version

BATCH = 5000
# {object_type: {object_id: (seq, sha256)}}: each row's latest version that counts.
Latest = dict[str, dict[str, tuple[int, str]]]


def versioned_models():
    return [m for m in apps.get_models() if getattr(m, "ledger_versioned", False)]


def latest_counted(problems: list[str], limit: int) -> Latest:
    """Every version checked against the entry with its number (one pass over both tables in
    sequence order); a version that does not count is named and left out."""
    head = Head.objects.values_list("size", flat=True).get(pk=1)
    writers = (
        Entry.objects.exclude(version_sha256="")
        .order_by("seq")
        .values_list("seq", "object_type", "object_id", "version_sha256")
        .iterator(chunk_size=BATCH)
    )
    versions = (
        Version.objects.order_by("seq")
        .values_list("seq", "object_type", "object_id", "sha256", "content")
        .iterator(chunk_size=BATCH)
    )
    latest: Latest = {}
    entry = next(writers, None)
    for seq, object_type, object_id, sha, content in versions:
        while entry is not None and entry[0] < seq:
            entry = next(writers, None)
        why = _why_not_counted(seq, (object_type, object_id, sha), entry, content, head)
        if why is None:
            latest.setdefault(object_type, {})[object_id] = (seq, sha)
        elif len(problems) < limit:
            problems.append(f"{object_type} #{object_id} {why}")
    return latest


def _why_not_counted(seq, claimed, entry, content, head) -> str | None:
    if entry is None or entry[0] != seq:
        # No count in the words: the same problem is alerted once (ledger/dbwatch.py), and
        # the ledger grows between two checks.
        where = "beyond the ledger's last entry" if seq >= head else "no entry wrote it"
        return (
            f"has a version numbered #{seq} ({where}): it was planted behind the application "
            "and does not count"
        )
    if tuple(entry[1:]) != claimed:
        return (
            f"has a version numbered #{seq} that entry #{seq} does not commit to: it was planted "
            "behind the application and does not count"
        )
    if sha256_hex(content.encode("utf-8")) != claimed[2]:
        return (
            f"has a version written by entry #{seq} whose content was altered (it no longer "
            "hashes to what the entry commits to)"
        )
    return None


def check_rows(problems: list[str], latest: Latest, limit: int) -> int:
    """Compare every ledgered table with its latest versions, both ways; return rows read."""
    rows = 0
    latest = dict(latest)
    for model in versioned_models():
        rows += _fully_versioned(problems, model, latest.pop(model._meta.label_lower, {}), limit)
        if len(problems) >= limit:
            return rows
    for label, known in sorted(latest.items()):
        rows += _partly_versioned(problems, label, known, limit)
        if len(problems) >= limit:
            break
    return rows


def _fully_versioned(problems, model, known, limit) -> int:
    label = model._meta.label_lower
    exclude = getattr(model, "ledger_exclude", ())
    seen, rows = set(), 0
    for row in model._base_manager.order_by("pk").iterator(chunk_size=BATCH):
        rows += 1
        key = str(row.pk)
        seen.add(key)
        latest = known.get(key)
        actual = sha256_hex(canonical_json(snapshot(row, exclude=exclude)))
        if latest is None:
            problems.append(
                f"{label} #{row.pk} has no recorded version: it was written outside the application"
            )
        elif latest[1] != actual:
            problems.append(
                f"{label} #{row.pk} differs from its latest recorded version (written by "
                f"entry #{latest[0]}): it was changed outside the application"
            )
        if len(problems) >= limit:
            return rows
    _deleted(problems, label, known, known.keys() - seen, limit)
    return rows


def _deleted(problems, label, known, missing, limit):
    for object_id in sorted(missing, key=lambda i: known[i][0]):
        if len(problems) >= limit:
            return
        problems.append(
            f"{label} #{object_id} was deleted outside the application: its latest recorded "
            f"version (written by entry #{known[object_id][0]}) has no row"
        )


def _partly_versioned(problems, label, known, limit) -> int:
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        problems.append(f"the ledger holds versions of {label}, which no table here holds")
        return 0
    exclude = set(getattr(model, "ledger_exclude", ()))
    unversioned = set(getattr(model, "ledger_unversioned_fields", ()))
    ids, rows, seen = sorted(known, key=lambda i: known[i][0]), 0, set()
    for at in range(0, len(ids), BATCH):
        batch = ids[at : at + BATCH]
        contents = dict(
            Version.objects.filter(seq__in=[known[i][0] for i in batch]).values_list(
                "seq", "content"
            )
        )
        for row in model._base_manager.filter(pk__in=batch):
            rows += 1
            key = str(row.pk)
            seen.add(key)
            seq, sha = known[key]
            actual = snapshot(row, exclude=exclude)
            if unversioned:
                recorded = json.loads(contents[seq])
                for name in unversioned:
                    actual["fields"].pop(name, None)
                    recorded["fields"].pop(name, None)
                same = canonical_json(actual) == canonical_json(recorded)
            else:
                same = sha256_hex(canonical_json(actual)) == sha
            if not same and len(problems) < limit:
                problems.append(
                    f"{label} #{row.pk} differs from its latest recorded version (written by "
                    f"entry #{seq}): it was changed outside the application"
                )
    _deleted(problems, label, known, known.keys() - seen, limit)
    return rows
