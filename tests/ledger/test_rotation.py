"""`homecoming ledger rotate-key`: a new signing key without breaking the proofs of the years
before; the chain from the old key to the new one checked offline, and cut chains refused."""

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homecoming import cli
from homecoming.accounts.models import CommandRun, Role, User
from homecoming.alerts.models import Alert
from homecoming.alerts.urgency import URGENCY
from homecoming.ledger import checkpoints, dbcheck, rollback, rotation, signing, tree
from homecoming.ledger import verify as v
from homecoming.ledger.checkpoints import make_checkpoint
from homecoming.ledger.export import evidence, export
from homecoming.ledger.models import Checkpoint, Entry
from homecoming.ledger.witnesses import deliver_pending
from homecoming.residents import selectors

VERIFY_PY = Path(v.__file__)


def run(*argv):
    try:
        return cli.main(list(argv))
    except SystemExit as exc:
        return exc.code


def grow(staff, resident, n=2):
    for _ in range(n):
        selectors.chart(staff["caseworker"], resident.pk)


@pytest.fixture
def rotated(resident, staff, make_user, ledger_key, tmp_path, capsys):
    """Entries and a checkpoint under the first key, a rotation, then more under the new key."""
    make_user(Role.OVERSIGHT, username="overseer")
    grow(staff, resident)
    kept = make_checkpoint()  # someone keeps this one (signed by the old key)
    grow(staff, resident)
    assert run("ledger", "rotate-key", "--reason", "yearly key change") in (0, None)
    out = capsys.readouterr()
    transition = Checkpoint.objects.order_by("-tree_size").first()
    grow(staff, resident)
    make_checkpoint()
    (tmp_path / "old.vkey").write_text(ledger_key.vkey + "\n")
    new = signing.load()
    (tmp_path / "new.vkey").write_text(new.vkey + "\n")
    return {
        "old": ledger_key,
        "new": new,
        "kept": kept,
        "transition": transition,
        "out": out,
    }


def verify_py(*args):
    return subprocess.run(
        [sys.executable, str(VERIFY_PY), *map(str, args)], capture_output=True, text=True
    )


def test_the_transition_announces_the_new_key_signed_by_both(rotated):
    old, new, transition = rotated["old"], rotated["new"], rotated["transition"]
    assert rotated["out"].out.strip() == new.vkey
    body = v.open_checkpoint(transition.note, old.verifier)
    assert body.extensions == (f"key-rotation {new.vkey}",)
    assert v.open_checkpoint(transition.note, new.verifier) == body
    assert v.open_transition(transition.note, old.verifier) == (body, new.verifier)
    # The new key signs from the next checkpoint on; the old key signs nothing after it.
    later = Checkpoint.objects.order_by("-tree_size").first()
    assert later.tree_size > transition.tree_size
    v.open_checkpoint(later.note, new.verifier)
    with pytest.raises(v.NoteError):
        v.open_checkpoint(later.note, old.verifier)


def test_the_old_private_key_is_replaced_and_its_public_key_kept(rotated, capsys):
    old, new = rotated["old"], rotated["new"]
    assert new.vkey != old.vkey and new.name == old.name
    assert signing.load().vkey == new.vkey
    assert old.vkey not in signing.key_path().read_text()  # not that it would be: it is private
    assert signing.key_path().read_text() != ""
    assert not rotation.pending_path().exists()
    assert rotation.history_path().read_text() == f"{old.vkey}\n{new.vkey}\n"
    assert run("ledger", "vkeys") in (0, None)
    assert capsys.readouterr().out == f"{old.vkey}\n{new.vkey}\n"
    assert run("ledger", "vkey") in (0, None)
    assert capsys.readouterr().out.strip() == new.vkey


def test_the_rotation_is_a_ledger_entry_and_alerts_oversight(rotated):
    new, transition = rotated["new"], rotated["transition"]
    entry = Entry.objects.get(action=rotation.ACTION)
    assert entry.object_type == "ledger.key" and entry.object_id == new.verifier.id.hex()
    assert entry.seq < transition.tree_size  # inside the tree the transition signs
    command = Entry.objects.filter(action="operator.command").order_by("-seq").first()
    run_row = CommandRun.objects.get(pk=command.object_id)
    assert run_row.command == "ledger rotate-key"
    assert "yearly key change" in run_row.detail and run_row.os_user and run_row.host
    alerts = list(Alert.objects.filter(kind=rotation.ALERT_KIND))
    assert len(alerts) >= 2 and {a.recipient.role for a in alerts} == {Role.OVERSIGHT}
    alert = alerts[0]
    assert rotated["old"].vkey in alert.message and new.vkey in alert.message
    assert f"{run_row.os_user}@{run_row.host}" in alert.message
    assert rotation.ALERT_KIND in URGENCY


