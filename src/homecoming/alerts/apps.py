from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "homecoming.alerts"
    label = "alerts"
