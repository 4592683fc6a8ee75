"""Forms for reporting an adverse event and concluding a signal's review. The services hold the
rules; the forms shape the input and offer only the resident's own medicines as suspects."""

from django import forms

from homecoming.core import dates

from . import terms
from .models import Conclusion, DecisionKind, EventOutcome, Seriousness

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReportForm(forms.Form):
    term = forms.ChoiceField(
        choices=[("", "Choose what happened…"), *terms.CHOICES], label="What happened"
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="In your own words",
        help_text="What was noticed, when, and anything that may matter. Kept beside the term.",
    )
    onset = forms.DateField(widget=DATE, label="When it began")
    seriousness = forms.ChoiceField(choices=Seriousness.choices, label="How serious")
    outcome = forms.ChoiceField(
        choices=EventOutcome.choices, initial=EventOutcome.UNKNOWN, label="How it stands now"
    )
    suspects = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Medicines that may have caused it",
        help_text="Only medicines from this record that were given. Leave all unticked if "
        "unsure: the center's signal detection also compares everyone given each medicine.",
    )

    def __init__(self, *args, orders=(), for_resident=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suspects"].choices = [
            (str(o.pk), f"{o.protocol} ({o.dose_amount.normalize():f} {o.dose_unit}, "
             f"{o.get_frequency_display().lower()}, from {dates.day_this_year(o.starts_at)})")
            for o in orders
        ]  # fmt: skip
        if not orders:
            self.fields["suspects"].help_text = "No medicine has been given on this record."
        if for_resident:
            self.fields["term"].label = "What happened to you"
            self.fields["term"].choices = [
                (group, [(c, "Something else (say what below)" if c == "other" else n)
                         for c, n in items]) if isinstance(items, list) else (group, items)
                for group, items in self.fields["term"].choices
            ]  # fmt: skip
            self.fields["description"].label = "Tell us in your own words"
            self.fields["description"].help_text = "What happened, when, and how it felt."
            self.fields["seriousness"].choices = [
                c for c in Seriousness.choices if c[0] != Seriousness.DEATH
            ]
            self.fields["outcome"].choices = [
                c for c in EventOutcome.choices if c[0] != EventOutcome.FATAL
            ]
            self.fields["outcome"].label = "How you are now"
            self.fields["suspects"].label = "Medicines you think may have caused it"
            self.fields["suspects"].help_text = "Leave them all unticked if you are not sure."

    @property
    def suspect_order_ids(self) -> list[int]:
        return [int(i) for i in self.cleaned_data.get("suspects") or []]


class ReviewForm(forms.Form):
    conclusion = forms.ChoiceField(choices=Conclusion.choices, widget=forms.RadioSelect)
    assessment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Assessment",
        help_text="The cases read, the evidence weighed, and what is done (stopping the "
        "protocol, informing the ethics board, monitoring). Final once saved.",
    )


class FollowUpForm(forms.Form):
    outcome = forms.ChoiceField(choices=EventOutcome.choices, label="How it stands now")


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(
        choices=DecisionKind.choices, widget=forms.RadioSelect, label="What is done"
    )
    prescribers = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Prescribers who may still order it",
        help_text="Only for a restriction: every other prescriber's order is refused.",
    )
    reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Reasons",
        help_text="The cases weighed and why this measure. Final once saved; the oversight body "
        "and the program director are told.",
    )

    def __init__(self, *args, prescribers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prescribers"].choices = [(str(p.pk), str(p)) for p in prescribers]

    @property
    def prescriber_ids(self) -> list[int]:
        return [int(i) for i in self.cleaned_data.get("prescribers") or []]
