from django.apps import AppConfig


class CorrectionsConfig(AppConfig):
    name = "homecoming.corrections"
    verbose_name = "Corrections"
