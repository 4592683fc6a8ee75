"""What the alerts page shows a person: only their own alerts, each with its escalation chain."""

from django.conf import settings

from homecoming.ledger.models import Entry

from . import escalation, services
from .models import Alert
from .urgency import Urgency


def page(user) -> dict:
    open_alerts = list(services.unread_for(user).order_by("-urgency", "-created_at", "-id"))
    # "critical" sorts before "high" and "normal" only by luck of the alphabet: say it outright.
    rank = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}
    open_alerts.sort(key=lambda a: (rank[Urgency(a.urgency)], -a.created_at.timestamp()))
    done = list(services.recent_acknowledged_for(user))
    chains = {}
    for alert in open_alerts + done:
        alert.entry_seq = _entry_of(alert) if alert.level else None
        if alert.is_critical:
            chains[alert.pk] = [
                (a, _entry_of(a)) for a in escalation.chain(alert) if a.pk != alert.pk
            ]
    return {
        "open_alerts": [(a, chains.get(a.pk, [])) for a in open_alerts],
        "done": [(a, chains.get(a.pk, [])) for a in done],
        "delivery": services.preference_of(user),
        "steps": settings.HOMECOMING_ALERT_ESCALATION_MINUTES,
    }


def _entry_of(alert: Alert) -> int | None:
    """The ledger entry that raised an escalation, or acknowledged or closed an alert."""
    return (
        Entry.objects.filter(object_type="alerts.alert", object_id=str(alert.pk))
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
