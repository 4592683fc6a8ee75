"""Accounts are deactivated, never deleted: every account is versioned in the ledger and named by
its entries, so the database refuses a DELETE (a database administrator removing an account
behind the application). Not reversible on purpose."""

from django.db import migrations

from homecoming.core.dbguards import guard, refuse


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_user_takes_new_residents")]
    operations = [guard(refuse("accounts_user", "DELETE", "accounts are deactivated, not deleted"))]
