"""Questionnaires and vital signs as FHIR: each instrument's definition as a Questionnaire, each
completed questionnaire as a QuestionnaireResponse and its total as an Observation (a "survey"),
each set of vital signs as one Observation (the vital-signs panel, a component per measure).

Codes are LOINC only where the code is certain; the PCL-5 total has a code of our own. What a
resident reads of their own is what the portal shows them: every questionnaire with its answers,
total and band (never the clinical flags, which no resource here carries), and every set of vital
signs, those entered in error included (struck through there, "entered-in-error" here)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from homecoming.access.policy import Action
from homecoming.measures import instruments
from homecoming.measures.instruments import Definition, Option
from homecoming.measures.models import Instrument, Mode, Questionnaire
from homecoming.vitals.models import VitalSigns
from homecoming.vitals.ranges import MEASURES

from .resources import concept, instant, patient_ref, practitioner_ref, ref, without_empty
from .sources import Source, register

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# Our own code for an instrument's total where LOINC has none we are sure of.
INSTRUMENT_SYSTEM = "urn:homecoming:instrument"
QUESTIONNAIRES_SECTION = "questionnaires"  # the section a questionnaires page names (looks.py)
VITALS_SECTION = "vital signs"

# --- Questionnaire: the instruments' definitions ---


@dataclass(frozen=True)
class Form:
    """An instrument as a fixed source's item: its id on this server ("phq-9") and definition."""

    pk: str
    definition: Definition

    @property
    def url(self) -> str:
        # A canonical that names the form wherever the server runs (a base URL would change
        # with the host a receiving system reached it by).
        return f"urn:homecoming:questionnaire:{self.pk}"


FORMS = {d.code: Form(d.name.lower(), d) for d in instruments.ALL}
# The panels' LOINC codes; the PCL-5 has none here (none we are certain of).
PANEL = {
    Instrument.PHQ9: ("44249-1", "PHQ-9 panel"),
    Instrument.GAD7: ("69737-5", "GAD-7 panel"),
}
# Each total's code: LOINC where certain, else ours.
TOTAL = {
    Instrument.PHQ9: (LOINC, "44261-6"),
    Instrument.GAD7: (LOINC, "70274-6"),
    Instrument.PCL5: (INSTRUMENT_SYSTEM, "pcl-5-total"),
}
DIFFICULTY_LINK = "difficulty"
STEM_LINK = "stem"


def _answer_coding(form: Form, option: Option) -> dict:
    """An answer as a Coding: the number scored as the code, the words as the display."""
    return {"system": f"{form.url}:answers", "code": str(option.value), "display": option.words}


def _choice(form: Form, link_id: str, text: str, options, required: bool) -> dict:
    return {
        "linkId": link_id,
        "text": text,
        "type": "choice",
        "required": required,
        "answerOption": [{"valueCoding": _answer_coding(form, o)} for o in options],
    }


def questionnaire(form: Form) -> dict:
    """The form word for word: the stem each item completes, the items (linkId = the item's
    number), their answers, and the closing question that is not counted (PHQ-9, GAD-7)."""
    d = form.definition
    items = [{"linkId": STEM_LINK, "text": d.stem, "type": "display"}]
    items += [_choice(form, str(i.number), i.text, d.options, True) for i in d.items]
    if d.follow_up:
        items.append(_choice(form, DIFFICULTY_LINK, d.follow_up.text, d.follow_up.options, False))
    panel = PANEL.get(d.code)
    return without_empty(
        {
            "url": form.url,
            "name": d.name.replace("-", ""),
            "title": f"{d.name}: {d.title}",
            "status": "active",
            "subjectType": ["Patient"],
            "description": d.instructions,
            "copyright": d.source,
            "code": [{"system": LOINC, "code": panel[0]}] if panel else None,
            "item": items,
        }
    )


# --- QuestionnaireResponse: a completed questionnaire's answers ---


def _author(row: Questionnaire) -> dict:
    """The resident when they filled it in themselves, else the member of staff who asked."""
    if row.mode == Mode.SELF:
        return patient_ref(row.resident_id)
    return practitioner_ref(row.completed_by)


def questionnaire_response(row: Questionnaire) -> dict:
    form = FORMS[row.instrument]
    d = form.definition
    items = [
        {
            "linkId": str(item.number),
            "text": item.text,
            "answer": [{"valueCoding": _answer_coding(form, d.option(value))}],
        }
        for item, value in zip(d.items, row.answers, strict=True)
    ]
    difficulty = row.findings.get("difficulty")
    if difficulty is not None and d.follow_up:
        option = d.follow_up.options[difficulty]
        items.append(
            {
                "linkId": DIFFICULTY_LINK,
                "text": d.follow_up.text,
                "answer": [{"valueCoding": _answer_coding(form, option)}],
            }
        )
    return {
        "questionnaire": form.url,
        "status": "completed",
        "subject": patient_ref(row.resident_id),
        "authored": instant(row.completed_at),
        "author": _author(row),
        "source": patient_ref(row.resident_id),  # the resident answers, whoever asks
        "item": items,
    }


# --- Observation "score": a completed questionnaire's total ---