def test_old_checkpoints_keep_verifying_in_the_app(rotated, settings, tmp_path):
    report = dbcheck.check()
    assert report.ok, report.problems
    assert report.checkpoints == Checkpoint.objects.count()
    assert rollback.problems() == []
    chain = rotation.chain()
    assert chain.keys == [rotated["old"].verifier, rotated["new"].verifier]
    for checkpoint in Checkpoint.objects.all():
        chain.open(checkpoint.note)
    # A since-checkpoint export from a checkpoint the old key signed.
    summary = export(tmp_path / "since", since=rotated["kept"].note)
    assert summary["kind"] == "since"


def test_a_bundle_spanning_the_rotation_verifies_offline_with_the_old_key_alone(rotated, tmp_path):
    export(tmp_path / "b")
    assert (tmp_path / "b" / "transitions.ndjson").exists()
    kept = tmp_path / "kept.txt"
    kept.write_text(rotated["kept"].note)
    for keys in (["old.vkey"], ["new.vkey"], ["old.vkey", "new.vkey"]):
        args = [a for k in keys for a in ("--vkey", tmp_path / k)]
        ok = verify_py(tmp_path / "b", *args, "--previous", kept)
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.startswith("OK: all ")
        assert "signing key rotated 1 time(s)" in ok.stdout
        size = rotated["kept"].tree_size
        assert f"consistent with the older checkpoint of size {size}" in ok.stdout
    # The app's own command passes the same keys through.
    assert run("ledger", "verify", str(tmp_path / "b"), "--vkey", str(tmp_path / "old.vkey")) in (
        0,
        None,
    )
    stranger = signing.generate(rotated["old"].name, tmp_path / "stranger.key")
    (tmp_path / "stranger.vkey").write_text(stranger.vkey)
    bad = verify_py(tmp_path / "b", "--vkey", tmp_path / "stranger.vkey")
    assert bad.returncode == 1 and "is not in this bundle's chain of signing keys" in bad.stderr


def test_every_kind_of_bundle_spans_the_rotation(rotated, resident, tmp_path):
    old = rotated["old"].vkey
    export(tmp_path / "r", resident_id=resident.pk)
    assert v.verify_bundle(tmp_path / "r", [old]).kind == "resident"
    export(tmp_path / "s", since=rotated["kept"].note)
    report = v.verify_bundle(tmp_path / "s", [old])
    assert report.kind == "since"
    # The checkpoint kept before the rotation is checked with the key of its era.
    export(tmp_path / "f")
    assert v.verify_bundle(tmp_path / "f", [old], previous=rotated["kept"].note).kind == "full"
    assert v.verify_bundle(tmp_path / "f", previous=rotated["transition"].note).kind == "full"
    archive, _ = evidence([resident.pk], [])
    (tmp_path / "evidence.zip").write_bytes(archive)
    (tmp_path / "old.vkey").write_text(old + "\n")
    assert v.main([str(tmp_path / "evidence.zip"), "--vkey", str(tmp_path / "old.vkey")]) == 0


@pytest.fixture
def bundle(rotated, tmp_path):
    export(tmp_path / "b")
    return tmp_path / "b"


def _transitions(bundle):
    return [json.loads(line) for line in (bundle / "transitions.ndjson").read_text().splitlines()]


