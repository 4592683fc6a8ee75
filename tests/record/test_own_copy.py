"""Issue 16, "Download my record": the resident's copy of their record, as a PDF and as a JSON
bundle, holds what the portal shows them and nothing else; each download is one ledger entry the
resident reads in "who looked at your record"; nobody but the resident may download it."""

import base64
import json

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from homecoming.access import policy
from homecoming.access.policy import AccessDenied, Action
from homecoming.encounters import notes
from homecoming.ledger.models import Entry, Outcome
from homecoming.record import own_copy
from homecoming.residents import services as resident_services
from tests.access.center import build
from tests.conftest import PASSWORD
from tests.fhir.conftest import valid
from tests.support.notes import draft, make_trainee, signed

RELEASED = {"data": "Walter talked about the convoy.", "assessment": "Calmer.", "plan": "Gym."}
TRAINEE = {"data": "Trainee words awaiting a co-signature.", "assessment": "A.", "plan": "P."}
DRAFT = {"data": "Draft words nobody signed.", "assessment": "A.", "plan": "P."}
WITHHELD = {"data": "Withheld words about a third party.", "assessment": "A.", "plan": "P."}
# What the portal never shows the resident, and the copy must not hold.
NEVER = [
    "Trainee words",
    "Draft words",
    "Withheld words",
    "Rosalind",
    "Vantongeren",  # the other resident
    "Item 9 answered",  # a questionnaire's clinical flag (the staff's page only)
    "Explained to the team",  # why a note was withheld
]


@pytest.fixture
def center(staff, admit, make_user, beds, settings, tmp_path, ledger_key):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    c = build(staff, admit, make_user, beds)
    signed(staff["clinician"], c.walter, text=RELEASED)
    draft(staff["clinician"], c.walter, text=DRAFT)
    withheld = signed(staff["clinician"], c.walter, text=WITHHELD)
    notes.withhold(staff["clinician"], withheld, "third_party", "Explained to the team.")
    make_trainee(staff["caseworker"])
    signed(staff["caseworker"], c.walter, text=TRAINEE)
    return c


@pytest.fixture
def rosa_user(center):
    user = resident_services.grant_portal_access(
        center.staff["caseworker_other"], center.rosa, "rosalind", "a long enough passphrase", False
    )
    center.rosa.refresh_from_db()
    return user


def head() -> int:
    last = Entry.objects.order_by("-seq").first()
    return last.seq + 1 if last else 0


