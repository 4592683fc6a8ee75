"""Rollback detection (ledger/rollback.py), in process: the state file beside the signing key,
the folder witnesses' latest checkpoint, and what happens when the database does not extend them.
The end-to-end replay (back up, write, restore the backup, start the worker) is in
tests/test_backup_rollback.py."""

import json

import pytest

from homecoming.alerts.models import Alert
from homecoming.ledger import dbcheck, rollback
from homecoming.ledger import services as ledger
from homecoming.ledger import verify as v
from homecoming.ledger.checkpoints import make_checkpoint
from homecoming.ledger.models import Checkpoint, Entry
from homecoming.ledger.witnesses import deliver_pending


def grow(n=3):
    for i in range(n):
        ledger.append(None, "test.write", ledger.Target(object_id=str(i)), purpose="operations")


def forge_state(size, root):
    rollback.state_path().write_text(json.dumps({"tree_size": size, "root": root.hex()}))


def rollback_alerts():
    return Alert.objects.filter(kind="ledger", message__startswith="Ledger rollback")


@pytest.fixture
def signed(staff, ledger_key, django_capture_on_commit_callbacks):
    """A ledger with a checkpoint, remembered in the state file as a committed one is."""
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint = make_checkpoint()
    return checkpoint


def test_each_committed_checkpoint_is_remembered_beside_the_key(
    signed, ledger_key, settings, django_capture_on_commit_callbacks
):
    path = rollback.state_path()
    assert path.parent == rollback.signing.key_path().parent
    assert rollback.read_state().size == signed.tree_size
    grow()
    with django_capture_on_commit_callbacks(execute=True):
        later = make_checkpoint()
    state = json.loads(path.read_text())
    assert state["tree_size"] == later.tree_size and state["root"] == bytes(later.root).hex()
    assert state["note"] == later.note
    # A slower process remembering an older checkpoint never moves the record backwards.
    rollback.remember(signed)
    assert rollback.read_state().size == later.tree_size
    assert rollback.problems() == []
    assert dbcheck.check().ok


def test_a_database_behind_the_record_refuses_signing_and_alerts(signed, staff):
    # The state says this ledger signed more than the database holds: an older backup.
    forge_state(signed.tree_size + 50, b"\x07" * 32)
    grow()
    with pytest.raises(rollback.RollbackDetected, match="holds fewer entries"):
        make_checkpoint()
    assert not Checkpoint.objects.filter(tree_size__gt=signed.tree_size).exists()
    alerted = set(rollback_alerts().values_list("recipient__role", flat=True))
    assert alerted == {"oversight", "program_director"}
    assert Entry.objects.filter(action=rollback.ACTION).count() == 1
    # Once per finding, not at every retry of the worker.
    with pytest.raises(rollback.RollbackDetected):
        make_checkpoint()
    assert rollback_alerts().count() == 2
    report = dbcheck.check()
    assert not report.ok and any("rolled back" in p for p in report.problems)


def test_a_database_past_the_record_with_another_history_is_refused(signed):
    # The database grew past the recorded size, but its first entries hash to another root:
    # the DBA restored an old backup and wrote new entries to cover the gap.
    forge_state(signed.tree_size + 2, b"\x07" * 32)
    grow(5)
    with pytest.raises(rollback.RollbackDetected, match="hash to a different root"):
        make_checkpoint()
    assert rollback_alerts().count() == 2


def test_a_record_the_signed_tree_does_not_extend_is_caught_by_a_consistency_proof(
    signed, django_capture_on_commit_callbacks
):
    grow()
    with django_capture_on_commit_callbacks(execute=True):
        make_checkpoint()
    # A record of a tree smaller than the database's checkpoint, with a different root.
    forge_state(signed.tree_size, b"\x07" * 32)
    assert "does not extend it" in rollback.problems()[0]
    grow()
    with pytest.raises(rollback.RollbackDetected):
        make_checkpoint()


def test_a_database_that_grew_past_the_record_with_the_same_history_signs(
    signed, django_capture_on_commit_callbacks
):
    grow(4)
    with django_capture_on_commit_callbacks(execute=True):
        later = make_checkpoint()
    assert later.tree_size > signed.tree_size
    assert rollback.read_state().size == later.tree_size
    assert not rollback_alerts().exists()


def test_a_damaged_state_file_is_itself_a_finding(signed):
    rollback.state_path().write_text("not json")
    grow()
    with pytest.raises(rollback.RollbackDetected, match="unreadable"):
        make_checkpoint()


def test_with_the_state_file_deleted_a_folder_witness_still_tells(
    signed, ledger_key, settings, tmp_path, django_capture_on_commit_callbacks
):
    folder = tmp_path / "oversight-inbox"
    settings.HOMECOMING_WITNESSES = [f"dir:{folder}"]
    grow()
    with django_capture_on_commit_callbacks(execute=True):
        make_checkpoint()
    deliver_pending()
    rollback.state_path().unlink()  # the DBA deletes the state file
    # ... and the witness holds a tree the database (as if restored) does not extend.
    fake = ledger_key.sign_note(v.Checkpoint(ledger_key.name, 10_000, b"\x07" * 32).text())
    (folder / "checkpoint.10000").write_text(fake)
    found = rollback.problems()
    assert found and "witness dir:" in found[0]
    # A file the ledger's key did not sign proves nothing and is ignored.
    (folder / "checkpoint.10000").write_text("forged\n")
    assert rollback.problems() == []


def test_without_a_state_file_or_witnesses_nothing_tells(signed):
    """The honest limit: a DBA who deletes the state file and has no witness to fear is not
    caught by this check (docs/architecture.md says so); the witnesses are the remedy."""
    rollback.state_path().unlink()
    assert rollback.problems() == []


def test_accepting_a_real_loss_is_ledgered_and_alerted_then_signing_resumes(
    signed, staff, django_capture_on_commit_callbacks
):
    forge_state(signed.tree_size + 50, b"\x07" * 32)
    grow()
    found = rollback.accept("the database disk failed; the last backup was restored")
    assert found and "holds fewer entries" in found[0]
    accepted = Alert.objects.filter(message__startswith="Ledger rollback accepted")
    assert set(accepted.values_list("recipient__role", flat=True)) == {
        "oversight",
        "program_director",
    }
    assert "the database disk failed" in accepted.first().message
    assert Entry.objects.filter(action="ledger.rollback_accepted").count() == 1
    state = json.loads(rollback.state_path().read_text())
    assert state["accepted"] == [{"tree_size": signed.tree_size + 50, "root": "07" * 32}]
    with django_capture_on_commit_callbacks(execute=True):
        make_checkpoint()
    assert rollback.problems() == []
    assert rollback.accept("nothing to accept") == []
