"""In a real browser: Walter asks for a correction of a note from his portal, on a phone; his
caseworker sees it on her home page, amends the note with a signed addendum; Walter reads the
answer."""

import re

import pytest

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser
WRONG = "It says I skipped the group on Friday. I was there; the sign-in sheet has my name."


def test_walter_asks_heidi_amends_and_walter_reads_the_answer(page, browser, log_in, shoot, center):
    url, _ = center
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "walter")
    page.get_by_role("heading", name=re.compile("Your record")).wait_for()
    page.get_by_role("link", name="All your notes").click()
    page.get_by_role("link", name="Ask for a correction").first.click()
    page.get_by_role("heading", name="Ask for a correction").wait_for()
    page.get_by_role("button", name="Send my request").click()
    page.get_by_text("Say what is wrong in this entry.").wait_for()  # refused, nothing lost
    page.get_by_label("What is wrong").fill(WRONG)
    page.get_by_label("What it should say").fill("Attended the Friday group.")
    shoot("correction-walter-asks")
    page.get_by_role("button", name="Send my request").click()
    page.get_by_role("heading", name="My correction requests").wait_for()
    mine = page.locator("section.card", has_text=WRONG)
    assert "waiting for an answer" in mine.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot("correction-walter-waiting")

    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff.set_default_timeout(15_000)
    log_in(staff, "heidi")
    worklist = staff.get_by_role("region", name=re.compile("Correction requests"))
    worklist.wait_for()
    worklist.get_by_role("link", name="Walter Cruz").last.click()
    staff.get_by_role("heading", name="Correction requests: Walter Cruz").wait_for()
    request = staff.locator("section.card", has_text=WRONG)
    request.get_by_text("Answer this request").click()
    request.get_by_label("Amend the record").check()
    request.get_by_label(re.compile("The amendment, or why")).fill(
        "Walter attended the Friday group (the sign-in sheet has his name)."
    )
    request.get_by_label(re.compile("Your password or authenticator code")).fill("homecoming-demo")
    request.get_by_role("button", name="Send the answer").click()
    staff.get_by_text("Answered: the resident sees the answer").wait_for()
    answered = staff.locator("section.card", has_text=WRONG)
    assert "amended" in answered.inner_text() and "Addendum to the note" in answered.inner_text()
    staff.screenshot(path=str(ARTIFACTS / "correction-heidi-amended.png"), full_page=True)
    staff.context.close()

    page.goto(f"{url}/my-record/corrections/")
    mine = page.locator("section.card", has_text=WRONG)
    assert "amended" in mine.inner_text()
    assert "Walter attended the Friday group" in mine.inner_text()
    shoot("correction-walter-reads-the-answer")
