"""In a real browser: what a caseworker and a supervisor find to do on their home page (issue
16). The caseworker leaves a draft and finds it under "My unsigned notes", and acknowledges all
her alerts at once; the supervisor finds the trainee's notes waiting for his co-signature and
acknowledges the alerts he ticks."""

import re

import pytest

pytestmark = pytest.mark.browser


def _alerts(page) -> int:
    heading = page.locator("#alerts-h")
    if not heading.count():
        return 0
    return int(heading.locator(".badge").inner_text())


def test_the_caseworkers_home_lists_her_drafts_and_acknowledges_her_alerts(
    page, log_in, shoot, open_chart
):
    log_in(page, "heidi")
    page.get_by_role("heading", name="Your caseload").wait_for()
    assert page.get_by_role("heading", name=re.compile("Co-signatures due")).count() == 0
    open_chart(page, "Walter Cruz")
    page.get_by_role("link", name="Write a note", exact=True).click()
    page.get_by_label("DAP (data, assessment, plan)").check()
    page.get_by_role("button", name="Write a note").click()
    page.get_by_label("Data").fill("Walter asked about the sleep group.")
    page.get_by_text(re.compile("Saved at")).wait_for()
    draft = page.url

    page.get_by_role("link", name="Home").first.click()
    drafts = page.get_by_role("region", name=re.compile("My unsigned notes"))
    drafts.wait_for()
    link = drafts.get_by_role("link", name=re.compile("note on Walter Cruz")).last
    assert "waiting" in drafts.inner_text()
    shoot("home-caseworker-worklists")
    link.click()
    page.wait_for_url(draft)
    page.get_by_role("link", name="Home").first.click()

    shown = _alerts(page)
    if shown:
        page.get_by_role("button", name=f"Acknowledge all {shown} shown").click()
        page.get_by_text(f"{shown} alert{'s' if shown != 1 else ''} acknowledged.").wait_for()
        assert _alerts(page) == 0
        shoot("home-caseworker-alerts-acknowledged")


def test_the_supervisors_home_lists_the_cosignatures_due(page, log_in, shoot):
    log_in(page, "colin")
    page.get_by_role("heading", name="The center today").wait_for()
    due = page.get_by_role("region", name=re.compile("Co-signatures due"))
    due.wait_for()
    assert page.get_by_role("heading", name=re.compile("My unsigned notes")).count() == 0
    shown = _alerts(page)
    assert shown >= 2, "the demo leaves the supervisor alerts to acknowledge"
    boxes = page.locator("ul.alerts input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    shoot("home-supervisor-worklists")
    page.get_by_role("button", name="Acknowledge selected").click()
    page.get_by_text("2 alerts acknowledged.").wait_for()
    assert _alerts(page) == shown - 2

    due = page.get_by_role("region", name=re.compile("Co-signatures due"))
    due.get_by_role("link", name=re.compile("note on")).first.click()
    page.get_by_role("heading", name="Co-signature").wait_for()
