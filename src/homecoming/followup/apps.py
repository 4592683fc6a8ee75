from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "homecoming.followup"
    label = "followup"