def score(row: Questionnaire) -> dict:
    """The total, with the band the pages show beside it (the resident's page too). The clinical
    flags (item 9, a meaningful change, provisional PTSD) are the care team's: not here."""
    d = FORMS[row.instrument].definition
    system, code = TOTAL[row.instrument]
    return without_empty(
        {
            "status": "final",  # final once saved: the database refuses a change
            "category": [concept("Survey", CATEGORY, "survey")],
            "code": concept(f"{d.name} total score", system, code),
            "subject": patient_ref(row.resident_id),
            "effectiveDateTime": instant(row.completed_at),
            "issued": instant(row.completed_at),
            "performer": [_author(row)],
            "valueInteger": row.total,
            "interpretation": [{"text": row.band}] if row.band else None,
            "derivedFrom": [ref("QuestionnaireResponse", row.pk)],
        }
    )


def _total_codes() -> dict[str, Q]:
    codes = {}
    for instrument, (system, code) in TOTAL.items():
        codes[code] = codes[f"{system}|{code}"] = Q(instrument=instrument)
    return codes


# --- Observation "vitals": a set of vital signs ---

# Each measure's LOINC code and UCUM unit. The model stores the units these name (mmHg, beats a
# minute, °C, breaths a minute, %, kg, 0-10), so no value is converted.
VITALS_PANEL = "85353-1"
COMPONENT = {
    "systolic": ("8480-6", "mm[Hg]"),
    "diastolic": ("8462-4", "mm[Hg]"),
    "pulse": ("8867-4", "/min"),
    "temperature": ("8310-5", "Cel"),
    "respiratory_rate": ("9279-1", "/min"),
    "spo2": ("59408-5", "%"),
    "weight": ("29463-7", "kg"),
    "pain": ("72514-3", "{score}"),
}
FLAG_CODES = {"low": "L", "high": "H", "critical low": "LL", "critical high": "HH"}


def _number(value):
    # A JSON number: Decimal would be written as a string.
    return float(value) if isinstance(value, Decimal) else value


def _component(measure, value, flag) -> dict:
    code, unit = COMPONENT[measure.field]
    return without_empty(
        {
            "code": concept(measure.label, LOINC, code),
            "valueQuantity": {
                "value": _number(value),
                "unit": measure.unit,
                "system": UCUM,
                "code": unit,
            },
            "interpretation": ([concept(flag, INTERPRETATION, FLAG_CODES[flag])] if flag else None),
        }
    )


def _vitals_notes(row: VitalSigns) -> list[dict]:
    notes = [{"text": row.note}] if row.note else []
    if row.in_error:
        notes.append(
            {
                "authorReference": practitioner_ref(row.error_by),
                "time": instant(row.error_at),
                "text": f"Entered in error: {row.error_reason}",
            }
        )
    return notes


def vital_signs(row: VitalSigns) -> dict:
    """The set as the panel, one component per measure taken, each with its flag."""
    return without_empty(
        {
            "status": "entered-in-error" if row.in_error else "final",
            "category": [concept("Vital signs", CATEGORY, "vital-signs")],
            "code": concept("Vital signs", LOINC, VITALS_PANEL),
            "subject": patient_ref(row.resident_id),
            "effectiveDateTime": instant(row.taken_at),
            "issued": instant(row.recorded_at),
            "performer": [practitioner_ref(row.recorded_by)],
            "note": _vitals_notes(row),
            "component": [_component(m, v, f) for m, v, f in row.readings()],
        }
    )


def _vitals_codes() -> dict[str, Q]:
    """The panel matches every set; a measure's code the sets that have it taken."""
    codes = {VITALS_PANEL: Q(), f"{LOINC}|{VITALS_PANEL}": Q()}
    for measure in MEASURES:
        code, _unit = COMPONENT[measure.field]
        codes[code] = codes[f"{LOINC}|{code}"] = Q(**{f"{measure.field}__isnull": False})
    return codes


register(
    Source(
        type="Questionnaire",
        rows=None,
        resource=questionnaire,
        action=None,
        fixed=lambda: list(FORMS.values()),
        public=True,
    ),
    Source(
        type="QuestionnaireResponse",
        rows=lambda: Questionnaire.objects.select_related("completed_by"),
        resource=questionnaire_response,
        action=Action.VIEW,  # as the questionnaires page (measures.selectors.history)
        section=QUESTIONNAIRES_SECTION,
        date="completed_at",
        statuses={"completed": Q()},
    ),
    Source(
        type="Observation",
        prefix="score",
        rows=lambda: Questionnaire.objects.select_related("completed_by"),
        resource=score,
        action=Action.VIEW,
        section=QUESTIONNAIRES_SECTION,
        date="completed_at",
        statuses={"final": Q()},
        codes=_total_codes(),
    ),
    Source(
        type="Observation",
        prefix="vitals",
        rows=lambda: VitalSigns.objects.select_related("recorded_by", "error_by"),
        resource=vital_signs,
        action=Action.VIEW_VITALS,  # as the vital signs pages
        section=VITALS_SECTION,
        date="taken_at",
        statuses={
            "final": Q(error_at__isnull=True),
            "entered-in-error": Q(error_at__isnull=False),
        },
        codes=_vitals_codes(),
    ),
)
