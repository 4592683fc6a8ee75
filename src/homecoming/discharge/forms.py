from django import forms

from .models import Disposition
from .services import PLANNED


class NeededFields(forms.Form):
    """Fields the service requires though the form lets them through (so the service names
    every problem at once): the label says they are needed, never "optional"."""

    needed: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, when in self.needed.items():
            self.fields[name].when_needed = when


class PlanForm(NeededFields):
    needed = {
        "planned_on": "required",
        "plan": "required",
        "disposition_other": "when the disposition is Other",
    }
    disposition = forms.ChoiceField(
        choices=[(d, Disposition(d).label) for d in PLANNED], label="Disposition"
    )
    disposition_other = forms.CharField(required=False, max_length=200, label="Other disposition")
    planned_on = forms.DateField(
        required=False, label="Leaves on", widget=forms.DateInput(attrs={"type": "date"})
    )
    # Not required here: the service names every missing field at once.
    plan = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="The plan",
        help_text="Where the resident goes, the aftercare arranged, what was agreed.",
    )
    contacts = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Who to call",
        help_text="The center, the aftercare provider, crisis lines.",
    )
    follow_up_days = forms.CharField(
        required=False,
        label="Follow-up days after discharge",
        help_text="Comma-separated; leave empty for the program's schedule.",
    )

    def clean_follow_up_days(self):
        text = self.cleaned_data["follow_up_days"].strip()
        if not text:
            return None
        parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError("Give whole numbers of days, separated by commas.")
        return [int(p) for p in parts]


class AgainstAdviceForm(NeededFields):
    needed = {"planned_on": "required", "plan": "required"}
    planned_on = forms.DateField(label="Left on", widget=forms.DateInput(attrs={"type": "date"}))
    plan = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="What happened",
        help_text="When and how the resident left, who was told, what was offered.",
    )
    contacts = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Who to call"
    )


class SignForm(forms.Form):
    secret = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Your password (or authenticator code)",
    )


class FitnessForm(NeededFields):
    needed = {"fitness_assessment": "required"}
    fitness_assessment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Fitness for duty assessment",
    )


class CancelForm(NeededFields):
    needed = {"reason": "required"}
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Why the plan is cancelled"
    )
