"""A Patient from another provider (FHIR R4 JSON) as the start of an intake form.

The reverse of resources.patient: the names, the date of birth, the service number and the
emergency contact are read out of the resource and offered as the form's first values, for
the member of staff to check and complete (the service branch and dates, which a Patient does
not hold). Nothing is saved here: the intake form admits as always, with its own rules.

Every problem is named at once by its place in the resource ("Patient.birthDate"), so whoever
sent the file can be told exactly what to fix. A Bundle holding one Patient is read too (what
a provider's $everything or a resident's FHIR copy is).

This reads the few elements we use by hand rather than validating with fhir.resources: that
library is a test dependency (the shapes we serve are checked with it), and a whole-resource
validation would refuse a file for an element we never read."""

import datetime as dt
import json

from homecoming.residents.models import Resident

from .resources import SERVICE_NUMBER_SYSTEM

MAX_BYTES = 1_000_000


class Unreadable(ValueError):
    """The file is not a Patient we can read: `problems` lists each, by its place."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{where}: {what}" for where, what in problems))
        self.problems = problems


def _limit(field: str) -> int:
    return Resident._meta.get_field(field).max_length


def _text(value, where: str, field: str, problems: list) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append((where, "must be text."))
        return ""
    value = value.strip()
    if len(value) > _limit(field):
        problems.append((where, f"at most {_limit(field)} characters (it has {len(value)})."))
        return ""
    return value


def _list(value, where: str, problems: list) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append((where, "must be a list."))
        return []
    return value


def _patient_in(data, problems) -> dict | None:
    if not isinstance(data, dict):
        problems.append(("(file)", "must be a JSON object, a Patient resource."))
        return None
    kind = data.get("resourceType")
    if kind == "Bundle":
        found = [
            e.get("resource")
            for e in _list(data.get("entry"), "Bundle.entry", problems)
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)
            if e["resource"].get("resourceType") == "Patient"
        ]
        if len(found) != 1:
            problems.append(("Bundle.entry", f"must hold one Patient (it holds {len(found)})."))
            return None
        return found[0]
    if kind != "Patient":
        problems.append(("resourceType", f"must be Patient (it is {kind!r})."))
        return None
    return data


def _given(name: dict, at: str, field: str, problems) -> str:
    given = _list(name.get("given"), f"{at}.given", problems)
    words = " ".join(g for g in given if isinstance(g, str))
    return _text(words, f"{at}.given", field, problems)


def _names(patient, found, problems):
    names = [n for n in _list(patient.get("name"), "Patient.name", problems) if isinstance(n, dict)]
    official = next((n for n in names if n.get("use") == "official"), None)
    legal = official or next((n for n in names if n.get("use") not in ("usual", "nickname")), None)
    if legal is None:
        problems.append(("Patient.name", "must hold the legal name (use official)."))
        return
    at = f"Patient.name[{names.index(legal)}]"
    found["family_name"] = _text(legal.get("family"), f"{at}.family", "family_name", problems)
    found["given_name"] = _given(legal, at, "given_name", problems)
    if not found["family_name"] or not found["given_name"]:
        problems.append((at, "needs both a family and a given name."))
    usual = next((n for n in names if n.get("use") in ("usual", "nickname")), None)
    if usual is not None:
        at = f"Patient.name[{names.index(usual)}]"
        found["preferred_name"] = _given(usual, at, "preferred_name", problems)


def _birth_date(patient, found, problems):
    text = patient.get("birthDate")
    if text is None:
        problems.append(("Patient.birthDate", "is needed: the date of birth."))
        return
    try:
        found["date_of_birth"] = dt.date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        found["date_of_birth"] = None
    if found["date_of_birth"] is None or len(text) != 10:
        found.pop("date_of_birth", None)
        problems.append(("Patient.birthDate", f"must be a whole date, YYYY-MM-DD (got {text!r})."))


def _service_number(patient, found, problems):
    identifiers = _list(patient.get("identifier"), "Patient.identifier", problems)
    for i, identifier in enumerate(identifiers):
        if not isinstance(identifier, dict):
            continue
        kind = identifier.get("type") or {}
        named = isinstance(kind, dict) and str(kind.get("text", "")).lower() == "service number"
        if identifier.get("system") == SERVICE_NUMBER_SYSTEM or named:
            found["service_number"] = _text(
                identifier.get("value"),
                f"Patient.identifier[{i}].value",
                "service_number",
                problems,
            )
            return


def _contact(patient, found, problems):
    contacts = _list(patient.get("contact"), "Patient.contact", problems)
    if not contacts or not isinstance(contacts[0], dict):
        return
    contact, at = contacts[0], "Patient.contact[0]"
    name = contact.get("name") or {}
    if isinstance(name, dict):
        words = name.get("text") or " ".join(
            [*[g for g in name.get("given", []) if isinstance(g, str)], name.get("family") or ""]
        )
        found["emergency_contact_name"] = _text(
            words, f"{at}.name", "emergency_contact_name", problems
        )
    relationships = _list(contact.get("relationship"), f"{at}.relationship", problems)
    if relationships and isinstance(relationships[0], dict):
        first = relationships[0]
        codings = first.get("coding") or [{}]
        words = first.get("text") or (codings[0] or {}).get("display")
        found["emergency_contact_relationship"] = _text(
            words, f"{at}.relationship[0]", "emergency_contact_relationship", problems
        )
    telecoms = _list(contact.get("telecom"), f"{at}.telecom", problems)
    phone = next((t for t in telecoms if isinstance(t, dict) and t.get("system") == "phone"), None)
    if phone is not None:
        found["emergency_contact_phone"] = _text(
            phone.get("value"), f"{at}.telecom", "emergency_contact_phone", problems
        )


def intake_values(content: bytes) -> dict:
    """The intake form's first values from a Patient (or a Bundle of one); Unreadable naming
    every problem by its place in the resource."""
    if len(content) > MAX_BYTES:
        raise Unreadable([("(file)", f"at most {MAX_BYTES // 1000} kB (it is larger).")])
    try:
        data = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise Unreadable([("(file)", "must be text in UTF-8 (JSON).")]) from None
    except json.JSONDecodeError as exc:
        raise Unreadable(
            [("(file)", f"is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.")]
        ) from None
    problems: list[tuple[str, str]] = []
    patient = _patient_in(data, problems)
    if patient is None:
        raise Unreadable(problems)
    found: dict = {}
    _names(patient, found, problems)
    _birth_date(patient, found, problems)
    _service_number(patient, found, problems)
    _contact(patient, found, problems)
    if problems:
        raise Unreadable(problems)
    return {k: v for k, v in found.items() if v not in ("", None)}
