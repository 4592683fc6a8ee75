"""The center's record as FHIR R4 resources (plain dicts, JSON-ready).

Each function maps one of our rows to one resource, in the field's terms; tests validate every
one against the R4 models of `fhir.resources`. Nothing here reads the database or checks the
policy: the views fetch through the selectors (which check and record), then map."""

import datetime as dt

from django.utils import timezone

from homecoming.residents.models import Resident

FHIR_VERSION = "4.0.1"
# Our own identifiers, as URIs a receiving system can tell apart from its own.
SERVICE_NUMBER_SYSTEM = "urn:homecoming:service-number"
RESIDENT_ID_SYSTEM = "urn:homecoming:resident"


def instant(moment: dt.datetime) -> str:
    """A FHIR instant: UTC, with seconds and zone."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def patient(resident: Resident) -> dict:
    """A resident as a Patient: legal and preferred names, date of birth, service number,
    emergency contact. Pronouns have no element in R4 and are left out (not guessed)."""
    names = [{"use": "official", "family": resident.family_name, "given": [resident.given_name]}]
    if resident.preferred_name:
        names.append(
            {"use": "usual", "family": resident.family_name, "given": [resident.preferred_name]}
        )
    identifiers = [{"use": "usual", "system": RESIDENT_ID_SYSTEM, "value": str(resident.pk)}]
    if resident.service_number:
        identifiers.append(
            {
                "use": "official",
                "type": {"text": "Service number"},
                "system": SERVICE_NUMBER_SYSTEM,
                "value": resident.service_number,
            }
        )
    return {
        "resourceType": "Patient",
        "id": str(resident.pk),
        "identifier": identifiers,
        "active": True,
        "name": names,
        "birthDate": resident.date_of_birth.isoformat(),
        "contact": [
            {
                "relationship": [{"text": resident.emergency_contact_relationship}],
                "name": {"text": resident.emergency_contact_name},
                "telecom": [
                    {"system": "phone", "value": resident.emergency_contact_phone, "use": "home"}
                ],
            }
        ],
    }


def operation_outcome(code: str, diagnostics: str, expression: str | None = None) -> dict:
    """An error in FHIR's shape: `code` from the IssueType value set (not-found, forbidden,
    invalid, login, not-supported...)."""
    issue = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def searchset(entries: list[dict], base: str, total: int, links: dict) -> dict:
    """A search result: each resource with its full URL, the total, and self/next/previous."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(timezone.now()),
        "total": total,
        "link": [{"relation": rel, "url": url} for rel, url in links.items()],
        "entry": [
            {
                "fullUrl": f"{base}{e['resourceType']}/{e['id']}",
                "resource": e,
                "search": {"mode": "match"},
            }
            for e in entries
        ],
    }
