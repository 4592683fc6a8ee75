"""Alerts are append-only but for their acknowledgement.

What an alert said, to whom, about whom, how urgent and in which escalation step is final: the
database refuses to change it, or to delete an alert. The changes the application makes are the
only ones allowed: acknowledging or closing it (`read_at`, `acknowledged_by`, `closed_because`,
alerts/services.py), once (an acknowledgement is final), and the e-mail bookkeeping
(`emailed_at`, alerts/mail.py). Columns added later are not covered unless a migration adds
them. A person's alert preference (versioned in the ledger) is never deleted either.
Not reversible on purpose."""

from django.db import migrations

from homecoming.core.dbguards import changed_nullable, guard, refuse

FINAL = (
    "recipient_id",
    "kind",
    "message",
    "resident_id",
    "created_at",
    "urgency",
    "event",
    "level",
    "about_type",
    "about_id",
)
ACKNOWLEDGEMENT = ("read_at", "acknowledged_by_id", "closed_because")


class Migration(migrations.Migration):
    dependencies = [("alerts", "0002_alert_email_escalation_preference")]
    operations = [
        guard(
            refuse("alerts_alert", "DELETE", "alerts are kept"),
            refuse(
                "alerts_alert",
                "UPDATE",
                "an alert is final but for its acknowledgement",
                when=changed_nullable(*FINAL),
            ),
            refuse(
                "alerts_alert",
                "UPDATE",
                "an acknowledgement is final",
                when=f"OLD.read_at IS NOT NULL AND ({changed_nullable(*ACKNOWLEDGEMENT)})",
                name="acknowledged",
            ),
            refuse("alerts_preference", "DELETE", "preferences are changed, never deleted"),
        )
    ]
