from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "homecoming.outcomes"
    label = "outcomes"
