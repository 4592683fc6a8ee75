"""The discharge pages: from the chart through the signatures to the summary and its PDF; the
resident's acknowledgement and summary in the portal; and who is refused."""

import pytest
from django.utils import timezone

from homecoming.discharge.models import DischargePlan, PlanStatus
from homecoming.ledger.models import Entry
from homecoming.residents.models import StayStatus
from tests.conftest import PASSWORD
from tests.consents.helpers import portal_login


def form(**overrides):
    data = {
        "disposition": "home",
        "disposition_other": "",
        "planned_on": timezone.localdate().isoformat(),
        "plan": "Home to his sister's; weekly outpatient therapy.",
        "contacts": "Center (312) 555-0100; crisis line 988, press 1.",
        "follow_up_days": "",
    }
    return data | overrides


def test_a_discharge_from_the_chart_to_the_pdf(resident, caseworker, clinician, order, client_for):
    cw, cl = client_for(caseworker), client_for(clinician)
    chart = cw.get(f"/residents/{resident.pk}/").content.decode()
    assert f"/residents/{resident.pk}/discharge/" in chart
    page = cw.get(f"/residents/{resident.pk}/discharge/")
    assert "Write a discharge plan" in page.content.decode()
    bad = cw.post(f"/residents/{resident.pk}/discharge/new/", form(plan="", disposition="other"))
    assert bad.status_code == 400
    assert (
        "Write the plan: where" in bad.content.decode()
        and "Say what the other" in bad.content.decode()
    )
    response = cw.post(f"/residents/{resident.pk}/discharge/new/", form(), follow=True)
    body = response.content.decode()
    assert "The discharge plan is written" in body
    assert "the primary caseworker&#x27;s signature" in body or "caseworker's signature" in body
    plan = DischargePlan.objects.get()
    wrong = cw.post(f"/discharges/{plan.pk}/sign/", {"secret": "not the password at all"})
    assert wrong.status_code == 400 and "not your password" in wrong.content.decode()
    done = cw.post(f"/discharges/{plan.pk}/sign/", {"secret": PASSWORD}, follow=True)
    assert "Your signature is on the discharge plan" in done.content.decode()
    early = cw.post(f"/discharges/{plan.pk}/discharge/")
    assert early.status_code == 400 and "clinician&#x27;s signature" in early.content.decode()
    from homecoming.safety import services as safety

    safety.report(
        clinician,
        resident,
        safety.Report(term="insomnia", onset=timezone.localdate(), seriousness="not_serious"),
    )
    cl.post(f"/discharges/{plan.pk}/sign/", {"secret": PASSWORD})
    done = cw.post(f"/discharges/{plan.pk}/discharge/", follow=True).content.decode()
    assert "Discharged: the stay has ended" in done
    assert resident.stays.get().status == StayStatus.DISCHARGED
    before = Entry.objects.count()
    summary = cw.get(f"/discharges/{plan.pk}/summary/").content.decode()
    assert "Discharge summary" in summary and "Sertraline" in summary and "988" in summary
    assert "Insomnia" in summary and "Not serious" in summary
    assert Entry.objects.filter(action="discharge.summary", resident_id=resident.pk).count() == 1
    pdf = cw.get(f"/discharges/{plan.pk}/summary.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert Entry.objects.filter(action="discharge.summary").count() == 2
    assert Entry.objects.count() > before


def test_the_resident_acknowledges_return_to_duty_in_the_portal_and_keeps_access(
    resident, caseworker, clinician, make_user, client_for
):
    from homecoming.discharge import services

    from .conftest import plan_fields

    resident = portal_login(make_user, resident)
    plan = services.write_plan(
        caseworker, resident.stays.get(), **plan_fields(disposition="return_to_duty")
    )
    services.sign(caseworker, plan, PASSWORD)
    services.sign(clinician, plan, PASSWORD)
    services.assess_fitness(clinician, plan, "Fit for duty: sleeping well, PCL-5 below 33.")
    me = client_for(resident.user)
    page = me.get("/my-record/discharge/").content.decode()
    assert "Acknowledge your return to duty" in page
    wrong = me.post(f"/my-record/discharge/{plan.pk}/acknowledge/", {"secret": "nope nope nope"})
    assert wrong.status_code == 400
    me.post(f"/my-record/discharge/{plan.pk}/acknowledge/", {"secret": PASSWORD})
    services.carry_out(caseworker, plan)
    # A former resident: the portal, their record, who looked, and the summary stay open.
    record = me.get("/my-record/")
    assert record.status_code == 200
    assert "who-looked" in record.content.decode()
    left_on = plan.planned_on.strftime("%b %-d, %Y")
    assert f"You left the center on {left_on}." in record.content.decode()
    assert "Your discharge summary" in me.get("/my-record/discharge/").content.decode()
    pdf = me.get(f"/discharges/{plan.pk}/summary.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # And a fresh log-in still works.
    from django.test import Client

    fresh = Client()
    fresh.post("/login/", {"username": resident.user.username, "password": PASSWORD})
    assert fresh.get("/my-record/").status_code == 200


@pytest.mark.parametrize(
    "who", ["contractor", "oversight", "investigator", "sysadmin", "caseworker_other"]
)
def test_outsiders_are_refused_every_discharge_page(resident, plan, staff, client_for, who):
    client = client_for(staff[who])
    for method, path in (
        ("get", f"/residents/{resident.pk}/discharge/"),
        ("get", f"/residents/{resident.pk}/discharge/new/"),
        ("post", f"/residents/{resident.pk}/discharge/against-advice/"),
        ("post", f"/discharges/{plan.pk}/sign/"),
        ("post", f"/discharges/{plan.pk}/discharge/"),
        ("post", f"/discharges/{plan.pk}/cancel/"),
        ("get", f"/discharges/{plan.pk}/summary/"),
        ("get", f"/discharges/{plan.pk}/summary.pdf"),
    ):
        response = getattr(client, method)(path, {"secret": PASSWORD, "reason": "x"})
        assert response.status_code == 403, (who, path, response.status_code)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.caseworker_signed_at is None


def test_another_resident_is_refused(resident, plan, admit, beds, make_user, client_for):
    other = portal_login(make_user, admit(bed=beds[1], given_name="Nadia"))
    client = client_for(other.user)
    assert client.get(f"/discharges/{plan.pk}/summary/").status_code == 403
    assert (
        client.post(
            f"/my-record/discharge/{plan.pk}/acknowledge/", {"secret": PASSWORD}
        ).status_code
        == 403
    )
    assert client.get(f"/residents/{resident.pk}/discharge/").status_code == 403


def test_left_against_advice_from_the_page(resident, clinician, client_for):
    client = client_for(clinician)
    response = client.post(
        f"/residents/{resident.pk}/discharge/against-advice/",
        {"planned_on": timezone.localdate().isoformat(), "plan": "Left at night.", "contacts": ""},
        follow=True,
    )
    assert "left against advice and is discharged" in response.content.decode()
    assert DischargePlan.objects.get().status == PlanStatus.DISCHARGED
    # The signature form is offered after the fact.
    assert "Sign as clinician" in response.content.decode()


def test_a_former_residents_team_reads_the_chart_but_no_longer_orders_or_plans(
    resident, clinician, caseworker, order, client_for, api_for
):
    from homecoming.discharge import services

    services.record_against_advice(clinician, resident.stays.get(), plan="Left at night.")
    client = client_for(clinician)
    chart = client.get(f"/residents/{resident.pk}/")
    assert chart.status_code == 200
    assert client.get(f"/residents/{resident.pk}/discharge/").status_code == 200
    assert client.get(f"/residents/{resident.pk}/discharge/new/").status_code == 403
    stopped = api_for(clinician).post(
        f"/api/v1/orders/{order.pk}/discontinue",
        {"reason": "Trying after discharge."},
        content_type="application/json",
    )
    assert stopped.status_code == 403
    ordered = api_for(clinician).post(
        f"/api/v1/residents/{resident.pk}/orders",
        {
            "protocol_id": order.protocol_id,
            "dose_amount": "50",
            "dose_unit": "mg",
            "route": "oral",
            "frequency": "as_needed",
        },
        content_type="application/json",
    )
    assert ordered.status_code == 403 and "follow-up only" in ordered.json()["detail"]
    assert client_for(caseworker).get(f"/residents/{resident.pk}/edit/").status_code == 403


def test_the_pdf_renderer_fetches_nothing_from_the_network():
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})  # what discharge/pdf.py gives WeasyPrint
    for url in ("http://example.com/x.png", "https://example.com/a.css", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
