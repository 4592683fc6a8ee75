"""`homecoming`: the one command an operator runs.

homecoming init                    first run: the center and its program director
homecoming center load FILE        load the center's programs, rooms, beds and staff (YAML)
homecoming migrate                 create or update the database
homecoming demo [--residents N]    load the demo center (the story, plus synthetic residents)
homecoming serve [--port 8000]     serve the center with gunicorn
homecoming check [--deploy]        check the settings (--deploy: ready for production?)
homecoming createuser --role ROLE --username U --full-name NAME [--email A]
                                   (password on stdin/prompt)
homecoming alerts test-email ADDRESS   check the alert e-mail settings
homecoming changepassword USERNAME  set a staff member's password (they replace it at log-in)
homecoming token create --username U --name NAME [--scope read|write] [--days 90]
                                   issue an API token (shown once)
homecoming token list [--username U]
homecoming token revoke PREFIX
homecoming demo-code USERNAME      the current second-factor code of a demo account
homecoming backup -o FILE          a backup archive of the running center
homecoming restore FILE            restore one onto an empty database and data folder
homecoming outcomes export -o FILE [--sponsor] [--from DATE --to DATE]
                                   the program's outcomes as CSV (ledgered)
homecoming manage ARGS...          any Django management command

Every command that touches accounts or resident data first writes a ledger entry naming the
operating-system user and host that ran it (accounts/operator.py); those that change an account
alert the oversight body and the program director.
"""

import argparse
import getpass
import os
import sys


class CommandError(Exception):
    """A mistake the operator can fix: printed without a traceback, exit status 2."""


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "homecoming.settings")
    import django
    from django.conf import settings

    django.setup()
    if "sqlite3" in settings.DATABASES["default"]["ENGINE"]:
        # Owner-only when new: the SQLite file in it holds every resident's record.
        settings.DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def cmd_migrate(args):
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    print("Database is up to date.")


def cmd_demo(args):
    from django.conf import settings

    from homecoming.demo import builder
    from homecoming.ledger import signing

    if not 1 <= args.residents <= builder.MAX_RESIDENTS:
        raise CommandError(f"--residents must be from 1 to {builder.MAX_RESIDENTS}.")
    if not signing.key_path().exists():
        # The demo signs its ledger from the start; a real center runs `ledger keygen` itself.
        signing.generate(settings.HOMECOMING_LEDGER_NAME)
    try:
        summary = builder.build(residents=args.residents, progress=not args.quiet)
    except builder.DemoUnavailable as exc:
        raise CommandError(str(exc)) from exc
    except builder.AlreadyBuilt as exc:
        if args.residents != builder.DEFAULT_RESIDENTS:
            raise CommandError(str(exc)) from exc
        summary = builder.existing_summary()
    from homecoming.ledger.checkpoints import make_checkpoint

    checkpoint = make_checkpoint()
    print(summary)
    print(
        f"\nThe ledger holds {checkpoint.tree_size} entries, signed in a checkpoint; "
        f"verify it with: {builder.own_command()} ledger verify --database"
    )


def cmd_serve(args):
    from django.conf import settings
    from django.core.management import call_command

    from homecoming.core.cli import ACCESS_LOG_FORMAT, require_database

    require_database(CommandError)
    call_command("collectstatic", interactive=False, verbosity=0)
    bind = f"{args.host}:{args.port}"
    web = [
        sys.executable, "-m", "gunicorn", "homecoming.wsgi:application",
        "--bind", bind, "--workers", str(args.workers), "--access-logfile", "-",
        "--access-logformat", ACCESS_LOG_FORMAT,
        "--forwarded-allow-ips", settings.HOMECOMING_TRUSTED_PROXIES,
    ]  # fmt: skip
    print(f"Serving {settings.DATABASES['default']['NAME']} on http://{bind}/", flush=True)
    if args.no_worker:
        os.execv(sys.executable, web)
    _run_together([web, [sys.executable, "-m", "homecoming.cli", "worker"]])


def _run_together(commands):
    """Run the web server and the ledger worker side by side; when one stops, stop the other."""
    import signal
    import subprocess
    import time

    children = [subprocess.Popen(c) for c in commands]

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(1)
    finally:
        stop()
        for child in children:
            child.wait()
    return children[0].returncode


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError("Give the password with --password-stdin when not at a terminal.")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise CommandError("The two passwords differ.")
    return first


