"""The resident's portal on a phone (issue 16): every page a resident can reach, at 360 and 390
px wide, fits the screen (no sideways scrolling), has controls a thumb can hit (44 px), shows
the crisis numbers as links the phone dials, and draws its charts' labels at a readable size.

The pages are found as a resident finds them: from the menu and every link on the pages it
leads to, so a portal page added later is measured without being listed here. A screenshot of
each (with its folded sections open) is saved in test-artifacts/ for people to look at."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest

from tests.support.databases import sqlite_run_only

LOOKS = "what a page looks like does not depend on the database"
pytestmark = [pytest.mark.browser, sqlite_run_only(LOOKS)]

WIDTHS = (360, 390)
TOUCH = 44  # px: the smallest target a thumb hits reliably (WCAG 2.5.5)
SMALLEST_CHART_TEXT = 10.5  # px: the charts' 11-unit labels, drawn at about their own size

# Where the portal's pages live; a link elsewhere (a download, the ledger's files) is not a page.
PORTAL = re.compile(
    r"^/(my-record/.*|notes/\d+/|discharges/\d+/summary/|complaints/(mine|new|\d+)/|complain/|password/)$"
)
# Each resident's pages that must be among those found (a broken crawl fails here).
MUST_REACH = {
    "walter": [
        r"/my-record/",
        r"/my-record/consents/",
        r"/my-record/consents/\d+/",
        r"/my-record/questionnaires/",
        r"/my-record/questionnaires/phq9/",
        r"/my-record/notes/",
        r"/notes/\d+/",
        r"/my-record/medications/",
        r"/my-record/vitals/",
        r"/my-record/safety-plan/",
        r"/my-record/messages/",
        r"/my-record/messages/\d+/",
        r"/my-record/side-effects/",
        r"/my-record/discharge/",
        r"/my-record/corrections/",
        r"/my-record/corrections/ask/",
        r"/complaints/mine/",
        r"/complaints/new/",
        r"/password/",
    ],
    "dana": [
        r"/my-record/discharge/",
        r"/discharges/\d+/summary/",
        r"/my-record/questionnaires/",
        r"/my-record/messages/\d+/",
    ],
}

# Measured in the page: how wide it is, every control shorter than a thumb, every crisis
# number that is not a link, and the smallest chart label as drawn.
MEASURE = """(touch) => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const name = (el) => {
    const words = (el.innerText || el.value || el.name || "").trim().slice(0, 40);
    return `${el.tagName.toLowerCase()} "${words}"`;
  };
  const short = [];
  const controls = "header.site a, header.site button, main a.button, main button, main select, "
    + "main textarea, main summary, main a[href^='tel:'], main a[href^='sms:'], "
    + "main input:not([type=hidden]):not([type=radio]):not([type=checkbox])";
  for (const el of document.querySelectorAll(controls)) {
    if (visible(el) && el.getBoundingClientRect().height < touch)
      short.push(`${name(el)}: ${Math.round(el.getBoundingClientRect().height)} px`);
  }
  // A radio button or a tick box is hit through its label.
  for (const el of document.querySelectorAll("main input[type=radio], main input[type=checkbox]")) {
    if (!visible(el)) continue;
    const label = el.closest("label") || document.querySelector(`label[for="${el.id}"]`);
    const h = label ? label.getBoundingClientRect().height : el.getBoundingClientRect().height;
    if (h < touch) short.push(`the label of ${name(el)} ${el.value}: ${Math.round(h)} px`);
  }
  const dialled = new Set([...document.querySelectorAll("a[href^='tel:'], a[href^='sms:']")]
    .map((a) => a.getAttribute("href").replace(/^(tel|sms):/, "")));
  const text = document.body.innerText;
  const numbers = [...text.matchAll(/\\b(?:call|dial|text)\\s+(\\d{3,})/gi)].map((m) => m[1]);
  let smallest = null;
  for (const svg of document.querySelectorAll("main svg[viewBox]")) {
    if (!visible(svg)) continue;
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const t of svg.querySelectorAll("text")) {
      const px = parseFloat(getComputedStyle(t).fontSize) * scale;
      smallest = smallest === null ? px : Math.min(smallest, px);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    short,
    numbers,
    undialled: numbers.filter((n) => !dialled.has(n)),
    telLinks: [...document.querySelectorAll("a[href^='tel:']")].length,
    smallestChartText: smallest,
  };
}"""

OPEN_FOLDS = "() => document.querySelectorAll('main details').forEach((d) => { d.open = true; })"


def portal_pages(page, url):
    """Every portal page a resident reaches from the menu, by following links, in order; and
    the page to change their password (no link leads there: a first log-in is sent to it)."""
    found = ["/my-record/"]
    page.goto(f"{url}/my-record/")
    found += [h for h in page.eval_on_selector_all("header.site nav a", LINKS) if h not in found]
    found.append("/password/")
    for path in found:  # grows as it goes
        page.goto(f"{url}{path}")
        for href in page.eval_on_selector_all("main a[href]", LINKS):
            if PORTAL.match(href) and href not in found:
                found.append(href)
        assert len(found) < 120, "the portal's links do not end"
    return found


LINKS = "els => els.map(a => a.getAttribute('href').split('#')[0].split('?')[0])"


def slug(path):
    return path.strip("/").replace("/", "-") or "home"


@pytest.mark.parametrize("resident", ["walter", "dana"])
def test_every_portal_page_fits_a_phone(page, log_in, shoot, center, resident):
    url, _ = center
    log_in(page, resident)
    page.get_by_role("heading", name=re.compile("Your record")).wait_for()
    pages = portal_pages(page, url)
    for wanted in MUST_REACH[resident]:
        assert any(re.fullmatch(wanted, p) for p in pages), f"{wanted} not reached from {pages}"

    problems, crisis_pages, charts = [], 0, 0
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for path in pages:
            response = page.goto(f"{url}{path}")
            assert response.status == 200, f"{path}: {response.status}"
            assert urlsplit(page.url).path == path, f"{path} went to {page.url}"
            for folds in ("closed", "open"):
                if folds == "open":
                    page.evaluate(OPEN_FOLDS)
                m = page.evaluate(MEASURE, TOUCH)
                where = f"{path} at {width} px, folds {folds}"
                if m["scrollWidth"] > m["innerWidth"]:
                    problems.append(f"{where}: {m['scrollWidth']} px wide")
                problems += [f"{where}: {s}" for s in m["short"]]
                problems += [f"{where}: {n} is not a link" for n in m["undialled"]]
                small = m["smallestChartText"]
                if small is not None:
                    charts += 1
                    if small < SMALLEST_CHART_TEXT:
                        problems.append(f"{where}: chart labels drawn at {small:.1f} px")
            crisis_pages += bool(m["telLinks"])
            shoot(f"portal-phone-{resident}-{width}-{slug(path)}")
    assert not problems, "\n".join(problems)
    # What the measures above checked is really there (a test that finds nothing proves nothing).
    assert crisis_pages >= len(WIDTHS) and charts >= len(WIDTHS)


@pytest.mark.parametrize("kind", ["details", "note"])
def test_the_correction_form_fits_a_phone(page, log_in, shoot, center, kind):
    """The crawl above reads links without their query: the form for one entry (reached by its
    "Ask for a correction" link) is measured here, at each width, with what it points at."""
    url, _ = center
    log_in(page, "walter")
    page.get_by_role("heading", name=re.compile("Your record")).wait_for()
    source = "/my-record/" if kind == "details" else "/my-record/notes/"
    page.goto(f"{url}{source}")
    href = page.get_by_role("link", name="Ask for a correction").first.get_attribute("href")
    assert f"kind={kind}" in href
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        assert page.goto(f"{url}{href}").status == 200
        m = page.evaluate(MEASURE, TOUCH)
        if m["scrollWidth"] > m["innerWidth"]:
            problems.append(f"{href} at {width} px: {m['scrollWidth']} px wide")
        problems += [f"{href} at {width} px: {s}" for s in m["short"]]
        shoot(f"portal-phone-walter-{width}-correction-form-{kind}")
    assert not problems, "\n".join(problems)


def test_a_long_unbroken_word_does_not_widen_the_page(page, log_in, shoot):
    """A resident pastes a link with no spaces into a report: it wraps inside the screen."""
    word = "https://example.org/" + "x" * 180
    log_in(page, "daniel")
    page.get_by_role("heading", name=re.compile("Your record")).wait_for()
    page.set_viewport_size({"width": 360, "height": 800})
    page.get_by_role("link", name="Side effects").first.click()
    page.get_by_label("What happened to you").select_option(index=1)
    page.get_by_label("Tell us in your own words").fill(f"It started after this: {word}")
    page.get_by_label("When it began").fill(dt.date.today().isoformat())
    page.get_by_label("How serious").select_option(index=1)
    page.get_by_role("button", name="Send the report").click()
    report = page.get_by_text(word)
    report.wait_for()
    shoot("portal-phone-long-word")
    box = report.bounding_box()
    assert box["x"] + box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
