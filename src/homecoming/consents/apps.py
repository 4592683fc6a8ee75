from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "homecoming.consents"
    verbose_name = "Consent"
