from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "homecoming.oversight"
    label = "oversight"
    verbose_name = "Complaints and investigations"

    def ready(self):
        # The access policy asks this app what an investigator's current grants cover.
        from homecoming.access import rules

        from . import grants

        rules.register_grants(
            investigation_covers=grants.covers,
            covered_residents=grants.covered_residents,
            covers_entry=grants.covers_entry,
        )
