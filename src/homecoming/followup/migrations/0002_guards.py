"""The year after discharge stays on the record: nothing here is deleted, and an attempt or a
check-in, once written, is final. Not reversible on purpose."""

from django.db import migrations

from homecoming.core.dbguards import guard, refuse

KEPT = {
    "followup_programschedule": "a program schedule is changed, never deleted",
    "followup_contact": "a follow-up contact is closed, never deleted",
    "followup_attempt": "a contact attempt is never deleted",
    "followup_checkinlink": "a check-in link expires or is revoked, never deleted",
    "followup_checkin": "a check-in is never deleted",
    "followup_lost": "lost to follow-up is closed with a reason, never deleted",
}
FINAL = {
    "followup_attempt": "a contact attempt is final once written",
    "followup_checkin": "a check-in is final once written",
}


class Migration(migrations.Migration):
    dependencies = [("followup", "0001_initial")]
    operations = [
        guard(
            *[refuse(table, "DELETE", why) for table, why in KEPT.items()],
            *[refuse(table, "UPDATE", why) for table, why in FINAL.items()],
        )
    ]
