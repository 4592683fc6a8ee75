"""The person at the server: every `homecoming` command that touches accounts or resident data
writes who ran it (the operating-system user and the host) before it does anything else.

A command acts as "system" (there is no log-in at the command line), so without this the ledger
would say only that *someone* with shell access issued a token, changed a password or copied the
whole record. The run is a row of its own (`CommandRun`, append-only) and its ledger entry
commits to the row's version, so the names are inside the signed tree, not beside it.

The user is taken from the process's real user id, not from $USER or $LOGNAME, which anyone can
set; a `sudo` is named with the account that ran it (sudo's own SUDO_USER)."""

import os
import socket

from django.db import transaction
from django.utils import timezone

from homecoming.access.policy import Purpose
from homecoming.ledger import services as ledger

from .models import CommandRun

ACTION = "operator.command"


def os_user() -> str:
    try:
        import pwd

        name = pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # no passwd entry (a bare container): the number says it
        name = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
    sudo = os.environ.get("SUDO_USER")
    return f"{name} (sudo by {sudo})" if sudo and sudo != name else name


def host() -> str:
    return socket.gethostname() or "unknown"


def record_command(command: str, detail: str = "") -> CommandRun:
    """Write the run and its ledger entry and return it, for the command's own entries and
    alerts to refer to. Inside the command's transaction when it opens one (a refused account
    change then writes nothing at all); otherwise committed at once, before the work (a backup
    or an export that then fails was still tried). `detail` is the arguments that say what was
    done: never a password or a token."""
    with transaction.atomic():
        run = CommandRun.objects.create(
            time=timezone.now(),
            command=command[:64],
            detail=detail[:500],
            os_user=os_user()[:150],
            host=host()[:255],
        )
        ledger.record_write(None, ACTION, run, resident_id=None, purpose=Purpose.OPERATIONS)
    return run


def who(run: CommandRun) -> str:
    """How alerts name the operator: 'The operator alice@server1 (command line)'."""
    return f"The operator {run.os_user}@{run.host} (command line)"


def record_disclosure(run: CommandRun, action: str, resident_ids) -> int:
    """One entry per resident whose data the command wrote out (an export), each committing to
    the run, so the resident's "who looked" list and an investigator see the copy and who made
    it. Returns how many were written."""
    target = ledger.Target.of(run, version_sha256=_run_version(run))
    targets = [
        ledger.Target(
            resident_id=r,
            object_type=target.object_type,
            object_id=target.object_id,
            version_sha256=target.version_sha256,
        )
        for r in sorted(set(resident_ids))
    ]
    if not targets:
        return 0
    with transaction.atomic():
        ledger.append_many(None, action, targets, purpose=Purpose.OPERATIONS)
    return len(targets)


def _run_version(run: CommandRun) -> str:
    return ledger.current_version_hashes(run._meta.label_lower, [run.pk]).get(str(run.pk), "")
