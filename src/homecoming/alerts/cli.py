"""`homecoming alerts ...`: the operator's checks of alert e-mail."""


def add_parser(sub, command_error):
    alerts = sub.add_parser("alerts", help="alert e-mail: send a test, see what is waiting")
    cmds = alerts.add_subparsers(dest="alerts_command", required=True)
    s = cmds.add_parser("test-email", help="send a test e-mail through HOMECOMING_EMAIL_URL")
    s.add_argument("address", help="where to send it")
    cmds.add_parser("status", help="how e-mail is sent, and the alerts still waiting for it")
    alerts.set_defaults(func=lambda args: run(args, command_error))


def _where() -> str:
    from django.conf import settings

    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if backend == "filebased":
        return f"files in {settings.EMAIL_FILE_PATH}"
    if backend == "smtp":
        how = "STARTTLS" if settings.EMAIL_USE_TLS else "TLS" if settings.EMAIL_USE_SSL else "plain"
        return f"SMTP to {settings.EMAIL_HOST}:{settings.EMAIL_PORT} ({how})"
    if backend == "console":
        return "the standard output"
    return f"django-anymail ({backend})"


def run(args, command_error):
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.core.mail import EmailMessage
    from django.core.validators import validate_email

    if args.alerts_command == "test-email":
        try:
            validate_email(args.address)
        except ValidationError as exc:
            raise command_error(f"{args.address!r} is not an e-mail address.") from exc
        message = EmailMessage(
            "[Homecoming] Test e-mail",
            "This is a test of the center's alert e-mail. Alerts look like this: who the alert "
            f"is for, how urgent, and a link to {settings.HOMECOMING_BASE_URL}/alerts/.",
            to=[args.address],
        )
        try:
            message.send()
        except Exception as exc:  # the operator needs the server's own words
            raise command_error(f"Sending through {_where()} failed: {exc}") from exc
        print(f"Sent a test e-mail to {args.address} through {_where()}.")
        return
    from .models import Alert
    from .urgency import Urgency

    waiting = Alert.objects.filter(read_at__isnull=True, emailed_at__isnull=True)
    print(f"Alert e-mail goes through {_where()}, from {settings.DEFAULT_FROM_EMAIL}.")
    print(f"Links point to {settings.HOMECOMING_BASE_URL}.")
    steps = settings.HOMECOMING_ALERT_ESCALATION_MINUTES
    print(
        f"Unacknowledged critical alerts escalate after {steps[0]} and {steps[1]} minutes; "
        f"digests leave at {settings.HOMECOMING_ALERT_DIGEST_HOUR}:00 ({settings.TIME_ZONE})."
    )
    print(
        f"Open alerts not e-mailed: {waiting.exclude(recipient__email='').count()} waiting "
        f"(a digest, or a retry), {waiting.filter(recipient__email='').count()} to people with "
        f"no e-mail address; {waiting.filter(urgency=Urgency.CRITICAL).count()} of them critical."
    )
