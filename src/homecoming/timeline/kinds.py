"""What the timeline groups record rows into, and how it names them.

Every record row the center keeps belongs to one kind; the kinds are the timeline's filters and
the sections of the "as of" view. A model not listed here still appears, under "Other", so a new
app's rows are never silently left out of a resident's history.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    object_types: tuple[str, ...]


KINDS = (
    Kind(
        "intake",
        "Intake and stays",
        (
            "residents.resident",
            "residents.deployment",
            "residents.stay",
            "residents.bedassignment",
            "residents.careteammember",
            "accounts.user",  # the resident's own portal log-in
        ),
    ),
    Kind(
        "sessions",
        "Sessions",
        ("encounters.session", "encounters.sessionattendee", "encounters.sessionmove"),
    ),
    Kind(
        "notes",
        "Notes and addenda",
        (
            "encounters.note",
            "encounters.cosignature",
            "encounters.addendum",
            "encounters.noterelease",
        ),
    ),
    Kind("recordings", "Recordings", ("encounters.recording",)),
    Kind("measures", "Questionnaires", ("measures.questionnaire",)),
    Kind("consents", "Consents", ("consents.consent",)),
    Kind(
        "allergies",
        "Allergies",
        (
            "medications.allergy",
            "medications.noknownallergies",
            "medications.allergyoverride",
        ),
    ),
    Kind("vitals", "Vital signs", ("vitals.vitalsigns",)),
    Kind(
        "safety_plans",
        "Safety plans and risk flags",
        ("safetyplans.safetyplan", "safetyplans.riskflag"),
    ),
    Kind(
        "corrections",
        "Correction requests",
        (
            "corrections.correctionrequest",
            "corrections.correctionanswer",
            "corrections.disagreement",
        ),
    ),
)
BY_CODE = {k.code: k for k in KINDS}
KIND_OF_TYPE = {t: k for k in KINDS for t in k.object_types}
OTHER = Kind("other", "Other", ())

# Autosaves of a draft note: part of the record (each is a version), but hundreds of them would
# bury the events a reader looks for, so the timeline shows them only when asked.
DRAFT_SAVE = "note.draft"


def kind_of(object_type: str) -> Kind:
    return KIND_OF_TYPE.get(object_type, OTHER)
