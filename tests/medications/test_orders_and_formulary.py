"""The formulary and orders: limits checked when the order is written, prescribers only."""

import pytest
from django.core.exceptions import ValidationError

from homecoming.access.policy import AccessDenied
from homecoming.ledger.models import Entry
from homecoming.medications import formulary, orders
from homecoming.medications.models import Order, Protocol

from .conftest import LORAZEPAM_LIQUID, MNEMOSYNE, SERTRALINE, consent_document


def test_the_medical_lead_adds_and_retires_protocols(add_protocol, medical_lead):
    protocol = add_protocol()
    assert str(protocol) == "Sertraline 50 mg tablet"
    assert Entry.objects.filter(action="medication.protocol_add", resident_id=None).exists()
    formulary.retire_protocol(medical_lead, protocol)
    with pytest.raises(ValidationError, match="already retired"):
        formulary.retire_protocol(medical_lead, protocol)


@pytest.mark.parametrize("who", ["clinician", "supervisor", "program_director", "sysadmin"])
def test_only_the_medical_lead_adds_protocols(staff, who):
    consent_document(staff["program_director"], "medication-sertraline")
    with pytest.raises(AccessDenied):
        formulary.add_protocol(staff[who], SERTRALINE)
    assert Entry.objects.filter(
        actor=staff[who], action="medication.manage_formulary", outcome="denied"
    ).exists()
    assert not Protocol.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"drug": ""}, "drug", "Name the drug"),
        ({"form": "powder"}, "form", "Choose the form"),
        ({"strength_amount": "-1"}, "strength_amount", "greater than zero"),
        ({"strength_unit": "mL"}, "strength_unit", "unit of mass"),
        ({"max_daily_dose": "50"}, "max_daily_dose", "cannot be less than the single"),
        ({"min_interval_minutes": "soon"}, "min_interval_minutes", "in minutes"),
        ({"consent_code": "no-such-document"}, "consent_code", "No consent document"),
        ({"strength_per_ml": "1"}, "strength_per_ml", "Only a liquid"),
        ({"investigational": True}, "consent_code", "needs consent to an investigational"),
    ],
)
def test_a_protocol_with_a_mistake_is_refused_with_the_field_named(
    staff, medical_lead, change, field, words
):
    consent_document(staff["program_director"], SERTRALINE["consent_code"])
    with pytest.raises(ValidationError) as refused:
        formulary.add_protocol(medical_lead, {**SERTRALINE, **change})
    assert words in " ".join(refused.value.message_dict[field])
    assert not Protocol.objects.exists()


def test_a_liquid_needs_its_concentration(add_protocol):
    with pytest.raises(ValidationError) as refused:
        add_protocol(LORAZEPAM_LIQUID, strength_per_ml="")
    assert "strength_per_ml" in refused.value.message_dict


def test_an_investigational_protocol_needs_an_approved_consent_document(add_protocol):
    protocol = add_protocol(MNEMOSYNE)
    assert protocol.investigational and protocol.needs_witness


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"dose": "150"}, "dose_amount", "more than Sertraline 50 mg tablet's maximum single"),
        ({"dose": "100", "frequency": "three_times_daily"}, "frequency", "300 mg a day"),
        ({"frequency": "four_times_daily"}, "frequency", "4 hours apart"),
        ({"unit": "mL"}, "dose_unit", "needs a liquid's concentration"),
        ({"route": "intravenous"}, "route", "cannot be given this way (intravenous)"),
        ({"dose": "fifty"}, "dose_amount", "is not a number"),
    ],
)
def test_an_order_beyond_the_protocol_is_refused(
    resident, add_protocol, consent_to, prescribe, fields, field, words
):
    protocol = add_protocol()
    consent_to(resident, protocol)
    with pytest.raises(ValidationError) as refused:
        prescribe(resident, protocol, **fields)
    assert words in " ".join(refused.value.message_dict[field])
    assert not Order.objects.exists()


def test_an_order_needs_the_residents_consent(resident, add_protocol, prescribe):
    protocol = add_protocol()
    with pytest.raises(ValidationError, match="has no active consent to a medication protocol"):
        prescribe(resident, protocol)


@pytest.mark.parametrize("who", ["clinician", "clinician_other", "caseworker", "supervisor"])
def test_only_a_prescriber_on_the_care_team_orders(resident, add_protocol, consent_to, staff, who):
    protocol = add_protocol()
    consent_to(resident, protocol)
    with pytest.raises(AccessDenied):
        orders.prescribe(
            staff[who],
            resident,
            orders.Prescription(protocol, "50", "mg", "oral", "daily"),
        )
    assert Entry.objects.filter(
        actor=staff[who], action="medication.prescribe", outcome="denied"
    ).exists()


def test_discontinuing_needs_a_reason_and_happens_once(
    resident, add_protocol, consent_to, prescribe, prescriber, nurse
):
    protocol = add_protocol()
    consent_to(resident, protocol)
    order = prescribe(resident, protocol)
    with pytest.raises(ValidationError, match="Say why"):
        orders.discontinue(prescriber, order, " ")
    orders.discontinue(prescriber, order, "Side effects.")
    with pytest.raises(ValidationError, match="already discontinued"):
        orders.discontinue(prescriber, order, "Again.")
    with pytest.raises(AccessDenied):
        orders.discontinue(nurse, order, "A nurse cannot stop an order.")


def test_no_protocol_under_an_expired_ethics_approval(staff, medical_lead):
    import datetime as dt
    from unittest import mock

    from django.utils import timezone

    consent_document(staff["program_director"], MNEMOSYNE["consent_code"], investigational=True)
    later = timezone.now() + dt.timedelta(days=181)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        pytest.raises(ValidationError, match="ethics approval of Investigational protocol"),
    ):
        formulary.add_protocol(medical_lead, MNEMOSYNE)
