"""Residents' photos (issue 16): one row per upload, the newest shown. Never deleted: the database
refuses a DELETE as it does for every ledgered table (an older photo stays, with who took it)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from homecoming.core.dbguards import guard, refuse


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0006_cancel_planned_admission"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ResidentPhoto",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uploaded_at", models.DateTimeField()),
                ("storage_name", models.CharField(max_length=200)),
                ("content_type", models.CharField(max_length=40)),
                ("size", models.PositiveIntegerField()),
                ("sha256", models.CharField(max_length=64)),
                (
                    "resident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="photos",
                        to="residents.resident",
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-uploaded_at", "-id"],
                "indexes": [
                    models.Index(fields=["resident", "-uploaded_at"], name="resident_photo_newest")
                ],
            },
        ),
        guard(
            refuse("residents_residentphoto", "DELETE", "a photo is kept, a newer one is shown"),
            refuse("residents_residentphoto", "UPDATE", "a photo row never changes"),
        ),
    ]
