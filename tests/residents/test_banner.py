"""The patient banner (issue 16): on every staff page about one resident, whose record it is —
name, preferred name, date of birth and age, photo or initials, bed, allergies (red when not
recorded), an active risk flag. Walked over every resident-scoped URL, so a new page is asked."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from homecoming.ledger.models import Entry
from homecoming.measures import services as measures
from homecoming.medications import allergies
from homecoming.medications.allergies import AllergyEntry
from homecoming.record import banner as patient_banner
from homecoming.record.banner import age_on
from tests.access.walk import url_patterns
from tests.measures.answers import phq9
from tests.support.photos import photo_storage, take_photo  # noqa: F401

# Uploaded photos go to the test's own folder.
pytestmark = pytest.mark.usefixtures("photo_storage")

# Every staff page about one resident that shows it (GET), with any other parameter it needs.
PAGES = {
    "residents:chart": {},
    "residents:edit": {},
    "residents:bed": {},
    "residents:open_stay": {},
    "residents:arrival": {},
    "residents:care_team": {},
    "residents:portal_access": {},
    "residents:photo_new": {},
    "timeline:timeline": {},
    "timeline:change": {"seq": "first"},
    "timeline:as_of": {},
    "medications:record": {},
    "medications:allergies": {},
    "vitals:resident": {},
    "safetyplans:plan": {},
    "encounters:resident_notes": {},
    "encounters:note_new": {},
    "encounters:resident_week": {},
    "encounters:session_new_for": {},
    "measures:resident": {},
    "measures:administer": {"instrument": "phq9"},
    "consents:resident_consents": {},
    "discharge:plan": {},
    "discharge:new": {},
    "discharge:against_advice": {},
    "safety:resident": {},
    "residents:cancel_admission": {},
    "conversations:resident": {},
    "corrections:resident": {},
}
# Resident-scoped URLs that are not a page about the resident, each with why.
NOT_PAGES = {
    "residents:photo": "the photo itself (an image)",
    "residents:break_glass": "asked before the record opens: it shows nothing of it",
    "medications:prescribe": "a form's POST: a refusal re-renders the medications record",
    "medications:discontinue": "a form's POST: a refusal re-renders the medications record",
    "medications:no_known_allergies": "a form's POST (the allergies page)",
    "medications:verify_allergy": "a form's POST (the allergies page)",
    "medications:rule_out_allergy": "a form's POST (the allergies page)",
    "vitals:entered_in_error": "a form's POST (the vital signs page)",
    "safetyplans:clear_flag": "a form's POST (the safety plan page)",
    "corrections:answer": "a form's POST (the correction requests page)",
    "fhir:patient_read": "FHIR JSON for another health system, not a page",
    "fhir:everything": "FHIR JSON for another health system, not a page",
}


def _resident_pages():
    """Every page URL name whose path has a resident_id (the API apart: no banner there)."""
    return {
        name
        for route, name in url_patterns()
        if "<int:resident_id>" in route and not route.startswith("api/")
    }


def test_every_resident_page_is_asked():
    found = _resident_pages()
    assert found - set(PAGES) - set(NOT_PAGES) == set(), "add the page to PAGES or NOT_PAGES"
    assert set(PAGES) | set(NOT_PAGES) <= found


def _url(name, resident):
    kwargs = {"resident_id": resident.pk}
    for key, value in PAGES[name].items():
        if value == "first":
            value = Entry.objects.filter(resident_id=resident.pk).order_by("seq").first().seq
        kwargs[key] = value
    return reverse(name, kwargs=kwargs)


def _banner(text) -> str:
    found = re.search(
        r'<section class="patient-banner[^"]*" aria-label="Patient">.*?</section>', text, re.S
    )
    assert found, "no patient banner on the page"
    return found.group(0)


@pytest.fixture
def walter(admit, beds):
    return admit(bed=beds[0], preferred_name="Walt")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_banner_is_on_every_page_about_the_resident(name, walter, staff, client_for):
    client = client_for(staff["supervisor"])
    response = client.get(_url(name, walter))
    assert response.status_code == 200, name
    banner = _banner(response.text)
    assert "Cruz, Walter" in banner and "“Walt”" in banner
    assert "Mar 14, 1991" in banner
    age = age_on(dt.date(1991, 3, 14), timezone.localdate())
    assert f"({age} y)" in banner
    assert "Room N101, bed A" in banner
    assert '<strong class="text-danger">Allergies not recorded</strong>' in banner
    # No photo taken: the initials, in a circle, named for a screen reader.
    assert 'aria-label="No photo of Walter Cruz: initials WC"' in banner
    assert "Risk flag" not in banner
    # The banner comes once, at the top of the page's content.
    assert response.text.count('aria-label="Patient"') == 1


@pytest.mark.parametrize(
    "name", ["residents:chart", "medications:record", "vitals:resident", "safetyplans:plan"]
)
def test_the_banner_shows_allergies_the_flag_and_the_photo(name, walter, staff, client_for):
    caseworker = staff["caseworker"]
    allergies.record(
        caseworker, walter, AllergyEntry("Penicillin", reaction="hives", severity="moderate")
    )
    measures.record(caseworker, walter, "phq9", phq9(item9=1))
    photo = take_photo(caseworker, walter)
    banner = _banner(client_for(staff["supervisor"]).get(_url(name, walter)).text)
    assert "Penicillin" in banner and "not recorded" not in banner
    assert "Risk flag" in banner and 'class="patient-banner flagged"' in banner
    assert f'src="/residents/{walter.pk}/photo/?v={photo.pk}"' in banner
    assert 'alt="Photo of Walter Cruz"' in banner


def test_no_known_allergies_is_said_plainly(walter, staff, client_for):
    allergies.record_none(staff["caseworker"], walter)
    banner = _banner(client_for(staff["caseworker"]).get(_url("residents:chart", walter)).text)
    assert "No known allergies" in banner and "not recorded" not in banner


def test_the_age_is_the_center_s_today(walter, staff):
    """The age turns on the birthday by the center's clock (here a travelled one), not the
    machine's calendar."""
    next_year = timezone.localdate().year + 1
    for day, age in ((13, next_year - 1991 - 1), (14, next_year - 1991)):
        moment = timezone.make_aware(dt.datetime(next_year, 3, day, 12, 0))
        with time_machine.travel(moment, tick=False):
            assert patient_banner.banner(staff["supervisor"], walter.pk).age == age


