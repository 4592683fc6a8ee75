"""A calendar link is stopped, never deleted, and never brought back: whose it is, its secret's
hash and when it was made are final (so the ledger's account of who could read which calendar
holds). Not reversible on purpose."""

from django.db import migrations

from homecoming.core.dbguards import changed, guard, refuse


class Migration(migrations.Migration):
    dependencies = [("encounters", "0004_calendar_feeds")]
    operations = [
        guard(
            refuse("encounters_calendarfeed", "DELETE", "calendar links are stopped, not deleted"),
            refuse(
                "encounters_calendarfeed",
                "UPDATE",
                "a stopped calendar link stays stopped",
                when="OLD.stopped_at IS NOT NULL",
            ),
            refuse(
                "encounters_calendarfeed",
                "UPDATE",
                "whose calendar link it is, and its secret, are final",
                when=changed("user_id", "secret_sha256", "created_at"),
                name="terms",
            ),
        )
    ]
