"""The forms carry what was typed; the services check it (every problem named at once)."""

from django import forms

from .models import Outcome


class AskForm(forms.Form):
    what_is_wrong = forms.CharField(
        label="What is wrong",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="In your own words. Your care team reads it exactly as you write it.",
    )
    should_say = forms.CharField(
        label="What it should say",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Your answer",
        choices=[
            (Outcome.AMENDED, "Amend the record"),
            (Outcome.DECLINED, "Decline, with the reason"),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    statement = forms.CharField(
        label="The amendment, or why the request is declined (the resident reads it)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    secret = forms.CharField(
        label="Your password or authenticator code",
        widget=forms.PasswordInput,
        required=False,
    )
    secret.when_needed = "to amend a note: the amendment is a signed addendum"


class DisagreeForm(forms.Form):
    text = forms.CharField(
        label="Your statement of disagreement",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="It is kept with your record, beside the request and the answer.",
    )
