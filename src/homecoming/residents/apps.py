from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "homecoming.residents"
    label = "residents"
