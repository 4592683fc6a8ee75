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


SECRET = forms.PasswordInput(attrs={"autocomplete": "off"})


class AttestationFields(forms.Form):
    """Who vouches for a consent recorded on this screen: the resident types their own password,
    or a witness (someone other than the recorder) picks their name and types theirs. Neither:
    the consent waits for the resident's confirmation in the portal and counts for nothing."""

    witness = WitnessChoice(
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="No witness",
        help_text="A colleague before whom the resident consented: not you, and for a trial drug, "
        "research or recording, not one of the resident's prescribers.",
    )
    witness_secret = forms.CharField(
        required=False,
        widget=SECRET,
        label="Witness's password or authenticator code",
    )
    resident_secret = forms.CharField(
        required=False,
        widget=SECRET,
        label="Or: the resident's own password",
        help_text="The resident types it here themselves, instead of a witness signing.",
    )

    def __init__(self, *args, recorder=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Everyone who may witness but the person who recorded the consent (the service refuses
        # them too, and the prescribers where the purpose asks it).
        people = get_user_model().objects.filter(is_active=True, role__in=User.RECORD_ROLES)
        if recorder is not None:
            people = people.exclude(pk=recorder.pk)
        self.fields["witness"].queryset = people.order_by("full_name")

    def attestation(self) -> dict:
        data = self.cleaned_data
        return {
            "witness": data.get("witness"),
            "witness_secret": data.get("witness_secret", ""),
            "resident_secret": data.get("resident_secret", ""),
        }


class InPersonConsentForm(AttestationFields):
    """Consent the resident gave in person, recorded by staff and vouched for by the resident's
    own password or a witness (or neither: then it waits for the resident's confirmation)."""

    document = DocumentChoice(queryset=ConsentDocument.objects.none(), empty_label=None)
    field_order = ["document", "witness", "witness_secret", "resident_secret"]

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Only the documents the resident can sign now; choices are built per form.
        self.fields["document"].queryset = ConsentDocument.objects.filter(
            pk__in=[d.pk for d in documents]
        ).order_by("purpose", "title")


class ConfirmPendingForm(AttestationFields):
    """A consent waiting for confirmation, vouched for now on a staff member's screen."""

    consent = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, consent=None, **kwargs):
        if consent is not None:
            kwargs.setdefault("initial", {"consent": consent.pk})
            kwargs.setdefault("auto_id", f"id_confirm{consent.pk}_%s")
            kwargs["recorder"] = consent.recorded_by
        super().__init__(*args, **kwargs)


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
