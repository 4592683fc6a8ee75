"""Make the ledger's tables append-only in the database itself, and create the head row.

Triggers refuse UPDATE and DELETE of entries and versions (and TRUNCATE on PostgreSQL), so
history cannot be rewritten through the application, the ORM, or a stray SQL console. Not
reversible on purpose: removing the protection is a decision to take by hand, not by migrating.
"""

from django.db import migrations

# Checkpoints and tree nodes are history too. (Witness and Delivery are bookkeeping and change.)
TABLES = ["ledger_entry", "ledger_version", "ledger_node", "ledger_checkpoint"]

SQLITE = [
    sql
    for table in TABLES
    for sql in (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END;",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END;",
    )
]

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
    END;
    $$ LANGUAGE plpgsql;
    """,
] + [
    sql
    for table in TABLES
    for sql in (
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();",
    )
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor)
    if statements is None:
        raise RuntimeError(f"No append-only triggers written for {vendor}; refusing to migrate.")
    for sql in statements:
        schema_editor.execute(sql, params=None)  # None: the SQL has literal % signs
    apps.get_model("ledger", "Head").objects.create(pk=1, size=0)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forwards, reverse_code=None, elidable=False)]
