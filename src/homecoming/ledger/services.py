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
from .models import Entry, Mention, Outcome, Version
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


@dataclass(frozen=True)
class Row:
    """One entry to append: who, what, about what, why, with what outcome and detail."""

    actor: object
    action: str
    target: Target
    purpose: str
    outcome: str = Outcome.ALLOWED
    detail: str | None = None  # canonical JSON (see Entry.detail)
    named: tuple[int, ...] = ()  # the residents a list names: indexed in Mention


def append_rows(rows) -> list[Entry]:
    """Append entries in one go: one sequence claim, one INSERT (and one for the residents
    lists name), all inside the caller's transaction."""
    rows = list(rows)
    if not rows:
        return []
    with transaction.atomic(savepoint=False):  # no SAVEPOINT round trips: it all commits or not
        first = _claim(len(rows))
        now = timezone.now()
        entries = []
        for i, row in enumerate(rows):
            actor = row.actor
            authenticated = actor is not None and getattr(actor, "is_authenticated", False)
            entry = Entry(
                seq=first + i,
                time=now,
                actor_id=actor.pk if authenticated else None,
                actor_role=role_of(actor),
                action=row.action,
                resident_id=row.target.resident_id,
                object_type=row.target.object_type,
                object_id=row.target.object_id,
                purpose=row.purpose,
                outcome=row.outcome,
                version_sha256=row.target.version_sha256,
                detail=row.detail,
            )
            entry.leaf_hash = leaf_hash(canonical_json(entry.leaf()))
            entries.append(entry)
        _insert(Entry, entries)
        mentions = [
            Mention(seq=entry.seq, resident_id=resident_id)
            for entry, row in zip(entries, rows, strict=True)
            for resident_id in row.named
        ]
        if mentions:
            _insert(Mention, mentions)
    return entries


def append_many(actor, action, targets, *, purpose, outcome=Outcome.ALLOWED) -> list[Entry]:
    """Append one entry per target, all with the same actor, action and purpose."""
    return append_rows(Row(actor, action, t, purpose, outcome) for t in targets)


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


def record_reads(actor, action, instances, *, resident_of, purpose) -> None:
    """Reads of record rows. Inside a request they are one look per resident, written when the
    view is done (looks.py); elsewhere (the command line, the worker) one look per resident now.
    Rows about no resident (a complaint about the center), and acts that are more than a look
    (a recording played, rows exported), are an entry each, at once, committing to the version
    of each row. A list
    (an action "….list": a caseload, a search, a worklist) is one entry naming its residents."""
    from . import looks

    instances = list(instances)
    if not instances:
        return
    loose = []
    with looks.collecting():
        for instance in instances:
            resident_id = resident_of(instance)
            if resident_id is None or not looks.is_look(action):
                loose.append(instance)
            elif str(action).endswith(".list"):
                looks.listed(actor, [resident_id], purpose=purpose, action=str(action))
            else:
                looks.saw(actor, resident_id, action, looks.section_of(action, instance), purpose)
    if loose:
        object_type = loose[0]._meta.label_lower
        hashes = current_version_hashes(object_type, [i.pk for i in loose])
        append_many(
            actor,
            action,
            [Target.of(i, resident_of(i), version_sha256=hashes.get(str(i.pk), "")) for i in loose],
            purpose=purpose,
        )


def record_reads_each(actor, action, instances, *, resident_of, purpose_of) -> None:
    """Reads of rows decided one by one (the round, a signal's cases), each under its own
    purpose (a nurse's care team and round; the medical lead's team and safety review)."""
    groups: dict[str, list] = {}
    for instance in instances:
        groups.setdefault(purpose_of(instance), []).append(instance)
    for purpose, group in groups.items():
        record_reads(actor, action, group, resident_of=resident_of, purpose=purpose)


def record_sections(actor, action, resident_id: int, sections, *, purpose) -> None:
    """Parts of a resident's record a page showed from rows it did not read one by one (a
    chart's summaries): named in the request's look at the resident."""
    from . import looks

    for section in sections:
        looks.saw(actor, resident_id, action, section, purpose)


def record_resident_read(actor, action, resident, *, purpose) -> None:
    """A read of the resident as a whole (a chart, a history, an empty list about them)."""
    record_reads(actor, action, [resident], resident_of=lambda r: r.pk, purpose=purpose)
