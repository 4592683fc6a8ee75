"""What the alerts page shows a person: only their own alerts, each with its escalation chain.

An alert about a resident names them (and often their drug or their answer): showing it is a
read of that resident's record, so every list of alerts comes through `shown`, which writes one
entry per alert about a resident, with the purpose `alert`. The resident sees it in "who looked".
"""

from django.conf import settings
from django.db.models import Max

from homecoming.access.policy import Purpose
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry

from . import escalation, services
from .models import Alert
from .urgency import Urgency

READ = "alert.view"


def shown(user, alerts) -> list[Alert]:
    """The alerts as shown to their recipient, each one about a resident recorded as a read."""
    alerts = list(alerts)
    about = [a for a in alerts if a.resident_id]
    if about:
        ledger.record_reads(
            user, READ, about, resident_of=lambda a: a.resident_id, purpose=Purpose.ALERT
        )
    return alerts


def open_for(user, offset: int = 0, count: int | None = None) -> list[Alert]:
    """The recipient's alerts nobody has acknowledged yet, newest first (home page, API); a
    page of `count` from `offset` when asked: only the alerts on it are on the ledger."""
    alerts = services.unread_for(user).select_related("acknowledged_by")
    stop = None if count is None else offset + count
    return shown(user, alerts[offset:stop])


def open_count(user) -> int:
    """How many alerts the recipient has open (the total of the API's pages)."""
    return services.unread_for(user).count()


def page(user) -> dict:
    open_alerts = list(services.unread_for(user).order_by("-urgency", "-created_at", "-id"))
    # "critical" sorts before "high" and "normal" only by luck of the alphabet: say it outright.
    rank = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}
    open_alerts.sort(key=lambda a: (rank[Urgency(a.urgency)], -a.created_at.timestamp()))
    done = list(services.recent_acknowledged_for(user))
    shown(user, open_alerts + done)
    chains = {
        alert.pk: [a for a in escalation.chain(alert) if a.pk != alert.pk]
        for alert in open_alerts + done
        if alert.is_critical
    }
    seqs = _entries_of([*open_alerts, *done, *(a for chain in chains.values() for a in chain)])
    for alert in open_alerts + done:
        alert.entry_seq = seqs.get(alert.pk) if alert.level else None
    chains = {pk: [(a, seqs.get(a.pk)) for a in chain] for pk, chain in chains.items()}
    return {
        "open_alerts": [(a, chains.get(a.pk, [])) for a in open_alerts],
        "done": [(a, chains.get(a.pk, [])) for a in done],
        "delivery": services.preference_of(user),
        "steps": settings.HOMECOMING_ALERT_ESCALATION_MINUTES,
    }


def _entries_of(alerts) -> dict[int, int]:
    """For each alert, the ledger entry that raised an escalation, or acknowledged or closed
    it (the newest): one query for the whole page, not one per alert."""
    ids = {str(a.pk) for a in alerts}
    rows = (
        Entry.objects.filter(object_type="alerts.alert", object_id__in=ids)
        .exclude(action=READ)  # its being shown is not what it is about
        .values("object_id")
        .annotate(seq=Max("seq"))
    )
    return {int(row["object_id"]): row["seq"] for row in rows}
