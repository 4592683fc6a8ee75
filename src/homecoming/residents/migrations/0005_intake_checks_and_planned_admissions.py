"""Intake that refuses nonsense (issue 16): the service number (for the likely-duplicate
warning), what that warning said when the admitter confirmed a different person, and the bed a
planned admission reserves from its date.

On SQLite, AddField with a default and AddConstraint rebuild the resident and stay tables, which
drops their DELETE guards (migration 0004): they are put back at the end, where missing."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from homecoming.core.dbguards import refuse

REBUILT = {
    "residents_resident": "residents are discharged, never deleted",
    "residents_stay": "a stay ends, it is never deleted",
}


def restore_guards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return  # PostgreSQL alters tables in place: its triggers are still there
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
    for table, why in REBUILT.items():
        if f"{table}_refuse_delete" not in present:
            for sql in refuse(table, "DELETE", why)["sqlite"]:
                schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0004_dba_delete_guards"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="resident",
            name="intake_warning",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="resident",
            name="service_number",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="stay",
            name="reserved_bed",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reservations",
                to="residents.bed",
            ),
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["service_number"], name="resident_service_number"),
        ),
        migrations.AddIndex(
            model_name="stay",
            index=models.Index(fields=["reserved_bed", "status"], name="stay_reserved_bed"),
        ),
        migrations.AddConstraint(
            model_name="stay",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("reserved_bed__isnull", True), ("status", "expected"), _connector="OR"
                ),
                name="stay_reservation_only_while_expected",
            ),
        ),
        migrations.RunPython(
            restore_guards, reverse_code=migrations.RunPython.noop, elidable=False
        ),
    ]
