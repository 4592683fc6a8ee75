from django import forms

from .models import OPTIONAL, SECTIONS


class PlanForm(forms.Form):
    """Every section of the plan, and the writer's password or code to sign it. The service
    checks the sections (every problem named at once); the form only carries them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in SECTIONS:
            self.fields[key] = forms.CharField(
                label=label + (" (optional)" if key in OPTIONAL else ""),
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.fields["secret"] = forms.CharField(
            label="Your password or authenticator code, to sign this version",
            widget=forms.PasswordInput,
            required=False,
        )

    def sections(self) -> dict:
        return {key: self.cleaned_data.get(key, "") for key, _ in SECTIONS}


class ClearForm(forms.Form):
    reason = forms.CharField(
        label="Why the risk no longer stands",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
