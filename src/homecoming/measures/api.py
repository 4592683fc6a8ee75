"""Questionnaires (PCL-5, PHQ-9, GAD-7) over JSON: the instruments to build a form from, a
resident's administrations and trends, and recording a completed one, by staff or by the
resident themself. The same selectors and services as the pages, so the same permissions,
scoring, item-9 safety alert and ledger entries.

Nothing assigns a questionnaire here, because nothing in the center does: staff administer one
whenever they judge it useful, a resident fills one in from their own record whenever they
wish, and the one questionnaire the center sends (the follow-up check-in link, with its PCL-5
and PHQ-9) belongs to the follow-up app."""

import datetime as dt

from django.http import Http404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictInt

from homecoming.access.policy import Action
from homecoming.core.own_record import own_resident
from homecoming.core.schemas import Error, Pages
from homecoming.residents import selectors as resident_selectors
from homecoming.residents.models import Resident

from . import instruments, selectors, services
from .instruments import Definition
from .models import Instrument
from .present import Administration, administration
from .scoring import PHQ9_SAFETY_ITEM
from .views import CRISIS_RESOURCES

router = Router(tags=["questionnaires"])


# --- the instruments ---------------------------------------------------------------------------


class OptionOut(Schema):
    value: int = Field(description="The number sent as the answer, and scored.")
    words: str = Field(description="What the person chooses, as the published form words it.")


class ItemOut(Schema):
    number: int
    text: str


class ClosingQuestionOut(Schema):
    text: str
    options: list[OptionOut]


class BandOut(Schema):
    label: str
    low: int
    high: int


class InstrumentOut(Schema):
    code: Instrument = Field(description="What `instrument` names when recording one.")
    name: str
    title: str
    instructions: str
    stem: str = Field(description="The question each item completes, with its time frame.")
    time_frame: str
    options: list[OptionOut] = Field(description="The answers every item offers, lowest first.")
    items: list[ItemOut] = Field(description="In order: `answers[0]` answers item 1.")
    closing_question: ClosingQuestionOut | None = Field(
        description="Asked after the items and not counted in the total (the `difficulty` "
        "answer); null when the instrument has none."
    )
    max_total: int
    bands: list[BandOut] = Field(
        description="Severity bands of the total, lowest first (the PCL-5: either side of this "
        "center's cut-point)."
    )
    safety_item: int | None = Field(
        description="The item whose answer above 0 alerts the care team at once (PHQ-9: 9)."
    )
    source: str


def _options(options) -> list[dict]:
    return [{"value": o.value, "words": o.words} for o in options]


def _instrument(d: Definition) -> dict:
    return {
        "code": d.code,
        "name": d.name,
        "title": d.title,
        "instructions": d.instructions,
        "stem": d.stem,
        "time_frame": d.time_frame,
        "options": _options(d.options),
        "items": [{"number": i.number, "text": i.text} for i in d.items],
        "closing_question": (
            {"text": d.follow_up.text, "options": _options(d.follow_up.options)}
            if d.follow_up
            else None
        ),
        "max_total": d.max_total,
        "bands": [
            {"label": b.label, "low": b.low, "high": b.high} for b in selectors.bands_of(d.code)
        ],
        "safety_item": PHQ9_SAFETY_ITEM if d.code == Instrument.PHQ9 else None,
        "source": d.source,
    }


@router.get("/questionnaire-instruments", response={200: list[InstrumentOut]})
@paginate(Pages)
def list_instruments(request):
    """The questionnaires the center uses, with their items and answers. Everything an
    integrator needs to build the form, word for word as published: the items in order, the
    answers each offers (send their `value`), the closing question when there is one, and the
    severity bands of the total. Anyone logged in may read them; they hold no resident's data."""
    return [_instrument(d) for d in instruments.ALL]


@router.get("/questionnaire-instruments/{instrument}", response={200: InstrumentOut, 404: Error})
def get_instrument(request, instrument: str):
    """One questionnaire with its items and answers, by its code. The code is `pcl5`, `phq9`
    or `gad7`; anyone logged in may read it. 404: no questionnaire has that code."""
    definition = instruments.get(instrument)
    if definition is None:
        raise Http404(f"There is no questionnaire called {instrument!r}.")
    return _instrument(definition)


# --- administrations ---------------------------------------------------------------------------


class ItemAnswerOut(Schema):
    item: int
    text: str
    value: int
    words: str


class ClosingAnswerOut(Schema):
    value: int
    words: str


class ClusterOut(Schema):
    name: str  # "B (items 1–5)"
    total: int


class QuestionnaireFlagOut(Schema):
    text: str  # 'Item 9 answered 2 ("More than half the days")'
    level: str  # "danger", "warn" or "ok"


