"""A discharge is part of the record: the database refuses to delete one (a plan is cancelled
with a reason, never removed). Not reversible on purpose."""

from django.db import migrations

from homecoming.core.dbguards import guard, refuse


class Migration(migrations.Migration):
    dependencies = [("discharge", "0001_initial")]
    operations = [
        guard(refuse("discharge_dischargeplan", "DELETE", "a discharge is never deleted")),
    ]
