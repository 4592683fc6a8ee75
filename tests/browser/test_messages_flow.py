"""Messages in the browser: Walter writes to his care team from his phone; Heidi, his
caseworker, finds it under "Messages waiting" on her home page and answers; Walter reads the
answer and sees that Heidi read his message. Every message page warns, first, that messages are
not for emergencies."""

import re

import pytest

pytestmark = pytest.mark.browser

WARNING = "Messages are not for emergencies"


def test_walter_writes_and_his_caseworker_answers(center, page, browser, log_in, shoot):
    url, _ = center
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        walter = phone.new_page()
        walter.set_default_timeout(15_000)
        log_in(walter, "walter")
        walter.get_by_role("heading", name=re.compile("Your record")).wait_for()
        walter.locator("header.site nav").get_by_role("link", name="Messages").click()
        walter.get_by_role("heading", name="Messages with your care team").wait_for()
        assert WARNING in walter.locator("main").inner_text()
        assert walter.locator("main a[href='tel:988']").count() >= 1
        walter.get_by_label("Subject").fill("Phone call to my sister")
        walter.get_by_label("Your message", exact=True).fill(
            "Can I use the office phone tonight to call my sister? Mine is broken."
        )
        walter.get_by_role("button", name="Send").click()
        walter.get_by_role("heading", name="Phone call to my sister").wait_for()
        assert "Not read yet." in walter.locator("main").inner_text()

        log_in(page, "heidi")
        waiting = page.get_by_role("region", name=re.compile("Messages waiting"))
        waiting.get_by_role("link", name=re.compile("Phone call to my sister")).click()
        page.get_by_role("heading", name="Phone call to my sister").wait_for()
        assert WARNING in page.locator("main").inner_text()
        page.get_by_label("Your message", exact=True).fill(
            "Yes: the office is free after dinner, until 9."
        )
        page.get_by_role("button", name="Send").click()
        page.get_by_text("the office is free after dinner").wait_for()
        shoot("messages-caseworker-answers")

        walter.reload()
        main = walter.locator("main")
        walter.get_by_text("the office is free after dinner").wait_for()
        assert "Read by Heidi Bergman" in main.inner_text()
        assert "Read by you" in main.inner_text()  # this reading, shown at once
        width = walter.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the thread is {width} px wide on a 390 px phone"
        walter.screenshot(path="test-artifacts/messages-walter-phone.png", full_page=True)
    finally:
        phone.close()
