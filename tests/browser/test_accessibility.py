"""Accessibility (issue 16): axe-core checks every page each kind of person reaches, as they
reach it, and finds nothing serious or critical.

Each demo role logs in and follows the links from its home page, breadth first: GET only, the
same site only, no log-out, no downloads. Pages that differ only in an id (two residents'
charts) are one kind of page: at most two of each kind are checked, and at most PAGES_PER_ROLE
pages in all, so a role that can reach every chart in the center is still measured in a minute.
Folded sections are opened first, so what they hold is checked too. The resident is checked
again on a 390 px phone, and someone not logged in on the public pages.

axe-core is the npm package pinned in tests/browser/package.json (package-lock.json holds its
checksum); `make chromium` installs it into tests/browser/node_modules. Nothing downloads while
the tests run. The pages checked and what axe found are written to
test-artifacts/accessibility-<role>.txt."""

import re
from collections import Counter, deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import ARTIFACTS
from tests.support.databases import sqlite_run_only

LOOKS = "what a page looks like does not depend on the database"
pytestmark = [pytest.mark.browser, sqlite_run_only(LOOKS)]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
PAGES_PER_ROLE = 60
SAME_KIND = 1  # pages checked per kind (a path with its ids taken out)
FAILING = ("serious", "critical")

# (who logs in, what they are, screen width). Each staff role once; the resident on a desk and
# on a phone; nobody on the pages open to the public.
ROLES = [
    ("heidi", "caseworker", 1280),
    ("colin", "supervisor", 1280),
    ("nurse", "clinician", 1280),
    ("prescriber", "prescriber", 1280),
    ("director", "program director", 1280),
    ("carrasco", "oversight", 1280),
    ("investigator", "investigator", 1280),
    ("geist", "contractor", 1280),
    ("sysadmin", "system administrator", 1280),
    ("walter", "resident", 1280),
    ("walter", "resident", 390),
    (None, "public", 1280),
]
PUBLIC_STARTS = ("/login/", "/complain/", "/complain/follow-up/")

# Not pages to check: leaving, the API (JSON), and files a link downloads.
NOT_A_PAGE = re.compile(
    r"^/(logout/|api/|static/)|\.(pdf|csv|ndjson|ics|vkey|txt|json)$|/audio$|/attachments/"
)

RUN_AXE = """async () => {
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map((n) => n.target.flat().join(" ")),
  }));
}"""

LINKS = """els => els.filter(a => !a.hasAttribute("download")).map(a => a.getAttribute("href"))"""


def kind(address: str) -> str:
    """What makes pages the same page: the path with its ids out, and the query's names."""
    parts = urlsplit(address)
    names = sorted(q.split("=")[0] for q in parts.query.split("&") if q)
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(names) if names else "")


@pytest.fixture
def axe_page(browser, request):
    """A page with axe-core loaded into every document it opens.

    An init script is added through the DevTools protocol, not as a <script> in the page, so the
    production Content-Security-Policy stays in force (no bypass_csp): what axe measures is the
    page as people get it."""
    if not AXE.exists():
        pytest.fail(
            f"{AXE} is missing: run `make chromium` (it runs `npm ci --prefix tests/browser`)."
        )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def crawl(page, url, starts):
    """Check each page reached from `starts`, breadth first: the addresses checked,
    (address, violation) for what axe found, and the kinds of page left unchecked by the cap."""
    queue, seen, kinds = deque(starts), set(starts), Counter()
    checked, found, landed_on = [], [], set()
    while queue and len(checked) < PAGES_PER_ROLE:
        path = queue.popleft()
        if kinds[kind(path)] >= SAME_KIND:
            continue
        try:
            response = page.goto(f"{url}{path}")
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue  # a file, not a page
            raise
        assert response.status < 500, f"{path}: {response.status}"
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        landed = urlsplit(page.url)
        here = landed.path + (f"?{landed.query}" if landed.query else "")
        if here in landed_on:
            continue  # a redirect to a page already checked
        landed_on.add(here)
        kinds[kind(here)] += 1
        checked.append(here if response.status == 200 else f"{here} ({response.status})")
        found += [(here, v) for v in page.evaluate(RUN_AXE)]
        for href in page.eval_on_selector_all("a[href]", LINKS):
            target = urlsplit(urljoin(page.url, href))
            if target.netloc != landed.netloc or target.scheme not in ("http", "https"):
                continue
            address = target.path + (f"?{target.query}" if target.query else "")
            if address not in seen and not NOT_A_PAGE.search(target.path):
                seen.add(address)
                queue.append(address)
    left = {kind(path) for path in queue if kinds[kind(path)] < SAME_KIND}
    return checked, found, sorted(left)


@pytest.mark.parametrize(("username", "role", "width"), ROLES, ids=lambda v: str(v))
def test_no_serious_accessibility_problem_on_any_page(
    axe_page, log_in, center, username, role, width
):
    page, (url, _) = axe_page, center
    page.set_viewport_size({"width": width, "height": 900})
    if username is None:
        starts = list(PUBLIC_STARTS)
    else:
        log_in(page, username)
        page.wait_for_url(lambda address: "/login/" not in address)
        starts = ["/", "/password/"]  # no link leads there: a first log-in is sent to it
    checked, found, left = crawl(page, url, starts)

    label = f"{username or 'public'}-{width}"
    ARTIFACTS.mkdir(exist_ok=True)
    lines = [f"{role} ({label}): {len(checked)} pages checked", *checked]
    lines += ["", f"Left unchecked at {PAGES_PER_ROLE} pages: {len(left)} kinds", *left]
    lines += ["", "axe found:"]
    lines += [f"{v['impact']:<9} {v['id']} on {path}: {v['targets']}" for path, v in found]
    (ARTIFACTS / f"accessibility-{label}.txt").write_text("\n".join(lines) + "\n")

    # A crawl that stops at the home page proves nothing.
    assert len(checked) >= (3 if username is None else 5), checked
    failing = [
        f"{v['impact']} {v['id']} ({v['help']}; {v['count']} elements) on {url}{path}: "
        + "; ".join(v["targets"])
        for path, v in found
        if v["impact"] in FAILING
    ]
    assert not failing, f"{role} at {width} px, {len(checked)} pages:\n" + "\n".join(failing)
