"""`homecoming ledger ...`: the operator's and investigator's commands for the audit ledger."""

import json
import sys
from pathlib import Path


def add_parser(sub, command_error):
    ledger = sub.add_parser("ledger", help="the tamper-evident audit ledger")
    cmds = ledger.add_subparsers(dest="ledger_command", required=True)

    s = cmds.add_parser("keygen", help="make the ledger's Ed25519 signing key (once)")
    s.add_argument("--name", help="the log's name (origin line), e.g. center.example.gov/ledger")
    s.add_argument("--key", type=Path, help="where to write it (default HOMECOMING_LEDGER_KEY)")

    s = cmds.add_parser(
        "rotate-key",
        help="change the signing key: the old key announces the new one (alerts oversight)",
    )
    s.add_argument("--reason", required=True, help="why, in words the oversight body reads")

    cmds.add_parser("vkey", help="print the public verifier key to give the oversight body")
    cmds.add_parser("vkeys", help="print every public key the ledger was signed with, oldest first")
    cmds.add_parser("checkpoint", help="sign a checkpoint now and print it")
    cmds.add_parser("checkpoints", help="print every checkpoint ever signed (NDJSON)")
    cmds.add_parser("deliver", help="send due checkpoints to the witnesses now")
    s = cmds.add_parser(
        "accept-rollback",
        help="after a real loss: carry on from the restored ledger (alerts oversight, ledgered)",
    )
    s.add_argument("--reason", required=True, help="why, in words the oversight body reads")

    s = cmds.add_parser("proof", help="an inclusion or consistency proof")
    kinds = s.add_subparsers(dest="proof_kind", required=True)
    p = kinds.add_parser("inclusion", help="entry INDEX is in the tree of SIZE")
    p.add_argument("index", type=int)
    p.add_argument("--size", type=int, help="tree size (default: the latest checkpoint)")
    p = kinds.add_parser("consistency", help="the tree of NEW extends the tree of OLD")
    p.add_argument("old", type=int)
    p.add_argument("new", type=int, nargs="?", help="default: the latest checkpoint")

    s = cmds.add_parser("export", help="write a bundle an investigator verifies offline")
    s.add_argument("-o", "--output", type=Path, required=True, help="a new folder")
    which = s.add_mutually_exclusive_group()
    which.add_argument("--resident", type=int, help="only this resident's entries, with proofs")
    which.add_argument("--since-checkpoint", type=Path, help="only what came after this one")

    s = cmds.add_parser("verify", help="check a bundle offline, or the live database")
    s.add_argument("bundle", type=Path, nargs="?")
    s.add_argument(
        "--vkey",
        type=Path,
        action="append",
        default=[],
        help="the ledger's key as you hold it (an old one is enough; repeatable)",
    )
    s.add_argument("--previous", type=Path, help="a checkpoint kept earlier it must extend")
    s.add_argument(
        "--witness", type=Path, action="append", default=[], help="a witness's key (repeatable)"
    )
    s.add_argument("--database", action="store_true", help="check the live database instead")

    ledger.set_defaults(func=lambda args: run(args, command_error))


def _latest_size(command_error) -> int:
    from .tree import latest_checkpoint

    latest = latest_checkpoint()
    if latest is None:
        raise command_error("No checkpoint yet: run `homecoming ledger checkpoint`.")
    return latest.tree_size


def run(args, command_error):
    from . import signing
    from .rollback import RollbackDetected

    cmd = args.ledger_command
    if cmd == "verify" and not args.database:
        return _verify_bundle(args, command_error)
    if cmd == "keygen":
        return _keygen(args, command_error)
    if cmd == "rotate-key":
        return _rotate_key(args, command_error)
    try:
        handler = {
            "vkey": _vkey,
            "vkeys": _vkeys,
            "checkpoint": _checkpoint,
            "checkpoints": _checkpoints,
            "deliver": _deliver,
            "accept-rollback": _accept_rollback,
            "proof": _proof,
            "export": _export,
            "verify": _verify_database,
        }[cmd]
        return handler(args, command_error)
    except signing.KeyMissing as exc:
        raise command_error(str(exc)) from exc
    except RollbackDetected as exc:
        raise command_error(
            f"Refused to sign a checkpoint: {exc}. The oversight body and the program director "
            "have been alerted."
        ) from exc


def _keygen(args, command_error):
    from django.conf import settings

    from . import signing
    from .verify import NoteError

    try:
        key = signing.generate(args.name or settings.HOMECOMING_LEDGER_NAME, args.key)
    except (FileExistsError, NoteError) as exc:
        raise command_error(str(exc)) from exc
    print(key.vkey)
    print(
        f"Signing key written to {args.key or signing.key_path()} (keep it secret); the line "
        "above is the public verifier key to give the oversight body.",
        file=sys.stderr,
    )


def _vkey(args, command_error):
    from . import signing

    print(signing.load().vkey)


def _vkeys(args, command_error):
    from . import rotation

    for key in rotation.known_keys():
        print(rotation.format_verifier(key))


