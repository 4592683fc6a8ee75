from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "homecoming.conversations"
    verbose_name = "Messages between a resident and their care team"
