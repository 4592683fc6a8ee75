"""How the ledger's statements reach the database (ledger/services._run): past Django's cursor
wrapper when no one is counting queries, and then still with Django's errors; through it when a
test or DEBUG counts them, so a page's query count includes its ledger statements."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry, Version


def _write(staff, resident):
    return ledger.record_write(
        staff["caseworker"], "resident.edit", resident, resident_id=resident.pk, purpose="care"
    )


def test_a_write_appended_past_the_wrapper_is_whole(resident, staff):
    assert not connection.queries_logged  # the path a served request takes
    with transaction.atomic():
        entry = _write(staff, resident)
    stored = Entry.objects.get(seq=entry.seq)
    assert bytes(stored.leaf_hash) == entry.leaf_hash
    assert stored.leaf() == entry.leaf()
    version = Version.objects.get(seq=entry.seq)
    assert version.sha256 == stored.version_sha256 and version.resident_id == resident.pk


def test_a_failing_ledger_statement_raises_django_s_error_not_the_driver_s(db):
    assert not connection.queries_logged
    with pytest.raises(IntegrityError), transaction.atomic():  # the one head row exists
        ledger._run(connection, "INSERT INTO ledger_head (id, size) VALUES (%s, %s)", [1, 0])


def test_counted_queries_include_the_ledger_s_statements(resident, staff):
    with CaptureQueriesContext(connection) as counted, transaction.atomic():
        _write(staff, resident)
    ledger_sql = [q["sql"] for q in counted.captured_queries if "ledger_" in q["sql"]]
    # PostgreSQL: one statement (claim, entry, version); SQLite: the claim and two INSERTs.
    assert len(ledger_sql) == (1 if connection.vendor == "postgresql" else 3)
