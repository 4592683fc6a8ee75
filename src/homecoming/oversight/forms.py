"""Forms for complaints and investigations. The services hold the rules; these shape input."""

from django import forms
from django.contrib.auth import get_user_model

from homecoming.accounts.models import Role

from .models import ComplaintStatus

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe): the services check each."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def staff_members():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(role__in=(Role.RESIDENT, Role.INVESTIGATOR, Role.OVERSIGHT))
        .order_by("full_name")
    )


class StaffChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} ({obj.get_role_display().lower()})"


FILES_HELP = "PDF, JPEG, PNG or WebP; up to five files."


class ComplaintForm(forms.Form):
    subject = forms.CharField(max_length=200, label="What is it about, in a few words")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="What happened",
        help_text="Who, what, when and where, as far as you know.",
    )
    named_staff = StaffChoice(
        queryset=staff_members(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        label="Members of staff it is about",
        help_text="They will not be told who complained. Hold Ctrl (or ⌘) to choose several.",
    )
    files = MultipleFileField(label="Documents or pictures", help_text=FILES_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["named_staff"].queryset = staff_members()


class PublicComplaintForm(forms.Form):
    subject = forms.CharField(max_length=200, label="What is it about, in a few words")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="What happened",
        help_text="Who, what, when and where, as far as you know. If it is about a resident "
        "or a member of staff, name them here.",
    )
    name = forms.CharField(
        max_length=200,
        required=False,
        label="Your name",
        help_text="Leave empty to stay anonymous: you follow the complaint up with the receipt.",
    )
    relationship = forms.CharField(
        max_length=120, required=False, label="Who you are to the center or a resident"
    )
    contact = forms.CharField(
        max_length=200, required=False, label="How to reach you (e-mail or phone)"
    )
    files = MultipleFileField(label="Documents or pictures", help_text=FILES_HELP)


class ReceiptForm(forms.Form):
    reference = forms.CharField(max_length=40, label="Receipt code", help_text="HC-XXXX-XXXX")
    passphrase = forms.CharField(
        max_length=60,
        label="Passphrase",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


class MessageForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Message")
    files = MultipleFileField(label="Documents or pictures", help_text=FILES_HELP)


class HandlerMessageForm(MessageForm):
    for_staff_only = forms.BooleanField(
        required=False, label="A note for those handling it, not shown to the complainant"
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Assign to")

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = candidates


class MoveForm(forms.Form):
    status = forms.ChoiceField(choices=ComplaintStatus.choices, label="New status")
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note to the complainant",
    )
    outcome = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Outcome",
        help_text="What was found and done. The complainant reads it.",
    )

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].when_needed = "needed to resolve"
        self.fields["status"].choices = [(s.value, s.label) for s in allowed]


class InvestigationForm(forms.Form):
    title = forms.CharField(max_length=200)
    cause = forms.ChoiceField(label="Opened from")

    def __init__(self, *args, causes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cause"].choices = [("", "Choose a complaint or a signal…"), *causes]


class GrantForm(forms.Form):
    investigator = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), label="Investigator"
    )
    residents = forms.CharField(
        required=False,
        label="Resident record numbers",
        help_text="Separated by commas, e.g. 12, 31. The oversight body sees numbers, not names.",
    )
    staff = StaffChoice(
        queryset=staff_members(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        label="Members of staff whose actions the investigator may read",
    )
    expires_at = forms.DateTimeField(
        widget=DATETIME,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        label="Until",
        help_text="At most 180 days from now.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="What it is for")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["investigator"].queryset = get_user_model().objects.filter(
            role=Role.INVESTIGATOR, is_active=True
        )
        self.fields["staff"].queryset = staff_members()

    def clean_residents(self):
        raw = self.cleaned_data.get("residents", "")
        numbers = []
        for part in raw.replace(";", ",").split(","):
            part = part.strip().lstrip("#")
            if not part:
                continue
            if not part.isdigit():
                raise forms.ValidationError(f"“{part}” is not a record number.")
            numbers.append(int(part))
        return numbers


class RevokeForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why it ends now")


class CloseForm(forms.Form):
    findings = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))
    recommendations = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="What the complainant is told",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].when_needed = "needed when it came from a complaint"
