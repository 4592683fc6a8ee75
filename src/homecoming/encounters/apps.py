from django.apps import AppConfig


class EncountersConfig(AppConfig):
    name = "homecoming.encounters"
    verbose_name = "Sessions and notes"
