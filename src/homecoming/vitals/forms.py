"""The vital signs form: every value as typed (the service checks them all at once)."""

from django import forms

from .ranges import MEASURES

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VitalsForm(forms.Form):
    taken_at = forms.DateTimeField(
        required=False,
        widget=DATETIME,
        label="Taken at",
        help_text="Leave empty for now; up to 12 hours earlier if charted late.",
    )
    note = forms.CharField(max_length=500, required=False, label="Note (optional)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="id_vitals_%s", **kwargs)
        # Each measure a short text box with a numeric keypad: the service names a bad value
        # with the others, which a browser's own number checks would not.
        measures = {
            m.field: forms.CharField(
                required=False,
                label=f"{m.label} ({m.unit})",
                widget=forms.TextInput(
                    attrs={"inputmode": "decimal" if m.decimal else "numeric", "size": 6}
                ),
            )
            for m in MEASURES
        }
        self.fields = {**measures, **self.fields}