def test_no_banner_for_whom_the_policy_refuses(walter, staff):
    assert patient_banner.banner(staff["caseworker_other"], walter.pk) is None
    assert patient_banner.banner(staff["contractor"], walter.pk) is None
    assert patient_banner.banner(staff["supervisor"], walter.pk + 1000) is None


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (dt.date(1991, 3, 14), dt.date(2026, 3, 13), 34),
        (dt.date(1991, 3, 14), dt.date(2026, 3, 14), 35),
        (dt.date(2000, 2, 29), dt.date(2026, 2, 28), 25),
        (dt.date(2000, 2, 29), dt.date(2026, 3, 1), 26),
    ],
)
def test_age_counts_whole_years(born, today, age):
    assert age_on(born, today) == age


def test_the_banner_names_what_it_showed_in_the_look(walter, staff, client_for):
    caseworker = staff["caseworker"]
    take_photo(caseworker, walter)
    before = Entry.objects.order_by("-seq").first().seq
    client_for(staff["supervisor"]).get(_url("vitals:resident", walter))
    looks = Entry.objects.filter(seq__gt=before, resident_id=walter.pk, outcome="allowed")
    details = " ".join(entry.detail or "" for entry in looks)
    assert "allergies" in details and "photo" in details


def test_no_banner_for_someone_refused(walter, staff, client_for):
    """The break-glass page (a clinician off the care team) shows nothing of the record."""
    response = client_for(staff["clinician_other"]).get(_url("residents:chart", walter))
    assert response.status_code == 403
    assert 'aria-label="Patient"' not in response.text
    assert "Mar 14, 1991" not in response.text


def test_the_round_nurse_sees_the_banner_on_the_medications_record(walter, staff, client_for):
    """The medication round opens the record to any clinician: the banner comes with it."""
    response = client_for(staff["clinician_other"]).get(_url("medications:record", walter))
    assert response.status_code == 200
    assert "Cruz, Walter" in _banner(response.text)


def test_a_chart_without_its_banner_is_refused_not_shown_bare(
    walter, staff, client_for, monkeypatch
):
    """Should a policy rule ever let someone read a chart but not its banner, the chart is
    refused (403) rather than shown with its allergies missing, or failing with a 500."""
    monkeypatch.setattr(patient_banner, "banner", lambda *args, **kwargs: None)
    response = client_for(staff["caseworker"]).get(reverse("residents:chart", args=[walter.pk]))
    assert response.status_code == 403
