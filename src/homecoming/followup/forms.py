"""Forms of the follow-up pages. Fields are not required here where the service names what is
missing: one refusal shows every problem at once."""

from django import forms

from homecoming.measures.forms import AnswersForm, Choice, Question, choice_label

from .models import AttemptOutcome, Housing, Method, Work

# No answer is chosen for the person: "Reached" picked by default would make a contact by mistake.
CHOOSE = [("", "Choose...")]
STAFF_METHODS = CHOOSE + [(m.value, m.label) for m in Method if m != Method.CHECK_IN]


class AttemptForm(forms.Form):
    method = forms.ChoiceField(label="How", choices=STAFF_METHODS, required=False)
    outcome = forms.ChoiceField(
        label="What came of it", choices=CHOOSE + AttemptOutcome.choices, required=False
    )
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CloseLostForm(forms.Form):
    reason = forms.CharField(
        label="Why it is closed",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Found again and reached, moved abroad, died...: the reason stays on the record.",
    )


class ProgramDaysForm(forms.Form):
    days = forms.CharField(
        label="Follow-up days after discharge",
        required=False,
        help_text="Whole days, separated by commas, e.g. 7, 30, 90, 180, 365.",
    )

    def day_list(self) -> list:
        text = self.cleaned_data.get("days") or ""
        return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


class PrefixedAnswers(AnswersForm):
    """A questionnaire form that can share a page with another (its fields prefixed)."""

    def answers(self) -> list:
        # An answer not on the scale is dropped by the field: the service names it as missing.
        data = getattr(self, "cleaned_data", {})
        return [data.get(f"item_{item.number}") for item in self.definition.items]

    def difficulty(self):
        return getattr(self, "cleaned_data", {}).get("difficulty")

    def _question(self, name, number, text, options) -> Question:
        full = self.add_prefix(name)
        given = self.data.get(full) if self.is_bound else None
        return Question(
            name=full,
            number=number,
            text=text,
            choices=tuple(
                Choice(
                    o.value,
                    o.words,
                    f"{self.definition.name} {choice_label(number, o.words)}",
                    given == str(o.value),
                )
                for o in options
            ),
            errors=tuple(self.errors.get(name, ())) if self.is_bound else (),
        )


class CheckInForm(forms.Form):
    housing = forms.ChoiceField(
        label="Where do you live now?",
        choices=Housing.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    work = forms.ChoiceField(
        label="What do you do now?", choices=Work.choices, widget=forms.RadioSelect, required=False
    )
    wants_call = forms.BooleanField(
        label="I would like someone from the center to call me", required=False
    )
    comments = forms.CharField(
        label="Anything you want your care team to know (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
