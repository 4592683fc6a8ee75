from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "homecoming.measures"
    verbose_name = "Outcome measures"
