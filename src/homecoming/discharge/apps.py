from django.apps import AppConfig


class DischargeConfig(AppConfig):
    name = "homecoming.discharge"
    label = "discharge"
