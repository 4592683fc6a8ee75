"""Fixtures for the timeline's words about medicines and complaints, from those apps' tests."""

# The medication fixtures (a formulary protocol, its consent, an order) and a resident with a
# portal log-in who files a complaint.
from tests.medications.conftest import (  # noqa: F401
    add_protocol,
    consent_to,
    medical_lead,
    nurse,
    prescribe,
    prescriber,
)
from tests.oversight.conftest import own  # noqa: F401
