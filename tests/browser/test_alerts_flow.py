"""Alerts in the browser: the demo's e-mails are files in the outbox with no clinical detail;
the supervisor acknowledges two alerts at once and chooses the daily digest."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_the_supervisor_acknowledges_alerts_and_chooses_a_digest(center, page, log_in, shoot):
    url, homecoming = center
    status = homecoming("alerts", "status")
    outbox = Path(re.search(r"through files in (\S+?),", status).group(1))
    mails = [p.read_text() for p in outbox.glob("*.log")]
    to_colin = [m for m in mails if "To: colin@center.example" in m]
    assert to_colin, "the demo e-mails the supervisor his alerts"
    assert all("Walter" not in m and "Cruz" not in m for m in mails)
    assert any(f"{'http://127.0.0.1:8000'}/alerts/#alert-" in m for m in to_colin)

    log_in(page, "colin")
    page.get_by_role("link", name="Alerts", exact=True).click()
    page.get_by_role("heading", name="Your alerts").wait_for()
    boxes = page.locator('input[type=checkbox][name="alert"]')
    waiting = boxes.count()
    assert waiting >= 2
    shoot("alerts-page")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Acknowledge the chosen alerts").click()
    page.get_by_text("2 alerts acknowledged.").wait_for()
    assert page.locator('input[type=checkbox][name="alert"]').count() == waiting - 2
    assert page.get_by_role("heading", name="Acknowledged lately").is_visible()

    page.get_by_role("link", name="E-mail settings").first.click()
    page.get_by_label("Your e-mail address").fill("colin@center")
    page.get_by_label("One e-mail a day listing the alerts waiting").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Nothing was saved.").wait_for()
    shoot("alerts-preferences-refused")
    page.get_by_label("Your e-mail address").fill("colin.belfast@center.example")
    page.get_by_label("One e-mail a day listing the alerts waiting").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your alert e-mail settings are saved.").wait_for()
    page.get_by_role("link", name="Back to your alerts").click()
    assert "colin.belfast@center.example, normal ones in one e-mail a day" in page.inner_text(
        "main"
    )
