from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "homecoming.access"
    label = "access"

    def ready(self):
        from homecoming.ledger import looks

        from .policy import Purpose
        from .services import break_glass_references

        looks.register_reference(Purpose.BREAK_GLASS, break_glass_references)
