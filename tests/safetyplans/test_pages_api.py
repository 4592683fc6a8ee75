"""The pages and the API: the chart's flag and link, the care team's plan page, the resident's
own page with numbers to tap, and the JSON endpoints."""

import pytest
from django.urls import reverse

from homecoming.core import dates
from homecoming.ledger.models import Entry, Outcome
from homecoming.measures import services as measures
from homecoming.safetyplans import services
from homecoming.safetyplans.models import RiskFlag, SafetyPlan

from ..conftest import PASSWORD, logged_in
from ..measures.answers import phq9

pytestmark = pytest.mark.django_db


def test_the_chart_shows_the_active_flag_and_links_the_plan(resident, staff):
    chart = reverse("residents:chart", args=[resident.pk])
    page = logged_in(staff["caseworker"]).get(chart).content.decode()
    assert "Risk flag" not in page and reverse("safetyplans:plan", args=[resident.pk]) in page
    measures.record(staff["caseworker"], resident, "phq9", phq9(item9=1))
    page = logged_in(staff["caseworker"]).get(chart).content.decode()
    assert "Risk flag, raised" in page


def test_home_lists_the_safety_plans_due(resident, staff):
    measures.record(staff["caseworker"], resident, "phq9", phq9(item9=1))
    page = logged_in(staff["caseworker"]).get(reverse("core:home")).content.decode()
    assert "Safety plans due" in page and resident.display_name in page
    page = logged_in(staff["caseworker_other"]).get(reverse("core:home")).content.decode()
    assert "Safety plans due" not in page


def test_the_page_signs_a_version_and_refuses_a_wrong_secret(resident, staff, sections):
    client = logged_in(staff["caseworker"])
    url = reverse("safetyplans:plan", args=[resident.pk])
    refused = client.post(url, sections | {"coping": "", "secret": "wrong"})
    assert refused.status_code == 400
    assert sections["warning_signs"] in refused.content.decode()  # what was typed stays
    assert not SafetyPlan.objects.exists()
    assert client.post(url, sections | {"secret": PASSWORD}).status_code == 302
    page = client.get(url).content.decode()
    assert "version 1" in page and 'href="tel:988"' in page


def test_a_caseworker_is_offered_no_clearing_and_a_post_is_refused(resident, staff):
    measures.record(staff["caseworker"], resident, "phq9", phq9(item9=1))
    flag = RiskFlag.objects.get()
    client = logged_in(staff["caseworker"])
    assert (
        "Clear the flag"
        not in client.get(reverse("safetyplans:plan", args=[resident.pk])).content.decode()
    )
    answer = client.post(
        reverse("safetyplans:clear_flag", args=[resident.pk, flag.pk]), {"reason": "fine"}
    )
    assert answer.status_code == 403 and RiskFlag.objects.get().active
    clinician = logged_in(staff["clinician"])
    url = reverse("safetyplans:clear_flag", args=[resident.pk, flag.pk])
    assert clinician.post(url, {"reason": ""}).status_code == 400
    assert clinician.post(url, {"reason": "Reviewed with him."}).status_code == 302
    assert not RiskFlag.objects.get().active


def test_the_resident_reads_their_plan_with_numbers_to_tap(resident, staff, portal_user, sections):
    services.sign(staff["caseworker"], resident, sections, PASSWORD)
    client = logged_in(portal_user)
    page = client.get(reverse("safetyplans:mine")).content.decode()
    assert 'href="sms:838255"' in page and 'href="tel:+13125550147"' in page
    # The day it was signed, in the center's date format ("Dec 6, 2026").
    assert f"signed {dates.day(SafetyPlan.objects.get().signed_at)} by" in page
    own_by_staff_address = client.get(reverse("safetyplans:plan", args=[resident.pk]))
    assert own_by_staff_address.url == reverse("safetyplans:mine")


def test_a_resident_cannot_open_anothers_plan(portal_user, other_resident):
    answer = logged_in(portal_user).get(reverse("safetyplans:plan", args=[other_resident.pk]))
    assert answer.status_code == 403


def test_the_api(resident, staff, api_for, sections):
    caseworker, clinician = api_for(staff["caseworker"]), api_for(staff["clinician"])
    url = f"/api/v1/residents/{resident.pk}/safety-plan"
    assert caseworker.get(url).json()["current"] is None
    wrong = caseworker.post(url, sections | {"secret": "wrong"}, content_type="application/json")
    assert wrong.status_code == 400 and "secret" in wrong.json()["errors"]
    made = caseworker.post(url, sections | {"secret": PASSWORD}, content_type="application/json")
    assert made.status_code == 201 and made.json()["number"] == 1
    assert caseworker.get(url).json()["versions"] == [1]
    measures.record(staff["caseworker"], resident, "phq9", phq9(item9=2))
    assert caseworker.get(url).json()["review_due"] is not None
    [flag] = caseworker.get(f"/api/v1/residents/{resident.pk}/risk-flags").json()["items"]
    clear = f"/api/v1/risk-flags/{flag['id']}/clear"
    body = {"reason": "Seen; plan reviewed."}
    assert caseworker.post(clear, body, content_type="application/json").status_code == 403
    cleared = clinician.post(clear, body, content_type="application/json")
    assert cleared.status_code == 200 and cleared.json()["active"] is False
    outsider = api_for(staff["caseworker_other"])
    assert outsider.get(url).status_code == 403
    assert Entry.objects.filter(
        actor=staff["caseworker_other"], outcome=Outcome.DENIED, resident_id=resident.pk
    ).exists()
