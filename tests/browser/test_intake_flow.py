"""In a real browser: log in with the second factor, admit a resident, give them a bed."""

import base64
import datetime as dt
import json
import re

import pytest
from django_otp.oath import totp

pytestmark = pytest.mark.browser


def code_from_secret(secret: str) -> str:
    return f"{totp(base64.b32decode(secret)):06d}"


def test_new_caseworker_enrols_second_factor_admits_a_resident_and_assigns_a_bed(
    center, page, shoot
):
    url, homecoming = center
    homecoming(
        "createuser",
        "--role",
        "caseworker",
        "--username",
        "nadia",
        "--full-name",
        "Nadia Okafor",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )

    page.goto(f"{url}/")
    page.get_by_label("Username").fill("nadia")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("heading", name="Set up your second factor").wait_for()
    assert page.locator(".qr svg").count() == 1
    shoot("enrol-second-factor")
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Six-digit code").fill(code_from_secret(secret))
    page.get_by_role("button", name="Confirm and log in").click()

    # The operator chose the first password, so Nadia must replace it before anything else.
    page.get_by_role("heading", name="Choose your own password").wait_for()
    page.get_by_label("Old password").fill("a long enough passphrase")
    page.get_by_label("New password", exact=True).fill("nadia's own long passphrase")
    page.get_by_label("New password confirmation").fill("nadia's own long passphrase")
    page.get_by_role("button", name="Change password").click()
    page.get_by_role("heading", name="Your caseload").wait_for()

    page.get_by_role("link", name="Intake").click()
    page.get_by_label("Given name (legal)").fill("Dana")
    page.get_by_label("Family name (legal)").fill("Reyes")
    page.get_by_label("Pronouns").fill("she/her")
    page.get_by_label("Date of birth").fill("1990-05-02")
    page.get_by_label("Service branch").select_option("navy")
    page.get_by_label("Service start").fill("2009-07-01")
    page.get_by_label("Emergency contact name").fill("Luis Reyes")
    page.get_by_label("Emergency contact relationship").fill("brother")
    page.get_by_label("Emergency contact phone").fill("555-0100")
    page.locator("#id_deployments-0-location").fill("Rota, Spain")
    page.locator("#id_deployments-0-started_on").fill("2015-01-10")
    page.locator("#id_deployments-0-ended_on").fill("2015-09-01")
    page.get_by_label("Admitted on").fill(dt.date.today().isoformat())
    bed_select = page.get_by_label("Bed")
    first_free = bed_select.locator("option").nth(1).inner_text()
    bed_select.select_option(index=1)
    assert page.get_by_label("Primary caseworker").input_value() != ""
    shoot("intake-form")
    page.get_by_role("button", name="Admit resident").click()

    page.get_by_role("heading", name=re.compile("Dana Reyes")).wait_for()
    bed_label = first_free.split(" ")[0]
    assert bed_label in page.locator("#stay-h + dl").inner_text()
    assert "Rota, Spain" in page.content()
    shoot("chart-after-intake")

    page.get_by_role("link", name="Move to another bed").click()
    page.get_by_label("Bed").select_option(index=2)
    new_bed = page.get_by_label("Bed").locator("option:checked").inner_text().split(" ")[0]
    page.get_by_role("button", name="Assign bed").click()
    page.get_by_role("heading", name=re.compile("Dana Reyes")).wait_for()
    assert new_bed in page.locator("#stay-h + dl").inner_text()

    page.get_by_role("link", name="Bed board").click()
    assert page.locator(f'[data-bed="{new_bed}"]').inner_text().count("Dana Reyes") == 1
    shoot("bed-board")


