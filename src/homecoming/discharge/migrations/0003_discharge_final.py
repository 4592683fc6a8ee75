"""A discharge carried out is final in the database too: its disposition, stay, resident and
time cannot be changed by an UPDATE (a DBA rewriting "return to duty" as "home" afterwards), nor
can it be turned back into a draft. The signatures that follow a left-against-advice discharge
still land: they are other columns. Not reversible on purpose."""

from django.db import migrations

from homecoming.core.dbguards import changed, changed_nullable, guard, refuse


class Migration(migrations.Migration):
    dependencies = [("discharge", "0002_guards")]
    operations = [
        guard(
            refuse(
                "discharge_dischargeplan",
                "UPDATE",
                "a discharge carried out is final",
                when=(
                    "OLD.status = 'discharged' AND ("
                    + changed(
                        "status", "disposition", "disposition_other", "stay_id", "resident_id"
                    )
                    + " OR "
                    + changed_nullable("discharged_at", "discharged_by_id")
                    + ")"
                ),
                name="discharged",
            )
        ),
    ]
