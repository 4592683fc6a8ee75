"""`_field.html` (issue 16): a field in error is marked invalid and names its error list and its
help as its description, by ids that are on the page, so a screen reader reads them with it.

Django writes aria-invalid and aria-describedby="<id>_helptext <id>_error" on the input (on the
fieldset of a radio group); the template gives the help and the errors those ids."""

from html.parser import HTMLParser

from django import forms
from django.template.loader import render_to_string

from tests.support.notes import DAP_TEXT, draft


class Elements(HTMLParser):
    """Every element's tag and attributes, in order."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def ids(self):
        return [a["id"] for _, a in self.found if a.get("id")]

    def described(self):
        return [(t, a) for t, a in self.found if "aria-describedby" in a]


def dangling_descriptions(html):
    """The ids that an aria-describedby names but no element on the page has."""
    page = Elements(html)
    ids = set(page.ids())
    return [
        (tag, attrs.get("name") or attrs.get("id"), ref)
        for tag, attrs in page.described()
        for ref in attrs["aria-describedby"].split()
        if ref not in ids
    ]


class Visit(forms.Form):
    reason = forms.CharField(help_text="In the resident's own words.")
    kind = forms.ChoiceField(
        choices=[("planned", "Planned"), ("drop-in", "Drop-in")],
        widget=forms.RadioSelect,
        help_text="A drop-in is one the resident asked for that day.",
    )
    consented = forms.BooleanField(label="The resident agreed")
    notes = forms.CharField(required=False)


def rendered(form, name):
    return render_to_string("_field.html", {"field": form[name]})


def test_a_field_in_error_is_invalid_and_described_by_its_errors_and_help():
    form = Visit(data={})
    assert not form.is_valid()
    html = rendered(form, "reason")
    (field,) = [a for t, a in Elements(html).found if a.get("name") == "reason"]
    assert field["aria-invalid"] == "true"
    assert field["aria-describedby"].split() == ["id_reason_helptext", "id_reason_error"]
    ids = Elements(html).ids()
    assert "id_reason_helptext" in ids and "id_reason_error" in ids
    assert 'id="id_reason_error"><li>This field is required.</li>' in html


def test_a_tick_box_in_error_names_its_error():
    form = Visit(data={})
    form.is_valid()
    html = rendered(form, "consented")
    (box,) = [a for t, a in Elements(html).found if a.get("name") == "consented"]
    assert box["aria-invalid"] == "true" and box["aria-describedby"] == "id_consented_error"
    assert dangling_descriptions(html) == []


def test_a_radio_group_is_a_fieldset_named_by_its_legend_and_described_by_its_errors():
    form = Visit(data={})
    form.is_valid()
    html = rendered(form, "kind")
    elements = Elements(html).found
    assert elements[0] == (
        "fieldset",
        {"class": "field", "aria-describedby": "id_kind_helptext id_kind_error"},
    )
    assert "<legend>Kind</legend>" in html
    assert all(a["aria-invalid"] == "true" for t, a in elements if a.get("type") == "radio")
    assert "<label for=" + '"">' not in html  # no label that labels nothing
    assert dangling_descriptions(html) == []


def test_a_valid_field_is_described_by_its_help_alone_and_not_invalid():
    form = Visit(data={"reason": "Sleep", "kind": "planned", "consented": "on"})
    assert form.is_valid()
    html = rendered(form, "reason")
    (field,) = [a for t, a in Elements(html).found if a.get("name") == "reason"]
    assert "aria-invalid" not in field
    assert field["aria-describedby"] == "id_reason_helptext"
    assert dangling_descriptions(html) == []
    plain = rendered(form, "notes")  # neither help nor errors: nothing to point at
    assert "aria-describedby" not in plain and "(optional)" in plain


def test_a_form_without_ids_points_at_nothing():
    form = Visit(data={}, auto_id=False)
    form.is_valid()
    for name in form.fields:
        html = rendered(form, name)
        assert "aria-describedby" not in html and ' id="' not in html.replace('id=""', "")


def test_every_description_on_a_page_of_errors_is_on_the_page(resident, staff, client_for):
    """Intake refused with every field empty, and a note signed with a wrong secret: each
    aria-describedby names ids the page holds."""
    client = client_for(staff["caseworker"])
    intake = client.post("/residents/intake/", {})
    assert intake.status_code == 400
    html = intake.content.decode()
    assert html.count('aria-invalid="true"') >= 3
    assert dangling_descriptions(html) == []

    note = draft(staff["caseworker"], resident)
    data = {"note-revision": str(note.revision)} | {f"note-{k}": v for k, v in DAP_TEXT.items()}
    signing = client.post(f"/notes/{note.pk}/sign", data | {"sign-secret": "wrong one!"})
    html = signing.content.decode()
    assert signing.status_code == 400 and 'aria-invalid="true"' in html
    assert dangling_descriptions(html) == []
