"""A look is one entry (issue 15): the entry's detail (sections shown, residents listed, the
break-glass or grant it was opened under), and the index of residents a list entry names,
append-only like the entries it indexes. Adding a NULL column keeps every earlier leaf hashing
as it did (Entry.leaf leaves "detail" out when it is NULL), and SQLite adds it in place, so the
entry table's triggers stay."""

import django.db.models.deletion
from django.db import migrations, models

from homecoming.core.dbguards import guard, refuse


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_bounded_version_resident"),
        ("residents", "0004_dba_delete_guards"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="detail",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="Mention",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveBigIntegerField()),
                (
                    "resident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="ledger_mentions",
                        to="residents.resident",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("resident", "seq"), name="ledger_mention_once")
                ],
            },
        ),
        guard(
            refuse("ledger_mention", "UPDATE", "the ledger is append-only"),
            refuse("ledger_mention", "DELETE", "the ledger is append-only"),
        ),
    ]
