"""Issue 13, part 2, replayed through the API as the insider would: one member of staff records a
resident's consent to the trial drug alone, orders it, and gives it with the prescriber as the
"second nurse". Each step is now refused or seen by the oversight body; only a consent the
resident confirmed themselves lets the trial go on, and then every order and dose is told."""

import json

import pytest

from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry
from homecoming.medications.models import Administration, DoseStop, Order
from tests.conftest import PASSWORD
from tests.consents.helpers import portal_login
from tests.medications.conftest import MNEMOSYNE


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def trial(resident, make_user, add_protocol, prescriber):
    """Mnemosyne-7 in the formulary, its consent document published, and the resident (with a
    portal log-in) on the prescriber's caseload."""
    protocol = add_protocol(MNEMOSYNE)
    return protocol, portal_login(make_user, resident)


def oversight_alerts(staff, kind):
    return Alert.objects.filter(recipient=staff["oversight"], kind=kind)


def test_one_person_cannot_consent_order_and_give_a_trial_drug_unseen(
    trial, staff, prescriber, nurse, api_for, client_for
):
    protocol, walter = trial
    document_id = protocol_document_id(protocol)
    as_prescriber, as_nurse = api_for(prescriber), api_for(nurse)
    consents_url = f"/api/v1/residents/{walter.pk}/consents"
    order_url = f"/api/v1/residents/{walter.pk}/orders"
    order_body = {
        "protocol_id": protocol.pk,
        "dose_amount": "250",
        "dose_unit": "mcg",
        "route": "oral",
        "frequency": "twice_daily",
    }

    # 0. A colleague cannot make it count by having the prescriber witness it: refused.
    by_prescriber = {"witness_username": prescriber.username, "witness_secret": PASSWORD}
    witnessed = post(
        api_for(staff["caseworker"]), consents_url, {"document_id": document_id} | by_prescriber
    )
    assert witnessed.status_code == 400, witnessed.content
    assert "prescribes for Walter Cruz" in witnessed.json()["errors"]["witness"][0]

    # 1. The prescriber records the consent alone (the witness used to default to the recorder):
    #    it is kept, but pending: it counts for nothing.
    alone = post(as_prescriber, consents_url, {"document_id": document_id})
    assert alone.status_code == 201, alone.content
    assert alone.json()["pending"] is True and alone.json()["counts"] is False
    assert alone.json()["witness"] is None
    # ... and cannot name themselves as the witness, password and all.
    mine = {"witness_username": prescriber.username, "witness_secret": PASSWORD}
    self_witnessed = post(as_prescriber, f"/api/v1/consents/{alone.json()['id']}/confirm", mine)
    assert self_witnessed.status_code == 400
    assert (
        "someone other than the person who records" in self_witnessed.json()["errors"]["witness"][0]
    )

    # 2. The order on that consent is refused, saying the consent waits for confirmation.
    ordered = post(as_prescriber, order_url, order_body)
    assert ordered.status_code == 400, ordered.content
    assert "waits for the resident's confirmation" in ordered.json()["errors"]["protocol"][0]
    assert not Order.objects.exists()

    # The resident confirms it themselves in the portal: now it counts.
    own = post(client_for(walter.user), f"/api/v1/consents/{alone.json()['id']}/confirm")
    assert own.status_code == 200, own.content
    assert own.json()["counts"] is True and own.json()["signed_via"] == "confirmed"

    # 4. The order goes through, and the oversight body is told at once.
    ordered = post(as_prescriber, order_url, order_body)
    assert ordered.status_code == 201, ordered.content
    [alert] = oversight_alerts(staff, "investigational_order")
    assert "Mnemosyne-7" in alert.message and alert.resident_id == walter.pk
    assert alert.urgency == "high"

    # 5. The nurse gives it with the prescriber as the "second nurse": stopped, kept, refused
    #    on the ledger.
    dose_url = f"/api/v1/orders/{ordered.json()['id']}/administrations"
    dose = {"dose_amount": "250", "dose_unit": "mcg"}
    prescriber_checks = {"username": prescriber.username, "secret": PASSWORD}
    stopped = post(as_nurse, dose_url, dose | {"witness": prescriber_checks})
    assert stopped.status_code == 409, stopped.content
    assert [s["rule"] for s in stopped.json()["stops"]] == ["no_witness"]
    assert "prescribed this order" in stopped.json()["stops"][0]["message"]
    assert not Administration.objects.exists()
    assert DoseStop.objects.filter(attempted_by=nurse).count() == 1
    assert Entry.objects.filter(
        actor=nurse, action="medication.administer", outcome="denied", resident_id=walter.pk
    ).exists()
    assert not oversight_alerts(staff, "investigational_dose").exists()

    # 6. Given before a witness who neither gives nor prescribed it: recorded, and told.
    witness = {"username": staff["supervisor"].username, "secret": PASSWORD}
    given = post(as_nurse, dose_url, dose | {"witness": witness})
    assert given.status_code == 201, given.content
    [alert] = oversight_alerts(staff, "investigational_dose")
    assert "Mnemosyne-7" in alert.message and str(nurse) in alert.message


def protocol_document_id(protocol):
    from homecoming.consents.models import ConsentDocument

    return ConsentDocument.objects.filter(code=protocol.consent_code).latest("version").pk
