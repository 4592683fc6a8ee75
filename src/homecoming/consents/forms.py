from django import forms
from django.contrib.auth import get_user_model

from homecoming.accounts.models import User

from . import services
from .models import ConsentDocument, ConsentPurpose

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DocumentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} (version {obj.version}) · {obj.get_purpose_display()}"


class WitnessChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name or obj.username} ({obj.get_role_display().lower()})"


class InPersonConsentForm(forms.Form):
    """Consent the resident gave in person, recorded by staff before a witness."""

    document = DocumentChoice(queryset=ConsentDocument.objects.none(), empty_label=None)
    witness = WitnessChoice(
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="I witnessed it myself",
        help_text="The member of staff before whom the resident consented.",
    )

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Only the documents the resident can sign now; choices are built per form.
        self.fields["document"].queryset = ConsentDocument.objects.filter(
            pk__in=[d.pk for d in documents]
        ).order_by("purpose", "title")
        self.fields["witness"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, role__in=User.RECORD_ROLES)
            .order_by("full_name")
        )


class RevokeForm(forms.Form):
    """Staff record a revocation the resident told them of, in the resident's words."""

    consent = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="How the resident withdrew consent",
        error_messages={"required": services.REASON_NEEDED},
    )


class OwnRevokeForm(RevokeForm):
    """The resident's own revocation: a reason is theirs to give or not."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Reason"
    )


class PublishForm(forms.Form):
    purpose = forms.ChoiceField(choices=ConsentPurpose.choices, label="What the consent is for")
    code = forms.SlugField(
        max_length=64,
        help_text="A short name that stays the same across versions, e.g. session-recording.",
    )
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}), label="Text")
    ethics_approval_ref = forms.CharField(
        max_length=100,
        required=False,
        label="Ethics-board approval reference",
        help_text="Required for a research protocol.",
    )
    ethics_approval_expires = forms.DateField(
        widget=DATE,
        required=False,
        label="Ethics approval expires",
        help_text="After this date, consent to this document no longer counts.",
    )

    @classmethod
    def next_version_of(cls, document: ConsentDocument):
        """A form prefilled with the latest version's text, to publish the next one."""
        return cls(
            initial={
                "purpose": document.purpose,
                "code": document.code,
                "title": document.title,
                "body": document.body,
                "ethics_approval_ref": document.ethics_approval_ref,
                "ethics_approval_expires": document.ethics_approval_expires,
            }
        )
