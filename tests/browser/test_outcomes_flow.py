"""Program outcomes in the browser: the contractor opens Outcomes from the menu and sees the
suppressed view (charts with their tables, no count from 1 to 10); the director narrows the
period and downloads the sponsor's CSV."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_the_contractor_sees_suppressed_outcomes_and_the_director_exports_for_the_sponsor(
    page, log_in, shoot
):
    log_in(page, "geist")
    page.get_by_role("link", name="Outcomes", exact=True).click()
    page.get_by_role("heading", name="Program outcomes").wait_for()
    assert page.get_by_role("heading", name="Suppressed view").is_visible()
    assert page.locator("svg[role=img]").count() == 4
    cells = page.locator("main td").all_inner_texts()
    assert not [c for c in cells if re.fullmatch(r"\d+", c) and 0 < int(c) < 11]
    shoot("outcomes-contractor")

    page.get_by_role("button", name="Log out").click()
    log_in(page, "director")
    page.get_by_role("link", name="Outcomes", exact=True).click()
    # Wait for the page itself: checking at once reads the home page the click is leaving.
    page.get_by_role("heading", name="Unsuppressed view").wait_for()
    page.get_by_label("From").fill("2020-01-01")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("2020-01-01 to today").wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV for the sponsor (suppressed)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "for the sponsor" in text and "2020-01-01" in text
    shoot("outcomes-director")