def _write_transitions(bundle, records):
    (bundle / "transitions.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records))


def _signature_line(note, key):
    """The signature line of `key` in a signed note."""
    for line in note.split("\n\n", 1)[1].splitlines():
        blob = base64.b64decode(line.split(" ")[2])
        if blob[:4] == key.verifier.id:
            return line + "\n"
    raise AssertionError("no such signature")


def test_a_bundle_without_its_transition_is_refused_with_the_old_key(rotated, bundle, tmp_path):
    (bundle / "transitions.ndjson").unlink()
    bad = verify_py(bundle, "--vkey", tmp_path / "old.vkey")
    assert bad.returncode == 1
    assert "no key transition from yours" in bad.stderr


def test_a_transition_not_signed_by_the_old_key_is_refused(rotated, bundle, tmp_path):
    old, new = rotated["old"], rotated["new"]
    records = _transitions(bundle)
    note = records[0]["note"]
    # Only the new key's signature left: the old key never announced the new one.
    body = note[: note.rfind("\n\n") + 1]
    records[0]["note"] = body + "\n" + _signature_line(note, new)
    _write_transitions(bundle, records)
    bad = verify_py(bundle, "--vkey", tmp_path / "old.vkey")
    assert bad.returncode == 1 and "the chain of signing keys is cut" in bad.stderr
    # Signed by another key of the same name instead, which the old key's holder never held.
    stranger = signing.generate(old.name, tmp_path / "stranger.key")
    records[0]["note"] = stranger.sign_note(body) + _signature_line(note, new)
    records[0]["key"] = stranger.vkey
    _write_transitions(bundle, records)
    bad = verify_py(bundle, "--vkey", tmp_path / "old.vkey")
    assert bad.returncode == 1 and "is not in this bundle's chain of signing keys" in bad.stderr


def test_a_transition_the_new_key_did_not_sign_is_refused(rotated, bundle):
    old = rotated["old"]
    records = _transitions(bundle)
    note = records[0]["note"]
    records[0]["note"] = note[: note.rfind("\n\n") + 2] + _signature_line(note, old)
    _write_transitions(bundle, records)
    with pytest.raises(v.BundleError, match="not signed by the key it announces"):
        v.verify_bundle(bundle, [old.vkey])


def test_a_checkpoint_after_the_rotation_signed_by_the_old_key_is_refused(rotated, bundle):
    old = rotated["old"]
    note = (bundle / "checkpoint").read_text()
    body = note[: note.find("\n\n") + 1]
    (bundle / "checkpoint").write_text(old.sign_note(body))
    with pytest.raises(v.NoteError, match="retired at tree size"):
        v.verify_bundle(bundle, [old.vkey])
    # Even with the bundle's vkey file put back to the old key and the transitions kept.
    (bundle / "vkey").write_text(old.vkey + "\n")
    with pytest.raises(v.BundleError, match="never announced"):
        v.verify_bundle(bundle, [old.vkey])


def test_a_new_key_not_announced_by_the_old_is_refused(rotated, bundle, tmp_path):
    old = rotated["old"]
    intruder = signing.generate(old.name, tmp_path / "intruder.key")
    note = (bundle / "checkpoint").read_text()
    body = note[: note.find("\n\n") + 1]
    (bundle / "checkpoint").write_text(intruder.sign_note(body))
    (bundle / "vkey").write_text(intruder.vkey + "\n")
    bad = verify_py(bundle, "--vkey", tmp_path / "old.vkey")
    assert bad.returncode == 1 and "was never announced by the key before it" in bad.stderr


def _leaf_hashes(bundle):
    return [v.leaf_hash(line) for line in (bundle / "entries.ndjson").read_bytes().splitlines()]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_rotation_cannot_re_sign_the_past(rotated, tmp_path_factory, data):
    """The insider replay: a sysadmin rotates to a key of their own, then rewrites history from
    before the rotation and re-signs it with the new key, with the best consistency proofs
    the rewritten tree allows. The old key's transition (and any checkpoint kept under the old
    key) catch it."""
    old, new, transition = rotated["old"], rotated["new"], rotated["transition"]
    base = tmp_path_factory.getbasetemp() / "pristine-rotated"
    if not base.exists():
        export(base)
    bundle = tmp_path_factory.mktemp("rewritten") / "b"
    shutil.copytree(base, bundle)
    lines = (bundle / "entries.ndjson").read_bytes().splitlines()
    i = data.draw(st.integers(0, transition.tree_size - 1), label="entry rewritten")
    entry = json.loads(lines[i])
    entry["purpose"] = data.draw(st.sampled_from(["care", "supervision", "operations", "self"]))
    entry["actor"] = data.draw(st.one_of(st.none(), st.integers(1, 50)))
    rewritten = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if rewritten.encode() == lines[i]:
        entry["outcome"] = "denied" if entry["outcome"] == "allowed" else "allowed"
        rewritten = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    lines[i] = rewritten.encode()
    (bundle / "entries.ndjson").write_bytes(b"".join(line + b"\n" for line in lines))
    hashes = _leaf_hashes(bundle)
    size = len(hashes)
    root = v.root_of(hashes)
    note = new.sign_note(v.Checkpoint(new.name, size, root).text())
    (bundle / "checkpoint").write_text(note)
    records = _transitions(bundle)

    def mth(a, b):
        return v.root_of(hashes[a:b])

    records[0]["consistency"] = [
        h.hex() for h in v.consistency_proof(transition.tree_size, size, mth)
    ]
    _write_transitions(bundle, records)
    with pytest.raises(v.BundleError, match="REWRITTEN"):
        v.verify_bundle(bundle, [old.vkey])
    # Leaving the transition out does not help: the old key leads nowhere, and a checkpoint
    # kept under the old key is not extended.
    (bundle / "transitions.ndjson").unlink()
    with pytest.raises(v.BundleError, match="not the key you trust"):
        v.verify_bundle(bundle, [old.vkey])
    with pytest.raises(v.BundleError):
        v.verify_bundle(bundle, [new.vkey], previous=rotated["kept"].note)
    with pytest.raises(v.BundleError):
        v.verify_bundle(bundle, [new.vkey], previous=transition.note)


def test_witnesses_follow_the_transition_and_refuse_the_retired_key(
    resident, staff, ledger_key, settings, tmp_path, capsys
):
    folder = tmp_path / "inbox"
    settings.HOMECOMING_WITNESSES = [str(folder)]
    witness = v.TlogWitness(ledger_key.verifier, tmp_path / "witness-state")
    held = 0

    def offer(checkpoint_note, size, root):
        nonlocal held
        proof = tree.consistency(held, size) if held else []
        body = f"old {held}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
        status, text = witness.add_checkpoint((body + "\n" + checkpoint_note).encode())
        if status == 200:
            held = size
        return status, text

    grow(staff, resident)
    first = make_checkpoint()
    assert offer(first.note, first.tree_size, first.root)[0] == 200
    assert run("ledger", "rotate-key", "--reason", "key change") in (0, None)
    transition = Checkpoint.objects.order_by("-tree_size").first()
    assert offer(transition.note, transition.tree_size, transition.root)[0] == 200
    grow(staff, resident)
    later = make_checkpoint()
    # The same tree signed by the retired key is refused; by the announced key, taken.
    text = later.note[: later.note.find("\n\n") + 1]
    status, _ = offer(ledger_key.sign_note(text), later.tree_size, later.root)
    assert status == 403
    # A rewritten tree of that size, signed by the new key (the insider who rotated holds it):
    # the witness holds the transition, which it does not extend.
    new = signing.load()
    forged = new.sign_note(v.Checkpoint(new.name, later.tree_size, b"\x11" * 32).text())
    status, text = offer(forged, later.tree_size, b"\x11" * 32)
    assert status == 422, text
    assert offer(later.note, later.tree_size, later.root)[0] == 200
    # A restarted witness, given only the old key, goes on with the one it followed.
    again = v.TlogWitness(ledger_key.verifier, tmp_path / "witness-state")
    assert again.vkey == signing.load().verifier
    # The folder witness, checked on the collecting side with the old key alone.
    deliver_pending()
    rollback.state_path().unlink(missing_ok=True)
    assert rollback.problems() == []  # the folder's newest checkpoint, opened with its era's key
    seen = v.check_witness_folder(folder, ledger_key.verifier)
    assert [c.size for c in seen][-1] == later.tree_size
    ok = verify_py("witness", folder, "--vkey", _vkey_file(tmp_path, ledger_key))
    assert ok.returncode == 0, ok.stderr


def _vkey_file(tmp_path, key):
    path = tmp_path / "first.vkey"
    path.write_text(key.vkey + "\n")
    return path


def test_the_retired_key_put_back_cannot_sign(rotated, staff, resident, capsys):
    path = signing.key_path()
    path.unlink()
    path.write_text(signing._encode(rotated["old"].name, rotated["old"].private))
    grow(staff, resident)
    with pytest.raises(rotation.KeyRetired):
        make_checkpoint()
    assert run("ledger", "checkpoint") == 2
    assert "was retired by a key rotation and must not sign again" in capsys.readouterr().err


def test_an_interrupted_rotation_is_finished_by_the_next_checkpoint(
    resident, staff, ledger_key, monkeypatch
):
    grow(staff, resident)
    make_checkpoint()
    # The transition is committed, then the process dies before the rename.
    monkeypatch.setattr(rotation, "_put_in_place", lambda old, new: None)
    checkpoint, _, new = rotation.rotate("test", lambda old, new: grow(staff, resident, 1))
    monkeypatch.undo()
    assert signing.load().vkey == ledger_key.vkey and rotation.pending_path().exists()
    grow(staff, resident)
    later = make_checkpoint()
    v.open_checkpoint(later.note, new.verifier)
    assert signing.load().vkey == new.vkey and not rotation.pending_path().exists()


def test_rotate_key_names_every_problem(resident, settings, tmp_path, capsys):
    settings.HOMECOMING_LEDGER_KEY = str(tmp_path / "missing.key")
    rotation.pending_path().write_text("left over")
    assert run("ledger", "rotate-key", "--reason", "  ") == 2
    err = capsys.readouterr().err
    assert "Give a --reason" in err
    assert "No ledger signing key" in err
    assert "missing.key.new exists" in err
    assert run("ledger", "rotate-key") == 2  # --reason is required
    assert "--reason" in capsys.readouterr().err


def test_a_left_over_new_key_stops_the_rotation(resident, ledger_key, capsys):
    rotation.pending_path().write_text("left over")
    before = signing.key_path().read_text()
    assert run("ledger", "rotate-key", "--reason", "again") == 2
    assert ".new exists" in capsys.readouterr().err
    assert signing.key_path().read_text() == before
    assert rotation.pending_path().read_text() == "left over"
    assert not Entry.objects.filter(action=rotation.ACTION).exists()


def test_when_the_transition_cannot_be_signed_the_old_key_stays(
    resident, staff, ledger_key, make_user, monkeypatch, capsys
):
    make_user(Role.OVERSIGHT, username="overseer")
    grow(staff, resident)
    make_checkpoint()
    count = Checkpoint.objects.count()

    def broken(old, new):
        raise checkpoints.LedgerBroken("Entry #3 is missing from the ledger.")

    monkeypatch.setattr(checkpoints, "make_transition", broken)
    assert run("ledger", "rotate-key", "--reason", "yearly") == 2
    assert "the old key stays in use" in capsys.readouterr().err
    assert signing.load().vkey == ledger_key.vkey
    assert not rotation.pending_path().exists() and not rotation.history_path().exists()
    assert Checkpoint.objects.count() == count
    assert not Entry.objects.filter(action=rotation.ACTION).exists()
    assert not Alert.objects.filter(kind=rotation.ALERT_KIND).exists()


def test_a_backup_signed_before_the_rotation_is_not_taken_for_another_center(rotated):
    from homecoming.core import backup

    kept = backup._vkeys_kept(rotated["new"].vkey)
    assert rotated["old"].vkey in kept and rotated["new"].vkey in kept


def test_a_ledger_whose_signing_is_stopped_cannot_be_rotated(resident, staff, ledger_key, capsys):
    """The insider who rewrote the database cannot rotate to a key of their own to sign over it:
    the state beside the key (or a folder witness) says the tree diverges, and the rotation
    stops with the old key in place (which signs nothing either)."""
    grow(staff, resident)
    make_checkpoint()
    rollback.state_path().write_text(
        json.dumps({"tree_size": 10_000, "root": (b"\x07" * 32).hex()})
    )
    assert run("ledger", "rotate-key", "--reason", "mine now") == 2
    assert "Signing is stopped" in capsys.readouterr().err
    assert signing.load().vkey == ledger_key.vkey and not rotation.pending_path().exists()


def test_the_ledger_page_shows_the_oversight_body_every_key_with_its_years(rotated, client_for):
    overseer = User.objects.get(username="overseer")
    page = client_for(overseer).get("/ledger/").content.decode()
    old, new, transition = rotated["old"], rotated["new"], rotated["transition"]
    assert new.vkey in page and old.vkey in page
    assert page.index(new.vkey) < page.index("Earlier keys") < page.index(old.vkey)
    assert f"Signed up to tree size {transition.tree_size}." in page


def test_the_api_gives_every_key_with_the_years_it_signed(rotated, staff):
    from django.test import Client

    from homecoming.accounts import tokens

    def get(user):
        _, clear = tokens.issue(user, "t")
        return Client(HTTP_AUTHORIZATION=f"Bearer {clear}").get("/api/v1/ledger/vkeys")

    keys = get(User.objects.get(username="overseer")).json()["items"]
    assert keys == [
        {"vkey": rotated["old"].vkey, "signed_up_to": rotated["transition"].tree_size},
        {"vkey": rotated["new"].vkey, "signed_up_to": None},
    ]
    refused = get(staff["caseworker"])
    assert refused.status_code == 403 and "vkey" not in refused.content.decode()
