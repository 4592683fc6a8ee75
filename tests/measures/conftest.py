"""Fixtures for questionnaires: a resident with a portal log-in, and answer sheets."""

import pytest

from homecoming.residents import services as resident_services


@pytest.fixture
def portal_user(resident, staff):
    """The resident's own log-in (password already their own, so pages open at once)."""
    user = resident_services.grant_portal_access(
        staff["caseworker"],
        resident,
        "walter",
        "a long enough passphrase",
        must_change_password=False,
    )
    resident.refresh_from_db()
    return user


@pytest.fixture
def other_resident(admit, staff):
    """A resident on someone else's caseload, with a log-in of their own."""
    other = admit(caseworker=staff["caseworker_other"], given_name="Rosa", family_name="Diaz")
    resident_services.grant_portal_access(
        staff["caseworker_other"],
        other,
        "rosa",
        "a long enough passphrase",
        must_change_password=False,
    )
    other.refresh_from_db()
    return other
