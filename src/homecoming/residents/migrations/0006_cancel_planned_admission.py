"""A planned admission can be cancelled, with the reason (issue 16): the stay's new status
`cancelled`, and a `StayCancellation` row the database will neither change nor delete.

On SQLite, changing the stay's status check rebuilds the stay table, which drops its DELETE
guard (migration 0004): it is put back at the end, where missing. A cancelled stay is final:
the database refuses to change one (no "uncancelling" it into residence from a SQL console)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from homecoming.core.dbguards import guard, refuse


def restore_guards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return  # PostgreSQL alters tables in place: its triggers are still there
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
    if "residents_stay_refuse_delete" not in present:
        for sql in refuse("residents_stay", "DELETE", "a stay ends, it is never deleted")["sqlite"]:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0005_intake_checks_and_planned_admissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StayCancellation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reason", models.TextField()),
                ("cancelled_at", models.DateTimeField()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="stay",
            name="stay_status_known",
        ),
        migrations.AlterField(
            model_name="stay",
            name="status",
            field=models.CharField(
                choices=[
                    ("expected", "Expected"),
                    ("in_residence", "In residence"),
                    ("discharged", "Discharged"),
                    ("cancelled", "Cancelled before arrival"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="stay",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["expected", "in_residence", "discharged", "cancelled"])
                ),
                name="stay_status_known",
            ),
        ),
        migrations.AddField(
            model_name="staycancellation",
            name="cancelled_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="staycancellation",
            name="stay",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cancellation",
                to="residents.stay",
            ),
        ),
        migrations.AddConstraint(
            model_name="staycancellation",
            constraint=models.CheckConstraint(
                condition=models.Q(("reason", ""), _negated=True),
                name="stay_cancellation_has_reason",
            ),
        ),
        migrations.RunPython(
            restore_guards, reverse_code=migrations.RunPython.noop, elidable=False
        ),
        guard(
            refuse(
                "residents_stay",
                "UPDATE",
                "a cancelled planned admission is final",
                when="OLD.status = 'cancelled'",
                name="cancelled",
            ),
            refuse(
                "residents_staycancellation",
                "UPDATE",
                "why a planned admission was cancelled is written once",
            ),
            refuse(
                "residents_staycancellation",
                "DELETE",
                "why a planned admission was cancelled is never deleted",
            ),
        ),
    ]
