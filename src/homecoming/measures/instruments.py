"""The three questionnaires the center uses, word for word as published.

Item text, instructions, time frame and answer words are the published forms' own: a changed word
changes what a resident is asked, and scores are only comparable with the literature if the
questions are the same. The one adaptation: the PCL-5 paper form's "circle one of the numbers to
the right" reads "select one of the options", as in the National Center for PTSD's own fillable
form, because there is nothing to circle on a screen.

PCL-5: US National Center for PTSD, public domain. PHQ-9 and GAD-7: Spitzer, Williams, Kroenke
and colleagues, free to reproduce without permission.

Definitions are data only; the scoring rules live in scoring.py.
"""

from dataclasses import dataclass

from .models import Instrument


@dataclass(frozen=True)
class Option:
    """One answer: the number stored and scored, and the words the person chooses."""

    value: int
    words: str


@dataclass(frozen=True)
class Item:
    number: int
    text: str


@dataclass(frozen=True)
class FollowUp:
    """A question asked after the items and not counted in the total (PHQ-9, GAD-7)."""

    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Definition:
    code: str  # the Instrument value stored with each questionnaire
    name: str  # "PHQ-9"
    title: str  # "Patient Health Questionnaire"
    instructions: str
    stem: str  # the question each item completes, with its time frame
    time_frame: str
    options: tuple[Option, ...]
    items: tuple[Item, ...]
    source: str
    follow_up: FollowUp | None = None

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def lowest(self) -> int:
        return self.options[0].value

    @property
    def highest(self) -> int:
        return self.options[-1].value

    @property
    def max_total(self) -> int:
        return self.highest * self.item_count

    def option(self, value: int) -> Option:
        return next(o for o in self.options if o.value == value)


def _options(*words: str) -> tuple[Option, ...]:
    return tuple(Option(value, w) for value, w in enumerate(words))


def _items(*texts: str) -> tuple[Item, ...]:
    return tuple(Item(number, text) for number, text in enumerate(texts, start=1))


PCL5 = Definition(
    code=Instrument.PCL5,
    name="PCL-5",
    title="PTSD Checklist for DSM-5",
    instructions=(
        "Below is a list of problems that people sometimes have in response to a very "
        "stressful experience. Please read each problem carefully and then select one of the "
        "options to indicate how much you have been bothered by that problem in the past month."
    ),
    stem="In the past month, how much were you bothered by:",
    time_frame="the past month",
    options=_options("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"),
    items=_items(
        "Repeated, disturbing, and unwanted memories of the stressful experience?",
        "Repeated, disturbing dreams of the stressful experience?",
        "Suddenly feeling or acting as if the stressful experience were actually happening "
        "again (as if you were actually back there reliving it)?",
        "Feeling very upset when something reminded you of the stressful experience?",
        "Having strong physical reactions when something reminded you of the stressful "
        "experience (for example, heart pounding, trouble breathing, sweating)?",
        "Avoiding memories, thoughts, or feelings related to the stressful experience?",
        "Avoiding external reminders of the stressful experience (for example, people, places, "
        "conversations, activities, objects, or situations)?",
        "Trouble remembering important parts of the stressful experience?",
        "Having strong negative beliefs about yourself, other people, or the world (for "
        "example, having thoughts such as: I am bad, there is something seriously wrong with "
        "me, no one can be trusted, the world is completely dangerous)?",
        "Blaming yourself or someone else for the stressful experience or what happened after it?",
        "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
        "Loss of interest in activities that you used to enjoy?",
        "Feeling distant or cut off from other people?",
        "Trouble experiencing positive feelings (for example, being unable to feel happiness or "
        "have loving feelings for people close to you)?",
        "Irritable behavior, angry outbursts, or acting aggressively?",
        "Taking too many risks or doing things that could cause you harm?",
        'Being "superalert" or watchful or on guard?',
        "Feeling jumpy or easily startled?",
        "Having difficulty concentrating?",
        "Trouble falling or staying asleep?",
    ),
    source=(
        "PCL-5 (Weathers, Litz, Keane, Palmieri, Marx and Schnurr, 2013), US National Center "
        "for PTSD. Public domain."
    ),
)

# PHQ-9 and GAD-7 share their answer scale, their time frame and their closing question.
OVER_THE_LAST_2_WEEKS = _options(
    "Not at all", "Several days", "More than half the days", "Nearly every day"
)
HOW_DIFFICULT = _options(
    "Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"
)
PHQ9_STEM = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)
GAD7_STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"
PHQ_SOURCE = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, translate, "
    "display or distribute."
)

PHQ9 = Definition(
    code=Instrument.PHQ9,
    name="PHQ-9",
    title="Patient Health Questionnaire",
    # The form's only instruction is its question (the paper's "use a tick" aside).
    instructions=PHQ9_STEM,
    stem=PHQ9_STEM,
    time_frame="the last 2 weeks",
    options=OVER_THE_LAST_2_WEEKS,
    items=_items(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your "
        "family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    follow_up=FollowUp(
        "If you checked off any problems, how difficult have these problems made it for you to "
        "do your work, take care of things at home, or get along with other people?",
        HOW_DIFFICULT,
    ),
    source=PHQ_SOURCE,
)

GAD7 = Definition(
    code=Instrument.GAD7,
    name="GAD-7",
    title="Generalized Anxiety Disorder 7-item scale",
    instructions=GAD7_STEM,
    stem=GAD7_STEM,
    time_frame="the last 2 weeks",
    options=OVER_THE_LAST_2_WEEKS,
    items=_items(
        "Feeling nervous, anxious or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ),
    follow_up=FollowUp(
        "If you checked off any problems, how difficult have these made it for you to do your "
        "work, take care of things at home, or get along with other people?",
        HOW_DIFFICULT,
    ),
    source=PHQ_SOURCE,
)

ALL = (PCL5, PHQ9, GAD7)
BY_CODE = {d.code: d for d in ALL}


def get(code: str) -> Definition | None:
    """The instrument with this code, or None (an address or form may name anything)."""
    return BY_CODE.get(code)
