"""A dose's second check is someone of its own (neither the nurse giving it nor its prescriber),
and an investigational product is never ordered or given without the oversight body being told."""

import pytest
from django.core.exceptions import ValidationError

from homecoming.alerts.models import Alert
from homecoming.consents import services as consents
from homecoming.consents.models import ConsentDocument
from homecoming.ledger.models import Entry
from homecoming.medications import administering, orders
from homecoming.medications.administering import DoseStopped, Witness
from homecoming.medications.guard import Rule
from homecoming.medications.models import Administration, DoseStop
from homecoming.residents import services as residents_services
from tests.conftest import PASSWORD

from .conftest import LORAZEPAM_LIQUID, MNEMOSYNE


@pytest.fixture
def trial_order(resident, add_protocol, consent_to, prescribe):
    protocol = add_protocol(MNEMOSYNE)
    consent_to(resident, protocol)
    return prescribe(resident, protocol, dose="250", unit="mcg", frequency="as_needed")


def oversight(staff, kind):
    return Alert.objects.filter(recipient=staff["oversight"], kind=kind)


@pytest.mark.parametrize("drug", [LORAZEPAM_LIQUID, MNEMOSYNE])
def test_the_prescriber_is_no_second_check_on_their_own_order(
    resident, add_protocol, consent_to, prescribe, prescriber, nurse, drug
):
    protocol = add_protocol(drug)
    consent_to(resident, protocol)
    dose, unit = ("1", "mg") if protocol.controlled else ("250", "mcg")
    order = prescribe(resident, protocol, dose=dose, unit=unit, frequency="as_needed")
    with pytest.raises(DoseStopped) as stopped:
        administering.give(
            nurse, order, dose_amount=dose, dose_unit=unit, witness=Witness(prescriber, PASSWORD)
        )
    assert [s.rule for s in stopped.value.stops] == [Rule.NO_WITNESS]
    assert "prescribed this order, so cannot be its second check" in stopped.value.messages[0]
    assert not stopped.value.overridable
    assert not Administration.objects.exists()
    kept = DoseStop.objects.get()
    assert kept.attempted_by == nurse and "prescribed this order" in kept.stops[0]["message"]
    assert Entry.objects.filter(
        actor=nurse, object_type="medications.dosestop", outcome="denied"
    ).exists()


def test_the_nurse_giving_it_is_no_second_check_either(trial_order, nurse):
    with pytest.raises(ValidationError, match="someone other than you"):
        administering.give(
            nurse, trial_order, dose_amount="250", dose_unit="mcg", witness=Witness(nurse, PASSWORD)
        )


def test_the_prescriber_may_give_it_before_a_witness_of_their_own(trial_order, prescriber, staff):
    row = administering.give(
        prescriber,
        trial_order,
        dose_amount="250",
        dose_unit="mcg",
        witness=Witness(staff["caseworker"], PASSWORD),
    )
    assert (row.recorded_by, row.witness) == (prescriber, staff["caseworker"])


def test_the_give_page_says_who_cannot_be_the_witness(trial_order, nurse, prescriber, client_for):
    client = client_for(nurse)
    url = f"/medications/orders/{trial_order.pk}/give/"
    assert f"not you, and not {prescriber}, who prescribed it" in client.get(url).content.decode()
    fields = {"do": "give", "dose_amount": "250", "dose_unit": "mcg"}
    fields |= {"witness": prescriber.username, "witness_secret": PASSWORD}
    response = client.post(url, fields)
    assert response.status_code == 400
    assert "prescribed this order, so cannot be its second check" in response.content.decode()
    assert not Administration.objects.exists()


# --- the oversight body is told -------------------------------------------------------------------


def test_every_investigational_order_and_dose_alerts_the_oversight_body(trial_order, nurse, staff):
    [ordered] = oversight(staff, "investigational_order")
    assert "ordered the investigational drug Mnemosyne-7" in ordered.message
    assert ordered.resident_id == trial_order.resident_id and ordered.urgency == "high"
    # Only the oversight body: not the supervisors, who could be pushing the trial.
    assert set(
        Alert.objects.filter(kind="investigational_order").values_list("recipient", flat=True)
    ) == {staff["oversight"].pk}
    witness = Witness(staff["caseworker"], PASSWORD)
    administering.give(nurse, trial_order, dose_amount="250", dose_unit="mcg", witness=witness)
    [given] = oversight(staff, "investigational_dose")
    assert "gave Walter Cruz the investigational drug Mnemosyne-7" in given.message
    assert "250 mcg" in given.message
    assert str(staff["caseworker"]) in given.message  # the witness, named


def test_ordinary_drugs_alert_nobody(resident, add_protocol, consent_to, prescribe, nurse, staff):
    protocol = add_protocol()
    consent_to(resident, protocol)
    order = prescribe(resident, protocol, frequency="as_needed")
    administering.give(nurse, order, dose_amount="50", dose_unit="mg")
    assert not Alert.objects.filter(kind__startswith="investigational").exists()


def test_a_prescriber_does_not_order_a_trial_drug_on_a_consent_they_witnessed(
    resident, add_protocol, staff, make_user
):
    """Witnessed before they were the resident's prescriber (so allowed then); ordering on it
    afterwards is refused."""
    protocol = add_protocol(MNEMOSYNE)
    newcomer = make_user("clinician", username="newcomer", is_prescriber=True)
    document = ConsentDocument.objects.get(code=protocol.consent_code)
    consents.sign(
        staff["caseworker"], resident, document, witness=newcomer, witness_secret=PASSWORD
    )
    residents_services.assign_care_team(staff["supervisor"], resident, "clinician", newcomer)
    with pytest.raises(ValidationError) as refused:
        orders.prescribe(
            newcomer,
            resident,
            orders.Prescription(
                protocol=protocol,
                dose_amount="250",
                dose_unit="mcg",
                route="oral",
                frequency="as_needed",
            ),
        )
    assert "You witnessed Walter Cruz's consent to Mnemosyne-7" in str(refused.value)
    assert not oversight(staff, "investigational_order").exists()
