"""`homecoming ledger ...`: what an operator and an investigator type, and its exit codes."""

import json

from homecoming import cli
from homecoming.ledger import verify as v


def run(*argv):
    try:
        return cli.main(list(argv))
    except SystemExit as exc:  # argparse and the verifier exit this way
        return exc.code


def test_keygen_refuses_to_replace_a_key(ledger_key, capsys, settings):
    assert run("ledger", "keygen") == 2
    assert "exists" in capsys.readouterr().err
    assert run("ledger", "vkey") == 0
    assert capsys.readouterr().out.strip() == ledger_key.vkey


def test_keygen_refuses_a_bad_name(tmp_path, capsys, settings):
    settings.HOMECOMING_LEDGER_KEY = str(tmp_path / "k")
    assert run("ledger", "keygen", "--name", "has space") == 2
    assert "no spaces" in capsys.readouterr().err
    assert not (tmp_path / "k").exists()


def test_commands_without_a_key_say_how_to_make_one(resident, tmp_path, capsys, settings):
    settings.HOMECOMING_LEDGER_KEY = str(tmp_path / "missing")
    assert run("ledger", "checkpoint") == 2
    assert "homecoming ledger keygen" in capsys.readouterr().err


def test_checkpoint_proofs_export_and_verify(resident, ledger_key, tmp_path, capsys):
    assert run("ledger", "checkpoint") == 0
    note = capsys.readouterr().out
    checkpoint = v.open_checkpoint(note, ledger_key.verifier)
    assert run("ledger", "proof", "inclusion", "2") == 0
    proof = json.loads(capsys.readouterr().out)
    assert proof["tree_size"] == checkpoint.size
    assert run("ledger", "proof", "consistency", "1") == 0
    assert json.loads(capsys.readouterr().out)["new_size"] == checkpoint.size
    assert run("ledger", "proof", "inclusion", str(checkpoint.size + 3)) == 2
    assert "not in a tree" in capsys.readouterr().err

    assert run("ledger", "export", "-o", str(tmp_path / "b")) == 0
    capsys.readouterr()
    (tmp_path / "trusted.vkey").write_text(ledger_key.vkey)
    assert (
        run("ledger", "verify", str(tmp_path / "b"), "--vkey", str(tmp_path / "trusted.vkey")) == 0
    )
    assert capsys.readouterr().out.startswith("OK: all ")
    assert run("ledger", "export", "-o", str(tmp_path / "b")) == 2
    assert "not empty" in capsys.readouterr().err

    (tmp_path / "b" / "entries.ndjson").write_text("")
    assert run("ledger", "verify", str(tmp_path / "b")) == 1
    assert "FAILED" in capsys.readouterr().err
    assert run("ledger", "verify", str(tmp_path / "nowhere")) == 2
    assert run("ledger", "verify") == 2


def test_verify_database_exit_codes(resident, staff, ledger_key, capsys):
    from django.db import connection

    run("ledger", "checkpoint")
    capsys.readouterr()
    assert run("ledger", "verify", "--database") == 0
    assert capsys.readouterr().out.startswith("OK:")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE residents_stay SET expected_length_days = 999")
    assert run("ledger", "verify", "--database") == 1
    assert "residents.stay" in capsys.readouterr().err


def test_export_since_needs_a_readable_checkpoint(resident, ledger_key, tmp_path, capsys):
    assert (
        run(
            "ledger",
            "export",
            "-o",
            str(tmp_path / "s"),
            "--since-checkpoint",
            str(tmp_path / "no-such-file"),
        )
        == 2
    )
    (tmp_path / "junk").write_text("not a checkpoint")
    assert (
        run(
            "ledger",
            "export",
            "-o",
            str(tmp_path / "s"),
            "--since-checkpoint",
            str(tmp_path / "junk"),
        )
        == 2
    )
    assert "not one of this ledger's" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()
