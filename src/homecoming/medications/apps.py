from django.apps import AppConfig


class MedicationsConfig(AppConfig):
    name = "homecoming.medications"
    verbose_name = "Medications"
