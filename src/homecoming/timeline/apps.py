from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "homecoming.timeline"
    verbose_name = "Timeline"
