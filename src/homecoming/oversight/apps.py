from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "homecoming.oversight"
    label = "oversight"
    verbose_name = "Complaints and investigations"

    def ready(self):
        from homecoming.access import rules
        from homecoming.access.policy import Purpose
        from homecoming.ledger import looks

        from . import grants

        # The access policy asks this app what an investigator's current grants cover.
        rules.register_grants(
            investigation_covers=grants.covers,
            covered_residents=grants.covered_residents,
            covers_entry=grants.covers_entry,
        )
        # The ledger names the grant each investigator's look went through.
        looks.register_reference(Purpose.INVESTIGATION, grants.grant_references)
