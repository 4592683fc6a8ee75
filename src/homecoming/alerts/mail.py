"""Alert e-mails: who it is for, how urgent, and a link; never a resident, a drug or a score.

An e-mail leaves the center's network and sits in mailboxes the center does not control, so it
says only that something waits in Homecoming. Sending is claimed row by row (emailed_at set
before the message goes, cleared again if it fails), so the on-commit send and the worker's retry
never send one alert twice; a failure is logged and the worker tries again, it never undoes the
event that raised the alert."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Alert, Delivery, Preference
from .urgency import Urgency

log = logging.getLogger("homecoming.alerts")
# A failed at-once e-mail is retried by the worker for this long; older ones stay on screen only.
RETRY_WINDOW = dt.timedelta(hours=24)

URGENCY_WORDS = {
    Urgency.CRITICAL: "CRITICAL (act now)",
    Urgency.HIGH: "high",
    Urgency.NORMAL: "normal",
}


def link(path: str) -> str:
    return f"{settings.HOMECOMING_BASE_URL}{path}"


def compose(alert: Alert) -> EmailMessage:
    person = alert.recipient
    critical = alert.urgency == Urgency.CRITICAL
    subject = f"[Homecoming] {'CRITICAL alert' if critical else 'Alert'} for {person.full_name}" + (
        " (escalated)" if alert.level else ""
    )
    lines = [
        f"{person.full_name},",
        "",
        "An alert is waiting for you in Homecoming.",
        f"Urgency: {URGENCY_WORDS[Urgency(alert.urgency)]}.",
    ]
    if alert.level:
        lines.append("It was escalated to you: nobody acknowledged it in time.")
    if critical:
        minutes = settings.HOMECOMING_ALERT_ESCALATION_MINUTES
        lines.append(
            f"Until someone acknowledges it, it goes to the supervisors after {minutes[0]} "
            f"minutes and to the program director after {minutes[1]}."
        )
    lines += [
        "",
        f"Open it: {link('/alerts/')}#alert-{alert.pk}",
        "",
        "This e-mail carries no details on purpose; read and acknowledge the alert in Homecoming.",
        f"Your e-mail settings: {link('/alerts/preferences')}",
    ]
    return EmailMessage(subject, "\n".join(lines), to=[person.email])


def compose_digest(user, alerts: list[Alert]) -> EmailMessage:
    n = len(alerts)
    subject = f"[Homecoming] {n} alert{'s' if n != 1 else ''} waiting for {user.full_name}"
    body = "\n".join(
        [
            f"{user.full_name},",
            "",
            f"{n} alert{'s are' if n != 1 else ' is'} waiting for you in Homecoming "
            "(urgency: normal). This is your daily digest.",
            "",
            f"Open them: {link('/alerts/')}",
            "",
            "This e-mail carries no details on purpose; read and acknowledge the alerts in "
            "Homecoming.",
            f"Your e-mail settings: {link('/alerts/preferences')}",
        ]
    )
    return EmailMessage(subject, body, to=[user.email])


def _claim(ids, now) -> list[int]:
    """Take the alerts nobody has e-mailed yet; the conditional UPDATE makes it race-free."""
    claimed = []
    for pk in ids:
        if Alert.objects.filter(pk=pk, emailed_at__isnull=True).update(emailed_at=now):
            claimed.append(pk)
    return claimed


def _send(message: EmailMessage, ids: list[int], connection) -> bool:
    try:
        message.connection = connection
        message.send()
        return True
    except Exception:  # the server is down, refused the address...: the worker retries
        log.exception("e-mailing alert(s) %s failed; the worker will retry", ids)
        Alert.objects.filter(pk__in=ids).update(emailed_at=None)
        return False


def _at_once_q():
    digest_people = Preference.objects.filter(delivery=Delivery.DIGEST).values("user_id")
    return ~Q(urgency=Urgency.NORMAL) | ~Q(recipient__in=digest_people)


def send_at_once(ids=None, *, now=None) -> int:
    """E-mail every alert due at once (critical and high, and normal ones of people who chose
    that) that is unread, not yet e-mailed, and whose recipient has an address: the alerts just
    committed (`ids`), or, for the worker's retry, those raised within the retry window."""
    now = now or timezone.now()
    pending = Alert.objects.filter(
        _at_once_q(),
        emailed_at__isnull=True,
        read_at__isnull=True,
        recipient__is_active=True,
    ).exclude(recipient__email="")
    if ids is None:
        pending = pending.filter(created_at__gte=now - RETRY_WINDOW)
    else:
        pending = pending.filter(pk__in=ids)
    sent = 0
    connection = None
    for pk in _claim(list(pending.values_list("pk", flat=True)), now):
        alert = Alert.objects.select_related("recipient").get(pk=pk)
        connection = connection or get_connection()
        sent += _send(compose(alert), [pk], connection)
    return sent


def send_on_commit(alerts):
    ids = [a.pk for a in alerts]
    if not ids:
        return

    def send():
        try:
            send_at_once(ids)
        except Exception:  # never turn a committed event into an error page
            log.exception("e-mailing alerts %s failed; the worker will retry", ids)

    transaction.on_commit(send)


def latest_digest_moment(now) -> dt.datetime:
    """The last time the daily digest was due: today at the configured local hour, or
    yesterday's if that hour has not come yet today."""
    local = timezone.localtime(now)
    moment = local.replace(
        hour=settings.HOMECOMING_ALERT_DIGEST_HOUR, minute=0, second=0, microsecond=0
    )
    if moment > local:
        moment = timezone.make_aware(
            dt.datetime.combine(local.date() - dt.timedelta(days=1), moment.time())
        )
    return moment


def send_digests(now=None) -> int:
    """One e-mail to each person who chose the digest, for their normal alerts raised before the
    latest digest moment and still unread and un-e-mailed. Run as often as you like: each alert
    is in one digest at most."""
    now = now or timezone.now()
    moment = latest_digest_moment(now)
    digest_people = Preference.objects.filter(delivery=Delivery.DIGEST).values("user_id")
    pending = (
        Alert.objects.filter(
            urgency=Urgency.NORMAL,
            recipient__in=digest_people,
            recipient__is_active=True,
            emailed_at__isnull=True,
            read_at__isnull=True,
            created_at__lt=moment,
        )
        .exclude(recipient__email="")
        .order_by("recipient_id", "created_at")
    )
    by_person: dict[int, list[int]] = {}
    for pk, person in pending.values_list("pk", "recipient_id"):
        by_person.setdefault(person, []).append(pk)
    sent = 0
    connection = None
    for ids in by_person.values():
        claimed = _claim(ids, now)
        if not claimed:
            continue
        alerts = list(Alert.objects.filter(pk__in=claimed).select_related("recipient"))
        connection = connection or get_connection()
        sent += _send(compose_digest(alerts[0].recipient, alerts), claimed, connection)
    return sent
