"""Fixtures for safety plans: a resident with a portal log-in, another on someone else's
caseload, and a plan's sections as the care team writes them."""

import pytest

from ..measures.conftest import other_resident, portal_user  # noqa: F401

SECTIONS = {
    "warning_signs": "Not sleeping; pulling away from the guys on the wing.",
    "coping": "Walk the track; box breathing.",
    "distractions": "The gym at 6; cards in the common room.",
    "help_people": "Ana (sister) (312) 555-0147",
    "professionals": "Veterans Crisis Line: call 988 and press 1, or text 838255.",
    "environment": "No firearms at home; medicines kept by the nurse.",
    "reason_for_living": "My daughter.",
}


@pytest.fixture
def sections():
    return dict(SECTIONS)
