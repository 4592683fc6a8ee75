"""In a real browser: a discharge from the plan through both signatures to the summary page and
its PDF. The resident is the demo's other one on Heidi's caseload (not Walter, whom the other
flows use), whose clinician is the demo nurse."""

import re

import pytest

pytestmark = pytest.mark.browser


def test_a_discharge_from_plan_to_signed_summary_and_pdf(page, browser, center, log_in, shoot):
    url, _ = center
    log_in(page, "heidi")
    page.get_by_role("heading", name="Your caseload").wait_for()
    caseload = page.locator("section[aria-labelledby='list-h'] a[href^='/residents/']")
    links = caseload.filter(has_not_text="Walter Cruz")
    resident_path = next(
        href
        for href in (links.nth(i).get_attribute("href") for i in range(links.count()))
        if re.fullmatch(r"/residents/\d+/", href or "")
    )
    page.goto(url + resident_path)
    page.get_by_role("link", name="Discharge", exact=True).click()
    page.get_by_role("link", name="Write a discharge plan").click()
    page.locator("#id_disposition").select_option("home")
    page.locator("#id_plan").fill("Home to family; weekly outpatient therapy arranged.")
    page.locator("#id_contacts").fill("Center (312) 555-0100; Veterans Crisis Line 988.")
    page.get_by_role("button", name="Write the plan").click()
    page.get_by_text("The discharge plan is written").wait_for()
    discharge_page = page.url

    # Heidi signs as primary caseworker; a wrong password first.
    page.get_by_label("Your password (or authenticator code)").fill("not my password at all")
    page.get_by_role("button", name="Sign the discharge plan").click()
    page.get_by_text("That is not your password").first.wait_for()
    page.get_by_label("Your password (or authenticator code)").fill("homecoming-demo")
    page.get_by_role("button", name="Sign the discharge plan").click()
    page.get_by_text("Your signature is on the discharge plan").wait_for()
    shoot("discharge-plan-one-signature")

    # The clinician on the team signs and carries it out.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    nurse = context.new_page()
    nurse.set_default_timeout(15_000)
    try:
        log_in(nurse, "nurse")
        nurse.goto(discharge_page)
        nurse.get_by_role("heading", name="Sign as clinician").wait_for()
        nurse.get_by_label("Your password (or authenticator code)").fill("homecoming-demo")
        nurse.get_by_role("button", name="Sign the discharge plan").click()
        nurse.get_by_text("Ready: every signature is given").wait_for()
        nurse.get_by_role("button", name="Discharge now").click()
        nurse.get_by_text(re.compile("Discharged: the stay has ended")).wait_for()
        nurse.get_by_role("link", name="Discharge summary").click()
        nurse.get_by_role("heading", name="Discharge summary").wait_for()
        assert "Veterans Crisis Line 988" in nurse.locator("main").inner_text()
        # The numbers on it are links a phone dials (the PDF's too).
        assert nurse.locator('a[href="tel:988"]').count() == 1
        assert nurse.locator('a[href="tel:+13125550100"]').count() == 1
        assert "We will be in touch on" in nurse.content()
        ARTIFACTS = __import__("tests.browser.conftest", fromlist=["ARTIFACTS"]).ARTIFACTS
        ARTIFACTS.mkdir(exist_ok=True)
        nurse.screenshot(path=str(ARTIFACTS / "discharge-summary.png"), full_page=True)
        pdf_href = nurse.get_by_role("link", name="Download the PDF").get_attribute("href")
        response = nurse.request.get(url + pdf_href)
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF")
    finally:
        context.close()
