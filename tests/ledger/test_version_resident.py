"""Each record version names its resident (ledger 0004): written by record_write, and filled
for the versions written before by the migration, which drops the append-only UPDATE trigger
for that one UPDATE and puts it back. Run on SQLite and PostgreSQL (DATABASE_URL)."""

import importlib

import pytest
from django.db import DatabaseError, connection, transaction

from homecoming.ledger.models import Entry, Version
from tests.support.notes import draft

migration = importlib.import_module("homecoming.ledger.migrations.0004_bounded_version_resident")


class _Editor:
    """What the migration's function uses of a schema editor: its connection, and execute."""

    connection = connection

    def execute(self, sql, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _refused(sql) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError:
        return True
    return False


def test_every_version_of_a_resident_row_names_the_resident(resident, staff):
    note = draft(staff["caseworker"], resident)
    versions = Version.objects.filter(object_type="encounters.note", object_id=str(note.pk))
    assert versions.exists()
    assert set(versions.values_list("resident_id", flat=True)) == {resident.pk}
    # Rows about no resident (an account) name none.
    assert Version.objects.filter(object_type="accounts.user", resident__isnull=False).count() == 0


def test_the_migration_fills_older_versions_and_keeps_the_table_append_only(resident, staff):
    draft(staff["caseworker"], resident)
    # Versions as they were before the column: none names a resident (planted past the
    # trigger, as the migration itself must do).
    migration.fill_residents(None, _Editor())  # idempotent on a filled table
    on_update = {
        "sqlite": ("ledger_version_no_update", ""),
        "postgresql": ("ledger_version_no_change", " ON ledger_version"),
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {on_update[0]}{on_update[1]}")
        cursor.execute("UPDATE ledger_version SET resident_id = NULL")
        statements = (
            migration.SQLITE_GUARD if connection.vendor == "sqlite" else migration.POSTGRES_GUARD
        )
        for sql in statements:
            cursor.execute(sql)
    assert not Version.objects.filter(resident__isnull=False).exists()

    migration.fill_residents(None, _Editor())

    expected = dict(Entry.objects.filter(resident__isnull=False).values_list("seq", "resident_id"))
    filled = dict(Version.objects.filter(resident__isnull=False).values_list("seq", "resident_id"))
    assert filled and filled == {seq: expected[seq] for seq in filled}
    assert set(filled) == set(
        Version.objects.filter(seq__in=expected).values_list("seq", flat=True)
    )
    # Still append-only: UPDATE and DELETE refused by the database.
    assert _refused("UPDATE ledger_version SET resident_id = NULL")
    assert _refused("DELETE FROM ledger_version")


@pytest.mark.parametrize("vendor_statements", ["SQLITE_GUARD", "POSTGRES_GUARD"])
def test_the_guard_recreated_is_the_one_the_append_only_migration_made(vendor_statements):
    """The trigger put back has the name test_dba.py and the database checks look for."""
    names = {
        "SQLITE_GUARD": "ledger_version_no_update",
        "POSTGRES_GUARD": "ledger_version_no_change",
    }
    assert all(names[vendor_statements] in sql for sql in getattr(migration, vendor_statements))
