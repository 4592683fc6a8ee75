from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "homecoming.oversight"
    label = "oversight"
    verbose_name = "Complaints and investigations"
