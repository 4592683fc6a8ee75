"""Consent that one person cannot fake: new ways a consent is vouched for (the resident's own
password, a later confirmation in the portal, pending until then), and the database refuses a
consent whose witness is the person who recorded it.

No column is added: a consent's `signed_at` becomes the moment it took effect, so rows written
before keep their recorded versions. Self-witnessed consents written before this change are not
rewritten either; they simply no longer count (models.PENDING) until confirmed or witnessed.
Changing the field's choices alters nothing in the database (so SQLite does not rebuild the table
and drop its guard triggers)."""

from django.db import migrations, models

from homecoming.core.dbguards import guard, refuse

SELF_WITNESS = "a consent is witnessed by someone other than its recorder"


class Migration(migrations.Migration):
    dependencies = [("consents", "0002_guards")]

    operations = [
        migrations.AlterField(
            model_name="consent",
            name="signed_via",
            field=models.CharField(
                choices=[
                    ("portal", "in the portal"),
                    ("in_person", "in person, before a staff witness"),
                    ("own_password", "in person, confirmed with the resident's own password"),
                    ("pending", "recorded by staff, waiting for the resident's confirmation"),
                    ("confirmed", "recorded by staff, confirmed by the resident in the portal"),
                ],
                max_length=16,
            ),
        ),
        guard(
            refuse(
                "consents_consent",
                "INSERT",
                SELF_WITNESS,
                when="NEW.witness_id = NEW.recorded_by_id",
            ),
            # A consent written before the rule may keep its (non-counting) self-witness while it
            # is revoked; no update may make a recorder their own witness.
            refuse(
                "consents_consent",
                "UPDATE",
                SELF_WITNESS,
                when="NEW.witness_id = NEW.recorded_by_id "
                "AND (OLD.witness_id IS NULL OR OLD.witness_id <> NEW.witness_id)",
                name="self_witness",
            ),
        ),
    ]
