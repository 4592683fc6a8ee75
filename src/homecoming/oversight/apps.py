from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "homecoming.oversight"
    label = "oversight"
    verbose_name = "Complaints and investigations"

    def ready(self):
        from homecoming.access.policy import Purpose
        from homecoming.ledger import looks

        from .grants import grant_references

        looks.register_reference(Purpose.INVESTIGATION, grant_references)
