"""Fixtures for correction requests: Walter with a portal log-in and a signed note of his
caseworker's, and Rosa on someone else's caseload with a note of her own."""

import pytest

from ..measures.conftest import other_resident, portal_user  # noqa: F401
from ..support.notes import signed


@pytest.fixture
def note(resident, staff):
    """A note Walter's caseworker wrote and signed: Walter reads it in his portal."""
    return signed(staff["caseworker"], resident)


@pytest.fixture
def rosas_note(other_resident, staff):  # noqa: F811
    return signed(staff["caseworker_other"], other_resident)
