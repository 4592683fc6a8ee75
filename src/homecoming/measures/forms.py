"""The questionnaire form: one radio group per item, built from the instrument's definition.

Items are not required here: the service refuses an incomplete questionnaire and names the
missing items, and the page shows that message at the top and beside each item, with every
answer already given still checked.
"""

from dataclasses import dataclass

from django import forms

from .instruments import Definition, Option


@dataclass(frozen=True)
class Choice:
    value: int
    words: str
    label: str  # unique on the page: "Item 9: Several days", "Difficulty: Very difficult"
    checked: bool


@dataclass(frozen=True)
class Question:
    name: str  # the form field: "item_9", "difficulty"
    number: int | None  # None for the unscored closing question
    text: str
    choices: tuple[Choice, ...]
    errors: tuple[str, ...]


def choice_label(number: int | None, words: str) -> str:
    """The accessible name of one answer. The words alone ("Several days") repeat on every item,
    so a screen reader, or a test clicking by label, needs the item number with them."""
    return f"Item {number}: {words}" if number is not None else f"Difficulty: {words}"


def _field(options: tuple[Option, ...]) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        choices=[(o.value, o.words) for o in options],
        coerce=int,
        required=False,
        empty_value=None,
    )


class AnswersForm(forms.Form):
    def __init__(self, definition: Definition, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        for item in definition.items:
            self.fields[f"item_{item.number}"] = _field(definition.options)
        if definition.follow_up is not None:
            self.fields["difficulty"] = _field(definition.follow_up.options)

    def answers(self) -> list[int | None]:
        return [self.cleaned_data[f"item_{item.number}"] for item in self.definition.items]

    def difficulty(self) -> int | None:
        return self.cleaned_data.get("difficulty")

    def _question(self, name, number, text, options) -> Question:
        given = self.data.get(name) if self.is_bound else None
        return Question(
            name=name,
            number=number,
            text=text,
            choices=tuple(
                Choice(o.value, o.words, choice_label(number, o.words), given == str(o.value))
                for o in options
            ),
            errors=tuple(self.errors.get(name, ())) if self.is_bound else (),
        )

    def questions(self) -> list[Question]:
        """Every item, with the answer given and its errors: what the template draws."""
        d = self.definition
        found = [self._question(f"item_{i.number}", i.number, i.text, d.options) for i in d.items]
        if d.follow_up is not None:
            found.append(self._question("difficulty", None, d.follow_up.text, d.follow_up.options))
        return found
