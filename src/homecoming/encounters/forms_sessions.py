"""Forms for booking sessions and changing them. Dates and times are typed in the center's time
zone and turned into aware times here; the rules (no clash, not in the past, open stay) are the
service's, so the API and the pages refuse the same things."""

import datetime as dt

from django import forms
from django.utils import timezone

from homecoming.accounts.models import Role

from . import scheduling

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


# Calendars span the center's plausible life; beyond it, dates only overflow the arithmetic.
FIRST_WEEK = dt.date(2000, 1, 3)
LAST_WEEK = dt.date(2199, 12, 30)


class CaseworkerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return scheduling.staff_name(obj)


class WhenForm(forms.Form):
    """When and where, and (for supervisors) on whose calendar. A caseworker books on their
    own calendar, so they are not offered the choice."""

    # The service's names for what these fields set, so its errors land beside them.
    SERVICE_FIELDS = {"starts_at": "start_time", "ends_at": "minutes"}

    caseworker = CaseworkerChoice(queryset=scheduling.caseworkers(), label="Caseworker")
    date = forms.DateField(widget=DATE, initial=timezone.localdate)
    start_time = forms.TimeField(widget=TIME, label="Starts at")
    minutes = forms.IntegerField(
        min_value=5, max_value=8 * 60, initial=50, label="Length (minutes)"
    )
    location = forms.CharField(max_length=100, required=False, help_text="A room or place.")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if actor.role == Role.CASEWORKER:
            del self.fields["caseworker"]
        else:
            self.fields["caseworker"].queryset = scheduling.caseworkers()

    def clean_date(self):
        day = self.cleaned_data["date"]
        if not FIRST_WEEK <= day <= LAST_WEEK:
            raise forms.ValidationError(
                f"Choose a date between {FIRST_WEEK.year} and {LAST_WEEK.year}."
            )
        return day

    def clean(self):
        data = super().clean()
        day, start, minutes = data.get("date"), data.get("start_time"), data.get("minutes")
        if day is None or start is None or minutes is None:
            return data
        zone = scheduling.center_zone()
        try:
            # On the night the clocks go forward some times never happen: refused, not guessed.
            starts_at = scheduling.at_center(dt.datetime.combine(day, start), "start_time")
        except forms.ValidationError as exc:
            self.add_error(None, exc)
            return data
        data["starts_at"] = starts_at
        # In UTC: a 60-minute session on the night the clocks go back still lasts 60 minutes.
        data["ends_at"] = (starts_at.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)).astimezone(
            zone
        )
        return data

    @property
    def chosen_caseworker(self):
        return self.cleaned_data.get("caseworker") or self.actor


class IndividualSessionForm(WhenForm):
    field_order = ["date", "start_time", "minutes", "location", "caseworker"]


class GroupSessionForm(WhenForm):
    """A group: a title and the residents taking part, chosen among those the user may see
    (the choices come from a selector, which records the names it shows)."""

    title = forms.CharField(max_length=200, help_text="What the group is, e.g. “Sleep skills”.")
    residents = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, label="Residents taking part"
    )
    field_order = ["title", "residents", "date", "start_time", "minutes", "location", "caseworker"]

    def __init__(self, *args, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {r.pk: r for r in residents}
        self.fields["residents"].choices = [(r.pk, r.display_name) for r in residents]

    @property
    def chosen_residents(self):
        return [self.people[pk] for pk in self.cleaned_data.get("residents", [])]


class RescheduleForm(WhenForm):
    """The session's new date, time and length, and why it moves (the resident reads it)."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        label="Reason for moving it",
        help_text="The resident sees it beside the session.",
    )
    field_order = ["date", "start_time", "minutes", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="move", **kwargs)
        self.fields.pop("caseworker", None)  # a move keeps the session's caseworker
        del self.fields["location"]


class CancelForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        label="Reason for cancelling",
        help_text="Kept with the session and shown to whoever reads its history.",
    )


class WeekQuery(forms.Form):
    """The week page's address: ?caseworker=<id>&week=YYYY-MM-DD (any day of the week)."""

    caseworker = forms.IntegerField(required=False, min_value=1)
    week = forms.DateField(required=False)

    def clean_week(self):
        week = self.cleaned_data["week"]
        if week is not None and not FIRST_WEEK <= week <= LAST_WEEK:
            raise forms.ValidationError(
                f"Choose a week between {FIRST_WEEK.year} and {LAST_WEEK.year}."
            )
        return week
