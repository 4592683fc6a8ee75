"""`homecoming backup -o FILE` and `homecoming restore FILE` (the work is in core/backup.py)."""

import contextlib
import sys
from pathlib import Path

from django.db import DatabaseError


def add_parser(sub, command_error):
    s = sub.add_parser(
        "backup",
        help="write a backup archive (database, uploaded files, latest signed checkpoint)",
        description="A consistent snapshot taken while the center runs. Never holds the ledger "
        "signing key or the secret keys: back those up separately.",
    )
    s.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="a new .tar.gz file, or a folder to write homecoming-<time>.tar.gz into",
    )
    s.set_defaults(func=lambda args: _backup(args, command_error))

    s = sub.add_parser(
        "restore",
        help="restore a backup onto an empty database and data directory",
        description="Checks every part of the archive first; refuses a database or uploaded "
        "files folder that is not empty.",
    )
    s.add_argument("archive", type=Path)
    s.set_defaults(func=lambda args: _restore(args, command_error))


def _backup(args, command_error):
    from homecoming.accounts.operator import record_command
    from homecoming.core import backup

    # Who copied every resident's record, from where: before the snapshot, so it holds it too.
    with contextlib.suppress(DatabaseError):  # no center yet: backup.create says so
        record_command("backup", f"-o {args.output}")
    try:
        summary = backup.create(args.output)
    except backup.BackupError as exc:
        raise command_error(str(exc)) from exc
    manifest = summary.manifest
    files = sum(1 for p in manifest["parts"] if p["name"].startswith(backup.MEDIA_PREFIX))
    size = manifest["checkpoint_tree_size"]
    signed = f"checkpoint of {size} entries" if size is not None else "no signed checkpoint yet"
    print(
        f"Wrote {summary.path} ({summary.size} bytes): the {manifest['database']} database, "
        f"{files} uploaded file(s), {signed}."
    )
    print(
        "Not included: the ledger signing key and the secret keys; back them up separately.",
        file=sys.stderr,
    )


def _restore(args, command_error):
    from homecoming.core import backup

    try:
        summary = backup.restore(args.archive)
    except backup.BackupError as exc:
        raise command_error(str(exc)) from exc
    from homecoming.accounts.operator import record_command

    record_command("restore", str(args.archive))  # who brought this history back, from where
    print(
        f"Restored {args.archive}: the {summary.manifest['database']} database "
        f"({summary.entries} ledger entries, the restore's own included) and "
        f"{summary.files} uploaded file(s)."
    )
    for warning in summary.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    print("Check it with: homecoming ledger verify --database")
