"""`homecoming init` and `homecoming center load`: a real center's first day.

`init` makes the center and its first program director on an empty database (and the ledger's
signing key if there is none); `center load FILE` brings programs, rooms, beds and staff from a
YAML file (residents/loader.py). Both write through the same services as the director's pages,
so every row has its version and ledger entry (actor "system": the operator at the server).
"""

import secrets
import sys
from pathlib import Path

NEXT_STEPS = """\
Next steps:
  1. Start the server and its worker: homecoming serve (see docs/operating.md).
  2. {username} logs in at /login/ with the one-time password, chooses their own password and
     enrols an authenticator app (scan the QR code shown, then type its six-digit code).
  3. Add programs, rooms and beds, and staff, on the Center pages, or load them all at once:
     homecoming center load FILE   (the format: examples/center.yaml, docs/operating.md)
  4. Give the oversight body the ledger's public key: homecoming ledger vkey
"""


def add_parser(sub, command_error):
    s = sub.add_parser("init", help="first run: create the center and its program director")
    s.add_argument("--name", help="the center's name")
    s.add_argument("--time-zone", help="the center's IANA time zone, e.g. America/Chicago")
    s.add_argument("--operator", default="", help="the company operating the center")
    s.add_argument("--sponsor", default="", help="the body paying for it")
    s.add_argument("--director-username", help="the program director's username")
    s.add_argument("--director-name", help="the program director's full name")
    s.add_argument("--director-email", default="", help="the program director's e-mail")
    s.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the director's one-time password from stdin (default: generate and print it)",
    )
    s.set_defaults(func=lambda args: cmd_init(args, command_error))

    s = sub.add_parser("center", help="load the center's programs, rooms, beds and staff")
    cmds = s.add_subparsers(dest="center_command", required=True)
    load = cmds.add_parser("load", help="load (or update) the center from a YAML file")
    load.add_argument("file", type=Path)
    load.add_argument(
        "--dry-run", action="store_true", help="check the file and say what would change"
    )
    s.set_defaults(func=lambda args: cmd_center(args, command_error))


def one_time_password() -> str:
    """Four groups of five letters and digits (about 100 bits): read out or typed once."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to mistake
    groups = ["".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4)]
    return "-".join(groups)


def _ask(args, command_error):
    """Fill what the flags left out by asking, at a terminal; elsewhere name every missing flag."""
    wanted = [
        ("name", "--name", "Center name"),
        ("time_zone", "--time-zone", "Time zone (e.g. America/Chicago)"),
        ("director_username", "--director-username", "Program director's username"),
        ("director_name", "--director-name", "Program director's full name"),
    ]
    missing = [flag for attr, flag, _ in wanted if not getattr(args, attr)]
    if missing and not sys.stdin.isatty():
        raise command_error(f"Give {', '.join(missing)} (not at a terminal, nothing to ask).")
    for attr, _, question in wanted:
        if not getattr(args, attr):
            setattr(args, attr, input(f"{question}: ").strip())


def cmd_init(args, command_error):
    from django.core.exceptions import ValidationError
    from django.core.management import call_command
    from django.db import transaction

    from homecoming.accounts import services as accounts
    from homecoming.accounts.models import Role

    from . import setup
    from .models import Center

    call_command("migrate", interactive=False, verbosity=0)
    if Center.objects.exists():
        center = Center.objects.get()
        raise command_error(
            f"This database already holds a center ({center.name}); init runs once, on an empty "
            "database. Change the center on its pages or with `homecoming center load FILE`."
        )
    _ask(args, command_error)
    from homecoming.accounts import operator as operators

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        generated = False
    else:
        password, generated = one_time_password(), True
    errors = {}
    try:
        with transaction.atomic():
            # Who set the center up, from where (accounts/operator.py), in the same transaction:
            # a refused init writes nothing. The director's account alert names them too.
            run = operators.record_command("init", f"--director-username {args.director_username}")
            try:
                center = setup.create_center(
                    None,
                    name=args.name,
                    time_zone=args.time_zone,
                    operator=args.operator,
                    sponsor=args.sponsor,
                    check_policy=False,
                )
            except ValidationError as exc:
                errors.update(exc.message_dict)
            try:
                director = accounts.create_user(
                    None,
                    username=args.director_username,
                    full_name=args.director_name,
                    role=Role.PROGRAM_DIRECTOR,
                    password=password,
                    email=args.director_email,
                    check_policy=False,
                    must_change_password=True,
                    operator=operators.who(run),
                )
            except ValidationError as exc:
                errors.update({f"director {k}": v for k, v in exc.message_dict.items()})
            if errors:
                raise _Refused
    except _Refused:
        lines = [f"  {field.replace('_', ' ')}: {' '.join(m)}" for field, m in errors.items()]
        raise command_error("Nothing was created:\n" + "\n".join(lines)) from None

    print(f"Created the center {center.name!r} (times shown in {center.time_zone}).")
    print(f"Created the program director {director.username!r} ({director.full_name}).")
    if generated:
        print(
            f"\nOne-time password for {director.username}: {password}\n"
            "It is shown once and is not stored in the clear: hand it over in person. They "
            "replace it at their first log-in, and enrol their second factor there."
        )
    print("\n" + ensure_ledger_key())
    print("\n" + NEXT_STEPS.format(username=director.username), end="")


def ensure_ledger_key() -> str:
    """The ledger signs its checkpoints from the first day: make the key if there is none."""
    from django.conf import settings

    from homecoming.ledger import signing

    if signing.key_path().exists():
        return f"The ledger's signing key is at {signing.key_path()} (kept as it was)."
    signing.generate(settings.HOMECOMING_LEDGER_NAME)
    return (
        f"Made the ledger's signing key at {signing.key_path()} (owner-only). Back it up apart "
        "from the database."
    )


class _Refused(Exception):
    """Rolls the transaction back after every error was collected."""


def cmd_center(args, command_error):
    from django.core.management import call_command

    from . import loader

    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        raise command_error(f"Cannot read {args.file}: {exc.strerror}.") from exc
    call_command("migrate", interactive=False, verbosity=0)
    try:
        report = loader.load(text, dry_run=args.dry_run, source=str(args.file))
    except loader.LoadError as exc:
        lines = "\n".join(f"  {problem}" for problem in exc.problems)
        raise command_error(
            f"{args.file} was refused whole; nothing was written. "
            f"{len(exc.problems)} problem(s):\n{lines}"
        ) from exc
    if report.changes and not args.dry_run:
        # It created or changed staff accounts, perhaps: say who ran it, from where. Only when it
        # wrote something (a refused or idle load writes nothing at all).
        from homecoming.accounts.operator import record_command

        record_command("center load", str(args.file))
    print(report.text(dry_run=args.dry_run))
    if report.changes and not args.dry_run:
        from homecoming.ledger import signing

        if not signing.key_path().exists():
            print(ensure_ledger_key())
