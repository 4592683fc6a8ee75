"""In a real browser: the patient banner and the photo (issue 16). The nurse on the round sees
Walter's face, date of birth and bed on his card before giving anything; his caseworker opens his
chart and the banner at the top says whose record it is, his photo served through the policy.

The demo photographs Walter (a drawn portrait) and two in three residents; his penicillin
allergy is recorded and confirmed."""

import re

import pytest

pytestmark = pytest.mark.browser


def _loaded(page, image) -> bool:
    """The image was served (through the policy) and decoded: not a broken picture."""
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    return image.evaluate("img => img.naturalWidth > 0")


def test_the_round_and_the_chart_say_whose_record_it_is(page, log_in, open_chart):
    log_in(page, "nurse")
    page.get_by_role("link", name="Medication round").click()
    page.get_by_role("heading", name="Medication round").wait_for()
    card = page.get_by_role("region", name="Walter Cruz")
    photo = card.get_by_role("img", name="Photo of Walter Cruz")
    photo.wait_for()
    assert _loaded(page, photo)
    said = card.inner_text()
    # The two identifiers before giving: date of birth, and where he sleeps (wing and bed).
    assert re.search(r"Born \w+ \d+, \d{4} · \S+, bed \S+", said), said
    card.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/banner_round.png", full_page=False)
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Username").wait_for()

    log_in(page, "heidi")
    open_chart(page, "Walter Cruz")
    banner = page.get_by_role("region", name="Patient")
    text = banner.inner_text()
    assert "Cruz, Walter" in text
    assert "Born" in text and re.search(r"\(\d+ y\)", text)
    assert re.search(r"Room \S+, bed \S+", text)
    assert "Penicillin" in text
    portrait = banner.get_by_role("img", name="Photo of Walter Cruz")
    assert _loaded(page, portrait)
    page.screenshot(path="/tmp/banner_chart.png", full_page=False)
    # The banner stays on the pages of his record.
    page.get_by_role("navigation", name="This record").get_by_role("link", name="Notes").click()
    page.get_by_role("region", name="Patient").get_by_text("Cruz, Walter").wait_for()
