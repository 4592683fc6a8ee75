"""Checkpoints leave the operator's hands: a witness folder and a C2SP tlog-witness."""

import threading
from pathlib import Path

import pytest

from homecoming.alerts.models import Alert
from homecoming.ledger import verify as v
from homecoming.ledger import worker
from homecoming.ledger.checkpoints import make_checkpoint
from homecoming.ledger.models import Delivery, Witness
from homecoming.ledger.witnesses import deliver_pending
from homecoming.residents import selectors


def test_a_witness_folder_gets_every_checkpoint_with_its_proof(
    resident, staff, ledger_key, settings, tmp_path
):
    folder = tmp_path / "oversight-inbox"
    settings.HOMECOMING_WITNESSES = [str(folder)]
    first = make_checkpoint()
    assert deliver_pending() == (1, 0)
    selectors.chart(staff["caseworker"], resident.pk)
    second = make_checkpoint()
    assert deliver_pending() == (1, 0)
    assert (folder / f"checkpoint.{second.tree_size}").read_text() == second.note
    assert (folder / f"consistency.{first.tree_size}.{second.tree_size}").exists()
    seen = v.check_witness_folder(folder, ledger_key.verifier)
    assert [c.size for c in seen] == [first.tree_size, second.tree_size]
    assert Witness.objects.get().size == second.tree_size


def test_the_witness_folder_check_reports_a_rewritten_history(
    resident, staff, ledger_key, settings, tmp_path
):
    folder = tmp_path / "inbox"
    settings.HOMECOMING_WITNESSES = [f"dir:{folder}"]
    first = make_checkpoint()
    selectors.chart(staff["caseworker"], resident.pk)
    second = make_checkpoint()
    deliver_pending()
    # The operator re-signs a different history of the same length and slips it in.
    forged = ledger_key.sign_note(
        v.Checkpoint(ledger_key.name, second.tree_size, b"\x11" * 32).text()
    )
    (folder / f"checkpoint.{second.tree_size}").write_text(forged)
    with pytest.raises(v.BundleError, match="INCONSISTENT"):
        v.check_witness_folder(folder, ledger_key.verifier)
    assert first.tree_size < second.tree_size


@pytest.fixture
def http_witness(ledger_key, tmp_path):
    witness = v.TlogWitness(ledger_key.verifier, tmp_path / "witness-state")
    server = v.serve_witness(witness, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield witness, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_tlog_witness_accepts_consistent_checkpoints(
    resident, staff, ledger_key, settings, http_witness
):
    witness, url = http_witness
    settings.HOMECOMING_WITNESSES = [url]
    make_checkpoint()
    assert deliver_pending() == (1, 0)
    for _ in range(3):
        selectors.chart(staff["caseworker"], resident.pk)
    second = make_checkpoint()
    assert deliver_pending() == (1, 0)
    assert witness.current().size == second.tree_size
    # Our record of the witness is lost: its 409 tells us its size and delivery recovers.
    Witness.objects.update(size=0)
    selectors.chart(staff["caseworker"], resident.pk)
    third = make_checkpoint()
    assert deliver_pending() == (1, 0)
    assert witness.current().size == third.tree_size


def test_a_tlog_witness_refuses_a_rewritten_history_and_oversight_is_alerted(
    resident, staff, ledger_key, settings, http_witness, client_for
):
    witness, url = http_witness
    settings.HOMECOMING_WITNESSES = [url]
    # The witness already holds a checkpoint of a different history of the same length.
    size = make_checkpoint().tree_size
    Path(witness.state).write_text(
        ledger_key.sign_note(v.Checkpoint(ledger_key.name, size - 1, b"\x22" * 32).text())
    )
    assert deliver_pending() == (0, 1)
    delivery = Delivery.objects.get()
    assert delivery.refused and delivery.last_error.startswith("REFUSED")
    assert delivery.delivered_at is None
    # The ledger's page shows the waiting delivery and its refusal as a danger, not a warning.
    page = client_for(staff["oversight"]).get("/ledger/").content.decode()
    assert f"checkpoint {size}: 1 attempt(s)" in page
    assert '<span class="badge danger">REFUSED' in page
    alarms = Alert.objects.filter(kind="ledger")
    assert set(alarms.values_list("recipient__role", flat=True)) == {
        "oversight",
        "program_director",
    }
    delivery.next_attempt_at = delivery.next_attempt_at.replace(year=2000)
    delivery.save()
    deliver_pending()
    assert Alert.objects.filter(kind="ledger").count() == alarms.count()  # alarmed once


def test_the_witness_refuses_bad_requests(ledger_key, tmp_path):
    witness = v.TlogWitness(ledger_key.verifier, tmp_path / "state")
    note = ledger_key.sign_note(v.Checkpoint(ledger_key.name, 3, b"\x01" * 32).text())
    assert witness.add_checkpoint(b"nonsense")[0] == 400
    assert witness.add_checkpoint(f"old 5\n\n{note}".encode()) == (409, "0\n")
    assert witness.add_checkpoint(b"old 0\n\n" + note.replace("3", "4", 1).encode())[0] == 403
    assert witness.add_checkpoint(f"old 0\n\n{note}".encode()) == (200, "")


def test_an_unreachable_witness_is_retried_later(resident, ledger_key, settings):
    settings.HOMECOMING_WITNESSES = ["http://127.0.0.1:9"]  # nothing listens there
    make_checkpoint()
    assert deliver_pending() == (0, 1)
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1 and delivery.last_error and not delivery.refused
    assert deliver_pending() == (0, 0)  # not due yet


def test_the_worker_signs_and_delivers(resident, staff, ledger_key, settings, tmp_path):
    settings.HOMECOMING_WITNESSES = [str(tmp_path / "inbox")]
    signed, sent, failed = worker.one_round()
    assert signed and sent == 1 and failed == 0
    assert worker.one_round() == (None, 0, 0)  # nothing new


def test_a_broken_witness_does_not_stop_the_others(
    resident, ledger_key, settings, tmp_path, django_capture_on_commit_callbacks
):
    import http.client
    from unittest import mock

    settings.HOMECOMING_WITNESSES = ["http://127.0.0.1:9", str(tmp_path / "inbox")]
    with mock.patch("urllib.request.urlopen", side_effect=http.client.BadStatusLine("??")):
        with django_capture_on_commit_callbacks(execute=True):
            make_checkpoint()  # delivery runs on commit and must not fail the signing
        assert deliver_pending() == (0, 0)  # both were tried on commit already
    assert Delivery.objects.filter(delivered_at__isnull=False).count() == 1
    broken = Delivery.objects.get(delivered_at__isnull=True)
    assert broken.attempts == 1 and "BadStatusLine" in broken.last_error
    assert list((tmp_path / "inbox").glob("checkpoint.*"))


def test_a_witness_already_holding_a_later_checkpoint_of_ours_is_no_alarm(
    resident, staff, ledger_key, settings, http_witness
):
    witness, url = http_witness
    settings.HOMECOMING_WITNESSES = [url]
    first = make_checkpoint()
    selectors.chart(staff["caseworker"], resident.pk)
    second = make_checkpoint()
    # The later checkpoint reached the witness first (another process delivered it).
    Path(witness.state).write_text(second.note)
    Delivery.objects.filter(checkpoint=second).update(delivered_at=first.created_at)
    Delivery.objects.filter(checkpoint=first).update(
        delivered_at=None, last_error="", next_attempt_at=first.created_at
    )
    Witness.objects.update(size=0)
    deliver_pending()
    assert not Alert.objects.filter(kind="ledger").exists()
    assert Witness.objects.get().size == second.tree_size
