"""Sending alerts to everyone who holds a role."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from .models import Alert


def notify(recipients, *, kind, message, resident=None) -> list[Alert]:
    """One alert to each recipient, written in the caller's transaction."""
    now = timezone.now()
    return Alert.objects.bulk_create(
        Alert(recipient=u, kind=kind, message=message, resident=resident, created_at=now)
        for u in recipients
    )


def notify_role(role, *, kind, message, resident=None) -> list[Alert]:
    recipients = get_user_model().objects.filter(role=role, is_active=True)
    return notify(recipients, kind=kind, message=message, resident=resident)


def notify_care_team(resident, *, kind, message) -> list[Alert]:
    """Everyone currently on the resident's care team (active accounts)."""
    recipients = (
        get_user_model()
        .objects.filter(
            care_team_places__resident=resident,
            care_team_places__ended_at__isnull=True,
            is_active=True,
        )
        .distinct()
    )
    return notify(recipients, kind=kind, message=message, resident=resident)


def mark_read(user, alert_id) -> bool:
    """Only the recipient can mark an alert read; anyone else's id simply matches nothing."""
    updated = Alert.objects.filter(pk=alert_id, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return bool(updated)


def unread_for(user):
    return Alert.objects.filter(recipient=user, read_at__isnull=True).select_related("resident")