class QuestionnaireOut(Schema):
    id: int
    resident_id: int
    instrument: Instrument
    name: str
    completed_at: dt.datetime
    mode: str = Field(description='"staff" (administered by staff) or "self" (the resident).')
    completed_by: str
    total: int
    max_total: int
    band: str
    answers: list[ItemAnswerOut]
    difficulty: ClosingAnswerOut | None = Field(
        description="The closing question's answer, when given (never in the total)."
    )
    clusters: list[ClusterOut] = Field(description="PCL-5 only: the DSM-5 symptom clusters.")
    flags: list[QuestionnaireFlagOut] | None = Field(
        description="What a clinician must not miss (item 9, a meaningful change, provisional "
        "PTSD). Null for the resident reading their own: flags are for the care team to discuss, "
        "as on their pages."
    )
    findings: dict | None = Field(
        description="Everything the scoring found (cluster scores, provisional diagnosis, change "
        "since the previous PCL-5, item 9). Null for the resident reading their own."
    )


class RecordedOut(QuestionnaireOut):
    care_team_alerted: bool = Field(
        description="PHQ-9 item 9 answered above 0: the care team (the supervisors when nobody "
        "on it can be reached) was alerted and a risk flag raised on the chart, with the "
        "questionnaire, in one transaction."
    )
    safety_alert: str | None = Field(
        description="The alert's words as the care team received them; null for the resident."
    )
    crisis_resources: str | None = Field(
        description="For the resident filling in their own: where to turn in a crisis, as their "
        "page shows after every questionnaire; null for staff."
    )


class AnswersIn(Schema):
    instrument: Instrument
    answers: list[StrictInt | None] = Field(
        max_length=100,
        description="One answer per item, in item order (`answers[0]` answers item 1), each "
        "the `value` of one of the instrument's options; null for an item left unanswered "
        "(refused, named).",
    )
    difficulty: StrictInt | None = Field(
        None, description="The closing question's answer (PHQ-9, GAD-7), optional."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"instrument": "phq9", "answers": [1, 2, 1, 1, 0, 1, 2, 0, 0], "difficulty": 1}
            ]
        }
    }


def _administration(a: Administration, *, own: bool) -> dict:
    q, d = a.questionnaire, a.definition
    return {
        "id": q.pk,
        "resident_id": q.resident_id,
        "instrument": q.instrument,
        "name": d.name,
        "completed_at": q.completed_at,
        "mode": q.mode,
        "completed_by": q.completed_by.full_name or q.completed_by.username,
        "total": q.total,
        "max_total": d.max_total,
        "band": q.band,
        "answers": [
            {"item": item.number, "text": item.text, "value": o.value, "words": o.words}
            for item, o in a.answers
        ],
        "difficulty": (
            {"value": a.difficulty.value, "words": a.difficulty.words} if a.difficulty else None
        ),
        "clusters": [{"name": name, "total": total} for name, total in a.clusters],
        "flags": None if own else [{"text": f.text, "level": f.level} for f in a.flags],
        "findings": None if own else q.findings,
    }


class _Shown:
    """The selector's administrations as the paginator cuts them, each page in the API's
    shape: only the page cut is read and recorded."""

    def __init__(self, found: selectors.Administrations):
        self.found = found

    def __len__(self):
        return len(self.found)

    def __getitem__(self, cut: slice):
        return [_administration(a, own=self.found.own) for a in self.found[cut]]


