"""In a real browser, from an empty database: `homecoming init`, the director's first log-in
(their own password, their second factor), a room with two beds, a caseworker, and a resident
admitted into one of the beds."""

import base64
import re
import subprocess

import pytest
from django_otp.oath import totp

from tests.browser.conftest import HOMECOMING, serving
from tests.support.databases import isolated_env

pytestmark = pytest.mark.browser


@pytest.fixture
def empty_center(tmp_path):
    """`homecoming init` on a fresh database, then the real server on it."""
    env, drop = isolated_env(tmp_path, database="same")
    init = subprocess.run(
        [
            *HOMECOMING,
            "init",
            "--name",
            "Riverside Homecoming Center",
            "--time-zone",
            "America/Chicago",
            "--operator",
            "Riverside Care Partners",
            "--director-username",
            "dreyes",
            "--director-name",
            "Dana Reyes",
        ],
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert init.returncode == 0, init.stderr
    password = re.search(r"One-time password for dreyes: (\S+)", init.stdout).group(1)
    try:
        with serving(env, tmp_path / "server.log") as url:
            yield url, password, init.stdout
    finally:
        drop()


def test_a_new_center_from_init_to_its_first_resident(empty_center, page, shoot):
    url, password, printed = empty_center
    assert "Next steps" in printed

    # The director's first log-in: the second factor, then a password of their own.
    page.goto(f"{url}/")
    page.get_by_label("Username").fill("dreyes")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Set up your second factor").wait_for()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Six-digit code").fill(f"{totp(base64.b32decode(secret)):06d}")
    page.get_by_role("button", name="Confirm and log in").click()
    page.get_by_role("heading", name="Choose your own password").wait_for()
    page.get_by_label("Old password").fill(password)
    page.get_by_label("New password", exact=True).fill("dana's own long passphrase")
    page.get_by_label("New password confirmation").fill("dana's own long passphrase")
    page.get_by_role("button", name="Change password").click()

    # An empty center.
    page.get_by_role("link", name="Center set-up").click()
    page.get_by_role("heading", name="Center set-up").wait_for()
    assert "America/Chicago" in page.content() and "No rooms yet" in page.content()
    shoot("setup-empty-center")

    page.get_by_role("link", name="New program").click()
    page.get_by_label("Name").fill("Residential readjustment")
    page.get_by_label("Description").fill("Six to eight weeks in residence.")
    page.get_by_role("button", name="Add program").click()

    page.get_by_role("link", name="New room").click()
    page.get_by_label("Name").fill("E101")
    page.get_by_label("Wing").fill("East")
    page.get_by_label("Beds").fill("A B")
    shoot("setup-new-room")
    page.get_by_role("button", name="Add room").click()
    page.get_by_role("heading", name="Center set-up").wait_for()
    assert page.locator('[data-bed="E101-A"]').count() == 1
    assert page.locator('[data-bed="E101-B"]').count() == 1

    # A mistake is named, and nothing is lost.
    page.get_by_role("link", name="New room").click()
    page.get_by_label("Name").fill("e101")
    page.get_by_label("Wing").fill("East")
    page.get_by_role("button", name="Add room").click()
    page.get_by_text("There is already a room called 'e101'.").wait_for()
    page.get_by_role("link", name="Cancel").click()

    # A caseworker, who takes new residents (the care-team default).
    page.get_by_role("link", name="Staff accounts").click()
    page.get_by_role("link", name="New staff account").click()
    page.get_by_label("Username").fill("hlind")
    page.get_by_label("Full name", exact=True).fill("Heidi Lind")
    page.get_by_label("Email").fill("heidi.lind@riverside.example")
    page.get_by_label("Role").select_option("caseworker")
    assert page.get_by_label("Takes new residents").is_checked()
    page.get_by_label("First password").fill("heidi's first long passphrase")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Accounts").wait_for()
    assert "Heidi Lind" in page.content() and "takes new" in page.content()
    shoot("setup-accounts")

    # A resident, admitted into one of the new beds.
    page.get_by_role("link", name="Intake").click()
    page.get_by_label("Given name (legal)").fill("Marcus")
    page.get_by_label("Family name (legal)").fill("Hale")
    page.get_by_label("Date of birth").fill("1988-04-12")
    page.get_by_label("Service branch").select_option("army")
    page.get_by_label("Service start").fill("2007-09-01")
    page.get_by_label("Emergency contact name").fill("Rita Hale")
    page.get_by_label("Emergency contact relationship").fill("mother")
    page.get_by_label("Emergency contact phone").fill("555-0199")
    page.get_by_label("Bed").select_option(label="E101-A (East)")
    page.get_by_label("Program").select_option(label="Residential readjustment")
    page.get_by_label("Primary caseworker").select_option(label="Heidi Lind")
    page.get_by_role("button", name="Admit resident").click()
    page.get_by_role("heading", name=re.compile("Marcus Hale")).wait_for()
    stay = page.locator("#stay-h + dl").inner_text()
    assert "E101-A" in stay and "Residential readjustment" in stay
    assert "Heidi Lind" in page.content()

    # The other bed goes out of service; the board shows both.
    page.get_by_role("link", name="Center set-up").click()
    page.locator('[data-bed="E101-B"]').get_by_role("link", name="take out of service").click()
    page.get_by_label("Reason").fill("Mattress being replaced")
    page.get_by_role("button", name="Take out of service").click()
    page.get_by_role("heading", name="Center set-up").wait_for()
    assert "Mattress being replaced" in page.locator('[data-bed="E101-B"]').inner_text()
    assert "occupied" in page.locator('[data-bed="E101-A"]').inner_text()
    shoot("setup-center-overview")
    page.get_by_role("link", name="Bed board").click()
    # The set-up page has the same beds: read the board only once it is the page shown.
    page.get_by_role("heading", name="Bed board", exact=True).wait_for()
    assert "Marcus Hale" in page.locator('[data-bed="E101-A"]').inner_text()
    assert "out of service" in page.locator('[data-bed="E101-B"]').inner_text()
    shoot("setup-bed-board")
