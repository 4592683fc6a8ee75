"""In a real browser: someone with no account complains through the public form and follows it
up with the receipt; the program director acknowledges it and the complainant reads the reply;
the investigator downloads the evidence bundle of the demo's investigation and it verifies
offline with `homecoming ledger verify`.

The demo center's oversight story gives the investigator a grant over the supervisor's and the
prescriber's actions (and the records of the residents on the trial)."""

import re

import pytest

pytestmark = pytest.mark.browser


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Username").wait_for()


def test_a_public_complaint_is_followed_up_and_an_investigation_exported(
    browser, page, center, log_in, shoot, tmp_path
):
    url, homecoming = center

    # Anyone, with no account.
    page.goto(f"{url}/complain/")
    page.get_by_label("What is it about, in a few words").fill("My father was discharged and lost")
    page.get_by_label("What happened").fill(
        "He left on Friday and nobody told us where he went. He has no phone."
    )
    page.get_by_label("Who you are to the center or a resident").fill("his daughter")
    page.get_by_role("button", name="Send the complaint").click()
    page.get_by_role("heading", name="Your complaint is received").wait_for()
    code = page.locator("#receipt-code").inner_text()
    passphrase = page.locator("#receipt-passphrase").inner_text()
    assert re.fullmatch(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    shoot("complaint-receipt")

    # Later, from another browser: the receipt opens it.
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    later = other.new_page()
    later.goto(f"{url}/complain/follow-up/")
    later.get_by_label("Receipt code").fill(code.lower())
    later.get_by_label("Passphrase").fill(passphrase)
    later.get_by_role("button", name="Open").click()
    later.get_by_role("heading", name=re.compile(f"Your complaint {code}")).wait_for()
    assert "Received" in later.content()

    # The program director acknowledges it, with a word for the complainant.
    log_in(page, "director")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Complaints").click()
    page.get_by_role("link", name=code).click()
    page.get_by_role("heading", name=re.compile(f"Complaint {code}")).wait_for()
    assert "anonymous, his daughter; public form" in page.content()
    move = page.get_by_role("region", name="Move it on")
    move.get_by_label("New status").select_option("acknowledged")
    move.get_by_label("Note to the complainant").fill("We have your complaint and are on it.")
    move.get_by_role("button", name="Save").click()
    page.get_by_text("Now acknowledged.").wait_for()
    shoot("complaint-handled")
    log_out(page)

    later.reload()
    assert "Acknowledged" in later.content()
    assert "We have your complaint and are on it." in later.content()
    other.close()

    # The investigator downloads the demo investigation's evidence and checks it offline.
    log_in(page, "investigator")
    page.get_by_role("link", name=re.compile("INV-")).first.click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the evidence bundle (.zip)").click()
    saved = tmp_path / "evidence.zip"
    download.value.save_as(saved)
    shoot("investigation-evidence")
    said = homecoming("ledger", "verify", str(saved))
    assert said.startswith("OK: all") and "in scope:" in said
