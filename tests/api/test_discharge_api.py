# ruff: noqa: F811 (the fixtures imported below are the arguments of these tests)
"""POST /api/v1/stays/{id}/discharge and GET of a stay's discharge plan: allowed, refused, and
the 409 that names what a plan is missing."""

import pytest

from homecoming.discharge import services
from homecoming.residents.models import StayStatus
from tests.conftest import PASSWORD
from tests.discharge.conftest import (  # noqa: F401 (fixtures)
    add_protocol,
    caseworker,
    clinician,
    consent_to,
    medical_lead,
    plan,
    prescribe,
    prescriber,
)


def test_the_plan_is_read_and_a_signed_plan_is_carried_out(
    resident, plan, caseworker, clinician, api_for
):
    stay = resident.stays.get()
    api = api_for(caseworker)
    got = api.get(f"/api/v1/stays/{stay.pk}/discharge").json()
    assert got["status"] == "draft" and "a clinician's signature" in got["missing"]
    refused = api.post(f"/api/v1/stays/{stay.pk}/discharge")
    assert refused.status_code == 409
    assert refused.json()["missing"] == [
        "the primary caseworker's signature",
        "a clinician's signature",
    ]
    services.sign(caseworker, plan, PASSWORD)
    services.sign(clinician, plan, PASSWORD)
    done = api.post(f"/api/v1/stays/{stay.pk}/discharge")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "discharged" and len(body["follow_ups"]) == 5
    assert resident.stays.get().status == StayStatus.DISCHARGED
    # Discharged: the care team keeps follow-up work only, and a discharge is not redone.
    again = api.post(f"/api/v1/stays/{stay.pk}/discharge")
    assert again.status_code == 403
    assert api.get(f"/api/v1/stays/{stay.pk}/discharge").json()["status"] == "discharged"


@pytest.mark.parametrize(
    "who", ["contractor", "oversight", "investigator", "sysadmin", "caseworker_other"]
)
def test_outsiders_are_refused(resident, plan, caseworker, clinician, staff, api_for, who):
    services.sign(caseworker, plan, PASSWORD)
    services.sign(clinician, plan, PASSWORD)
    stay = resident.stays.get()
    api = api_for(staff[who])
    assert api.get(f"/api/v1/stays/{stay.pk}/discharge").status_code == 403
    assert api.post(f"/api/v1/stays/{stay.pk}/discharge").status_code == 403
    assert resident.stays.get().status == StayStatus.IN_RESIDENCE


def test_the_endpoints_are_described(db):
    from django.test import Client

    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/stays/{stay_id}/discharge"])
