from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from homecoming.accounts.models import Role

from .intake_rules import day
from .models import Program, Resident, TeamRole
from .selectors import free_beds
from .services import INTAKE_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class IntakeForm(forms.ModelForm):
    class Meta:
        model = Resident
        fields = INTAKE_FIELDS
        widgets = {"date_of_birth": DATE, "service_start": DATE, "service_end": DATE}
        labels = {
            "given_name": "Given name (legal)",
            "family_name": "Family name (legal)",
            "service_end": "Service end (blank if still serving)",
            "service_number": "Service number (DoD ID), if known",
        }


def _staff(role):
    """Active staff of a role; those taking new residents (the care-team default) first."""
    return (
        get_user_model()
        .objects.filter(role=role, is_active=True)
        .order_by("-takes_new_residents", "full_name")
    )


class StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.full_name or obj.username
        return name if obj.takes_new_residents else f"{name} (not taking new residents)"


class ProgramChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class BedChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        reserved = getattr(obj, "reserved_from", None)
        if reserved is not None:
            # Still bookable for a stay that ends by then (the service checks the dates).
            return f"{obj} ({obj.room.wing}; reserved from {day(reserved)})"
        return f"{obj} ({obj.room.wing})"


class AdmissionForm(forms.Form):
    admitted_on = forms.DateField(
        widget=DATE,
        initial=timezone.localdate,
        help_text="A later date is a planned admission: the bed is reserved from that day.",
    )
    expected_length_days = forms.IntegerField(
        min_value=1, max_value=730, initial=42, label="Expected length of stay (days)"
    )
    bed = BedChoice(queryset=free_beds(), required=False, empty_label="No bed yet")
    program = ProgramChoice(
        queryset=Program.objects.filter(active=True), required=False, empty_label="No program"
    )
    primary_caseworker = StaffChoice(queryset=_staff(Role.CASEWORKER))
    clinician = StaffChoice(
        queryset=_staff(Role.CLINICIAN), required=False, empty_label="Assign later"
    )
    # Hidden until intake has warned of a likely duplicate (then a checkbox: offer_confirmation):
    # nobody confirms a warning they have not seen.
    different_person_confirmed = forms.BooleanField(
        required=False,
        label="This is a different person",
        help_text="Tick only after opening the record the warning links to.",
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Querysets are evaluated per form, so the choices are current.
        self.fields["bed"].queryset = free_beds()
        programs = Program.objects.filter(active=True)
        self.fields["program"].queryset = programs
        if len(programs) == 1:
            self.fields["program"].initial = programs[0].pk
        self.fields["primary_caseworker"].queryset = _staff(Role.CASEWORKER)
        self.fields["clinician"].queryset = _staff(Role.CLINICIAN)
        if actor is not None and actor.role == Role.CASEWORKER:
            self.fields["primary_caseworker"].initial = actor.pk

    def offer_confirmation(self):
        self.fields["different_person_confirmed"].widget = forms.CheckboxInput()


class DeploymentForm(forms.Form):
    location = forms.CharField(max_length=200, required=False)
    started_on = forms.DateField(widget=DATE, required=False)
    ended_on = forms.DateField(widget=DATE, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A row left empty is no deployment; a row filled in needs all three (intake_rules:
        # deployments at intake are over), so none of them is "optional".
        for field in self.fields.values():
            field.when_needed = "needed for each deployment listed"

    def clean(self):
        data = super().clean()
        if (data.get("started_on") or data.get("ended_on")) and not data.get("location"):
            self.add_error("location", "Name where the deployment was.")
        if data.get("location") and not data.get("started_on"):
            self.add_error("started_on", "Give the date the deployment started.")
        return data


DeploymentFormSet = forms.formset_factory(DeploymentForm, extra=3, max_num=20)


def deployment_rows(formset) -> list[tuple]:
    """(row form, deployment) for each row filled in: an error about deployment i (as the
    service counts them) belongs to the i-th of these rows."""
    return [
        (f, {k: f.cleaned_data.get(k) for k in ("location", "started_on", "ended_on")})
        for f in formset.forms
        if getattr(f, "cleaned_data", None) and f.cleaned_data.get("location")
    ]


def deployments_from(formset) -> list[dict]:
    return [d for _, d in deployment_rows(formset)]


class StayForm(forms.Form):
    admitted_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    expected_length_days = forms.IntegerField(
        min_value=1, max_value=730, initial=42, label="Expected length of stay (days)"
    )


class ArrivalForm(forms.Form):
    """Nothing to fill in: the button says the resident is here (the service checks the date)."""


class CancelAdmissionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label="Why will the admission not happen?",
        help_text="Kept with the record, and sent to the care team who planned for them.",
    )


class BedForm(forms.Form):
    bed = BedChoice(queryset=free_beds())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bed"].queryset = free_beds()


class CareTeamForm(forms.Form):
    team_role = forms.ChoiceField(choices=TeamRole.choices)
    user = StaffChoice(
        queryset=get_user_model().objects.filter(
            role__in=[Role.CASEWORKER, Role.CLINICIAN], is_active=True
        ),
        label="Staff member",
    )


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with your access and sent to the supervisors.",
    )


class PortalAccessForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(
        widget=forms.PasswordInput,
        strip=False,
        help_text="A first password the resident is given in person.",
    )


class PhotoForm(forms.Form):
    """A photo of the resident. The service checks what the file is, by its bytes."""

    file = forms.FileField(
        label="Photo",
        help_text="A JPEG or PNG of the resident's face, taken with their agreement.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


class FhirPatientForm(forms.Form):
    """Another provider's record of the person, to start the intake form from (fhir/intake.py)."""

    patient = forms.FileField(
        label="Their record from another provider (FHIR Patient, JSON)",
        help_text="Fills in the names, date of birth, service number and emergency contact; "
        "nothing is saved until you admit.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
