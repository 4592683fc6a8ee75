"""Issue 13, part 5: the operator's command line is accounted for. Every command that touches
accounts or resident data writes a ledger entry naming the operating-system user and host; the
account-changing ones alert the oversight body. On main, `token create`, `changepassword`,
`ledger export` and `backup` wrote no such entry and told nobody."""

import datetime as dt
import io
import os
import pwd
import socket

import pytest

from homecoming import cli
from homecoming.accounts.models import ApiToken, CommandRun
from homecoming.alerts.models import Alert
from homecoming.core import backup
from homecoming.ledger.models import Entry, Version

OS_USER = pwd.getpwuid(os.getuid()).pw_name
HOST = socket.gethostname()


def run(argv, monkeypatch, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(argv)


def the_run(command) -> CommandRun:
    """The command's run, and proof that the ledger commits to it (its entry and version)."""
    found = CommandRun.objects.get(command=command)
    assert found.os_user == OS_USER and found.host == HOST
    entry = Entry.objects.get(action="operator.command", object_id=str(found.pk))
    version = Version.objects.get(seq=entry.seq)
    assert f'"os_user":"{OS_USER}"' in version.content and f'"host":"{HOST}"' in version.content
    return found


def told_oversight(staff, words) -> Alert:
    alert = Alert.objects.filter(recipient=staff["oversight"], message__contains=words).get()
    assert f"{OS_USER}@{HOST}" in alert.message
    assert Alert.objects.filter(recipient=staff["program_director"], event=alert.event).exists()
    return alert


def test_replay_token_create_for_a_staff_member(staff, monkeypatch, capsys):
    argv = ["token", "create", "--username", "clinician", "--name", "backdoor", "--scope", "read"]
    assert run(argv, monkeypatch) == 0
    token = ApiToken.objects.get(user=staff["clinician"])
    assert token.scope == "read" and token.created_by is None
    assert dt.timedelta(days=89) < token.expires_at - token.created_at <= dt.timedelta(days=90)
    assert "clinician" in the_run("token create").detail
    told_oversight(staff, "issued an API token")
    assert Entry.objects.filter(action="token.create", object_id=str(token.pk)).exists()


def test_bad_token_requests_write_nothing(staff, monkeypatch, capsys):
    argv = ["token", "create", "--username", "clinician", "--name", " ", "--days", "400"]
    assert run(argv, monkeypatch) == 2
    err = capsys.readouterr().err
    assert "Say what the token is for" in err and "from 1 to 365 days" in err
    assert not CommandRun.objects.exists() and not ApiToken.objects.exists()


def test_token_list_and_revoke_are_ledgered(staff, monkeypatch, capsys):
    assert run(["token", "create", "--username", "caseworker", "--name", "x"], monkeypatch) == 0
    token = ApiToken.objects.get()
    assert run(["token", "list"], monkeypatch) == 0
    assert token.prefix in capsys.readouterr().out
    assert run(["token", "revoke", token.prefix], monkeypatch) == 0
    the_run("token list"), the_run("token revoke")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert run(["token", "revoke", token.prefix], monkeypatch) == 2


def test_replay_changepassword(staff, monkeypatch, capsys):
    assert (
        run(
            ["changepassword", "supervisor", "--password-stdin"],
            monkeypatch,
            "a new long passphrase\n",
        )
        == 0
    )
    user = staff["supervisor"]
    user.refresh_from_db()
    assert user.check_password("a new long passphrase") and user.must_change_password
    the_run("changepassword")
    assert Entry.objects.filter(action="account.set_password", object_id=str(user.pk)).exists()
    told_oversight(staff, "set a new password")


def test_djangos_own_account_commands_are_refused(staff, monkeypatch, capsys):
    for name in ("changepassword", "createsuperuser"):
        assert run(["manage", name, "supervisor"], monkeypatch) == 2
        assert "changes accounts unseen" in capsys.readouterr().err


def test_createuser_names_the_operator_and_warns_of_a_duplicate_name(staff, monkeypatch, capsys):
    name = staff["program_director"].full_name
    argv = ["createuser", "--role", "program_director", "--username", "dd", "--full-name", name]
    assert run([*argv, "--password-stdin"], monkeypatch, "a long enough passphrase\n") == 0
    assert "already has the full name" in capsys.readouterr().err
    the_run("createuser")
    alert = told_oversight(staff, "'dd'")
    assert "already has the full name" in alert.message


def test_replay_ledger_export_names_the_operator_and_each_resident(
    staff, resident, admit, beds, ledger_key, monkeypatch, tmp_path, capsys
):
    other = admit(bed=beds[1], given_name="Ana", family_name="Ruiz")
    out = tmp_path / "bundle"
    assert (
        run(["ledger", "export", "-o", str(out), "--resident", str(resident.pk)], monkeypatch) == 0
    )
    export_run = the_run("ledger export")
    disclosed = Entry.objects.filter(action="ledger.export")
    assert list(disclosed.values_list("resident_id", flat=True)) == [resident.pk]
    assert disclosed.get().object_id == str(export_run.pk)
    assert f"{OS_USER}@{HOST}" in capsys.readouterr().out
    # A full bundle discloses everyone on the ledger: an entry for each.
    assert run(["ledger", "export", "-o", str(tmp_path / "full")], monkeypatch) == 0
    full = Entry.objects.filter(action="ledger.export").exclude(object_id=str(export_run.pk))
    assert set(full.values_list("resident_id", flat=True)) == {resident.pk, other.pk}


def test_replay_backup_names_the_operator_before_the_snapshot(staff, monkeypatch, tmp_path, capsys):
    seen = []

    def snapshot(output):
        seen.append(CommandRun.objects.filter(command="backup").exists())
        raise backup.BackupError("stopped here by the test")

    monkeypatch.setattr(backup, "create", snapshot)
    assert run(["backup", "-o", str(tmp_path)], monkeypatch) == 2
    assert seen == [True]
    the_run("backup")


@pytest.mark.parametrize("field", ["os_user", "host"])
def test_a_command_run_is_never_rewritten(staff, monkeypatch, field):
    from django.db import connection, transaction
    from django.db.utils import DatabaseError

    assert run(["token", "create", "--username", "caseworker", "--name", "x"], monkeypatch) == 0
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE accounts_commandrun SET {field} = 'someone else'")


def test_init_and_center_load_name_the_operator(db, settings, tmp_path, monkeypatch, capsys):
    from tests.residents.test_init_and_load import EXAMPLE, INIT

    settings.HOMECOMING_LEDGER_KEY = str(tmp_path / "ledger.key")
    settings.HOMECOMING_WITNESSES = []
    assert run([*INIT, "--password-stdin"], monkeypatch, "a long enough passphrase\n") == 0
    assert "dreyes" in the_run("init").detail
    assert run(["center", "load", str(EXAMPLE)], monkeypatch) == 0
    assert the_run("center load").detail == str(EXAMPLE)
    # Loading it again changes nothing, and writes nothing either.
    assert run(["center", "load", str(EXAMPLE)], monkeypatch) == 0
    assert CommandRun.objects.filter(command="center load").count() == 1


def test_a_refused_account_change_writes_nothing_not_even_the_run(staff, monkeypatch, capsys):
    argv = ["createuser", "--role", "clinician", "--username", "caseworker", "--full-name", "X"]
    assert run([*argv, "--password-stdin"], monkeypatch, "short\n") == 2
    err = capsys.readouterr().err
    assert "is taken" in err
    assert not CommandRun.objects.exists()
    assert run(["changepassword", "nurse", "--password-stdin"], monkeypatch, "x\n") == 2
    assert run(["changepassword", "supervisor", "--password-stdin"], monkeypatch, "x\n") == 2
    assert not CommandRun.objects.exists()
