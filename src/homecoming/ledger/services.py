"""Writing to the ledger: every access to resident data ends here, inside the caller's transaction.

`append` must be called inside the same transaction as the work it records (services open one);
because the head row is locked until that transaction ends, sequence numbers are handed out in
commit order and a rolled-back write takes its entry with it: no gaps, no orphans.
"""

import functools
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .canonical import canonical_json, sha256_hex, snapshot
from .models import Entry, Outcome, Version
from .verify import leaf_hash


@dataclass(frozen=True)
class Target:
    """What an entry is about: a resident (or none) and the record object touched."""

    resident_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    version_sha256: str = ""

    @classmethod
    def of(cls, instance, resident_id=None, version_sha256=""):
        return cls(
            resident_id=resident_id,
            object_type=instance._meta.label_lower,
            object_id=str(instance.pk),
            version_sha256=version_sha256,
        )


def role_of(actor) -> str:
    if actor is None:
        return "system"
    if not getattr(actor, "is_authenticated", False):
        return "anonymous"
    return actor.role


def _claim(count: int) -> int:
    """Take `count` sequence numbers; return the first. The UPDATE locks the head row until
    our transaction ends, which is what keeps the ledger gap-free and in commit order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_head SET size = size + %s WHERE id = 1 RETURNING size", [count]
        )
        return cursor.fetchone()[0] - count


@functools.cache
def _insert_sql(model):
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.auto_created)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    return fields, f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"


def _insert(model, rows):
    """INSERT rows of a ledger table in one statement, with the model's own field conversions.

    Written by hand because this runs inside every audited write: the ORM's create() and
    bulk_create() cost more per row than the INSERT itself, which made the audit trail double
    the price of a write (bench/ledger.py). Columns and conversions still come from the model,
    so the table has one definition."""
    fields, sql = _insert_sql(model)
    values = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def append_many(actor, action, targets, *, purpose, outcome=Outcome.ALLOWED) -> list[Entry]:
    """Append one entry per target, all with the same actor, action and purpose."""
    targets = list(targets)
    if not targets:
        return []
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    role = role_of(actor)
    with transaction.atomic(savepoint=False):  # no SAVEPOINT round trips: it all commits or not
        first = _claim(len(targets))
        now = timezone.now()
        entries = [
            Entry(
                seq=first + i,
                time=now,
                actor_id=actor_id,
                actor_role=role,
                action=action,
                resident_id=t.resident_id,
                object_type=t.object_type,
                object_id=t.object_id,
                purpose=purpose,
                outcome=outcome,
                version_sha256=t.version_sha256,
            )
            for i, t in enumerate(targets)
        ]
        for entry in entries:
            entry.leaf_hash = leaf_hash(canonical_json(entry.leaf()))
        _insert(Entry, entries)
    return entries


def append(actor, action, target=Target(), *, purpose, outcome=Outcome.ALLOWED) -> Entry:
    return append_many(actor, action, [target], purpose=purpose, outcome=outcome)[0]


def record_write(
    actor, action, instance, *, resident_id, purpose, outcome=Outcome.ALLOWED
) -> Entry:
    """A write of a record row: its new version, and the entry that commits to it (call right
    after saving the row, inside the same transaction). A refused attempt whose details are
    worth keeping (a stopped dose) is a row of its own, written with outcome DENIED."""
    content = canonical_json(snapshot(instance, exclude=getattr(instance, "ledger_exclude", ())))
    sha = sha256_hex(content)
    with transaction.atomic(savepoint=False):  # no SAVEPOINT round trips: it all commits or not
        entry = append(
            actor,
            action,
            Target.of(instance, resident_id=resident_id, version_sha256=sha),
            purpose=purpose,
            outcome=outcome,
        )
        _insert(
            Version,
            [
                Version(
                    object_type=entry.object_type,
                    object_id=entry.object_id,
                    seq=entry.seq,
                    time=entry.time,
                    actor_id=entry.actor_id,
                    content=content.decode("utf-8"),
                    sha256=sha,
                    resident_id=entry.resident_id,
                )
            ],
        )
    return entry


def current_version_hashes(object_type: str, object_ids) -> dict[str, str]:
    """The latest version hash of each row, in one query: what a read commits to."""
    ids = [str(i) for i in object_ids]
    latest = {}
    rows = (
        Version.objects.filter(object_type=object_type, object_id__in=ids)
        .order_by("object_id", "seq")
        .values_list("object_id", "sha256")
    )
    for object_id, sha in rows:
        latest[object_id] = sha  # ordered by seq, so the last one wins
    return latest


def record_reads(actor, action, instances, *, resident_of, purpose) -> list[Entry]:
    """Reads of record rows: one entry each, committing to the version that was read."""
    instances = list(instances)
    if not instances:
        return []
    object_type = instances[0]._meta.label_lower
    hashes = current_version_hashes(object_type, [i.pk for i in instances])
    targets = [
        Target.of(i, resident_id=resident_of(i), version_sha256=hashes.get(str(i.pk), ""))
        for i in instances
    ]
    return append_many(actor, action, targets, purpose=purpose)


def record_resident_read(actor, action, resident, *, purpose) -> Entry:
    """A read of the resident as a whole (a chart, a history, an empty list about them): one
    entry committing to the version of their record that was read."""
    return record_reads(actor, action, [resident], resident_of=lambda r: r.pk, purpose=purpose)[0]
