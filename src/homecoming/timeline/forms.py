from django import forms
from django.utils import timezone

from .kinds import KINDS, OTHER


class TimelineFilter(forms.Form):
    kind = forms.MultipleChoiceField(
        choices=[(k.code, k.label) for k in (*KINDS, OTHER)],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Show",
    )
    drafts = forms.BooleanField(required=False, label="Include every autosave of draft notes")
    oldest_first = forms.BooleanField(required=False, label="Oldest first")
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class AsOfForm(forms.Form):
    at = forms.DateTimeField(
        label="The record as it stood on",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text="In the center's time zone.",
    )

    def clean_at(self):
        at = self.cleaned_data["at"]
        if at.year < 2000:
            raise forms.ValidationError("Choose a moment since the year 2000.")
        if at > timezone.now():
            raise forms.ValidationError(
                "Choose a moment in the past: the record's future is not written yet."
            )
        return at
