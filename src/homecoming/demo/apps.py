from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "homecoming.demo"
    label = "demo"