def _administrations(request, resident_id: int) -> "_Shown":
    try:
        found = selectors.administrations(request.auth, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return _Shown(found)


def _record(request, resident: Resident, payload: AnswersIn):
    questionnaire = services.record(
        request.auth,
        resident,
        payload.instrument,
        payload.answers,
        difficulty=payload.difficulty,
    )
    own = resident.user_id is not None and resident.user_id == request.auth.pk
    shown = administration(questionnaire)
    alerted = shown.item9_positive
    return Status(
        201,
        {
            **_administration(shown, own=own),
            "care_team_alerted": alerted,
            "safety_alert": (
                services.safety_message(resident, questionnaire.findings["item9"])
                if alerted and not own
                else None
            ),
            "crisis_resources": CRISIS_RESOURCES if own else None,
        },
    )


@router.get(
    "/residents/{resident_id}/questionnaires",
    response={200: list[QuestionnaireOut], 403: Error, 404: Error},
)
@paginate(Pages)
def list_questionnaires(request, resident_id: int):
    """A resident's completed questionnaires, newest first, with totals and bands. Each with
    every answer in words, its scores and (for staff) its flags and findings. Who may: the
    resident's care team, the supervisors and the program director, and the resident
    themself (their own only, without flags). Each questionnaire on the page is recorded as read
    in the ledger. 403: not yours to read (the refusal is on the ledger); 404: no such resident."""
    return _administrations(request, resident_id)


@router.post(
    "/residents/{resident_id}/questionnaires",
    response={201: RecordedOut, 400: Error, 403: Error, 404: Error},
)
def record_questionnaire(request, resident_id: int, payload: AnswersIn):
    """Record a completed questionnaire for a resident. Scored as the pages score it. Who may:
    the resident's care team, the supervisors and the program director (mode "staff"), and the
    resident for themself (mode "self"). A PHQ-9 with item 9 answered above 0 alerts the care
    team at once and raises a risk flag on the chart, in the same transaction as the answers
    (`care_team_alerted`). 400: an incomplete questionnaire or an answer off the scale, every
    item named, by field (`answers`, `item_3`, `difficulty`); nothing is saved. 403: not yours
    to record (the refusal is on the ledger); 404: no such resident."""
    try:
        resident = resident_selectors.resident_for(request.auth, resident_id, Action.RECORD_MEASURE)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return _record(request, resident, payload)


@router.get(
    "/my-record/questionnaires",
    response={200: list[QuestionnaireOut], 403: Error, 404: Error},
)
@paginate(Pages)
def my_questionnaires(request):
    """Your own completed questionnaires, newest first (residents). The same list as
    the resident's own questionnaires page: each answer in words, totals and bands, no clinical
    flags. 404: this account is not a resident's."""
    return _administrations(request, own_resident(request).pk)


@router.post(
    "/my-record/questionnaires",
    response={201: RecordedOut, 400: Error, 403: Error, 404: Error},
)
def fill_in_questionnaire(request, payload: AnswersIn):
    """Fill in one of your own questionnaires (residents). As on your own page: saved
    with mode "self", scored, and a PHQ-9 item 9 answered above 0 tells your care team at once
    (they will check in with you today). The answer always carries where to turn in a crisis.
    400: an item left unanswered or off the scale, every one named; 404: this account is not a
    resident's."""
    own = own_resident(request)
    resident = resident_selectors.resident_for(request.auth, own.pk, Action.RECORD_MEASURE)
    return _record(request, resident, payload)


# --- trends ------------------------------------------------------------------------------------


class PointOut(Schema):
    questionnaire_id: int
    completed_at: dt.datetime
    total: int
    band: str


class TrendOut(Schema):
    instrument: Instrument
    name: str
    max_total: int
    bands: list[BandOut]
    points: list[PointOut] = Field(
        description="Oldest first: the latest 26 administrations at most."
    )
    baseline: int | None = Field(description="The first total ever; null when none yet.")
    from_first: bool = Field(
        description="False when older administrations exist than the points shown."
    )
    latest_flags: list[QuestionnaireFlagOut] | None = Field(
        description="The latest administration's flags; null for the resident themself."
    )
    summary: str = Field(description="What the trend shows, in a sentence.")


class TrendsOut(Schema):
    resident_id: int
    can_record: bool = Field(description="Whether you may record a questionnaire for them.")
    instruments: list[TrendOut] = Field(description="Every instrument, completed or not.")


@router.get(
    "/residents/{resident_id}/questionnaires/trends",
    response={200: TrendsOut, 403: Error, 404: Error},
)
def questionnaire_trends(request, resident_id: int):
    """Each questionnaire's totals over time for a resident, as the charts draw them. Oldest
    first with the baseline and the severity bands. Who may: as for the list (the resident
    themself without flags). Each questionnaire plotted is recorded as read in the ledger.
    403: not yours to read; 404: no such resident."""
    try:
        found = selectors.recorded_trends(request.auth, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return {
        "resident_id": found.resident.pk,
        "can_record": found.can_record,
        "instruments": [
            {
                "instrument": t.definition.code,
                "name": t.definition.name,
                "max_total": t.definition.max_total,
                "bands": [{"label": b.label, "low": b.low, "high": b.high} for b in t.bands],
                "points": [
                    {
                        "questionnaire_id": a.questionnaire.pk,
                        "completed_at": a.questionnaire.completed_at,
                        "total": a.questionnaire.total,
                        "band": a.questionnaire.band,
                    }
                    for a in t.administrations
                ],
                "baseline": t.baseline,
                "from_first": t.from_first,
                "latest_flags": (
                    None
                    if found.own
                    else [{"text": f.text, "level": f.level} for f in t.latest.flags]
                    if t.latest
                    else []
                ),
                "summary": t.summary,
            }
            for t in found.instruments
        ],
    }
