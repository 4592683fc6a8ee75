from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "homecoming.residents"
    label = "residents"

    def ready(self):
        # The access policy asks this app who is on a care team and who is in residence.
        from .access_rules import register

        register()
