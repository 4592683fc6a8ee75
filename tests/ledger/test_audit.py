"""The audit trail: one entry per access, gap-free, in the work's transaction, append-only."""

import json
import re

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from homecoming.ledger import services as ledger
from homecoming.ledger.canonical import canonical_json, sha256_hex
from homecoming.ledger.models import Entry, Head, Version
from homecoming.residents import selectors


def seqs():
    return list(Entry.objects.order_by("seq").values_list("seq", flat=True))


def test_sequence_is_gap_free_from_zero(resident, staff):
    selectors.chart(staff["caseworker"], resident.pk)
    numbers = seqs()
    assert numbers == list(range(len(numbers)))
    assert Head.objects.get().size == len(numbers)


def test_a_rolled_back_write_leaves_no_entry_and_no_gap(resident, staff):
    before = seqs()
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.append(
            staff["caseworker"], "resident.view", ledger.Target(resident.pk), purpose="care"
        )
        raise RuntimeError("the work failed")
    assert seqs() == before
    entry = ledger.append(
        staff["caseworker"], "resident.view", ledger.Target(resident.pk), purpose="care"
    )
    assert entry.seq == len(before)


def test_every_write_stores_a_version_that_the_entry_commits_to(resident):
    writes = Entry.objects.exclude(version_sha256="").filter(action="resident.register")
    entry = writes.get(object_type="residents.resident")
    version = Version.objects.get(sha256=entry.version_sha256)
    assert sha256_hex(version.content.encode()) == version.sha256
    assert json.loads(version.content)["fields"]["family_name"] == "Cruz"


def test_a_read_commits_to_the_version_read(resident, staff):
    selectors.chart(staff["caseworker"], resident.pk)
    read = Entry.objects.filter(action="resident.view").latest("seq")
    latest = Version.objects.filter(
        object_type="residents.resident", object_id=str(resident.pk)
    ).latest("seq")
    assert read.version_sha256 == latest.sha256
    assert (read.actor, read.actor_role, read.purpose, read.outcome) == (
        staff["caseworker"],
        "caseworker",
        "care",
        "allowed",
    )


def test_leaves_carry_no_personal_information(resident):
    for entry in Entry.objects.all():
        leaf = canonical_json(entry.leaf()).decode()
        for secret in ("Walter", "Cruz", "1991-03-14", "Ana", "555-0147"):
            assert secret not in leaf


@pytest.mark.parametrize("table", ["ledger_entry", "ledger_version"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET {c} = {c}", "DELETE FROM {t}"])
def test_the_database_refuses_to_rewrite_history(resident, table, statement):
    column = "action" if table == "ledger_entry" else "content"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(t=table, c=column))


def test_the_orm_cannot_update_or_delete_entries(resident):
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(seq=0).update(purpose="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(seq=0).delete()
    assert Entry.objects.get(seq=0).purpose != "tampered"


def test_head_row_is_single(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        Head.objects.create(pk=2, size=0)


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(st.integers(), st.text(), st.none(), st.booleans()),
        max_size=6,
    )
)
@example({", ": None, "a: b": "c, d"})
def test_canonical_json_is_sorted_compact_and_stable(obj):
    data = canonical_json(obj)
    assert data == canonical_json(dict(reversed(list(obj.items()))))
    assert json.loads(data) == obj
    # Compact: no whitespace outside string literals (a key may itself contain ", ").
    outside_strings = re.sub(rb'"(?:[^"\\]|\\.)*"', b'""', data)
    assert not re.search(rb"\s", outside_strings)
    keys = json.loads(data, object_pairs_hook=lambda pairs: [k for k, _ in pairs])
    assert keys == sorted(keys)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.integers(min_value=1, max_value=5), st.booleans()), max_size=12))
def test_any_mix_of_committed_and_rolled_back_appends_stays_gap_free(staff, batches):
    """Property: whatever mix of batches commit or roll back, the ledger is 0..n-1 exactly."""
    actor = staff["caseworker"]
    with transaction.atomic():  # undone after each example, so examples do not pile up
        start = Head.objects.get().size
        committed = 0
        for size, commit in batches:
            try:
                with transaction.atomic():
                    ledger.append_many(
                        actor, "resident.view", [ledger.Target()] * size, purpose="care"
                    )
                    if not commit:
                        raise RuntimeError("roll back")
                committed += size
            except RuntimeError:
                pass
        assert seqs() == list(range(start + committed))
        assert Head.objects.get().size == start + committed
        transaction.set_rollback(True)


_HOSTILE = st.text(
    alphabet=st.sampled_from(['"', "\\", ",", ":", "s", "e", "q", "0", "1", "é", "\u2028", "\x01"]),
    max_size=12,
) | st.sampled_from(['"seq":0,', '\\"seq\\":0,', '"seq":1,"time"', "ü\u2603"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(_HOSTILE, _HOSTILE, st.lists(st.integers(0, 2), max_size=3, unique=True)),
        min_size=1,
        max_size=4,
    ),
    _HOSTILE,
)
def test_every_stored_leaf_hash_is_the_hash_of_the_entry_re_encoded(
    resident, staff, batch, preferred
):
    """Property: whatever an entry carries (quotes, backslashes, '"seq":0,' in its strings, a
    list's names, a record version), the leaf hash stored at append is the hash of the row
    re-encoded, the check `ledger verify --database` makes. On PostgreSQL the database hashes
    the leaf from the bytes around its number (services._append_in_one_statement): this is
    the test that those bytes are the leaf."""
    actor = staff["caseworker"]
    with transaction.atomic():  # undone after each example
        rows = [
            ledger.Row(
                actor,
                "resident.list",
                ledger.Target(None, "residents.resident", object_id),
                purpose,
                detail=canonical_json({"note": object_id, "residents": names}).decode(),
                named=tuple(resident.pk for _ in names[:1]),
            )
            for object_id, purpose, names in batch
        ]
        entries = ledger.append_rows(rows)
        resident.preferred_name = preferred
        resident.save()
        entries.append(
            ledger.record_write(
                actor, "resident.edit", resident, resident_id=resident.pk, purpose="care"
            )
        )
        for entry in entries:
            stored = Entry.objects.get(seq=entry.seq)
            expected = ledger.leaf_hash(canonical_json(stored.leaf()))
            assert bytes(stored.leaf_hash) == expected == bytes(entry.leaf_hash)
        version = Version.objects.get(seq=entries[-1].seq)
        assert sha256_hex(version.content.encode()) == version.sha256 == stored.version_sha256
        assert json.loads(version.content)["fields"]["preferred_name"] == preferred
        transaction.set_rollback(True)
