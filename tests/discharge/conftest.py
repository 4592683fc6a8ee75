"""A resident in residence with a caseworker, a prescribing clinician on their team, a running
order, a future individual session and a place in a future group session: what a discharge
ends. Made through the services, as the center makes them."""

import datetime as dt

import pytest
from django.utils import timezone

from homecoming.discharge import services
from homecoming.encounters import scheduling
from homecoming.encounters.models import SessionKind
from tests.conftest import PASSWORD
from tests.medications.conftest import (  # noqa: F401 (fixtures)
    add_protocol,
    consent_to,
    medical_lead,
    prescribe,
    prescriber,
)


@pytest.fixture
def clinician(prescriber):  # noqa: F811
    """The clinician on the resident's care team (a prescriber)."""
    return prescriber


@pytest.fixture
def caseworker(staff):
    return staff["caseworker"]


@pytest.fixture
def order(resident, add_protocol, consent_to, prescribe):  # noqa: F811
    protocol = add_protocol()
    consent_to(resident, protocol)
    return prescribe(resident, protocol)


@pytest.fixture
def sessions(resident, admit, beds, staff):
    """An individual session tomorrow and a group session the day after with another resident."""
    other = admit(bed=beds[1], given_name="Nadia", family_name="Okafor")
    start = timezone.now() + dt.timedelta(days=1)
    alone = scheduling.schedule(
        staff["caseworker"],
        caseworker=staff["caseworker"],
        residents=[resident],
        kind=SessionKind.INDIVIDUAL,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
    )
    start += dt.timedelta(days=1)
    group = scheduling.schedule(
        staff["caseworker"],
        caseworker=staff["caseworker"],
        residents=[resident, other],
        kind=SessionKind.GROUP,
        title="Sleep group",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
    )
    return alone, group


def plan_fields(**overrides):
    fields = {
        "disposition": "home",
        "disposition_other": "",
        "planned_on": timezone.localdate(),
        "plan": "Home to his sister's; outpatient therapy at the VA clinic every week.",
        "contacts": "Center: (312) 555-0100. Veterans Crisis Line: 988, press 1.",
        "follow_up_days": None,
    }
    return fields | overrides


@pytest.fixture
def plan(resident, caseworker):
    return services.write_plan(caseworker, resident.stays.get(), **plan_fields())


@pytest.fixture
def signed(plan, caseworker, clinician):
    services.sign(caseworker, plan, PASSWORD)
    return services.sign(clinician, plan, PASSWORD)
