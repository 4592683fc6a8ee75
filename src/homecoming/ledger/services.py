"""Writing to the ledger: every access to resident data ends here, inside the caller's transaction.

`append` must be called inside the same transaction as the work it records (services open one);
because the head row is locked until that transaction ends, sequence numbers are handed out in
commit order and a rolled-back write takes its entry with it: no gaps, no orphans.
"""

import functools
from dataclasses import dataclass

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.base import ModelState
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


def _run(conn, sql: str, params) -> list:
    """Execute one ledger statement in the caller's transaction; return its rows.

    On SQLite, straight on the sqlite3 connection: Django's cursor wrapper (a cursor per
    statement, the %s-to-? rewrite, the thread-local lookups) cost more than the statement
    itself, and this runs inside every audited write (bench/ledger.py). When Django is
    logging queries (DEBUG, or a test counting them), through the wrapper, so every statement
    is still counted.

    On PostgreSQL, on a server-binding cursor, prepared once per connection: the statement is
    long, and parsing and planning it took longer than running it (settings.py enables
    psycopg's prepared statements). Either way the driver's errors come out as Django's
    (wrap_database_errors), as from any query, so callers and the 503 handler see no difference.
    """
    if conn.queries_logged:
        pass
    elif conn.vendor == "sqlite":  # connected: the caller's transaction is open
        with conn.wrap_database_errors:
            return conn.connection.execute(_qmark(sql), params).fetchall()
    elif conn.vendor == "postgresql":
        with conn.wrap_database_errors, psycopg.Cursor(conn.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchall()
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


@functools.lru_cache(maxsize=128)
def _qmark(sql: str) -> str:
    return sql.replace("%s", "?")  # ledger statements hold no literal % (their own SQL)


def _claim(conn, count: int) -> int:
    """Take `count` sequence numbers; return the first. The UPDATE locks the head row until
    our transaction ends, which is what keeps the ledger gap-free and in commit order."""
    rows = _run(
        conn, "UPDATE ledger_head SET size = size + %s WHERE id = 1 RETURNING size", [count]
    )
    return rows[0][0] - count


# Fields whose value goes to the database as it is (ints, strings, None): Django's conversion
# of them is the identity, so it is skipped. The others (times, bytes) keep Django's.
_AS_IS = {
    "CharField",
    "TextField",
    "ForeignKey",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "BigIntegerField",
    "IntegerField",
}
_ROWS_PER_INSERT = 500  # well under SQLite's and PostgreSQL's limits on parameters


@functools.cache
def _columns(model, vendor: str):
    """(attname, conversion or None) per inserted column, and the INSERT's head."""
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.auto_created)]
    ops = connections[DEFAULT_DB_ALIAS].ops
    table = ops.quote_name(model._meta.db_table)
    head = f"INSERT INTO {table} ({', '.join(ops.quote_name(f.column) for f in fields)}) VALUES "
    plan = [(f.attname, None if f.get_internal_type() in _AS_IS else f) for f in fields]
    return plan, head


@functools.lru_cache(maxsize=64)
def _insert_sql(head: str, width: int, rows: int) -> str:
    row = f"({', '.join(['%s'] * width)})"
    return head + ", ".join([row] * rows)