def _operator(command: str, detail: str = ""):
    """The ledger entry naming who ran this command where (one helper, for every command)."""
    from homecoming.accounts import operator

    return operator.record_command(command, detail)


def cmd_createuser(args):
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from homecoming.accounts import operator, overseers, services

    twin = overseers.duplicate_warning(args.full_name)
    if twin:  # a warning, not a refusal: the oversight body is told in the account's alert
        print(f"Warning: {twin}", file=sys.stderr)
    password = _password(args)
    try:
        # The run and the account in one transaction: a refused account writes nothing at all.
        with transaction.atomic():
            run = _operator("createuser", f"--username {args.username} --role {args.role}")
            user = services.create_user(
                None,
                username=args.username,
                full_name=args.full_name,
                role=args.role,
                password=password,
                is_prescriber=args.prescriber,
                is_medical_lead=args.medical_lead,
                is_trainee=args.trainee,
                email=args.email,
                check_policy=False,
                operator=operator.who(run),
            )
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from exc
    print(f"Created {user.get_role_display().lower()} {user.username}.")


def cmd_changepassword(args):
    """Django's own `changepassword` writes no ledger entry and tells nobody; this one does."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from homecoming.accounts import operator, services
    from homecoming.accounts.models import User

    user = User.objects.filter(username=args.username).exclude(role="resident").first()
    if user is None:
        raise CommandError(
            f"No staff account {args.username!r} (residents' log-ins are given from their chart)."
        )
    password = _password(args)
    try:
        with transaction.atomic():  # a refused password writes nothing, the run included
            run = _operator("changepassword", f"--username {user.username}")
            services.set_password_by_operator(user, password, operator=operator.who(run))
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from exc
    print(
        f"Set a new password for {user.username}; they choose their own at their next log-in. "
        "The oversight body and the program director have been told."
    )


def cmd_token(args):
    from django.core.exceptions import ValidationError

    from homecoming.accounts import operator, tokens
    from homecoming.accounts.models import ApiToken, User

    if args.token_command == "create":
        user = User.objects.filter(username=args.username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {args.username!r}.")
        try:  # every problem at once, before the run is written
            tokens.check_request(args.name, args.scope, args.days)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        run = _operator(
            "token create",
            f"--username {user.username} --scope {args.scope} --days {args.days}",
        )
        token, clear = tokens.issue(
            user, args.name, scope=args.scope, days=args.days, operator=operator.who(run)
        )
        print(clear)
        print(
            f"Token {token.prefix} for {user.username} ({token.get_scope_display().lower()}, "
            f"until {token.expires_at:%Y-%m-%d}): shown once, store it now.",
            file=sys.stderr,
        )
    elif args.token_command == "list":
        user = None
        if args.username:
            user = User.objects.filter(username=args.username).first()
            if user is None:
                raise CommandError(f"No user {args.username!r}.")
        _operator("token list", f"--username {args.username}" if args.username else "")
        for token in tokens.listed(None, user):
            state = (
                f"revoked {token.revoked_at:%Y-%m-%d}"
                if token.revoked_at
                else f"expires {token.expires_at:%Y-%m-%d}"
                if token.expires_at
                else "no expiry"
            )
            print(f"{token.prefix}\t{token.user.username}\t{token.scope}\t{state}\t{token.name}")
    else:
        token = ApiToken.objects.filter(prefix=args.prefix).first()
        if token is None:
            raise CommandError(f"No token with prefix {args.prefix!r}.")
        _operator("token revoke", token.prefix)
        if not tokens.revoke(token):
            raise CommandError(f"Token {token.prefix} was already revoked.")
        print(f"Revoked token {token.prefix}.")


def cmd_demo_code(args):
    from homecoming.demo import builder

    try:
        print(builder.current_code(args.username))
    except LookupError as exc:
        raise CommandError(str(exc)) from exc


def cmd_worker(args):
    from homecoming.core import worker
    from homecoming.core.cli import require_database
    from homecoming.ledger import signing

    require_database(CommandError)
    try:
        worker.run(once=args.once)
    except signing.KeyMissing as exc:
        raise CommandError(str(exc)) from exc


# Django's own commands that change accounts with no ledger entry and no alert: refused, with
# the `homecoming` command that does the same accountably.
UNACCOUNTED = {
    "changepassword": "homecoming changepassword USERNAME",
    "createsuperuser": "homecoming createuser --role ROLE ...",
}


def cmd_manage(args):
    from django.core.management import execute_from_command_line

    name = next((a for a in args.rest if not a.startswith("-")), "")
    if name in UNACCOUNTED:
        raise CommandError(
            f"`manage {name}` changes accounts unseen; use `{UNACCOUNTED[name]}`, which writes "
            "a ledger entry and tells the oversight body."
        )

    execute_from_command_line(["homecoming manage", *args.rest])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="homecoming", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("migrate", help="create or update the database")
    s.add_argument("-v", "--verbose", action="store_true")
    s.set_defaults(func=cmd_migrate)

    from homecoming.demo.constants import DEFAULT_RESIDENTS

    s = sub.add_parser("demo", help="load the demo center")
    s.add_argument(
        "--residents",
        type=int,
        default=DEFAULT_RESIDENTS,
        help=f"synthetic residents to admit (default {DEFAULT_RESIDENTS})",
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("serve", help="serve the center with gunicorn")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=2)
    s.add_argument(
        "--no-worker",
        action="store_true",
        help="do not run the checkpoint worker beside the server",
    )
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("worker", help="scheduled checkpoints and witness deliveries")
    s.add_argument("--once", action="store_true", help="one round, then exit (for cron)")
    s.set_defaults(func=cmd_worker)

    from homecoming.ledger import cli as ledger_cli

    ledger_cli.add_parser(sub, CommandError)

    from homecoming.core import cli as core_cli

    core_cli.add_parser(sub, CommandError)

    from homecoming.alerts import cli as alerts_cli

    alerts_cli.add_parser(sub, CommandError)

    from homecoming.residents import cli as center_cli  # init, center load (issue 12, part 2)

    center_cli.add_parser(sub, CommandError)

    from homecoming.core import backup_cli

    backup_cli.add_parser(sub, CommandError)

    from homecoming.outcomes import cli as outcomes_cli

    outcomes_cli.add_parser(sub, CommandError)

    from homecoming.fhir import cli as fhir_cli  # export fhir (issue 17)

    fhir_cli.add_parser(sub, CommandError)

    from homecoming.accounts.models import Role

    s = sub.add_parser("createuser", help="create a staff account")
    s.add_argument("--role", required=True, choices=[r for r in Role.values if r != "resident"])
    s.add_argument("--username", required=True)
    s.add_argument("--full-name", required=True)
    s.add_argument("--email", default="", help="where their alerts are e-mailed")
    s.add_argument("--prescriber", action="store_true")
    s.add_argument("--medical-lead", action="store_true")
    s.add_argument(
        "--trainee", action="store_true", help="a trainee: a supervisor co-signs their notes"
    )
    s.add_argument("--password-stdin", action="store_true")
    s.set_defaults(func=cmd_createuser)

    s = sub.add_parser(
        "changepassword", help="set a staff member's password (ledgered, oversight told)"
    )
    s.add_argument("username")
    s.add_argument("--password-stdin", action="store_true")
    s.set_defaults(func=cmd_changepassword)

    from homecoming.accounts.tokens import DEFAULT_DAYS

    s = sub.add_parser("token", help="API tokens")
    tsub = s.add_subparsers(dest="token_command", required=True)
    t = tsub.add_parser("create")
    t.add_argument("--username", required=True)
    t.add_argument("--name", required=True, help="what the token is for")
    t.add_argument(
        "--scope", choices=["read", "write"], default="write", help="read only, or read and write"
    )
    t.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help=f"days until it expires ({DEFAULT_DAYS})"
    )
    t = tsub.add_parser("list", help="every token (or one user's), with scope and expiry")
    t.add_argument("--username")
    t = tsub.add_parser("revoke")
    t.add_argument("prefix")
    s.set_defaults(func=cmd_token)

    s = sub.add_parser("demo-code", help="current second-factor code of a demo account")
    s.add_argument("username")
    s.set_defaults(func=cmd_demo_code)

    s = sub.add_parser("manage", help="run a Django management command")
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_manage)
    return p


def main(argv=None):
    from django.core.exceptions import ImproperlyConfigured

    try:
        _setup()
    except ImproperlyConfigured as exc:
        # A setting the operator got wrong (an unknown e-mail scheme, a signal rule): say which,
        # without a traceback, as for any other mistake.
        print(f"homecoming: {exc}", file=sys.stderr)
        return 2
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except CommandError as exc:
        print(f"homecoming: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
