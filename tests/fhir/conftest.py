"""What every FHIR test checks: the media type, and each resource against fhir.resources' R4B
models (the FHIR R4 structures; R4B changed none of the types we serve)."""

import importlib

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

FHIR = "application/fhir+json"


def model_of(type_name: str):
    module = importlib.import_module(f"fhir.resources.R4B.{type_name.lower()}")
    return getattr(module, type_name)


def valid(resource: dict) -> dict:
    """`resource`, after checking it against its type's R4 model."""
    model_of(resource["resourceType"]).model_validate(resource)
    return resource


def fhir_json(response, status=200) -> dict:
    assert response.status_code == status, response.content[:600]
    assert response["Content-Type"].startswith(FHIR)
    return response.json()


def bundle_of(response) -> dict:
    """A searchset Bundle, every resource in it validated."""
    body = fhir_json(response)
    Bundle.model_validate(body)
    for entry in body["entry"]:
        valid(entry["resource"])
    return body


def matches(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match"]


def outcome(response, status, code, expression=None) -> dict:
    """The response's one (first) OperationOutcome issue, after checking status and code."""
    body = fhir_json(response, status)
    OperationOutcome.model_validate(body)
    issue = body["issue"][0]
    assert issue["code"] == code
    if expression:
        assert issue["expression"] == [expression]
    return issue


@pytest.fixture
def fhir_get(api_for):
    """GET a /fhir/R4/ path as `user` (with a bearer token, as an integration would)."""

    def get(user, path, **query):
        return api_for(user).get(f"/fhir/R4/{path}", query)

    return get


# The resident's own log-in, and a resident on another caseload (questionnaires' fixtures).
from tests.measures.conftest import other_resident, portal_user  # noqa: E402, F401
