"""Issue 13, part 7: the investigator detects a rewritten history alone.

Replay: the operator (with the database and the ledger's key in hand) truncates the ledger by raw
SQL, dropping the append-only triggers and putting them back, and re-signs new checkpoints with
the center's own key. Every bundle made afterwards hashes to its own (re-signed) checkpoint, so
verified alone it passes. What catches it: a checkpoint someone kept earlier (the resident
downloads one from their record page), given to the verifier with `--previous`, and the
witnesses' cosignatures, which the operator cannot make and a witness refuses to give to a
tree that does not extend the one it holds."""

import base64
import datetime as dt
import importlib
import io
import shutil
import subprocess
import sys
import threading
import zipfile

import pytest
from django.db import connection
from django.utils import timezone

from homecoming import cli
from homecoming.ledger import rollback
from homecoming.ledger import verify as v
from homecoming.ledger.checkpoints import make_checkpoint
from homecoming.ledger.models import Checkpoint, Delivery, Head
from homecoming.oversight import complaints, evidence, investigations
from homecoming.residents import selectors as resident_selectors

from .conftest import filing

APPEND_ONLY = importlib.import_module("homecoming.ledger.migrations.0002_append_only")


@pytest.fixture
def grant(own, staff, investigator):
    complaint = complaints.file_own(own.user, filing(named_staff=[staff["supervisor"]]))
    opened = investigations.open_investigation(
        staff["oversight"], "Entries missing from Walter's record", complaint=complaint
    )
    return investigations.grant_access(
        staff["oversight"],
        opened,
        investigator=investigator,
        residents=[own],
        staff=[staff["supervisor"]],
        expires_at=timezone.now() + dt.timedelta(days=30),
        reason="Check who read Walter's record.",
    )


def run(*argv):
    try:
        return cli.main([str(a) for a in argv])
    except SystemExit as exc:  # the verifier exits this way
        return exc.code


def operator_truncates(keep: int):
    """What an operator with database access does to make entries #keep.. disappear: drop the
    append-only triggers, delete the entries, their versions, tree nodes, checkpoints (and
    their witness deliveries), set the head back, put the triggers back, and delete the state
    file that remembers the last signed tree outside the database."""
    tables = APPEND_ONLY.TABLES
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER {table}_no_update")
                cursor.execute(f"DROP TRIGGER {table}_no_delete")
            else:
                cursor.execute(f"DROP TRIGGER {table}_no_change ON {table}")
                cursor.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        cursor.execute(
            "DELETE FROM ledger_delivery WHERE checkpoint_id IN "
            "(SELECT id FROM ledger_checkpoint WHERE tree_size > %s)",
            [keep],
        )
        cursor.execute("DELETE FROM ledger_checkpoint WHERE tree_size > %s", [keep])
        cursor.execute("DELETE FROM ledger_version WHERE seq >= %s", [keep])
        cursor.execute("DELETE FROM ledger_entry WHERE seq >= %s", [keep])
        for level in range(48):  # every stored subtree that reaches past entry #keep-1
            cursor.execute(
                'DELETE FROM ledger_node WHERE level = %s AND "index" >= %s', [level, keep >> level]
            )
        cursor.execute("UPDATE ledger_head SET size = %s", [keep])
        statements = APPEND_ONLY.SQLITE if connection.vendor == "sqlite" else APPEND_ONLY.POSTGRES
        for sql in statements:
            cursor.execute(sql, None)  # None: the SQL has literal % signs
    rollback.state_path().unlink(missing_ok=True)


def write_zip(archive: bytes, path):
    path.write_bytes(archive)
    return path


def read_the_record(actor, resident, times):
    for _ in range(times):
        resident_selectors.chart(actor, resident.pk)


