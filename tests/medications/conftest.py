"""A formulary, a prescriber on the resident's care team, consent and orders, made through the
services as the center makes them."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.consents import services as consents
from homecoming.consents.models import ConsentDocument, ConsentPurpose
from homecoming.medications import formulary, orders
from homecoming.medications.orders import Prescription
from homecoming.residents import services as residents_services
from tests.conftest import PASSWORD

SERTRALINE = {
    "drug": "Sertraline",
    "form": "tablet",
    "strength_amount": "50",
    "strength_unit": "mg",
    "limit_unit": "mg",
    "max_single_dose": "100",
    "max_daily_dose": "200",
    "min_interval_minutes": "360",
    "consent_code": "medication-sertraline",
}
LORAZEPAM_LIQUID = {
    "drug": "Lorazepam",
    "form": "oral_liquid",
    "strength_amount": "2",
    "strength_unit": "mg",
    "strength_per_ml": "1",
    "limit_unit": "mg",
    "max_single_dose": "2",
    "max_daily_dose": "4",
    "min_interval_minutes": "240",
    "controlled": True,
    "consent_code": "medication-lorazepam",
}
MNEMOSYNE = {
    "drug": "Mnemosyne-7 (investigational)",
    "form": "capsule",
    "strength_amount": "250",
    "strength_unit": "mcg",
    "limit_unit": "mcg",
    "max_single_dose": "500",
    "max_daily_dose": "1000",
    "min_interval_minutes": "480",
    "investigational": True,
    "consent_code": "trial-mnemosyne",
}


@pytest.fixture
def medical_lead(make_user):
    return make_user(Role.CLINICIAN, username="lead", is_prescriber=True, is_medical_lead=True)


@pytest.fixture
def prescriber(resident, staff, make_user):
    """A prescriber who is the resident's clinician (in place of staff['clinician'])."""
    person = make_user(Role.CLINICIAN, username="prescriber", is_prescriber=True)
    residents_services.assign_care_team(staff["supervisor"], resident, "clinician", person)
    return person


def consent_document(director, code, investigational=False):
    existing = ConsentDocument.objects.filter(code=code).order_by("-version").first()
    if existing is not None:
        return existing
    if investigational:
        return consents.publish(
            director,
            purpose=ConsentPurpose.INVESTIGATIONAL,
            code=code,
            title=f"Investigational protocol {code}",
            body="An experimental drug. Its effects on memory are not known. You may stop.",
            ethics_approval_ref="IRB-2026-077",
            ethics_approval_expires=timezone.localdate() + dt.timedelta(days=180),
        )
    return consents.publish(
        director,
        purpose=ConsentPurpose.MEDICATION,
        code=code,
        title=f"Medication protocol {code}",
        body="What the medication is for, its usual effects, and that you may stop at any time.",
    )


@pytest.fixture
def add_protocol(staff, medical_lead):
    def add(data=SERTRALINE, **overrides):
        data = {**data, **overrides}
        consent_document(
            staff["program_director"], data["consent_code"], bool(data.get("investigational"))
        )
        return formulary.add_protocol(medical_lead, data)

    return add


@pytest.fixture
def consent_to(staff):
    def sign(resident, protocol, days_ago=2):
        """Signed `days_ago` days back, so doses charted late still fall under it."""
        document = ConsentDocument.objects.filter(code=protocol.consent_code).latest("version")
        then = timezone.now() - dt.timedelta(days=days_ago)
        with mock.patch("django.utils.timezone.now", return_value=then):
            # Before the supervisor as witness: never the recorder, never the prescriber.
            return consents.sign(
                staff["caseworker"],
                resident,
                document,
                witness=staff["supervisor"],
                witness_secret=PASSWORD,
            )

    return sign


@pytest.fixture
def prescribe(prescriber):
    def write(resident, protocol, dose="50", unit="mg", frequency="twice_daily", **fields):
        fields.setdefault("route", "oral")
        fields.setdefault("starts_at", timezone.now() - dt.timedelta(hours=23))
        return orders.prescribe(
            prescriber,
            resident,
            Prescription(
                protocol=protocol,
                dose_amount=dose,
                dose_unit=unit,
                frequency=frequency,
                **fields,
            ),
        )

    return write


@pytest.fixture
def nurse(staff):
    """staff['clinician_other']: a nurse not on the resident's care team, on the round."""
    return staff["clinician_other"]
