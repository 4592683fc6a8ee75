"""The residents' index of list entries refuses TRUNCATE on PostgreSQL, as the entries do (0002).

0005 refuses UPDATE and DELETE of ledger_mention row by row, but a row trigger does not fire on
TRUNCATE: one statement would have emptied every resident's "lists that named you". SQLite has
no TRUNCATE (its DELETE without WHERE fires the row triggers). Not reversible on purpose."""

from django.db import migrations

POSTGRES = [
    # ledger_refuse_change() is 0002's: "% is append-only: % refused".
    "CREATE TRIGGER ledger_mention_no_truncate BEFORE TRUNCATE ON ledger_mention "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": [], "postgresql": POSTGRES}.get(vendor)
    if statements is None:
        raise RuntimeError(f"No append-only triggers written for {vendor}; refusing to migrate.")
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_looks_detail")]
    operations = [migrations.RunPython(forwards, reverse_code=None, elidable=False)]