def test_a_resident_keeps_a_checkpoint_and_the_investigator_catches_a_rewrite_with_it(
    own, staff, investigator, grant, ledger_key, client_for, tmp_path, capsys
):
    caseworker = staff["caseworker"]
    read_the_record(caseworker, own, 2)
    keep = Head.objects.get().size  # what the operator will leave
    read_the_record(caseworker, own, 5)  # ... and the reads the operator wants gone
    make_checkpoint()  # the worker signs

    # Walter sees the checkpoint on his record page and downloads it to keep.
    walter = client_for(own.user)
    page = walter.get("/my-record/").content.decode()
    latest = Checkpoint.objects.order_by("-tree_size").first()
    assert "Keep a copy of the ledger's checkpoint" in page
    assert bytes(latest.root).hex() in page and f"<dd>{latest.tree_size}</dd>" in page
    assert latest.note.rstrip().rsplit(" ", 1)[1] in page  # the signature itself
    download = walter.get("/ledger/keep/checkpoint.txt")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith(
        f'attachment; filename="homecoming-checkpoint-{latest.tree_size}-'
    )
    kept = tmp_path / "walter-kept.txt"
    kept.write_bytes(download.content)
    assert v.open_checkpoint(kept.read_text(), ledger_key.verifier).size == latest.tree_size

    # An honest evidence bundle, made later, is checked against the kept checkpoint: it extends it.
    inspector = client_for(investigator)
    honest = inspector.post(f"/oversight/grants/{grant.pk}/evidence/")
    assert honest.status_code == 200
    honest_zip = write_zip(honest.content, tmp_path / "honest.zip")
    assert run("ledger", "verify", honest_zip, "--previous", kept) == 0
    said = capsys.readouterr().out
    assert f"consistent with the checkpoint you kept (tree size {latest.tree_size})" in said

    # The operator truncates the ledger and re-signs, with more activity so it grows past
    # Walter's size again (a smaller tree would give itself away by its size alone).
    operator_truncates(keep)
    assert Head.objects.get().size == keep
    read_the_record(caseworker, own, 12)
    resigned = make_checkpoint()
    assert resigned.tree_size > latest.tree_size

    rewritten = inspector.post(f"/oversight/grants/{grant.pk}/evidence/")
    rewritten_zip = write_zip(rewritten.content, tmp_path / "rewritten.zip")
    # Alone, the bundle is whole: it hashes to its own checkpoint, signed with the center's key.
    assert run("ledger", "verify", rewritten_zip) == 0
    capsys.readouterr()
    # With the checkpoint Walter kept, the investigator sees the rewrite, offline.
    assert run("ledger", "verify", rewritten_zip, "--previous", kept) == 1
    err = capsys.readouterr().err
    assert "FAILED: REWRITTEN" in err
    assert f"do not hash to the root of the checkpoint you kept (tree size {latest.tree_size})" in (
        err
    )


def test_a_ledger_cut_back_below_the_kept_checkpoint_is_named_by_its_size(
    own, staff, investigator, grant, ledger_key, tmp_path, capsys
):
    read_the_record(staff["caseworker"], own, 1)
    keep = Head.objects.get().size
    read_the_record(staff["caseworker"], own, 6)
    kept = tmp_path / "kept.txt"
    kept.write_text(make_checkpoint().note)
    size = Checkpoint.objects.order_by("-tree_size").first().tree_size
    operator_truncates(keep)
    archive, _ = evidence.bundle(investigator, grant.pk)  # re-signs a smaller tree
    bundle = write_zip(archive, tmp_path / "evidence.zip")
    assert run("ledger", "verify", bundle, "--previous", kept) == 1
    err = capsys.readouterr().err
    assert f"REWRITTEN: the checkpoint you kept signs {size} entries" in err
    assert "were removed after you kept yours" in err


def test_a_checkpoint_of_another_key_is_not_taken_as_kept(
    own, investigator, grant, ledger_key, tmp_path, capsys
):
    from homecoming.ledger import signing

    other = signing.generate("impostor.example/ledger", tmp_path / "other.key")
    kept = tmp_path / "kept.txt"
    kept.write_text(other.sign_note(v.Checkpoint(other.name, 1, b"\x01" * 32).text()))
    archive, _ = evidence.bundle(investigator, grant.pk)
    assert run("ledger", "verify", write_zip(archive, tmp_path / "e.zip"), "--previous", kept) == 1
    assert "the checkpoint you kept (--previous) was not signed by this bundle's key" in (
        capsys.readouterr().err
    )


def test_the_checkpoint_download_needs_a_log_in(own, ledger_key, client):
    make_checkpoint()
    refused = client.get("/ledger/keep/checkpoint.txt")
    assert refused.status_code == 302 and "/login" in refused["Location"]
    assert client.get("/ledger/keep/ledger.vkey").status_code == 302


def test_before_any_checkpoint_the_page_says_so(own, client_for, ledger_key):
    walter = client_for(own.user)
    assert "has not been sealed with a checkpoint yet" in walter.get("/my-record/").content.decode()
    assert walter.get("/ledger/keep/checkpoint.txt").status_code == 404


# --- witnesses' cosignatures ------------------------------------------------------------------