def _insert(conn, model, rows):
    """INSERT rows of a ledger table (model instances' or plain dicts of attname -> value) in
    one statement per 500, with the model's own field conversions.

    Written by hand because this runs inside every audited write: the ORM's create() and
    bulk_create() cost more per row than the INSERT itself, which made the audit trail double
    the price of a write (bench/ledger.py). Columns and conversions still come from the model,
    so the table has one definition."""
    plan, head = _columns(model, conn.vendor)
    values = []
    for row in rows:
        attrs = row if isinstance(row, dict) else row.__dict__
        for attname, field in plan:
            value = attrs[attname]
            values.append(value if field is None else field.get_db_prep_save(value, conn))
    width, step = len(plan), len(plan) * _ROWS_PER_INSERT
    for at in range(0, len(values), step):
        chunk = values[at : at + step]
        _run(conn, _insert_sql(head, width, len(chunk) // width), chunk)


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


def append_rows(rows, version: tuple[str, str] | None = None) -> list[Entry]:
    """Append entries in one go, inside the caller's transaction: one sequence claim, one
    INSERT (and one for the residents lists name). With `version` (content, sha256), the one
    row appended is a write and the record version it commits to is stored with it.

    On PostgreSQL it is all one statement (one round trip, where a write's own statements are
    a handful): see _append_in_one_statement."""
    rows = list(rows)
    if not rows:
        return []
    if version is not None and len(rows) != 1:
        raise ValueError("a record version is written by exactly one entry")
    # The connection itself, not django.db.connection: that proxy looks the connection up in a
    # thread-local on every attribute, and each field's conversion asks it several times.
    conn = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic(savepoint=False):  # no SAVEPOINT round trips: it all commits or not
        if (
            conn.vendor == "postgresql"
            and len(rows) <= _ROWS_PER_INSERT
            and sum(len(row.named) for row in rows) <= 10 * _ROWS_PER_INSERT
        ):
            return _append_in_one_statement(conn, rows, version)
        first = _claim(conn, len(rows))
        entries = _entries(rows, first)
        for entry in entries:
            entry.leaf_hash = leaf_hash(canonical_json(entry.leaf()))
        _insert(conn, Entry, entries)
        mentions = [
            {"seq": entry.seq, "resident_id": resident_id}
            for entry, row in zip(entries, rows, strict=True)
            for resident_id in row.named
        ]
        if mentions:
            _insert(conn, Mention, mentions)
        if version is not None:
            _insert(conn, Version, [_version_row(entries[0], *version)])
    return entries


def _entries(rows, first: int) -> list[Entry]:
    now = timezone.now()
    entries = []
    for i, row in enumerate(rows):
        actor = row.actor
        authenticated = actor is not None and getattr(actor, "is_authenticated", False)
        entries.append(
            _entry(
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
                leaf_hash=b"",
            )
        )
    return entries


def _entry(**columns) -> Entry:
    """An Entry built from every column's value, as Django builds one read from the database
    (Model.from_db): Model.__init__ matches each keyword against the fields one by one, which
    cost a quarter of what the ledger adds to a write (bench/ledger.py)."""
    entry = Entry.__new__(Entry)
    entry._state = ModelState()
    entry.__dict__.update(columns)
    return entry


def _version_row(entry: Entry, content: str, sha: str) -> dict:
    return {  # a plain row: a model instance would cost more than the INSERT
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "seq": entry.seq,
        "time": entry.time,
        "actor_id": entry.actor_id,
        "content": content,
        "sha256": sha,
        "resident_id": entry.resident_id,
    }


def _leaf_around_seq(entry: Entry) -> tuple[bytes, bytes]:
    """The leaf's bytes before and after its number, encoded with a stand-in number (the
    entry's place in the statement). Canonical JSON sorts its keys and escapes a quote inside a
    string, so '"seq":N,' occurs once, as the key."""
    key = b'"seq":%d,' % entry.seq
    before, found, after = canonical_json(entry.leaf()).partition(key)
    if not found:
        raise AssertionError("a leaf without its number")
    return b"\x00" + before + b'"seq":', b"," + after


_ENTRY_COLUMNS = (
    "time",
    "actor",
    "actor_role",
    "action",
    "resident",
    "object_type",
    "object_id",
    "purpose",
    "outcome",
    "version_sha256",
    "detail",
)
_VERSION_COLUMNS = ("object_type", "object_id", "time", "actor", "content", "sha256", "resident")


@functools.lru_cache(maxsize=64)
def _one_statement_sql(entries: int, mentions: int, version: bool) -> str:
    """The PostgreSQL statement that appends `entries` entries (with their `mentions` and the
    version one write stores): it claims the numbers from the head row (locking it until the
    transaction ends, as _claim does), and the database hashes each leaf (its sha256(), built
    in since PostgreSQL 11) from the bytes Python encoded around the number it could not know.
    dbcheck re-encodes every entry and compares its hash, so a difference would be named."""
    conn = connections[DEFAULT_DB_ALIAS]
    q = conn.ops.quote_name

    def typed(model, names):
        fields = [model._meta.get_field(n) for n in names]
        return [q(f.column) for f in fields], [f"%s::{f.cast_db_type(conn)}" for f in fields]

    columns, casts = typed(Entry, _ENTRY_COLUMNS)
    row = f"(%s::bigint, {', '.join(casts)}, %s::bytea, %s::bytea)"
    sql = [
        f"WITH head AS (UPDATE ledger_head SET size = size + {entries} WHERE id = 1 "
        f"RETURNING size - {entries} AS first), ",
        f"leaves (i, {', '.join(columns)}, before_seq, after_seq) AS (VALUES ",
        ", ".join([row] * entries),
        "), entry AS (INSERT INTO ledger_entry (seq, ",
        ", ".join(columns),
        ", leaf_hash) SELECT head.first + leaves.i, ",
        ", ".join(f"leaves.{c}" for c in columns),
        ", sha256(leaves.before_seq || convert_to((head.first + leaves.i)::text, 'UTF8') "
        "|| leaves.after_seq) FROM head, leaves RETURNING seq, leaf_hash)",
    ]
    if mentions:
        sql += [
            ", mention AS (INSERT INTO ledger_mention (seq, resident_id) "
            "SELECT head.first + named.i, named.resident FROM head, (VALUES ",
            ", ".join(["(%s::bigint, %s::bigint)"] * mentions),
            ") AS named (i, resident))",
        ]
    if version:
        v_columns, v_casts = typed(Version, _VERSION_COLUMNS)
        sql += [
            ", version AS (INSERT INTO ledger_version (seq, ",
            ", ".join(v_columns),
            f") SELECT head.first, {', '.join(v_casts)} FROM head)",
        ]
    sql.append(" SELECT seq, leaf_hash FROM entry ORDER BY seq")
    return "".join(sql)


def _append_in_one_statement(conn, rows, version) -> list[Entry]:
    entries = _entries(rows, 0)
    params, named = [], []
    for i, (entry, row) in enumerate(zip(entries, rows, strict=True)):
        params.append(i)
        params += [getattr(entry, Entry._meta.get_field(n).attname) for n in _ENTRY_COLUMNS]
        params += _leaf_around_seq(entry)
        named += [(i, resident_id) for resident_id in row.named]
    for pair in named:
        params += pair
    if version is not None:
        content, sha = version
        v = _version_row(entries[0], content, sha)
        params += [v[Version._meta.get_field(n).attname] for n in _VERSION_COLUMNS]
    written = _run(conn, _one_statement_sql(len(entries), len(named), version is not None), params)
    for entry, (seq, hash_) in zip(entries, written, strict=True):
        entry.seq, entry.leaf_hash = seq, bytes(hash_)
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
    target = Target.of(instance, resident_id=resident_id, version_sha256=sha256_hex(content))
    row = Row(actor, action, target, purpose, outcome)
    return append_rows([row], version=(content.decode("utf-8"), target.version_sha256))[0]


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
    loose, listed = [], []
    a_list, a_look = str(action).endswith(".list"), looks.is_look(action)
    with looks.collecting():
        for instance in instances:
            resident_id = resident_of(instance)
            if resident_id is None or not a_look:
                loose.append(instance)
            elif a_list:
                listed.append(resident_id)
            else:
                looks.saw(actor, resident_id, action, looks.section_of(action, instance), purpose)
        if listed:
            looks.listed(actor, listed, purpose=purpose, action=str(action))
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
