from django import forms

from .models import Role


class LoginForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(widget=forms.PasswordInput, strip=False)


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label="Six-digit code",
        error_messages={"invalid": "Enter the six digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip()


STAFF_ROLES = [(value, label) for value, label in Role.choices if value != Role.RESIDENT]


class StaffDetailsForm(forms.Form):
    full_name = forms.CharField(max_length=200)
    email = forms.EmailField(required=False, help_text="Their work address.")
    role = forms.ChoiceField(choices=STAFF_ROLES)
    is_prescriber = forms.BooleanField(required=False, label="Prescriber (clinicians only)")
    is_medical_lead = forms.BooleanField(required=False, label="Medical lead (clinicians only)")
    is_trainee = forms.BooleanField(
        required=False,
        label="Trainee (caseworkers and clinicians)",
        help_text="A supervisor co-signs a trainee's notes.",
    )
    takes_new_residents = forms.BooleanField(
        required=False,
        initial=True,
        label="Takes new residents (caseworkers and clinicians)",
        help_text="Offered first on the intake form; others are listed as not taking any.",
    )


class NewStaffForm(StaffDetailsForm):
    username = forms.CharField(max_length=150)
    field_order = ["username", "full_name", "email", "role"]
    password = forms.CharField(
        widget=forms.PasswordInput,
        strip=False,
        label="First password",
        help_text="At least 12 characters; not common. They replace it at their first log-in.",
    )
    same_name_ok = forms.BooleanField(
        required=False,
        label="Create it even if another account has the same full name",
        help_text="The oversight body is told of the second name either way.",
    )
