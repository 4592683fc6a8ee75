"""Raising, acknowledging and closing alerts.

Alerts are written in the caller's transaction; their e-mails leave when it commits (an event
rolled back sends nothing). Acknowledging is a ledger entry naming who acknowledged; only the
recipient may, and a try on someone else's alert is refused and written to the ledger as such."""

import uuid

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from homecoming.ledger import services as ledger
from homecoming.ledger.models import Outcome

from . import mail
from .models import Alert, Delivery, Preference
from .urgency import urgency_of

ACKNOWLEDGE = "alert.acknowledge"
CLOSE = "alert.close"
PREFERENCES = "alert.preferences"


class NotYours(PermissionDenied):
    """Someone tried to acknowledge alerts that are not theirs (or do not exist)."""


def notify(recipients, *, kind, message, resident=None, about=None) -> list[Alert]:
    """One alert to each recipient, written in the caller's transaction, all one event.
    `about` is the record whose work the alert asks for: doing it closes the alert."""
    now = timezone.now()
    event = uuid.uuid4()
    about_type, about_id = (about._meta.label_lower, str(about.pk)) if about else ("", "")
    alerts = Alert.objects.bulk_create(
        Alert(
            recipient=u,
            kind=kind,
            message=message,
            resident=resident,
            created_at=now,
            urgency=urgency_of(kind),
            event=event,
            about_type=about_type,
            about_id=about_id,
        )
        for u in recipients
    )
    mail.send_on_commit(alerts)
    return alerts


def notify_role(role, *, kind, message, resident=None, about=None) -> list[Alert]:
    recipients = get_user_model().objects.filter(role=role, is_active=True)
    return notify(recipients, kind=kind, message=message, resident=resident, about=about)


def notify_role_once_each(role, rows, *, kind, message) -> list:
    """The worker's "overdue" timers: tell `role` about each row (a request, a message, a flag,
    each with its `resident`) not told before, with the words `message(row)`, in a transaction
    of its own. The alert about the row is the mark (alerts are never deleted), so running a
    timer twice tells no one twice. Returns the rows told this time."""
    rows = list(rows)
    if not rows:
        return []
    told = set(
        Alert.objects.filter(kind=kind, about_type=rows[0]._meta.label_lower).values_list(
            "about_id", flat=True
        )
    )
    fresh = [row for row in rows if str(row.pk) not in told]
    for row in fresh:
        with transaction.atomic():
            notify_role(role, kind=kind, message=message(row), resident=row.resident, about=row)
    return fresh


def notify_care_team(resident, *, kind, message, about=None) -> list[Alert]:
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
    return notify(recipients, kind=kind, message=message, resident=resident, about=about)


def acknowledge(user, alert_ids) -> list[Alert]:
    """Acknowledge the user's own alerts, all or none: each is a ledger entry naming the user.
    Alerts already acknowledged are left as they are. Any id that is not an alert of the user's
    refuses the whole request (without saying whether it exists), and each such try is written
    to the ledger as denied."""
    try:
        ids = sorted({int(i) for i in alert_ids})
    except (TypeError, ValueError) as exc:
        raise ValidationError("Alerts are chosen by their numbers.") from exc
    if not ids:
        raise ValidationError("Choose at least one alert to acknowledge.")
    mine = set(Alert.objects.filter(pk__in=ids, recipient=user).values_list("pk", flat=True))
    refused = [i for i in ids if i not in mine]
    if refused:
        ledger.append_many(
            user,
            ACKNOWLEDGE,
            [ledger.Target(object_type="alerts.alert", object_id=str(i)) for i in refused],
            purpose="operations",
            outcome=Outcome.DENIED,
        )
        numbers = ", ".join(f"#{i}" for i in refused)
        raise NotYours(
            f"Not alerts of yours: {numbers}. Only its recipient acknowledges an alert; "
            "nothing was acknowledged."
        )
    now = timezone.now()
    done = []
    with transaction.atomic():
        for alert in Alert.objects.select_for_update().filter(pk__in=ids, read_at__isnull=True):
            alert.read_at, alert.acknowledged_by = now, user
            alert.save(update_fields=["read_at", "acknowledged_by"])
            ledger.record_write(
                user, ACKNOWLEDGE, alert, resident_id=alert.resident_id, purpose="operations"
            )
            done.append(alert)
    return done


def mark_read(user, alert_id) -> bool:
    """Reading is acknowledging (kept for the one-alert button on the home page)."""
    return bool(acknowledge(user, [alert_id]))


def close_for(
    about, actor, because: str, *, purpose: str = "operations", kind: str = ""
) -> list[Alert]:
    """The work an alert asked for is done (a note co-signed, a review concluded): every open
    alert about that record closes (only those of `kind`, if given: other alerts about the same
    record may be someone else's to acknowledge), acknowledged by whoever did the work. Call it
    inside the work's own transaction."""
    now = timezone.now()
    closed = []
    rows = Alert.objects.select_for_update().filter(
        about_type=about._meta.label_lower, about_id=str(about.pk), read_at__isnull=True
    )
    if kind:
        rows = rows.filter(kind=kind)
    for alert in rows:
        alert.read_at, alert.acknowledged_by, alert.closed_because = now, actor, because
        alert.save(update_fields=["read_at", "acknowledged_by", "closed_because"])
        ledger.record_write(actor, CLOSE, alert, resident_id=alert.resident_id, purpose=purpose)
        closed.append(alert)
    return closed


def unread_for(user):
    return Alert.objects.filter(recipient=user, read_at__isnull=True).select_related("resident")


def recent_acknowledged_for(user, limit=30):
    return (
        Alert.objects.filter(recipient=user, read_at__isnull=False)
        .select_related("acknowledged_by")
        .order_by("-read_at", "-id")[:limit]
    )


def preference_of(user) -> str:
    pref = Preference.objects.filter(user=user).first()
    return pref.delivery if pref else Delivery.IMMEDIATE


def set_preferences(user, *, delivery: str, email: str) -> Preference:
    """The person's own choice of delivery and their e-mail address, both on the ledger."""
    errors = {}
    if delivery not in Delivery.values:
        errors["delivery"] = "Choose each alert at once, or a daily digest."
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = f"{email!r} is not an e-mail address (name@example.org)."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        pref, created = Preference.objects.select_for_update().get_or_create(
            user=user, defaults={"delivery": delivery, "updated_at": now}
        )
        if created or pref.delivery != delivery:
            pref.delivery, pref.updated_at = delivery, now
            pref.save()
            ledger.record_write(user, PREFERENCES, pref, resident_id=None, purpose="operations")
        if email != user.email:
            user.email = email
            user.save(update_fields=["email"])
            ledger.record_write(
                user, "account.change_email", user, resident_id=None, purpose="operations"
            )
    return pref
