from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "homecoming.sharing"
    label = "sharing"
    verbose_name = "Data sharing under consent"
