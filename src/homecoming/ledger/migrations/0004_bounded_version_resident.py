"""Each record version names its resident, with an index on (resident, seq): a resident's
timeline reads their versions newest first and stops after a page, whatever the size of the
ledger (before, it walked the resident's entries, mostly reads, looking for the writes).

The column is filled from the entries that wrote the versions. ledger_version is append-only
(0002_append_only): its UPDATE trigger is dropped for the one UPDATE that fills the new column
and recreated in the same migration, which runs in one transaction (on SQLite and PostgreSQL
alike): no other connection ever sees the table unguarded. The column is added with ALTER TABLE
ADD COLUMN (nullable, no default): SQLite does not rebuild the table, so its DELETE trigger
stays as it was.
"""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_DROP = ["DROP TRIGGER ledger_version_no_update"]
SQLITE_FILL = [
    "UPDATE ledger_version SET resident_id = ("
    "SELECT e.resident_id FROM ledger_entry e WHERE e.seq = ledger_version.seq)"
]
SQLITE_GUARD = [
    "CREATE TRIGGER ledger_version_no_update BEFORE UPDATE ON ledger_version "
    "BEGIN SELECT RAISE(ABORT, 'ledger_version is append-only: UPDATE refused'); END;"
]

POSTGRES_DROP = ["DROP TRIGGER ledger_version_no_change ON ledger_version"]
POSTGRES_FILL = [
    "UPDATE ledger_version v SET resident_id = e.resident_id "
    "FROM ledger_entry e WHERE e.seq = v.seq AND e.resident_id IS NOT NULL"
]
POSTGRES_GUARD = [
    "CREATE TRIGGER ledger_version_no_change BEFORE UPDATE OR DELETE ON ledger_version "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
]


def fill_residents(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = SQLITE_DROP + SQLITE_FILL + SQLITE_GUARD
    elif vendor == "postgresql":
        statements = POSTGRES_DROP + POSTGRES_FILL + POSTGRES_GUARD
    else:
        raise RuntimeError(f"No append-only triggers written for {vendor}; refusing to migrate.")
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_investigator_cosignature"),
        ("residents", "0004_dba_delete_guards"),
    ]

    operations = [
        migrations.AddField(
            model_name="version",
            name="resident",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="residents.resident",
            ),
        ),
        # Not reversible, like the triggers themselves: the column is history's index now.
        migrations.RunPython(fill_residents, reverse_code=None, elidable=False),
        migrations.AddIndex(
            model_name="version",
            index=models.Index(fields=["resident", "seq"], name="ledger_version_resident_seq"),
        ),
    ]
