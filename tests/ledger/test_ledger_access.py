"""The ledger's API and page are for the oversight body and investigators only."""

import json

import pytest
from django.test import Client

from homecoming.accounts import tokens
from homecoming.ledger import verify as v
from homecoming.ledger.checkpoints import make_checkpoint
from homecoming.ledger.models import Entry


@pytest.fixture
def api(staff):
    def make(who):
        _, clear = tokens.issue(staff[who], "t")
        return Client(HTTP_AUTHORIZATION=f"Bearer {clear}")

    return make


def test_oversight_gets_checkpoints_and_proofs_that_verify(resident, staff, ledger_key, api):
    make_checkpoint()
    client = api("oversight")
    latest = client.get("/api/v1/ledger/checkpoint").json()
    vkey = v.VerifierKey.parse(client.get("/api/v1/ledger/vkey").content.decode())
    checkpoint = v.open_checkpoint(latest["note"], vkey)
    proof = client.get("/api/v1/ledger/proof/inclusion?index=3").json()
    leaf = client.get("/api/v1/ledger/entries/3").json()
    assert v.leaf_hash(leaf["leaf"].encode()).hex() == proof["leaf_hash"]
    v.verify_inclusion(
        3,
        checkpoint.size,
        bytes.fromhex(proof["leaf_hash"]),
        [bytes.fromhex(h) for h in proof["proof"]],
        checkpoint.root,
    )
    assert "Cruz" not in json.dumps(leaf)
    history = client.get("/api/v1/ledger/checkpoints").json()["items"]
    assert [c["tree_size"] for c in history] == [checkpoint.size]
    consistency = client.get("/api/v1/ledger/proof/consistency?old=2").json()
    assert consistency["new_size"] == checkpoint.size


def test_bad_proof_requests_are_4xx(resident, ledger_key, api):
    size = make_checkpoint().tree_size
    client = api("investigator")
    assert client.get(f"/api/v1/ledger/proof/inclusion?index={size + 10}").status_code == 400
    assert client.get(f"/api/v1/ledger/proof/consistency?old=5&new={size + 1}").status_code == 400
    assert client.get("/api/v1/ledger/proof/inclusion?index=x").status_code == 422
    assert client.get("/api/v1/ledger/entries/99999").status_code == 404


@pytest.mark.parametrize(
    "who", ["caseworker", "supervisor", "program_director", "contractor", "sysadmin", "clinician"]
)
def test_everyone_else_is_denied_and_recorded(resident, ledger_key, api, staff, client_for, who):
    make_checkpoint()
    assert api(who).get("/api/v1/ledger/checkpoint").status_code == 403
    assert client_for(staff[who]).get("/ledger/").status_code == 403
    assert (
        Entry.objects.filter(actor=staff[who], action="ledger.view", outcome="denied").count() == 2
    )


def test_the_ledger_page_and_downloads(resident, ledger_key, staff, client_for):
    make_checkpoint()
    client = client_for(staff["oversight"])
    page = client.get("/ledger/").content.decode()
    assert "Latest checkpoint" in page and ledger_key.vkey in page
    assert "No witness is configured" in page
    history = client.get("/ledger/checkpoints.ndjson")
    assert history["Content-Disposition"].startswith("attachment")
    assert json.loads(history.content.decode().splitlines()[0])["note"].startswith(
        "test.homecoming/ledger\n"
    )
    assert client.get("/ledger/ledger.vkey").content.decode().strip() == ledger_key.vkey


def test_the_ledger_page_shows_waiting_deliveries(
    resident, ledger_key, staff, client_for, settings
):
    settings.HOMECOMING_WITNESSES = ["http://127.0.0.1:9"]
    from homecoming.ledger.witnesses import deliver_pending

    make_checkpoint()
    deliver_pending()
    page = client_for(staff["oversight"]).get("/ledger/").content.decode()
    assert "http://127.0.0.1:9" in page and "1 attempt(s)" in page
