"""A completed questionnaire as the pages show it: each answer in words beside its item, and the
flags a clinician must not miss (item 9, a meaningful change, provisional PTSD)."""

from dataclasses import dataclass

from . import instruments
from .instruments import Definition, Item, Option
from .models import Instrument, Questionnaire
from .scoring import PCL5_CLUSTERS, PHQ9_SAFETY_ITEM


@dataclass(frozen=True)
class Flag:
    text: str
    level: str  # the badge class: "danger", "warn" or "ok"


@dataclass(frozen=True)
class Administration:
    questionnaire: Questionnaire
    definition: Definition
    answers: tuple[tuple[Item, Option], ...]
    difficulty: Option | None
    flags: tuple[Flag, ...]
    clusters: tuple[tuple[str, int], ...]  # PCL-5 only: ("B (items 1-5)", 12), ...

    @property
    def item9_positive(self) -> bool:
        return bool(self.questionnaire.findings.get("item9_positive"))


def flags(definition: Definition, findings: dict) -> tuple[Flag, ...]:
    found = []
    if definition.code == Instrument.PHQ9 and findings.get("item9_positive"):
        value = findings["item9"]
        found.append(
            Flag(
                f'Item {PHQ9_SAFETY_ITEM} answered {value} ("{definition.option(value).words}")',
                "danger",
            )
        )
    if definition.code == Instrument.PCL5:
        if findings.get("meaningful_change"):
            change = findings["change"]
            found.append(
                Flag(
                    f"Clinically meaningful {findings['change_direction']}: {change:+d} points "
                    "since the previous PCL-5",
                    "ok" if change < 0 else "danger",
                )
            )
        if findings.get("provisional_ptsd_dsm5"):
            found.append(Flag("Provisional PTSD (DSM-5 symptom rule)", "warn"))
        if findings.get("provisional_ptsd_cutpoint"):
            found.append(
                Flag(f"Provisional PTSD (at or above cut-point {findings['cutpoint']})", "warn")
            )
    return tuple(found)


def administration(questionnaire: Questionnaire) -> Administration:
    definition = instruments.get(questionnaire.instrument)
    findings = questionnaire.findings
    difficulty = findings.get("difficulty")
    clusters = ()
    if definition.code == Instrument.PCL5:
        clusters = tuple(
            (f"{c.upper()} (items {r.start}–{r.stop - 1})", findings[f"cluster_{c}"])
            for c, r in PCL5_CLUSTERS.items()
        )
    return Administration(
        questionnaire=questionnaire,
        definition=definition,
        answers=tuple(
            (item, definition.option(value))
            for item, value in zip(definition.items, questionnaire.answers, strict=True)
        ),
        difficulty=(
            definition.follow_up.options[difficulty]
            if difficulty is not None and definition.follow_up
            else None
        ),
        flags=flags(definition, findings),
        clusters=clusters,
    )
