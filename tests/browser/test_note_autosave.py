"""In a real browser: text typed into a note before the autosave script has loaded is still
saved (the CI run that failed on PostgreSQL: on a busy machine the caseworker's first words
reached the page before drafts.js did, no input event was seen, and nothing was ever saved)."""

import re

import pytest

pytestmark = pytest.mark.browser


def test_words_typed_before_the_script_loads_are_saved(page, log_in, open_chart):
    log_in(page, "heidi")
    page.get_by_role("heading", name="Your caseload").wait_for()
    open_chart(page, "Walter Cruz")
    page.get_by_role("link", name="Write a note", exact=True).click()
    page.get_by_label("DAP (data, assessment, plan)").check()

    held = []
    page.route("**/drafts.js*", lambda route: held.append(route))
    page.get_by_role("button", name="Write a note").click()
    page.get_by_label("Data").fill("Typed while the page was still loading.")
    page.wait_for_timeout(300)  # let the held request reach the handler
    assert held, "the autosave script was requested"
    assert page.get_by_text("Nothing saved yet").count() == 1
    for route in held:
        route.continue_()

    page.get_by_text(re.compile("Saved at")).wait_for()
    page.unroute("**/drafts.js*")
    page.reload()
    assert page.get_by_label("Data").input_value() == "Typed while the page was still loading."
