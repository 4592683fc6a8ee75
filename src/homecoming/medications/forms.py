"""Forms for the medication pages. Amounts stay text as typed: the services parse them exactly
(Decimal, explicit unit) and hold every rule, so the pages and the API refuse the same things.
The forms only shape the input and name people by their log-in."""

from django import forms
from django.contrib.auth import get_user_model

from .doses import MASS_UNITS, Unit, plain
from .models import (
    AllergyKind,
    AllergySeverity,
    AllergyStatus,
    Form,
    Frequency,
    Protocol,
    Route,
)

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
MASS_CHOICES = [(u, u) for u in MASS_UNITS]


# A log-in that matches nobody is handed to the service as this, which refuses it in the same
# words as a wrong secret: the form never tells who has an account (issue 13).
NOBODY = object()


def _person(username):
    """The member of staff with this log-in, None when the field is empty, or NOBODY."""
    username = (username or "").strip()
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first() or NOBODY


def found(person):
    """The account a form named, or None for NOBODY (the service refuses that)."""
    return None if person is NOBODY else person


class GiveForm(forms.Form):
    """A dose given: how much, when, and (for a controlled or investigational drug) before whom.
    After a stop at the minimum interval, the same form carries the co-signed override."""

    dose_amount = forms.CharField(label="Dose", max_length=20)
    dose_unit = forms.ChoiceField(choices=Unit.choices, label="Unit")
    at = forms.DateTimeField(
        required=False,
        widget=DATETIME,
        input_formats=DATETIME_FORMATS,
        label="Time given",
        help_text="Leave empty if it was given just now. A dose may be charted up to 12 hours "
        "after it was given.",
    )
    scheduled_for = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    witness = forms.CharField(
        required=False,
        max_length=150,
        label="Witness (their log-in name)",
        help_text="The member of staff who saw the dose given.",
    )
    witness_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        label="Witness's password or authenticator code",
    )
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why the dose cannot wait",
    )
    cosigner = forms.CharField(
        required=False,
        max_length=150,
        label="Co-signing clinician (their log-in name)",
    )
    cosigner_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        label="Co-signer's password or authenticator code",
    )

    OVERRIDE_FIELDS = ("override_reason", "cosigner", "cosigner_secret")

    def __init__(self, *args, order, overriding=False, **kwargs):
        # The order's dose, in the order's unit, unless the page asks for something else.
        kwargs["initial"] = {
            "dose_amount": plain(order.dose_amount),
            "dose_unit": order.dose_unit,
            **kwargs.get("initial", {}),
        }
        super().__init__(*args, **kwargs)
        self.order = order
        self.overriding = overriding
        if not order.protocol.needs_witness:
            del self.fields["witness"], self.fields["witness_secret"]
        else:
            # Required in the page's words; the service refuses a dose without a witness, and
            # keeps that refusal as a stopped dose like any other.
            for name in ("witness", "witness_secret"):
                self.fields[name].widget.attrs["aria-required"] = "true"
            # Said before it is refused (medications/second_check.py): the second check is
            # neither the nurse giving the dose nor the one who prescribed it.
            self.fields["witness"].help_text = (
                "The member of staff who saw the dose given: not you, and not "
                f"{order.prescribed_by}, who prescribed it."
            )
        for name in self.OVERRIDE_FIELDS:
            self.fields[name].required = overriding

    def clean_witness(self):
        return _person(self.cleaned_data.get("witness"))

    def clean_cosigner(self):
        return _person(self.cleaned_data.get("cosigner"))

    def clean(self):
        data = super().clean()
        if data.get("witness") and not data.get("witness_secret"):
            self.add_error("witness_secret", "The witness confirms with their password or code.")
        if data.get("witness_secret") and "witness" in data and not data.get("witness"):
            self.add_error("witness", "Name the witness whose password or code this is.")
        return data

    @property
    def dose_fields(self):
        return [self[n] for n in ("dose_amount", "dose_unit", "at")]

    @property
    def witness_fields(self):
        return [self[n] for n in ("witness", "witness_secret") if n in self.fields]

    @property
    def override_fields(self):
        return [self[n] for n in self.OVERRIDE_FIELDS]


class NotGivenForm(forms.Form):
    """A scheduled dose that was not given: refused by the resident, held, or missed."""

    STATUSES = [
        ("refused", "Refused by the resident"),
        ("held", "Held (say why)"),
        ("missed", "Missed"),
    ]

    status = forms.ChoiceField(choices=STATUSES, widget=forms.RadioSelect, label="What happened")
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason",
        help_text="Required when the dose is held.",
    )
    scheduled_for = forms.DateTimeField(widget=forms.HiddenInput)


class ProtocolChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        flags = []
        if obj.controlled:
            flags.append("controlled")
        if obj.investigational:
            flags.append("investigational")
        return f"{obj}{' (' + ', '.join(flags) + ')' if flags else ''}"


