"""A completed questionnaire is final: the database refuses to change or delete it."""

from django.db import migrations

from homecoming.core.dbguards import guard, refuse


class Migration(migrations.Migration):
    dependencies = [("measures", "0001_initial")]
    operations = [
        guard(
            *[
                refuse("measures_questionnaire", op, "a completed questionnaire is final")
                for op in ("UPDATE", "DELETE")
            ]
        )
    ]
