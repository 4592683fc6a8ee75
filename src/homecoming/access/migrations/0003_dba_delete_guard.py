"""A break-glass access is evidence of who opened a record outside the care team: versioned in
the ledger, and never deleted (the database refuses it). Not reversible on purpose."""

from django.db import migrations

from homecoming.core.dbguards import guard, refuse


class Migration(migrations.Migration):
    dependencies = [("access", "0002_initial")]
    operations = [
        guard(refuse("access_breakglass", "DELETE", "a break-glass access is never deleted"))
    ]
