"""Nothing a resident's record holds is deleted behind the application: residents, their
deployments, stays, bed assignments and care-team places are all versioned in the ledger, and no
service deletes one (a stay ends, a bed is released, a care-team place ends). Before this, a
database administrator could DELETE a care-team member or a deployment unseen; now the database
refuses, and `ledger verify --database` names a row whose latest version has no row left.
Not reversible on purpose: removing the protection is a decision to take by hand."""

from django.db import migrations

from homecoming.core.dbguards import guard, refuse

KEPT = {
    "residents_resident": "residents are discharged, never deleted",
    "residents_deployment": "a deployment is part of the record, never deleted",
    "residents_stay": "a stay ends, it is never deleted",
    "residents_bedassignment": "a bed is released, the assignment is never deleted",
    "residents_careteammember": "a care-team place ends, it is never deleted",
}


class Migration(migrations.Migration):
    dependencies = [("residents", "0003_center_setup_guards")]
    operations = [guard(*[refuse(table, "DELETE", why) for table, why in KEPT.items()])]