class OrderForm(forms.Form):
    """An order as the prescriber writes it; the limits are the protocol's, checked by the
    service."""

    protocol = ProtocolChoice(queryset=None, label="Protocol (from the formulary)")
    dose_amount = forms.CharField(label="Dose", max_length=20)
    dose_unit = forms.ChoiceField(choices=Unit.choices, label="Unit")
    route = forms.ChoiceField(choices=Route.choices)
    frequency = forms.ChoiceField(choices=Frequency.choices, label="How often")
    starts_at = forms.DateTimeField(
        required=False,
        widget=DATETIME,
        input_formats=DATETIME_FORMATS,
        label="Starts",
        help_text="Empty: from now. At most a day back.",
    )
    ends_at = forms.DateTimeField(
        required=False,
        widget=DATETIME,
        input_formats=DATETIME_FORMATS,
        label="Ends",
        help_text="Empty: until it is discontinued.",
    )
    instructions = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    # Duplicate therapy (another running order of the ingredient or its class) is a warning
    # the prescriber must acknowledge; an interacting pair needs a second clinician.
    acknowledge_duplicates = forms.BooleanField(
        required=False,
        label="I have seen the duplicate therapy and mean both orders to run together",
    )
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="Override: why the order cannot wait",
        help_text="Only when the formulary lists an interaction with a running order, or the "
        "resident has an allergy the product meets: a second clinician co-signs, and the "
        "program director and the oversight body are told.",
    )
    cosigner = forms.CharField(
        required=False, max_length=150, label="Co-signing clinician (their log-in name)"
    )
    cosigner_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        label="Co-signer's password or authenticator code",
    )

    def clean_cosigner(self):
        return _person(self.cleaned_data.get("cosigner"))

    def __init__(self, *args, protocols=(), **kwargs):
        super().__init__(*args, auto_id="id_order_%s", **kwargs)
        # The protocols offered are the ones the formulary selector returned (not retired).
        self.fields["protocol"].queryset = Protocol.objects.filter(pk__in=[p.pk for p in protocols])


class DiscontinueForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why the order is stopped",
        error_messages={"required": "Say why the order is stopped."},
    )


class ProtocolForm(forms.Form):
    """Every field of a protocol, as typed: the formulary service checks and parses them."""

    drug = forms.CharField(max_length=120)
    form = forms.ChoiceField(choices=Form.choices)
    strength_amount = forms.CharField(max_length=20, label="Strength")
    strength_unit = forms.ChoiceField(choices=MASS_CHOICES, label="Strength unit", initial=Unit.MG)
    strength_per_ml = forms.CharField(
        max_length=20,
        required=False,
        label="Per how many mL",
        help_text="Liquids only: the strength is in this volume (e.g. 2 mg in 1 mL).",
    )
    limit_unit = forms.ChoiceField(
        choices=MASS_CHOICES, label="Unit of the limits", initial=Unit.MG
    )
    max_single_dose = forms.CharField(max_length=20, label="Maximum single dose")
    max_daily_dose = forms.CharField(max_length=20, label="Maximum in any 24 hours")
    min_interval_minutes = forms.CharField(
        max_length=6, label="Minimum interval (minutes)", help_text="360 is six hours."
    )
    controlled = forms.BooleanField(required=False, label="Controlled drug (a witness signs)")
    investigational = forms.BooleanField(
        required=False, label="Investigational (a witness signs; consent under an ethics approval)"
    )
    ingredient = forms.CharField(
        max_length=120,
        required=False,
        label="Active ingredient",
        help_text="Empty: the drug's name. Its ceilings hold across every order of it; a new "
        "ingredient takes this protocol's limits as its ceilings.",
    )
    drug_class = forms.CharField(
        max_length=120,
        required=False,
        label="Class (a new ingredient only)",
        help_text="e.g. NSAID: two running orders of one class warn of duplicate therapy.",
    )
    consent_code = forms.SlugField(
        max_length=64,
        label="Consent document code",
        help_text="The code of the published consent document every dose needs, e.g. "
        "medication-sertraline.",
    )


class InteractionForm(forms.Form):
    """Two ingredients the medical lead lists as interacting."""

    first = forms.CharField(max_length=120, label="Ingredient")
    second = forms.CharField(max_length=120, label="Interacts with")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="What happens",
    )


class AllergyForm(forms.Form):
    """An allergy as the member of staff types it; the service checks it (allergies.py)."""

    substance = forms.CharField(
        max_length=120,
        help_text="An ingredient of the formulary (every product of it is then stopped), a drug "
        "class such as NSAID, or anything else: a food, latex.",
        widget=forms.TextInput(attrs={"list": "substances", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(
        choices=AllergyKind.choices, initial=AllergyKind.ALLERGY, widget=forms.RadioSelect
    )
    reaction = forms.CharField(
        max_length=500, help_text="What happened: hives, swelling, anaphylaxis… or “not known”."
    )
    severity = forms.ChoiceField(choices=[("", "Choose…"), *AllergySeverity.choices])
    verified = forms.BooleanField(
        required=False, label="Confirmed (a test, a witnessed reaction, the resident's records)"
    )

    def __init__(self, *args, may_confirm=False, **kwargs):
        super().__init__(*args, auto_id="id_allergy_%s", **kwargs)
        if not may_confirm:
            del self.fields["verified"]


class RuleOutForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (AllergyStatus.REFUTED, "Ruled out: the resident has taken it since without reaction"),
            (AllergyStatus.ENTERED_IN_ERROR, "Entered in error"),
        ],
        widget=forms.RadioSelect,
        label="Why it no longer holds",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="The reason, for the record",
        error_messages={"required": "Say why the allergy no longer holds."},
    )