def test_intake_starts_from_another_providers_fhir_patient(page, log_in, shoot, tmp_path):
    """Issue 17: a Patient resource from a hospital fills in the intake form; a broken file
    says what is wrong, place by place, and fills in nothing."""
    patient = {
        "resourceType": "Patient",
        "name": [
            {"use": "official", "family": "Okafor", "given": ["Chidi"]},
            {"use": "usual", "given": ["Chi"]},
        ],
        "birthDate": "1993-07-21",
        "contact": [
            {
                "relationship": [{"text": "mother"}],
                "name": {"text": "Ngozi Okafor"},
                "telecom": [{"system": "phone", "value": "(555) 010-7788"}],
            }
        ],
    }
    good, broken = tmp_path / "okafor.json", tmp_path / "broken.json"
    good.write_text(json.dumps(patient))
    broken.write_text(json.dumps({**patient, "birthDate": "1993-02-30"}))
    log_in(page, "heidi")
    page.get_by_role("heading", name="Your caseload").wait_for()
    page.get_by_role("link", name="Intake").click()
    page.get_by_text("Start from their record at another provider (FHIR)").click()
    page.get_by_label("Their record from another provider (FHIR Patient, JSON)").set_input_files(
        str(broken)
    )
    page.get_by_role("button", name="Fill in from the file").click()
    page.get_by_text("This file could not be read").wait_for()
    assert page.get_by_text("Patient.birthDate").is_visible()
    assert page.get_by_label("Given name (legal)").input_value() == ""

    page.get_by_label("Their record from another provider (FHIR Patient, JSON)").set_input_files(
        str(good)
    )
    page.get_by_role("button", name="Fill in from the file").click()
    page.get_by_text("Filled in from okafor.json").wait_for()
    assert page.get_by_label("Given name (legal)").input_value() == "Chidi"
    assert page.get_by_label("Family name (legal)").input_value() == "Okafor"
    assert page.get_by_label("Preferred name").input_value() == "Chi"
    assert page.get_by_label("Date of birth").input_value() == "1993-07-21"
    shoot("intake-from-fhir")


def test_intake_with_a_mistake_keeps_what_was_typed(page, log_in):
    log_in(page, "heidi")
    page.get_by_role("heading", name="Your caseload").wait_for()
    assert "Walter Cruz" in page.content()

    page.get_by_role("link", name="Intake").click()
    page.get_by_label("Given name (legal)").fill("Sam")
    page.get_by_label("Family name (legal)").fill("Ortiz")
    page.get_by_label("Date of birth").fill("1995-01-01")
    page.get_by_label("Service start").fill("1990-01-01")  # before birth
    page.get_by_role("button", name="Admit resident").click()
    page.get_by_text("Nothing was saved").wait_for()
    assert page.get_by_label("Given name (legal)").input_value() == "Sam"
    assert page.get_by_label("Family name (legal)").input_value() == "Ortiz"


def test_intake_names_every_problem_at_once_and_links_a_likely_duplicate(page, log_in, shoot):
    """Issue 16: the forms' own errors and the intake rules' together, in one answer, and a
    warning that links the resident this may be (Walter, already in residence)."""
    log_in(page, "heidi")
    page.get_by_role("heading", name="Your caseload").wait_for()
    page.get_by_role("link", name="Intake").click()
    page.get_by_label("Given name (legal)").fill("Walter")
    page.get_by_label("Family name (legal)").fill("Cruz")
    page.get_by_label("Date of birth").fill("1991-03-14")
    page.get_by_label("Service start").fill("1990-01-01")  # before birth
    page.locator("#id_deployments-0-location").fill("Rota, Spain")
    page.locator("#id_deployments-0-started_on").fill("2015-01-10")  # and no end
    page.get_by_role("button", name="Admit resident").click()  # no emergency contact either
    page.get_by_text("Nothing was saved").wait_for()
    text = page.locator("main").inner_text()
    for message in (
        "Service cannot start before the date of birth.",
        "give the date it ended",
        "This field is required.",
    ):
        assert message in text, message
    warning = page.locator("#likely-duplicate")
    assert "same name and date of birth" in warning.inner_text()
    assert page.get_by_label("This is a different person").is_visible()
    shoot("intake-every-problem-and-a-likely-duplicate")
    warning.get_by_role("link").click()
    page.get_by_role("heading", name=re.compile("Walter Cruz")).wait_for()


def test_resident_sees_who_looked_at_their_record(center, page):
    url, homecoming = center
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill("walter")
    page.get_by_label("Password").fill("homecoming-demo")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=re.compile("Your record, Walter Cruz")).wait_for()
    history = page.locator("#who-looked").inner_text()
    assert "Heidi Bergman, caseworker, " in history
