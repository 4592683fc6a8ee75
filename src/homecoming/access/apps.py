from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "homecoming.access"
    label = "access"