@pytest.fixture
def cosigning_witness(ledger_key, tmp_path, settings):
    """An oversight body's tlog-witness with a key of its own, as `python verify.py
    serve-witness --key FILE` runs it, configured as the center's witness."""
    key_file = tmp_path / "witness.key"
    assert v.main(["witness-keygen", "oversight.example/witness", "--out", str(key_file)]) == 0
    signer = v.WitnessSigner.load(key_file)
    witness = v.TlogWitness(ledger_key.verifier, tmp_path / "witness-state", signer)
    server = v.serve_witness(witness, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HOMECOMING_WITNESSES = [f"http://127.0.0.1:{server.server_address[1]}"]
    vkey = tmp_path / "witness.vkey"
    vkey.write_text(signer.vkey + "\n")
    yield vkey
    server.shutdown()
    server.server_close()


def _checkpoint_of(archive: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return z.read("evidence/checkpoint").decode()


def _with_checkpoint(archive: bytes, note: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as z, zipfile.ZipFile(out, "w") as w:
        for info in z.infolist():
            data = note.encode() if info.filename.endswith("/checkpoint") else z.read(info)
            w.writestr(info.filename, data)
    return out.getvalue()


def test_every_bundle_carries_the_witness_cosignature_and_the_verifier_checks_it(
    own, staff, investigator, grant, ledger_key, cosigning_witness, tmp_path, capsys, api_for
):
    read_the_record(staff["caseworker"], own, 2)
    archive, _ = evidence.bundle(investigator, grant.pk)
    note = _checkpoint_of(archive)
    assert "— oversight.example/witness " in note
    delivery = Delivery.objects.get()  # kept on the delivery, with the checkpoint it cosigns
    assert delivery.cosignature.strip() in note and delivery.delivered_at is not None
    # The oversight body reads the same cosigned note from the API, to keep.
    latest = api_for(staff["oversight"]).get("/api/v1/ledger/checkpoint").json()
    assert latest["cosigned_note"] == note and latest["note"] in note
    bundle = write_zip(archive, tmp_path / "evidence.zip")

    assert run("ledger", "verify", bundle) == 0  # shown, not checked, without the key
    assert "also carries cosignatures by oversight.example/witness" in capsys.readouterr().out
    assert run("ledger", "verify", bundle, "--witness", cosigning_witness) == 0
    assert "cosigned by witness oversight.example/witness" in capsys.readouterr().out

    # A cosignature the operator made up (a witness's line with another signature) is refused.
    body, sig = note.rsplit(" ", 1)
    blob = bytearray(base64.b64decode(sig))
    blob[-1] ^= 1
    forged = write_zip(
        _with_checkpoint(archive, body + " " + base64.b64encode(blob).decode() + "\n"),
        tmp_path / "forged.zip",
    )
    assert run("ledger", "verify", forged, "--witness", cosigning_witness) == 1
    assert "cosignature by witness oversight.example/witness is not valid" in (
        capsys.readouterr().err
    )


def test_after_a_rewrite_the_witness_refuses_and_no_bundle_is_cosigned(
    own, staff, investigator, grant, ledger_key, cosigning_witness, tmp_path, capsys
):
    read_the_record(staff["caseworker"], own, 1)
    keep = Head.objects.get().size
    read_the_record(staff["caseworker"], own, 4)
    evidence.bundle(investigator, grant.pk)  # signed and cosigned
    operator_truncates(keep)
    read_the_record(staff["caseworker"], own, 30)
    archive, _ = evidence.bundle(investigator, grant.pk)
    assert "oversight.example/witness" not in _checkpoint_of(archive)
    refused = Delivery.objects.filter(last_error__startswith="REFUSED")
    assert refused.exists()  # and the oversight body was alerted (tests/ledger/test_witnesses)
    bundle = write_zip(archive, tmp_path / "evidence.zip")
    assert run("ledger", "verify", bundle) == 0
    assert "no witness cosigned this checkpoint" in capsys.readouterr().out
    assert run("ledger", "verify", bundle, "--witness", cosigning_witness) == 1
    assert "is not cosigned by witness oversight.example/witness" in capsys.readouterr().err
    # The same with nothing but the copied verify.py (no Django, no Homecoming), as an
    # investigator runs it on their own machine.
    alone = tmp_path / "investigator"
    alone.mkdir()
    shutil.copy(v.__file__, alone / "verify.py")
    argv = ["verify.py", str(bundle), "--witness", str(cosigning_witness)]
    script = (
        "import sys, runpy; sys.modules['django'] = None; sys.modules['homecoming'] = None;"
        f"sys.argv = {argv!r}; runpy.run_path('verify.py', run_name='__main__')"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=alone)
    assert done.returncode == 1 and "is not cosigned by witness" in done.stderr


def test_a_witness_key_file_round_trips_and_refuses_to_be_replaced(tmp_path, capsys):
    path = tmp_path / "w.key"
    assert v.main(["witness-keygen", "w.example/one", "--out", str(path)]) == 0
    vkey = v.WitnessKey.parse(capsys.readouterr().out)
    signer = v.WitnessSigner.load(path)
    assert (vkey.name, vkey.public_key) == ("w.example/one", signer.public_key)
    assert v.main(["witness-keygen", "w.example/one", "--out", str(path)]) == 2
    with pytest.raises(v.NoteError, match="not a witness"):
        v.WitnessKey.parse(
            v.format_vkey("w.example/one", signer.public_key)  # a log key is not a witness key
        )
