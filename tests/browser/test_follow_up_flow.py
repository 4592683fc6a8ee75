"""Follow-up in the browser: Dana Whitfield, a former resident of the demo center (discharged
twelve days ago, with her portal account and e-mail), is due her day-30 contact; her caseworker
sends a check-in link from the contact page, and Dana completes the check-in through it on a
phone (390 px wide), without logging in."""

import pytest

pytestmark = pytest.mark.browser

DANAS_DAY_30 = """
from homecoming.followup.models import Contact
print(Contact.objects.get(resident__family_name="Whitfield", interval_days=30).pk)
"""


def test_a_former_resident_checks_in_through_the_link_on_a_phone(
    center, page, browser, log_in, shoot
):
    url, homecoming = center
    contact_id = homecoming("manage", "shell", "-c", DANAS_DAY_30).strip().splitlines()[-1]

    log_in(page, "heidi")
    page.goto(f"{url}/follow-ups/{contact_id}/")
    page.get_by_role("button", name="Send a check-in link").click()
    link = page.locator("#check-in-url").inner_text().strip()
    assert "/check-in/" in link
    shoot("follow-up-link-sent")
    link = url + link[link.index("/check-in/") :]

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        former = phone.new_page()
        former.set_default_timeout(15_000)
        former.goto(link)
        former.get_by_role("heading", name="How are you doing?").wait_for()
        for n in range(1, 21):
            former.get_by_label(f"PCL-5 Item {n}: A little bit", exact=True).check()
        for n in range(1, 10):
            former.get_by_label(f"PHQ-9 Item {n}: Not at all", exact=True).check()
        former.get_by_label("Stable housing").check()
        former.get_by_label("Working", exact=True).check()
        former.get_by_label("I would like someone from the center to call me").check()
        former.get_by_label("Anything you want your care team to know").fill("Sleeping better.")
        # Nothing wider than the phone: no sideways scrolling.
        width = former.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the check-in page is {width} px wide on a 390 px phone"
        former.get_by_role("button", name="Send my check-in").click()
        former.get_by_role("heading", name="Thank you").wait_for()
        assert "You asked for a call" in former.inner_text("main")
        former.screenshot(path="test-artifacts/follow-up-check-in-phone.png", full_page=True)
        # The link worked once.
        again = former.goto(link)
        assert again.status == 410
    finally:
        phone.close()

    page.goto(f"{url}/follow-ups/{contact_id}/")
    text = page.inner_text("main")
    assert "Made" in text and "Self check-in" in text
