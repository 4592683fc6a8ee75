"""`homecoming check [--deploy]`: Django's system checks (with --deploy, its security checks for
production) plus the center's own (core/checks.py), each problem named, exit 2 if any; and the
database check `serve` and `worker` make before they start."""

# gunicorn's access log, without what may carry resident data: the path without its query string
# (%(U)s, not the request line %(r)s: a search's ?q= is a name) and no Referer (%(f)s: the page
# someone came from has its own query string). Method, status, size, time taken, user agent stay.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


def require_database(CommandError) -> None:
    """`serve` and `worker` start only on a reachable, migrated database, saying why not."""
    from homecoming.core import readiness

    try:
        readiness.require_database()
    except readiness.NotReady as exc:
        raise CommandError(str(exc)) from exc


def _said(message) -> str:
    hint = f"\n    {message.hint}" if message.hint else ""
    return f"[{message.id}] {message.msg}{hint}"


def add_parser(sub, CommandError):
    def cmd_check(args):
        from django.core import checks

        messages = checks.run_checks(include_deployment_checks=args.deploy)
        problems = [m for m in messages if m.level >= checks.WARNING and not m.is_silenced()]
        notes = [m for m in messages if m.level < checks.WARNING and not m.is_silenced()]
        for m in notes:
            print(f"note: {_said(m)}")
        if problems:
            for m in problems:
                print(f"problem: {_said(m)}")
            kind = "deployment check" if args.deploy else "check"
            raise CommandError(f"The {kind} found {len(problems)} problem(s), listed above.")
        what = "production settings" if args.deploy else "settings"
        print(f"No problem found with the {what}.")

    s = sub.add_parser("check", help="check the settings (--deploy: for production)")
    s.add_argument(
        "--deploy",
        action="store_true",
        help="also the checks for a production center: HTTPS, keys, DEBUG, host names",
    )
    s.set_defaults(func=cmd_check)
