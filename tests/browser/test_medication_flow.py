"""In a real browser: the nurse on the round gives Walter a dose, the next one inside the minimum
interval is stopped with the reason shown, and once Walter withdraws his consent to a medicine,
its next dose is stopped too.

The demo center gives Walter Cruz two as-needed orders, Ibuprofen 400 mg and Melatonin 3 mg
(each six hours apart at least), each under its own consent, and no dose of either in the last
day. The nurse is not on his care team: she reads and gives his medications on the round."""

import re

import pytest

pytestmark = pytest.mark.browser


def walters_round(page):
    """Walter's part of the round: his section, named by its heading."""
    page.get_by_role("link", name="Medication round").click()
    page.get_by_role("heading", name="Medication round").wait_for()
    return page.get_by_role("region", name="Walter Cruz")


def give(page, drug, amount):
    """Open the dose page for Walter's `drug` from the round and record `amount` as ordered."""
    walters_round(page).get_by_role("link", name=f"Give {drug} to Walter Cruz").click()
    page.get_by_role("heading", name=f"{drug} for Walter Cruz").wait_for()
    assert page.get_by_label("Dose", exact=True).input_value() == amount
    assert page.get_by_label("Unit", exact=True).input_value() == "mg"
    page.get_by_role("button", name="Record the dose given").click()


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Username").wait_for()


def test_a_dose_given_a_second_stopped_and_a_revoked_consent_stops_the_next(page, log_in, shoot):
    # The nurse gives Walter his ibuprofen from the round.
    log_in(page, "nurse")
    walter = walters_round(page)
    ibuprofen = walter.get_by_role("row").filter(has_text="Ibuprofen")
    assert "No dose in the last 24 hours" in ibuprofen.inner_text()
    melatonin_href = walter.get_by_role("link", name="Give Melatonin to Walter Cruz").get_attribute(
        "href"
    )
    shoot("medication-round")
    give(page, "Ibuprofen", "400")
    page.get_by_text(
        re.compile(r"Ibuprofen 400 mg for Walter Cruz, given at \d\d:\d\d, is")
    ).wait_for()
    ibuprofen = (
        page.get_by_role("region", name="Walter Cruz")
        .get_by_role("row")
        .filter(has_text="Ibuprofen")
    )
    assert "Last dose 400 mg" in ibuprofen.inner_text()
    assert "next dose allowed from" in ibuprofen.inner_text()
    shoot("medication-round-dose-given")

    # A second dose straight after: stopped, with the interval named, and the input kept.
    give(page, "Ibuprofen", "400")
    alert = page.locator("#stopped")
    alert.wait_for()
    assert alert.get_attribute("role") == "alert"
    assert "doses must be at least 6 hours apart" in alert.inner_text()
    assert page.get_by_label("Dose", exact=True).input_value() == "400"
    assert page.get_by_role("group", name="Override the minimum interval").is_visible()
    shoot("medication-dose-stopped-interval")

    # Walter's medication record keeps the dose and the stopped attempt.
    page.get_by_role("link", name="← Back").click()
    page.get_by_role("region", name="Walter Cruz").get_by_role(
        "link", name="Walter Cruz", exact=True
    ).click()
    page.get_by_role("heading", name="Medications: Walter Cruz").wait_for()
    stops = page.get_by_role("region", name=re.compile("Stopped doses"))
    assert "doses must be at least 6 hours apart" in stops.inner_text()
    shoot("medication-resident-record")
    log_out(page)

    # Walter withdraws his consent to melatonin in the portal.
    log_in(page, "walter")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Consents").click()
    page.get_by_role("heading", name="Your consents").wait_for()
    agreed = page.get_by_role("region", name="What you have agreed to")
    melatonin = agreed.get_by_role("row").filter(has_text="Melatonin")
    melatonin.get_by_text("Withdraw this consent").click()
    melatonin.get_by_role("button", name="Withdraw consent").click()
    page.get_by_role("heading", name="Your consents").wait_for()
    history = page.get_by_role("region", name="History").get_by_role("row")
    assert "revoked" in history.filter(has_text="Melatonin").first.inner_text()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Medications").click()
    page.get_by_role("heading", name="Your medications").wait_for()
    assert "You were given 400 mg." in page.content()
    shoot("medication-my-medications")
    log_out(page)

    # The round now says the consent is withdrawn, and offers no Give for melatonin.
    log_in(page, "nurse")
    walter = walters_round(page)
    melatonin = walter.get_by_role("row").filter(has_text="Melatonin")
    assert "no active consent: a dose would be stopped" in melatonin.inner_text()
    assert walter.get_by_role("link", name="Give Melatonin to Walter Cruz").count() == 0
    # A nurse who opens the dose page anyway (a bookmark) is warned, and the dose is stopped.
    page.goto(page.url.split("/medications/")[0] + melatonin_href)
    assert "has no active consent to Melatonin" in page.get_by_role("alert").first.inner_text()
    page.get_by_role("button", name="Record the dose given").click()
    alert = page.locator("#stopped")
    alert.wait_for()
    assert "no active consent" in alert.inner_text()
    assert "cannot be overridden" in alert.inner_text()
    shoot("medication-dose-stopped-consent")
