"""A small ward for the safety tests: residents on the prescriber's caseload, two protocols
(sertraline, and the investigational Mnemosyne-7), and a helper that gives a resident one dose
through the real services, so exposure is what the administration record says."""

import datetime as dt

import pytest
from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.medications import administering
from homecoming.medications.administering import Witness
from homecoming.safety import services
from tests.conftest import PASSWORD
from tests.medications.conftest import (  # noqa: F401 (fixtures)
    MNEMOSYNE,
    add_protocol,
    consent_to,
    medical_lead,
)


@pytest.fixture
def prescriber(make_user):
    return make_user(Role.CLINICIAN, username="prescriber", is_prescriber=True)


@pytest.fixture
def ward(admit, staff, prescriber, medical_lead, add_protocol, consent_to):  # noqa: F811
    """Ten residents with the prescriber as their clinician, and a way to dose them."""
    from homecoming.medications import orders
    from homecoming.medications.orders import Prescription

    residents = [
        admit(given_name=f"Resident{i}", family_name="Ward", clinician=prescriber)
        for i in range(10)
    ]
    protocols = {"sertraline": add_protocol(), "mnemosyne": add_protocol(MNEMOSYNE)}
    units = {"sertraline": ("50", "mg"), "mnemosyne": ("250", "mcg")}

    def dose(resident, drug):
        protocol = protocols[drug]
        consent_to(resident, protocol)
        amount, unit = units[drug]
        order = orders.prescribe(
            prescriber,
            resident,
            Prescription(
                protocol=protocol,
                dose_amount=amount,
                dose_unit=unit,
                route="oral",
                frequency="as_needed",
                starts_at=timezone.now() - dt.timedelta(hours=20),
            ),
        )
        witness = Witness(staff["caseworker"], PASSWORD) if protocol.needs_witness else None
        administering.give(
            staff["clinician_other"], order, dose_amount=amount, dose_unit=unit, witness=witness
        )
        return order

    return type("Ward", (), {"residents": residents, "protocols": protocols, "dose": dose})


def report_for(actor, resident, term, orders=(), **fields):
    fields.setdefault("onset", timezone.localdate())
    fields.setdefault("seriousness", "not_serious")
    return services.report(
        actor,
        resident,
        services.Report(term=term, suspect_order_ids=[o.pk for o in orders], **fields),
    )