def text_of(pdf: bytes) -> str:
    """The words on every page of a PDF, as a reader would copy them."""
    pdfium = pytest.importorskip("pypdfium2", reason="in the dev extra: pip install -e '.[dev]'")
    document = pdfium.PdfDocument(pdf)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_the_json_bundle_holds_what_the_portal_shows_and_nothing_more(center, client_for):
    response = client_for(center.walter_user).get("/my-record.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="my-record-{today}.json"'
    assert response["Cache-Control"] == "no-store"
    bundle = json.loads(response.content)
    assert (bundle["format"], bundle["version"], bundle["made_on"]) == (
        "homecoming-record",
        1,
        today,
    )
    assert bundle["resident"]["legal_name"] == "Thaddeus Quillfeather"
    assert bundle["stays"][0]["bed"] and bundle["care_team"]
    # Released notes only: the signed ones, not the draft, the withheld, the trainee's.
    texts = [s["text"] for n in bundle["notes"] for s in n["sections"]]
    assert RELEASED["data"] in texts
    assert len(bundle["notes"]) == 2  # the center's signed note and RELEASED
    assert [q["instrument"] for q in bundle["questionnaires"]["completed"]] == ["PHQ-9"]
    assert len(bundle["questionnaires"]["completed"][0]["answers"]) == 9
    assert bundle["medications"]["orders"][0]["medicine"] == "Sertraline"
    assert bundle["medications"]["doses"][0]["dose"] == "50 mg"
    assert bundle["allergies"]["active"][0]["substance"] == "Penicillin"
    assert {"measure": "Pulse", "value": 76, "unit": "bpm", "flag": ""} in bundle["vital_signs"][0][
        "readings"
    ]
    assert bundle["safety_plan"]["version"] == 1
    assert "My daughter." in [s["text"] for s in bundle["safety_plan"]["sections"]]
    assert len(bundle["consents"]) == 2 and bundle["consents"][0]["standing"] == "in force"
    assert bundle["side_effects"][0]["suspected_medicines"] == ["Sertraline"]
    assert bundle["discharge"] == {"plan": None, "summaries": []}
    assert any(center.staff["caseworker"].full_name in e["who"] for e in bundle["who_looked"])
    for words in NEVER:
        assert words not in response.content.decode(), words


def test_the_pdf_shows_the_same_and_nothing_more(center, client_for):
    response = client_for(center.walter_user).get("/my-record.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="my-record-{today}.pdf"'
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF-")
    text = " ".join(text_of(response.content).split())
    for words in [
        "Your record, Thaddeus",
        "What we hold about you",
        RELEASED["data"],
        "PHQ-9",
        "Sertraline",
        "Penicillin",
        "My daughter.",
        "Who looked at your record",
        "Page 1 of",
    ]:
        assert words in text, words
    for words in NEVER:
        assert words not in text, words


@pytest.mark.parametrize("fmt,words", [("pdf", "a PDF"), ("json", "a data file (JSON)")])
def test_a_download_is_one_entry_the_resident_reads(center, client_for, fmt, words):
    client = client_for(center.walter_user)
    start = head()
    assert client.get(f"/my-record.{fmt}").status_code == 200
    written = list(Entry.objects.filter(seq__gte=start))
    assert len(written) == 1, [(e.action, e.object_type) for e in written]
    entry = written[0]
    assert (entry.action, entry.outcome, entry.purpose) == ("record.download", "allowed", "self")
    assert (entry.actor_id, entry.resident_id) == (center.walter_user.pk, center.walter.pk)
    assert entry.details["format"] == fmt
    for section in ("chart", "notes", "medications", "vital signs", "consents"):
        assert section in entry.sections, section
    # Among "who looked", though his own page views are not.
    page = client.get("/my-record/").content.decode()
    assert f"Thaddeus Quillfeather downloaded a copy of your record as {words}" in page


def test_downloads_are_each_on_the_ledger_and_in_the_next_copy(center, client_for):
    client = client_for(center.walter_user)
    client.get("/my-record.pdf")
    bundle = json.loads(client.get("/my-record.json").content)
    assert "downloaded a copy of your record as a PDF" in bundle["who_looked"][0]["what"]
    assert Entry.objects.filter(action="record.download").count() == 2


@pytest.mark.parametrize("who", ["caseworker", "clinician", "supervisor", "program_director"])
def test_staff_may_not_download_a_residents_record(center, who):
    actor = center.staff[who]
    start = head()
    with pytest.raises(AccessDenied, match="Only the resident"):
        own_copy.download(actor, center.walter, "pdf")
    denied = Entry.objects.get(seq__gte=start)
    assert (denied.action, denied.outcome) == ("record.download", Outcome.DENIED)
    assert (denied.actor_id, denied.resident_id) == (actor.pk, center.walter.pk)


def test_the_portal_address_refuses_staff(center, client_for):
    start = head()
    response = client_for(center.staff["supervisor"]).get("/my-record.json")
    assert response.status_code == 403
    assert b"Thaddeus" not in response.content
    denied = Entry.objects.get(seq__gte=start)
    assert (denied.action, denied.outcome, denied.resident_id) == (
        "record.download",
        Outcome.DENIED,
        None,
    )


def test_another_resident_may_not_download_walters(center, rosa_user, client_for):
    start = head()
    with pytest.raises(AccessDenied):
        own_copy.download(rosa_user, center.walter, "json")
    denied = Entry.objects.get(seq__gte=start)
    assert (denied.actor_id, denied.resident_id, denied.outcome) == (
        rosa_user.pk,
        center.walter.pk,
        Outcome.DENIED,
    )
    # Her own address gives her own record, never his.
    content = client_for(rosa_user).get("/my-record.json").content.decode()
    assert "Vantongeren" in content and "Quillfeather" not in content


def test_only_the_resident_is_allowed_by_the_policy(center, rosa_user):
    assert policy.decide(center.walter_user, Action.DOWNLOAD_RECORD, center.walter).allowed
    assert not policy.decide(rosa_user, Action.DOWNLOAD_RECORD, center.walter).allowed
    for user in center.staff.values():
        assert not policy.decide(user, Action.DOWNLOAD_RECORD, center.walter).allowed
        assert not policy.decide(user, Action.DOWNLOAD_RECORD, None).allowed


def test_an_unknown_format_is_refused(center):
    with pytest.raises(own_copy.UnknownFormat):
        own_copy.download(center.walter_user, center.walter, "docx")


def test_the_api_gives_the_resident_the_same_bundle(center, api_for):
    start = head()
    response = api_for(center.walter_user).get("/api/v1/my-record/download")
    assert response.status_code == 200, response.content
    assert response["Content-Disposition"].startswith('attachment; filename="my-record-')
    assert response["Cache-Control"] == "no-store"
    bundle = json.loads(response.content)
    assert bundle["format"] == "homecoming-record" and bundle["version"] == 1
    assert RELEASED["data"] in response.content.decode()
    downloads = Entry.objects.filter(seq__gte=start, action="record.download")
    walter = center.walter_user.pk
    assert [(e.actor_id, e.details["format"]) for e in downloads] == [(walter, "json")]


@pytest.mark.parametrize("who", ["supervisor", "caseworker"])
def test_the_api_refuses_staff(center, api_for, who):
    start = head()
    response = api_for(center.staff[who]).get("/api/v1/my-record/download")
    assert response.status_code == 403
    assert "Only the resident" in response.json()["detail"]
    denied = Entry.objects.get(seq__gte=start, action="record.download")
    assert denied.outcome == Outcome.DENIED


def test_the_bundle_says_nothing_a_portal_page_does_not(center, client_for):
    """The sections are the portal's: the JSON and the PDF's template are written from the same
    `sections`, read through the portal's selectors, purpose "self"."""
    copy = own_copy.download(center.walter_user, center.walter, "json")
    assert list(copy.sections) == [
        "resident",
        "stays",
        "care_team",
        "sessions",
        "notes",
        "questionnaires",
        "medications",
        "allergies",
        "vital_signs",
        "safety_plan",
        "consents",
        "side_effects",
        "discharge",
        "who_looked",
    ]
    assert PASSWORD not in copy.json().decode()


def test_a_pdf_and_a_data_file_the_same_minute_are_two_lines(center, client_for):
    client = client_for(center.walter_user)
    client.get("/my-record.pdf")
    client.get("/my-record.json")
    page = client.get("/my-record/").content.decode()
    assert "downloaded a copy of your record as a PDF" in page
    assert "downloaded a copy of your record as a data file (JSON)" in page


def _readable(bundle: dict) -> str:
    """The FHIR copy as words: its JSON, and the text of every attachment (notes travel in
    base64), so a word the portal hides cannot pass unseen inside one."""
    words = [json.dumps(bundle, ensure_ascii=False)]
    for entry in bundle["entry"]:
        for content in entry["resource"].get("content", []):
            data = content.get("attachment", {}).get("data")
            if data:
                words.append(base64.b64decode(data).decode())
    return "\n".join(words)


def test_the_fhir_copy_holds_what_the_portal_shows_and_nothing_more(center, client_for):
    start = head()
    response = client_for(center.walter_user).get("/my-record.fhir.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="my-record-{today}.fhir.json"'
    bundle = json.loads(response.content)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    resources = [e["resource"] for e in bundle["entry"]]
    for resource in resources:
        valid(resource)
    assert resources[0]["resourceType"] == "Patient"
    assert resources[0]["id"] == str(center.walter.pk)
    assert "EpisodeOfCare" in {r["resourceType"] for r in resources}
    text = _readable(bundle)
    for word in NEVER:
        assert word not in text, word
    # One act on the ledger, as the other formats.
    (entry,) = Entry.objects.filter(seq__gte=start)
    assert (entry.action, entry.resident_id) == ("record.download", center.walter.pk)
    assert entry.details["format"] == "fhir"


def test_staff_may_not_download_the_fhir_copy(center, client_for):
    start = head()
    response = client_for(center.staff["supervisor"]).get("/my-record.fhir.json")
    assert response.status_code == 403
    (denied,) = Entry.objects.filter(seq__gte=start)
    assert (denied.action, denied.outcome) == ("record.download", Outcome.DENIED)
