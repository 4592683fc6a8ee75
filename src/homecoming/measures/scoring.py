"""Scoring the questionnaires exactly as their authors publish it: totals, severity bands and the
findings a clinician acts on (PCL-5 clusters, provisional PTSD, a meaningful change; PHQ-9 item 9).

Pure functions of the answers: no database, so every rule is tested against hand-worked examples.
An incomplete or out-of-range questionnaire is refused, never scored: a total with an item
missing would understate how the resident is doing.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from . import instruments
from .instruments import Definition
from .models import Instrument

# PCL-5 symptom clusters (DSM-5 criteria B to E), by item number.
PCL5_CLUSTERS = {"b": range(1, 6), "c": range(6, 8), "d": range(8, 15), "e": range(15, 21)}
# The DSM-5 rule: how many symptoms each cluster needs for a provisional diagnosis.
DSM5_SYMPTOMS_NEEDED = {"b": 1, "c": 1, "d": 2, "e": 2}
SYMPTOM_RATING = 2  # an item rated "Moderately" or higher counts as a symptom
MEANINGFUL_CHANGE = 10  # PCL-5 points between two administrations
DEFAULT_CUTPOINT = 33
PHQ9_SAFETY_ITEM = 9


@dataclass(frozen=True)
class Band:
    label: str
    low: int
    high: int


@dataclass(frozen=True)
class Score:
    total: int
    band: str
    findings: dict


BANDS = {
    Instrument.PHQ9: (
        Band("none-minimal", 0, 4),
        Band("mild", 5, 9),
        Band("moderate", 10, 14),
        Band("moderately severe", 15, 19),
        Band("severe", 20, 27),
    ),
    Instrument.GAD7: (
        Band("minimal", 0, 4),
        Band("mild", 5, 9),
        Band("moderate", 10, 14),
        Band("severe", 15, 21),
    ),
}
BELOW_CUTPOINT = "below cut-point"
AT_OR_ABOVE_CUTPOINT = "at or above cut-point"


def definition_of(code: str) -> Definition:
    definition = instruments.get(code)
    if definition is None:
        raise ValidationError({"instrument": f"There is no questionnaire called {code!r}."})
    return definition


def bands(code: str, cutpoint: int = DEFAULT_CUTPOINT) -> tuple[Band, ...]:
    """The instrument's bands, lowest first. The PCL-5 has no published severity bands, only the
    cut-point, so its two bands are either side of it."""
    if code == Instrument.PCL5:
        top = instruments.PCL5.max_total
        if not 1 <= cutpoint <= top:
            raise ValueError(f"The PCL-5 cut-point must be between 1 and {top}, not {cutpoint}.")
        return (Band(BELOW_CUTPOINT, 0, cutpoint - 1), Band(AT_OR_ABOVE_CUTPOINT, cutpoint, top))
    return BANDS[definition_of(code).code]


def band_index(code: str, total: int, cutpoint: int = DEFAULT_CUTPOINT) -> int:
    for index, band in enumerate(bands(code, cutpoint)):
        if band.low <= total <= band.high:
            return index
    raise ValueError(f"{total} is outside the range of the {code} total.")


def band_of(code: str, total: int, cutpoint: int = DEFAULT_CUTPOINT) -> str:
    return bands(code, cutpoint)[band_index(code, total, cutpoint)].label


def _numbers(numbers: list[int]) -> str:
    """[3] -> "3", [3, 9] -> "3 and 9", [1, 2, 9] -> "1, 2 and 9"."""
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _is_answer(value, options) -> bool:
    # bool is an int in Python; True is not an answer anyone gave.
    return type(value) is int and any(o.value == value for o in options)


def missing_items(code: str, answers: Sequence) -> list[int]:
    """Numbers of the items left unanswered (None, or past the end of the list)."""
    definition = definition_of(code)
    given = list(answers)
    return [
        item.number
        for item in definition.items
        if item.number > len(given) or given[item.number - 1] is None
    ]


def validate(code: str, answers: Sequence, *, difficulty: int | None = None) -> None:
    """Refuse a questionnaire that is incomplete or has an answer its scale does not have.

    The error names each item, as a whole ("answers") and beside the item ("item_3"), so a
    form can show the summary at the top and mark the item itself."""
    definition = definition_of(code)
    given = list(answers)
    if len(given) > definition.item_count:
        raise ValidationError(
            {
                "answers": f"The {definition.name} has {definition.item_count} items; "
                f"{len(given)} answers were given."
            }
        )
    errors: dict[str, list[str]] = {"answers": []}
    missing = missing_items(code, given)
    if len(missing) == 1:
        errors["answers"].append(f"Item {missing[0]} is not answered.")
    elif missing:
        errors["answers"].append(f"Items {_numbers(missing)} are not answered.")
    for number in missing:
        errors[f"item_{number}"] = [f"Item {number} is not answered."]
    scale = f"{definition.lowest} to {definition.highest}"
    for number, value in enumerate(given, start=1):
        if value is not None and not _is_answer(value, definition.options):
            message = f"Item {number}: {value!r} is not one of the answers ({scale})."
            errors["answers"].append(message)
            errors[f"item_{number}"] = [message]
    if difficulty is not None:
        follow_up = definition.follow_up
        if follow_up is None:
            errors["difficulty"] = [f"The {definition.name} has no closing question."]
        elif not _is_answer(difficulty, follow_up.options):
            last = follow_up.options[-1].value
            errors["difficulty"] = [f"{difficulty!r} is not one of the answers (0 to {last})."]
    if errors["answers"] or len(errors) > 1:
        raise ValidationError({k: v for k, v in errors.items() if v})


def _pcl5(answers, *, previous_total, cutpoint) -> dict:
    total = sum(answers)
    findings = {}
    met = True
    for cluster, numbers in PCL5_CLUSTERS.items():
        ratings = [answers[n - 1] for n in numbers]
        findings[f"cluster_{cluster}"] = sum(ratings)
        symptoms = sum(1 for r in ratings if r >= SYMPTOM_RATING)
        met = met and symptoms >= DSM5_SYMPTOMS_NEEDED[cluster]
    findings["provisional_ptsd_dsm5"] = met
    findings["cutpoint"] = cutpoint
    findings["provisional_ptsd_cutpoint"] = total >= cutpoint
    if previous_total is not None:
        change = total - previous_total
        findings["previous_total"] = previous_total
        findings["change"] = change
        findings["meaningful_change"] = abs(change) >= MEANINGFUL_CHANGE
        # A lower PCL-5 total means fewer symptoms.
        findings["change_direction"] = (
            "worsening" if change > 0 else "improvement" if change < 0 else "no change"
        )
    return findings


def _phq9(answers, **_) -> dict:
    item9 = answers[PHQ9_SAFETY_ITEM - 1]
    return {"item9": item9, "item9_positive": item9 > 0}


def _gad7(answers, **_) -> dict:
    return {}


FINDINGS = {Instrument.PCL5: _pcl5, Instrument.PHQ9: _phq9, Instrument.GAD7: _gad7}


def score(
    code: str,
    answers: Sequence,
    *,
    previous_total: int | None = None,
    cutpoint: int = DEFAULT_CUTPOINT,
    difficulty: int | None = None,
) -> Score:
    """Total, band and findings of a complete questionnaire (refuses an incomplete one).

    `previous_total` is the resident's last PCL-5 total: the change from it is a PCL-5 rule and
    the other instruments do not use it. `difficulty` is the PHQ-9/GAD-7 closing question,
    kept in the findings when answered and never added to the total."""
    validate(code, answers, difficulty=difficulty)
    definition = definition_of(code)
    answers = list(answers)
    total = sum(answers)
    findings = FINDINGS[definition.code](answers, previous_total=previous_total, cutpoint=cutpoint)
    if difficulty is not None:
        findings["difficulty"] = difficulty
    return Score(total=total, band=band_of(definition.code, total, cutpoint), findings=findings)
