"""Issue 16, "Download my record", in the browser: Walter, on his phone, downloads his record from
/my-record/ as a PDF, as a data file and as FHIR for another provider (issue 17), and then reads
the downloads in "who looked at your record"."""

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

    with page.expect_download() as download:
        section.get_by_role("link", name="Download for another provider (FHIR)").click()
    fhir = download.value
    assert re.fullmatch(r"my-record-\d{4}-\d{2}-\d{2}\.fhir\.json", fhir.suggested_filename)
    collection = json.loads(Path(fhir.path()).read_text(encoding="utf-8"))
    assert collection["resourceType"] == "Bundle" and collection["type"] == "collection"
    first = collection["entry"][0]["resource"]
    assert first["resourceType"] == "Patient" and first["name"][0]["given"] == ["Walter"]

    page.reload()
    who = page.get_by_role("region", name="Who looked at your record")
    who.get_by_text(re.compile("downloaded a copy of your record as a PDF")).wait_for()
    assert who.get_by_text(re.compile(r"as a data file \(JSON\)")).is_visible()
    assert who.get_by_text(re.compile("as a FHIR file, for another provider")).is_visible()
    # The page still fits the phone with the two buttons on it.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot("download-record-who-looked")
