"""Issue 13, part 8: a witness's password typed wrong cannot be turned against the witness, and
the witness field does not tell who has an account.

Replay (the API, as a nurse would): name a colleague as witness and type wrong passwords until
the limit. On main the colleague was then refused everywhere they confirm (their own note
signatures, witnessing for anyone) for 15 minutes."""

import json

import pytest
from django.test import Client

from homecoming.accounts import reauth
from homecoming.accounts.models import Role
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry
from homecoming.medications.models import Administration
from tests.accounts.test_lockout_controls import counting_hashes
from tests.conftest import PASSWORD

from .conftest import LORAZEPAM_LIQUID


@pytest.fixture
def lorazepam(resident, add_protocol, consent_to, prescribe):
    protocol = add_protocol(LORAZEPAM_LIQUID)
    consent_to(resident, protocol)
    return prescribe(resident, protocol, dose="1", unit="mg", frequency="as_needed")


def give_with_witness(client, order, username, secret):
    body = {
        "dose_amount": "0.5",
        "dose_unit": "mL",
        "witness": {"username": username, "secret": secret},
    }
    return client.post(
        f"/api/v1/orders/{order.pk}/administrations",
        json.dumps(body),
        content_type="application/json",
    )


def test_wrong_witness_passwords_do_not_lock_the_witness_out(
    lorazepam, nurse, staff, make_user, api_for, resident
):
    witness = staff["caseworker"]
    guesser = api_for(nurse)
    for _ in range(reauth.CONFIRM_ATTEMPTS):
        assert give_with_witness(guesser, lorazepam, witness.username, "a guess").status_code == 400
    # Each wrong try is on the ledger in the name of the session that typed it.
    refused = Entry.objects.filter(action="medication.witness", outcome="denied")
    assert refused.count() == reauth.CONFIRM_ATTEMPTS
    assert set(refused.values_list("actor_id", flat=True)) == {nurse.pk}

    # The guessing stops for the one who guesses, whatever the secret...
    stopped = give_with_witness(guesser, lorazepam, witness.username, PASSWORD)
    assert stopped.status_code == 400 and "Too many wrong passwords" in stopped.json()["detail"]
    # ...while the witness witnesses for another nurse at once,
    other_nurse = make_user(Role.CLINICIAN, username="nurse2")
    given = give_with_witness(api_for(other_nurse), lorazepam, witness.username, PASSWORD)
    assert given.status_code == 201, given.content
    assert Administration.objects.get(order=lorazepam).witness == witness
    # ...confirms their own acts (signing a note),
    target = ledger.Target(object_type="encounters.note", object_id="1", resident_id=resident.pk)
    reauth.confirm(witness, PASSWORD, action="note.sign", target=target, by=witness)
    # ...and logs in.
    logged = Client().post("/login/", {"username": witness.username, "password": PASSWORD})
    assert logged.status_code == 302 and logged["Location"] == "/login/second-factor/"


def test_the_witness_field_does_not_tell_who_has_an_account(
    lorazepam, nurse, staff, make_user, api_for
):
    make_user(Role.CASEWORKER, username="left-us", is_active=False)
    client = api_for(nurse)
    answers = {}
    for username in ("caseworker", "ghost", "left-us"):  # fewer tries than the limit
        with counting_hashes() as hashed:
            response = give_with_witness(client, lorazepam, username, "not the password")
        assert hashed, f"{username}: no password hash was computed"  # comparable work
        answers[username] = (response.status_code, response.json())
    assert answers["caseworker"][0] == 400
    assert answers["caseworker"] == answers["ghost"] == answers["left-us"]
    assert "do not match an active member of staff" in answers["ghost"][1]["detail"]
