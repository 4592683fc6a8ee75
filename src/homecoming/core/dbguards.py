"""Database triggers that refuse changes to rows the record treats as final.

The services already refuse these changes; the triggers make the database refuse them too, so a
stray SQL console or a buggy migration cannot quietly rewrite a signed note. Written as SQL that
SQLite and PostgreSQL both run, with the condition on the old row (`OLD.signed_at IS NOT NULL`).
"""

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION homecoming_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%: % refused (%)', TG_TABLE_NAME, TG_OP, TG_ARGV[0];
END;
$$ LANGUAGE plpgsql;
"""


def refuse(
    table: str, operation: str, message: str, when: str = "", name: str = ""
) -> dict[str, list[str]]:
    """SQL, per database vendor, for a trigger refusing `operation` (UPDATE or DELETE) on `table`
    whenever `when` (a condition on OLD and NEW) holds, or always. `name` tells apart two
    triggers on the same table and operation."""
    name = f"{table}_refuse_{operation.lower()}{'_' + name if name else ''}"
    if "'" in message:
        raise ValueError("the message is put in SQL literally: no quotes")
    sqlite_when = f" WHEN {when}" if when else ""
    pg_when = f" WHEN ({when})" if when else ""
    return {
        "sqlite": [
            f"CREATE TRIGGER {name} BEFORE {operation} ON {table}{sqlite_when} "
            f"BEGIN SELECT RAISE(ABORT, '{table}: {operation} refused ({message})'); END;"
        ],
        "postgresql": [
            PG_FUNCTION,
            f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW{pg_when} "
            f"EXECUTE FUNCTION homecoming_refuse_change('{message}');",
        ],
    }


def guard(*rules):
    """A migration operation installing the given `refuse(...)` triggers on this database."""
    from django.db import migrations

    def forwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for rule in rules:
            if vendor not in rule:
                raise RuntimeError(f"No guard triggers written for {vendor}; refusing to migrate.")
            for sql in rule[vendor]:
                schema_editor.execute(sql, params=None)

    return migrations.RunPython(forwards, reverse_code=None, elidable=False)


def changed(*columns: str) -> str:
    """A trigger condition: any of these NOT NULL columns differs between OLD and NEW."""
    return " OR ".join(f"NEW.{c} <> OLD.{c}" for c in columns)


def changed_nullable(*columns: str) -> str:
    """A trigger condition: any of these columns differs between OLD and NEW, a NULL on one side
    included. (`<>` alone yields NULL, so no refusal, when one side is NULL; SQLite's `IS NOT`
    and PostgreSQL's `IS DISTINCT FROM` are not one syntax. This is.)"""
    return " OR ".join(
        f"(NEW.{c} <> OLD.{c} OR (NEW.{c} IS NULL) <> (OLD.{c} IS NULL))" for c in columns
    )
