"""Drop the four ledger indexes that another index already serves: each audited write commits
one page per index of the tables it appends to, and these bought nothing (bench/ledger.py).

- ledger_entry (actor_id) and (resident_id): the (actor_id, seq) and (resident_id, seq) indexes
  answer every lookup by the first column alone;
- ledger_mention (resident_id): the unique (resident_id, seq) does;
- ledger_version (actor_id): nothing looks versions up by who wrote them, and accounts are never
  deleted (accounts 0004 refuses it), so no delete has to find them.

Dropped with DROP INDEX, not AlterField: on SQLite Django alters a column by rebuilding the
table, which would drop the append-only triggers (0002). The index names are Django's own and
the same on SQLite and PostgreSQL."""

from django.conf import settings
from django.db import migrations, models

INDEXES = [
    ("ledger_entry_actor_id_675f3faf", "ledger_entry", "actor_id"),
    ("ledger_entry_resident_id_fd70cc9a", "ledger_entry", "resident_id"),
    ("ledger_mention_resident_id_0c62b10d", "ledger_mention", "resident_id"),
    ("ledger_version_actor_id_f3551d33", "ledger_version", "actor_id"),
]


def _field(to, related_name, null=True):
    return models.ForeignKey(
        db_index=False,
        null=null,
        on_delete=models.PROTECT,
        related_name=related_name,
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0006_mention_no_truncate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("residents", "0004_dba_delete_guards"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="entry",
                    name="actor",
                    field=_field(settings.AUTH_USER_MODEL, "+"),
                ),
                migrations.AlterField(
                    model_name="entry",
                    name="resident",
                    field=_field("residents.resident", "ledger_entries"),
                ),
                migrations.AlterField(
                    model_name="mention",
                    name="resident",
                    field=_field("residents.resident", "ledger_mentions", null=False),
                ),
                migrations.AlterField(
                    model_name="version",
                    name="actor",
                    field=_field(settings.AUTH_USER_MODEL, "+"),
                ),
            ],
        )
    ]
