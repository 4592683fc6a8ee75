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
    return operation_outcome_of([(code, diagnostics, expression)])


def operation_outcome_of(issues, severity: str = "error") -> dict:
    """An OperationOutcome with an issue per (code, diagnostics, expression)."""
    shaped = []
    for code, diagnostics, expression in issues:
        issue = {"severity": severity, "code": code, "diagnostics": diagnostics}
        if expression:
            issue["expression"] = [expression]
        shaped.append(issue)
    return {"resourceType": "OperationOutcome", "issue": shaped}


def searchset(entries: list[dict], base: str, total: int, links: dict, withheld=()) -> dict:
    """A search result: each resource with its full URL, the total, and self/next/previous.
    Parts of the record the reader may not see are said in an OperationOutcome entry, so a
    receiving system never takes a withheld section for an empty one."""
    found = [
        {
            "fullUrl": f"{base}{e['resourceType']}/{e['id']}",
            "resource": e,
            "search": {"mode": "match"},
        }
        for e in entries
    ]
    if withheld:
        words = f"Not shown to this reader under the center's access policy: {', '.join(withheld)}."
        found.append(
            {
                "resource": operation_outcome_of([("suppressed", words, None)], "information"),
                "search": {"mode": "outcome"},
            }
        )
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(timezone.now()),
        "total": total,
        "link": [{"relation": rel, "url": url} for rel, url in links.items()],
        "entry": found,
    }


# Shapes every mapping uses.


def ref(type_name: str, pk, prefix: str = "", display: str = "") -> dict:
    """A reference to one of our resources (its id as the source that serves it makes it)."""
    reference = {"reference": f"{type_name}/{prefix + '-' if prefix else ''}{pk}"}
    if display:
        reference["display"] = display
    return reference


def patient_ref(resident_id: int) -> dict:
    return ref("Patient", resident_id)


def practitioner_ref(user) -> dict | None:
    """A member of staff as a Practitioner reference (None when nobody is named)."""
    if user is None:
        return None
    return ref("Practitioner", user.pk, display=user.full_name or user.username)


def concept(text: str, system: str = "", code: str = "", display: str = "") -> dict:
    """A CodeableConcept: our words, and the standard code when there is one."""
    found = {"text": text}
    if code:
        coding = {"system": system, "code": code}
        if display:
            coding["display"] = display
        found = {"coding": [coding], "text": text}
    return found


def period(start, end=None) -> dict:
    """A Period from a day or a moment (moments as instants, days as dates)."""
    found = {"start": _when(start)}
    if end is not None:
        found["end"] = _when(end)
    return found


def _when(value) -> str:
    return instant(value) if isinstance(value, dt.datetime) else value.isoformat()


def when(value) -> str | None:
    """A dateTime element from a day or a moment, or None."""
    return None if value is None else _when(value)


def without_empty(body: dict) -> dict:
    """FHIR forbids empty elements: drop None, "" , [] and {} values (one level down)."""
    return {k: v for k, v in body.items() if v not in (None, "", [], {})}


def collection(entries: list[dict], base: str) -> dict:
    """A Bundle of resources to keep (a copy of a record), each with its full URL so the
    references between them resolve."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": instant(timezone.now()),
        "entry": [
            {"fullUrl": f"{base}{e['resourceType']}/{e['id']}", "resource": e} for e in entries
        ],
    }
