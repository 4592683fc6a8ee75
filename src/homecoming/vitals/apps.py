from django.apps import AppConfig


class VitalsConfig(AppConfig):
    name = "homecoming.vitals"
    verbose_name = "Vitals"
