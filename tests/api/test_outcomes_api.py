"""GET /api/v1/outcomes: who may ask, with a token or a session; the figures themselves and the
contractor's suppression are tested in tests/outcomes/test_views.py."""

import pytest

from homecoming.accounts import tokens
from homecoming.accounts.models import Role
from homecoming.ledger.models import Entry
from tests.conftest import logged_in


@pytest.mark.parametrize(
    "role, status",
    [
        ("program_director", 200),
        ("oversight", 200),
        ("contractor", 200),
        ("caseworker", 403),
        ("clinician", 403),
        ("supervisor", 403),
        ("investigator", 403),
        ("sysadmin", 403),
    ],
)
def test_who_may_read_the_outcomes_with_a_token(staff, client, role, status):
    _, secret = tokens.issue(staff[role], name="reports", scope="read")
    answer = client.get("/api/v1/outcomes", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == status
    outcome = "allowed" if status == 200 else "denied"
    entry = Entry.objects.filter(actor=staff[role]).latest("seq")
    assert (entry.action, entry.resident_id, entry.outcome) == (
        "outcomes.view" if status == 200 else "center.outcomes",
        None,
        outcome,
    )
    if status == 200:
        assert answer.json()["suppressed"] is (role == "contractor")


def test_a_resident_is_refused(make_user):
    assert logged_in(make_user(Role.RESIDENT)).get("/api/v1/outcomes").status_code == 403


def test_the_openapi_description_has_the_schema(staff):
    schema = logged_in(staff["oversight"]).get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/outcomes"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"period_from", "period_to", "for"}
    assert "OutcomesOut" in schema["components"]["schemas"]
    assert "OutcomeTable" in schema["components"]["schemas"]