def _rotate_key(args, command_error):
    from homecoming.access.policy import Purpose
    from homecoming.accounts import operator
    from homecoming.accounts.models import Role
    from homecoming.alerts.services import notify_role

    from . import rotation
    from . import services as ledger
    from .checkpoints import LedgerBroken
    from .rollback import RollbackDetected

    def record(old, new):
        # Who rotated, from where; the rotation itself; the oversight body told. All inside the
        # transaction of the transition, so the transition's tree holds them.
        run = operator.record_command("ledger rotate-key", f"--reason {args.reason.strip()}")
        ledger.append(
            None,
            rotation.ACTION,
            ledger.Target(object_type="ledger.key", object_id=new.verifier.id.hex()),
            purpose=Purpose.OPERATIONS,
        )
        notify_role(
            Role.OVERSIGHT,
            kind=rotation.ALERT_KIND,
            message=(
                f"{operator.who(run)} changed the ledger's signing key ({args.reason.strip()}). "
                f"Old key: {old.vkey}. New key: {new.vkey}. The old key's last checkpoint "
                "announces the new one and is signed by both; check it against the old key you "
                "hold, then keep the new key beside it."
            ),
        )

    try:
        checkpoint, old, new = rotation.rotate(args.reason, record)
    except rotation.RotationRefused as exc:
        raise command_error(
            "Cannot rotate the ledger's key:\n" + "\n".join(f"- {p}" for p in exc.problems)
        ) from exc
    except (LedgerBroken, RollbackDetected, OSError) as exc:
        raise command_error(f"The key was not rotated (the old key stays in use): {exc}") from exc
    print(new.vkey)
    print(
        f"The ledger's key was rotated at tree size {checkpoint.tree_size}: the line above is the "
        f"new public key. The old private key was replaced at {rotation.signing.key_path()}; its "
        f"public key is kept in {rotation.history_path()}. Destroy every backup copy of the old "
        "private key. The oversight body has been alerted.",
        file=sys.stderr,
    )


def _checkpoint(args, command_error):
    from .checkpoints import make_checkpoint

    sys.stdout.write(make_checkpoint().note)


def _checkpoints(args, command_error):
    from .checkpoints import history_ndjson

    sys.stdout.write(history_ndjson())


def _deliver(args, command_error):
    from .witnesses import deliver_pending

    sent, failed = deliver_pending()
    print(f"{sent} deliveries sent, {failed} failed")
    if failed:
        raise command_error("some witnesses did not take their checkpoint; see the worker log")


def _accept_rollback(args, command_error):
    from .rollback import accept

    if not args.reason.strip():
        raise command_error("Give a --reason: the oversight body reads it.")
    found = accept(args.reason.strip())
    if not found:
        raise command_error("Nothing to accept: the database's ledger extends every signed tree.")
    for problem in found:
        print(f"Accepted: {problem}")
    print("The oversight body and the program director have been alerted; signing resumes.")


def _proof(args, command_error):
    from . import tree

    try:
        if args.proof_kind == "inclusion":
            size = args.size or _latest_size(command_error)
            proof = tree.inclusion(args.index, size)
            body = {"index": args.index, "tree_size": size}
        else:
            new = args.new or _latest_size(command_error)
            proof = tree.consistency(args.old, new)
            body = {"old_size": args.old, "new_size": new}
    except ValueError as exc:
        raise command_error(str(exc)) from exc
    print(json.dumps(body | {"proof": [h.hex() for h in proof]}, indent=2))


def _export(args, command_error):
    from .export import ExportError, export

    since = None
    if args.since_checkpoint is not None:
        try:
            since = args.since_checkpoint.read_text("utf-8")
        except OSError as exc:
            raise command_error(f"Cannot read {args.since_checkpoint}: {exc}") from exc
    from homecoming.accounts import operator

    # Who copied the record out, from where, and one entry per resident the bundle discloses:
    # each resident's "who looked" list shows the copy.
    which = (
        f"--resident {args.resident}"
        if args.resident is not None
        else "--since-checkpoint"
        if since is not None
        else "full"
    )
    run = operator.record_command("ledger export", f"{which} -o {args.output}")
    try:
        summary = export(
            args.output,
            resident_id=args.resident,
            since=since,
            on_disclose=lambda ids: operator.record_disclosure(run, "ledger.export", ids),
        )
    except (ExportError, ValueError) as exc:
        raise command_error(str(exc)) from exc
    print(
        f"Wrote a {summary['kind']} bundle of tree size {summary['tree_size']} to "
        f"{summary['folder']} (data of {summary['residents']} resident(s); each has a ledger "
        f"entry for it, naming {run.os_user}@{run.host})"
    )


def _verify_bundle(args, command_error):
    from . import verify

    if args.bundle is None:
        raise command_error("Name a bundle folder, or use --database.")
    argv = [str(args.bundle)]
    for vkey in args.vkey:
        argv += ["--vkey", str(vkey)]
    if args.previous:
        argv += ["--previous", str(args.previous)]
    for witness in args.witness:
        argv += ["--witness", str(witness)]
    code = verify.main(argv)
    if code:
        sys.exit(code)


def _verify_database(args, command_error):
    from .dbcheck import check

    report = check()
    if report.ok:
        print(
            f"OK: {report.entries} entries, {report.checkpoints} signed checkpoint(s) and "
            f"{report.rows} record rows are intact"
        )
        return
    for problem in report.problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    sys.exit(1)
