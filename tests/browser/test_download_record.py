"""Issue 16, "Download my record", in the browser: Walter, on his phone, downloads his record from
/my-record/ as a PDF and as a data file, and then reads both downloads in "who looked at your
record"."""

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_walter_downloads_his_record_on_a_phone(page, log_in, shoot):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "walter")
    page.get_by_role("heading", name=re.compile("Your record")).wait_for()
    section = page.get_by_role("region", name="Download your record")
    section.scroll_into_view_if_needed()
    shoot("download-record-phone")

    with page.expect_download() as download:
        section.get_by_role("link", name="Download as PDF").click()
    pdf = download.value
    assert re.fullmatch(r"my-record-\d{4}-\d{2}-\d{2}\.pdf", pdf.suggested_filename)
    assert Path(pdf.path()).read_bytes().startswith(b"%PDF-")

    with page.expect_download() as download:
        section.get_by_role("link", name="Download as data file").click()
    data = download.value
    assert re.fullmatch(r"my-record-\d{4}-\d{2}-\d{2}\.json", data.suggested_filename)
    bundle = json.loads(Path(data.path()).read_text(encoding="utf-8"))
    assert (bundle["format"], bundle["version"]) == ("homecoming-record", 1)
    assert bundle["resident"]["name"].startswith("Walter")
    assert bundle["notes"] and bundle["questionnaires"]["completed"]

    page.reload()
    who = page.get_by_role("region", name="Who looked at your record")
    who.get_by_text(re.compile("downloaded a copy of your record as a PDF")).wait_for()
    assert who.get_by_text(re.compile(r"as a data file \(JSON\)")).is_visible()
    # The page still fits the phone with the two buttons on it.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot("download-record-who-looked")
