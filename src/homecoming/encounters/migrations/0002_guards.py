"""The database's own refusal to rewrite the clinical record (see homecoming.core.dbguards).

A signed note cannot be updated or deleted; co-signatures, addenda, release decisions and
recordings are final once written; sessions are cancelled, never deleted. Not reversible on
purpose: removing the protection is a decision to take by hand."""

from django.db import migrations

from homecoming.core.dbguards import guard, refuse

FINAL = [
    "encounters_cosignature",
    "encounters_addendum",
    "encounters_noterelease",
    "encounters_recording",
]


class Migration(migrations.Migration):
    dependencies = [("encounters", "0001_initial")]
    operations = [
        guard(
            refuse(
                "encounters_note",
                "UPDATE",
                "a signed note is final: add an addendum",
                when="OLD.signed_at IS NOT NULL",
            ),
            refuse("encounters_note", "DELETE", "notes are never deleted"),
            refuse("encounters_session", "DELETE", "sessions are cancelled, not deleted"),
            refuse("encounters_sessionattendee", "DELETE", "attendance is never deleted"),
            *[refuse(t, op, "final once written") for t in FINAL for op in ("UPDATE", "DELETE")],
        )
    ]
