"""Follow-up in the browser: a former resident is discharged (as the discharge service does),
the supervisor sends a check-in link from the contact page, and the former resident completes
the check-in through it on a phone (390 px wide), without logging in."""

import pytest

pytestmark = pytest.mark.browser

# Discharges one demo resident in residence (not the story's Walter Cruz, whom other flows use,
# nor one whose discharge plan the demo has begun) with a portal account and e-mail; prints the
# first follow-up contact's number.
DISCHARGE = """
from django.db import transaction
from django.utils import timezone
from homecoming.accounts.models import User
from homecoming.discharge.models import DischargePlan
from homecoming.followup import schedule
from homecoming.residents import services
from homecoming.residents.models import Resident, StayStatus
colin = User.objects.get(username="colin")
resident = Resident.objects.filter(
    stays__status=StayStatus.IN_RESIDENCE, user__isnull=True
).exclude(family_name="Cruz").exclude(discharges__status="draft").order_by("id").first()
account = services.grant_portal_access(
    colin, resident, "checkin-person", "a long enough passphrase", must_change_password=False
)
account.email = "former.resident@example.org"
account.save(update_fields=["email"])
resident.refresh_from_db()
now, today = timezone.now(), timezone.localdate()
with transaction.atomic():
    stay = resident.stays.get(status=StayStatus.IN_RESIDENCE)
    stay.bed_assignments.filter(released_at__isnull=True).update(released_at=now)
    stay.status, stay.discharged_on = StayStatus.DISCHARGED, today
    stay.save(update_fields=["status", "discharged_on"])
    plan = DischargePlan.objects.create(
        stay=stay, resident=resident, status="discharged", disposition="home",
        planned_on=today, plan="Home.", written_by=colin, written_at=now,
        discharged_at=now, discharged_by=colin,
    )
    contacts = schedule.start(plan, actor=colin, purpose="follow_up", discharged_on=today)
print(contacts[0].pk)
"""


def test_a_former_resident_checks_in_through_the_link_on_a_phone(
    center, page, browser, log_in, shoot
):
    url, homecoming = center
    contact_id = homecoming("manage", "shell", "-c", DISCHARGE).strip().splitlines()[-1]

    log_in(page, "colin")
    page.goto(f"{url}/follow-ups/{contact_id}/")
    page.get_by_role("button", name="Send a check-in link").click()
    link = page.locator("#check-in-url").inner_text().strip()
    assert "/check-in/" in link
    shoot("follow-up-link-sent")
    link = url + link[link.index("/check-in/") :]

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        former = phone.new_page()
        former.set_default_timeout(15_000)
        former.goto(link)
        former.get_by_role("heading", name="How are you doing?").wait_for()
        for n in range(1, 21):
            former.get_by_label(f"PCL-5 Item {n}: A little bit", exact=True).check()
        for n in range(1, 10):
            former.get_by_label(f"PHQ-9 Item {n}: Not at all", exact=True).check()
        former.get_by_label("Stable housing").check()
        former.get_by_label("Working", exact=True).check()
        former.get_by_label("I would like someone from the center to call me").check()
        former.get_by_label("Anything you want your care team to know").fill("Sleeping better.")
        # Nothing wider than the phone: no sideways scrolling.
        width = former.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the check-in page is {width} px wide on a 390 px phone"
        former.get_by_role("button", name="Send my check-in").click()
        former.get_by_role("heading", name="Thank you").wait_for()
        assert "You asked for a call" in former.inner_text("main")
        former.screenshot(path="test-artifacts/follow-up-check-in-phone.png", full_page=True)
        # The link worked once.
        again = former.goto(link)
        assert again.status == 410
    finally:
        phone.close()

    page.goto(f"{url}/follow-ups/{contact_id}/")
    text = page.inner_text("main")
    assert "Made" in text and "Self check-in" in text
