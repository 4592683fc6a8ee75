from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "homecoming.ledger"
    label = "ledger"
    verbose_name = "Audit ledger"
