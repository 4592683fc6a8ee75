"""What the timeline groups record rows into, and how it names them.

Every record row the center keeps belongs to one kind; the kinds are the timeline's filters and
the sections of the "as of" view. A model not listed here still appears, under "Other", so a new
app's rows are never silently left out of a resident's history; tests/timeline/test_kinds.py
fails until each versioned model is given a kind, withheld, or known to be center-wide.
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
            "residents.staycancellation",
            "residents.residentphoto",
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
    Kind(
        "medications",
        "Medications",
        (
            "medications.order",
            "medications.ordercheck",
            "medications.orderstop",
            "medications.administration",
            "medications.dosestop",
        ),
    ),
    Kind("adverse_events", "Side effects reported", ("safety.adverseevent", "safety.suspect")),
    Kind("vitals", "Vital signs", ("vitals.vitalsigns",)),
    Kind(
        "safety_plans",
        "Safety plans and risk flags",
        ("safetyplans.safetyplan", "safetyplans.riskflag"),
    ),
    Kind(
        "discharge",
        "Discharge and follow-up",
        (
            "discharge.dischargeplan",
            "followup.contact",
            "followup.attempt",
            "followup.checkinlink",
            "followup.checkin",
            "followup.lost",
        ),
    ),
    Kind(
        "messages",
        "Messages",
        ("conversations.thread", "conversations.message", "conversations.receipt"),
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
    Kind("break_glass", "Break-glass access", ("access.breakglass",)),
)

# Rows written about a resident that their history never shows to those who read it (the care
# team, the supervisors): a complaint and all that follows it go to its handlers and the
# oversight body, and may name the very people reading the history; an investigator's grant
# to a record would tell those being investigated. The ledger keeps every one (bundles, verify
# and the resident's own "who looked" are untouched); their handlers read them on their pages.
WITHHELD = frozenset(
    {
        "oversight.complaint",
        "oversight.complaintevent",
        "oversight.attachment",
        "oversight.namedstaff",
        "oversight.investigation",
        "oversight.grant",
        "oversight.grantscope",
        # An alert is addressed to its recipients, and some are meant for the oversight body
        # alone (an investigational order, a return to duty): whoever acknowledged it is in the
        # ledger, not in the care team's reading of the resident's history.
        "alerts.alert",
    }
)

# Versioned rows of the center, never of one resident: no history of a resident holds them.
CENTER_WIDE = frozenset(
    {
        "residents.center",
        "residents.program",
        "residents.room",
        "residents.bed",
        "consents.consentdocument",
        "medications.protocol",
        "medications.ingredient",
        "medications.protocolingredient",
        "medications.interaction",
        "safety.signal",
        "safety.review",
        "safety.decision",
        "safety.namedprescriber",
        "followup.programschedule",
        "encounters.calendarfeed",  # a member of staff's own calendar link
        "accounts.commandrun",  # an operator's command
    }
)
BY_CODE = {k.code: k for k in KINDS}
KIND_OF_TYPE = {t: k for k in KINDS for t in k.object_types}
OTHER = Kind("other", "Other", ())

# Autosaves of a draft note: part of the record (each is a version), but hundreds of them would
# bury the events a reader looks for, so the timeline shows them only when asked.
DRAFT_SAVE = "note.draft"


def kind_of(object_type: str) -> Kind:
    return KIND_OF_TYPE.get(object_type, OTHER)
