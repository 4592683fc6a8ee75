from django import forms

from .services import LONGEST, LONGEST_SUBJECT


class ReplyForm(forms.Form):
    """The service checks the text (every problem named at once); the form only carries it, so
    nothing typed is lost when it is refused."""

    body = forms.CharField(
        label="Your message",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": LONGEST}),
        help_text=f"At most {LONGEST} characters.",
    )


class StartForm(ReplyForm):
    field_order = ["subject", "body"]

    subject = forms.CharField(
        label="Subject",
        required=False,
        widget=forms.TextInput(attrs={"maxlength": LONGEST_SUBJECT}),
    )
