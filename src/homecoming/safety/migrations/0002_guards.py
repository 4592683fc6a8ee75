"""What a report says is final (only its outcome follows the resident); suspects, signals and
reviews are never deleted, and a concluded review is final."""

from django.db import migrations

from homecoming.core.dbguards import changed, guard, refuse

REPORT_TERMS = (
    "resident_id",
    "term",
    "description",
    "onset",
    "seriousness",
    "reported_by_id",
    "reported_via",
    "reported_at",
)


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial")]
    operations = [
        guard(
            refuse(
                "safety_adverseevent",
                "UPDATE",
                "a report is final: only its outcome is followed up",
                when=changed(*REPORT_TERMS),
            ),
            refuse("safety_adverseevent", "DELETE", "adverse event reports are never deleted"),
            refuse("safety_suspect", "UPDATE", "a suspected medicine is final"),
            refuse("safety_suspect", "DELETE", "a suspected medicine is never removed"),
            refuse("safety_signal", "DELETE", "signals are reviewed, never deleted"),
            refuse(
                "safety_signal",
                "UPDATE",
                "what a signal was raised on is final",
                when=changed("drug", "term", "detected_at"),
                name="terms",
            ),
            refuse("safety_review", "DELETE", "reviews are never deleted"),
            refuse(
                "safety_review",
                "UPDATE",
                "a concluded review is final",
                when="OLD.concluded_at IS NOT NULL",
            ),
            refuse("safety_scan", "DELETE", "the scan history is kept"),
        )
    ]
