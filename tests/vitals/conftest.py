"""Fixtures for vital signs: the resident's own log-in."""

import pytest

from homecoming.residents import services as resident_services

# The medication round's fixtures, for the round's "Record vitals" link.
from tests.medications.conftest import (  # noqa: F401
    add_protocol,
    consent_to,
    medical_lead,
    nurse,
    prescribe,
    prescriber,
)


@pytest.fixture
def portal_user(resident, staff):
    user = resident_services.grant_portal_access(
        staff["caseworker"], resident, "walter", "a long enough passphrase", False
    )
    resident.refresh_from_db()
    return user
