from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "homecoming.accounts"
    label = "accounts"
