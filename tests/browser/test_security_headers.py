"""In a real browser, under the production Content-Security-Policy: the main pages (log-in,
caseload, a chart with its questionnaire trends, the search, the note editor, the resident's
portal, the API docs) raise no policy violation and no script error, and keep their styling."""

import re

import pytest

pytestmark = pytest.mark.browser

# Recorded in the page itself as well as read from the console, so nothing is missed between
# navigations: the browser fires this event for every blocked inline style, script or load.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every console error, script error and policy violation collected."""
    problems = []
    page.add_init_script(LISTEN)

    def console(message):
        if message.text.startswith("Failed to load resource"):
            return  # named, with its address, by the response listener below
        if message.type in ("error", "warning") or "Content Security Policy" in message.text:
            problems.append(f"console {message.type}: {message.text}")

    def response(r):
        # (The browser asks for /favicon.ico by itself; there is none.)
        if r.status >= 400 and not r.url.endswith("/favicon.ico"):
            problems.append(f"{r.status} for {r.url}")

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def check(where):
        violations = page.evaluate("window.__violations || []")
        found = problems + [f"violation: {v}" for v in violations]
        problems.clear()
        assert found == [], f"{where}: {found}"

    page.check_csp = check
    return page


def styled(page, selector, prop) -> str:
    return page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")


def test_staff_pages_keep_their_style_under_the_policy(watched, log_in, center, shoot, open_chart):
    page, (url, _) = watched, center
    log_in(page, "heidi")
    page.get_by_role("heading", name="Your caseload").wait_for()
    page.check_csp("caseload")
    # The stylesheet applies (the site header's colour), and so do the former inline styles.
    assert styled(page, "header.site", "backgroundColor") == "rgb(22, 50, 74)"

    open_chart(page, "Walter Cruz")
    page.get_by_role("heading", name=re.compile("Walter Cruz")).wait_for()
    page.check_csp("chart")
    shoot("csp-chart")

    page.get_by_role("link", name="Questionnaires").first.click()
    page.locator("svg.trend-chart").first.wait_for()
    assert styled(page, "svg.trend-chart", "maxWidth") == "700px"
    assert styled(page, "svg.trend-chart", "display") == "block"
    page.check_csp("questionnaire trends")
    shoot("csp-trends")

    # The search, live through htmx (the result list is swapped in without a reload).
    page.get_by_role("link", name="Find a resident").click()
    page.get_by_role("searchbox").fill("Cruz")
    page.locator("#results").get_by_role("link", name=re.compile("Walter Cruz")).wait_for()
    page.check_csp("search")

    # The note editor and its autosave script (a static file).
    page.goto(f"{url}/")
    open_chart(page, "Walter Cruz")
    page.get_by_role("link", name="Schedule a session").click()
    page.check_csp("session form")

    page.goto(f"{url}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Homecoming" in page.locator(".swagger-ui .info .title").inner_text()
    page.check_csp("API docs")
    shoot("csp-api-docs")


def test_the_log_in_page_and_the_resident_portal_under_the_policy(watched, log_in, browser, shoot):
    page = watched
    log_in(page, "walter")
    page.get_by_role("link", name="My record").first.wait_for()
    page.check_csp("my record")
    assert styled(page, "header.site", "backgroundColor") == "rgb(22, 50, 74)"
    page.get_by_role("link", name="Questionnaires").first.click()
    page.check_csp("my questionnaires")
    shoot("csp-portal-questionnaires")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.check_csp("my questionnaires on a phone")
    shoot("csp-portal-questionnaires-phone")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
    page.check_csp("log-in")
    assert styled(page, ".card", "maxWidth") == "512px"  # .measure-32, once an inline style
    shoot("csp-login")
