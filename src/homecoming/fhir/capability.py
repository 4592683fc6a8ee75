"""What the server serves, said once: the search parameters of each type (which the views
accept and nothing else) and the CapabilityStatement built from them, so the statement can
never claim a parameter the search refuses, or miss one it takes."""

from . import reads, sources
from .params import MAX_COUNT

PATIENT_SEARCH = {
    "_id": ("token", "The resident's id on this server."),
    "name": ("string", "Any part of a legal or preferred name, from its start."),
    "birthdate": ("date", "The date of birth: YYYY-MM-DD, with eq, ge, le, gt or lt before it."),
}
# Patient/{id}/$everything: paged like a search, narrowed by time and type.
EVERYTHING = {
    "_lastUpdated": ("date", "Only what changed in this range (the operation's _since, too)."),
}
COUNT = ("number", f"Entries per page, 1 to {MAX_COUNT}.")
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"


def search_params(type_name: str) -> dict[str, tuple[str, str]]:
    """The parameters a search of `type_name` takes: those its sources can answer."""
    of_type = sources.of_type(type_name)
    found = {"_id": ("token", "The resource's id on this server.")}
    if any(s.about_residents for s in of_type):
        found["patient"] = ("reference", "The resident (required): 12 or Patient/12.")
    if any(s.date for s in of_type):
        found["date"] = ("date", "When it happened, with eq, ge, le, gt or lt before it.")
    if any(s.codes for s in of_type):
        codes = sorted({c for s in of_type for c in s.codes if "|" not in c})
        found["code"] = ("token", f"What it is: {', '.join(codes)} (or system|code).")
    if any(s.statuses for s in of_type):
        statuses = sorted({c for s in of_type for c in s.statuses})
        found["status"] = ("token", f"One of: {', '.join(statuses)}.")
    if any(reads.knows_updated(s) for s in of_type):
        found["_lastUpdated"] = ("date", "When it last changed, with a prefix as for date.")
    return found


def _params(named: dict) -> list[dict]:
    return [
        {"name": name, "type": kind, "documentation": words}
        for name, (kind, words) in {**named, "_count": COUNT}.items()
    ]


def statement(base: str) -> dict:
    """The CapabilityStatement: every type, its interactions and its search parameters."""
    patient = {
        "type": "Patient",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": _params(PATIENT_SEARCH),
        "operation": [
            {
                "name": "everything",
                "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
            },
            {
                "name": "export",
                "definition": f"{BULK_DATA}/OperationDefinition/patient-export",
            },
        ],
    }
    served = [
        {
            "type": name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": _params(search_params(name)),
        }
        for name in sources.types()
    ]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-06",
        "kind": "instance",
        "software": {"name": "Homecoming"},
        "implementation": {"description": "Homecoming", "url": base},
        "instantiates": [f"{BULK_DATA}/CapabilityStatement/bulk-data"],
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "A bearer token (homecoming token create) or a logged-in "
                    "session. The center's access policy applies to every read, and each is "
                    "written to its audit ledger."
                },
                "resource": [patient, *served],
                "operation": [
                    {"name": "export", "definition": f"{BULK_DATA}/OperationDefinition/export"}
                ],
            }
        ],
    }
