"""Nobody deletes a complaint, nor anything that happened to it, nor an investigation or a
grant. What was filed, said and attached is final; a closed complaint, a closed investigation
and an ended grant are final too."""

from django.db import migrations

from homecoming.core.dbguards import changed, guard, refuse

FINAL_ROWS = (
    "oversight_namedstaff",
    "oversight_complaintevent",
    "oversight_attachment",
    "oversight_grantscope",
)


class Migration(migrations.Migration):
    dependencies = [("oversight", "0002_initial")]
    operations = [
        guard(
            *[
                refuse(table, "DELETE", "nothing of a complaint or an investigation is deleted")
                for table in (
                    "oversight_complaint",
                    *FINAL_ROWS,
                    "oversight_investigation",
                    "oversight_grant",
                )
            ],
            *[refuse(table, "UPDATE", "this row is final") for table in FINAL_ROWS],
            refuse(
                "oversight_complaint",
                "UPDATE",
                "what was filed is final",
                when=changed("reference", "filed_via", "subject", "body", "received_at"),
                name="filed",
            ),
            refuse(
                "oversight_complaint",
                "UPDATE",
                "a closed complaint is final",
                when="OLD.status = 'closed'",
            ),
            refuse(
                "oversight_investigation",
                "UPDATE",
                "a closed investigation is final",
                when="OLD.status = 'closed'",
            ),
            refuse(
                "oversight_grant",
                "UPDATE",
                "a grant is final: it ends by expiry or revocation",
                when=changed("investigator_id", "granted_by_id", "starts_at", "expires_at"),
                name="terms",
            ),
            refuse(
                "oversight_grant",
                "UPDATE",
                "a revoked grant is final",
                when="OLD.revoked_at IS NOT NULL",
                name="revoked",
            ),
        )
    ]
