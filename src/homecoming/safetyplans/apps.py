from django.apps import AppConfig


class SafetyPlansConfig(AppConfig):
    name = "homecoming.safetyplans"
    verbose_name = "Safety plans and risk flags"
