"""Forms of the note pages. They only parse what was typed; the rules live in notes.py.

Text fields keep exactly what was typed (no stripping): what is signed is what was on screen."""

from django import forms

from .models import SECTIONS, NoteTemplate, WithholdingReason

SECRET_LABEL = "Password or authenticator code"


class NewNoteForm(forms.Form):
    template = forms.ChoiceField(
        label="Template", choices=NoteTemplate.choices, widget=forms.RadioSelect, initial="dap"
    )
    session = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DraftForm(forms.Form):
    """One textarea per section of the note's template, labelled with the section's name, and
    the revision the text was based on."""

    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, note, *args, **kwargs):
        kwargs.setdefault("prefix", "note")
        if not args and "data" not in kwargs:
            kwargs.setdefault("initial", {**note.sections, "revision": note.revision})
        super().__init__(*args, **kwargs)
        self.note = note
        for key, label in SECTIONS[note.template]:
            self.fields[key] = forms.CharField(
                label=label,
                required=False,
                strip=False,
                widget=forms.Textarea(
                    attrs={"rows": 7, "data-section": key, "class": "measure-none"}
                ),
            )

    def section_keys(self):
        return [key for key, _ in SECTIONS[self.note.template]]

    def section_fields(self):
        return [self[key] for key in self.section_keys()]

    def posted_sections(self) -> dict:
        """The sections the request carried. A section left out is not emptied: a form
        without the textareas must never wipe the draft."""
        return {
            key: self.cleaned_data[key]
            for key in self.section_keys()
            if self.add_prefix(key) in self.data
        }


class SecretForm(forms.Form):
    secret = forms.CharField(
        label=SECRET_LABEL,
        strip=False,
        # Not "current-password": a browser that fills in the saved password by itself would
        # turn the confirmation into a formality at an unlocked workstation.
        widget=forms.PasswordInput(attrs={"autocomplete": "one-time-code"}),
        help_text="Confirm it is you: your log-in password, or the code your authenticator "
        "app shows now.",
    )


class AddendumForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the addendum",
        max_length=300,
        help_text="For example: a correction, or information learned later.",
    )
    text = forms.CharField(label="Addendum", strip=False, widget=forms.Textarea(attrs={"rows": 5}))
    # Signed like a note (notes.add_addendum): empty here is the service's to refuse, with the
    # other problems at once.
    secret = forms.CharField(
        label=SECRET_LABEL,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "one-time-code"}),
        help_text="Sign the addendum: your log-in password, or the code your authenticator app "
        "shows now.",
    )


class WithholdForm(forms.Form):
    reason = forms.ChoiceField(
        label="Documented reason", choices=WithholdingReason.choices, widget=forms.RadioSelect
    )
    explanation = forms.CharField(
        label="Explanation",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the decision for review; the resident does not see it.",
    )


class ReleaseForm(forms.Form):
    explanation = forms.CharField(
        label="Explanation", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
