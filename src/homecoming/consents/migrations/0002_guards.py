"""Published consent documents are final, and a revoked consent stays revoked: the database
refuses to change them, and refuses to delete any consent."""

from django.db import migrations

from homecoming.core.dbguards import guard, refuse


class Migration(migrations.Migration):
    dependencies = [("consents", "0001_initial")]
    operations = [
        guard(
            *[
                refuse("consents_consentdocument", op, "publish a new version instead")
                for op in ("UPDATE", "DELETE")
            ],
            refuse(
                "consents_consent",
                "UPDATE",
                "a revoked consent is final",
                when="OLD.revoked_at IS NOT NULL",
            ),
            refuse("consents_consent", "DELETE", "consents are revoked, never deleted"),
        )
    ]
