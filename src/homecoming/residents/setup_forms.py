"""Forms of the director's set-up pages (the services check everything again)."""

from django import forms


class CenterForm(forms.Form):
    name = forms.CharField(max_length=200)
    operator = forms.CharField(max_length=200, required=False, help_text="The company running it.")
    sponsor = forms.CharField(max_length=200, required=False, help_text="The body paying for it.")
    time_zone = forms.CharField(
        max_length=64,
        help_text="An IANA name such as America/Chicago: every page shows times in it.",
    )


class ProgramForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RoomForm(forms.Form):
    name = forms.CharField(max_length=50, help_text="As on the door, e.g. N101.")
    wing = forms.CharField(max_length=50, help_text="Groups rooms on the bed board.")


class NewRoomForm(RoomForm):
    beds = forms.CharField(
        max_length=200,
        initial="A B",
        help_text="The beds' labels, separated by spaces or commas (e.g. A B C).",
    )

    def clean_beds(self):
        return [b for b in self.cleaned_data["beds"].replace(",", " ").split() if b]


class BedForm(forms.Form):
    label = forms.CharField(max_length=10, help_text="e.g. A, B or 1.")


class OutOfServiceForm(forms.Form):
    reason = forms.CharField(
        max_length=200, help_text="Why (a leak, a broken frame): shown on the bed board."
    )
