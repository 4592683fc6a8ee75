"""Reporting adverse events: who may report and read, what a report may suspect, that a report
is final but for its outcome (service and database), and the pages and API that do the same."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from homecoming.access.policy import AccessDenied
from homecoming.ledger.models import Entry
from homecoming.safety import decisions, selectors, services, signals
from homecoming.safety.models import AdverseEvent, Review, Suspect
from tests.consents.helpers import portal_login

from .conftest import report_for


@pytest.fixture
def dosed(ward):
    """Resident 0 given sertraline (their order returned)."""
    return ward.dose(ward.residents[0], "sertraline")


def test_a_report_suspects_only_medicines_given_to_that_resident(ward, dosed, staff):
    r0, r1 = ward.residents[:2]
    event = report_for(staff["supervisor"], r0, "insomnia", [dosed], description="Up at 3 a.m.")
    assert [s.drug for s in event.suspects.all()] == ["Sertraline"]
    assert event.reported_via == "staff" and event.outcome == "unknown"
    entries = Entry.objects.filter(action="safety.report", resident_id=r0.pk)
    assert set(entries.values_list("object_type", flat=True)) == {
        "safety.adverseevent",
        "safety.suspect",
    }
    with pytest.raises(ValidationError) as refused:
        report_for(staff["supervisor"], r1, "insomnia", [dosed])  # someone else's order
    assert "suspect_order_ids" in refused.value.message_dict
    undosed = ward.dose(r1, "mnemosyne")
    other = report_for(staff["supervisor"], r1, "amnesia", [undosed, undosed])
    assert other.suspects.count() == 1  # chosen twice, suspected once


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"term": "feeling off"}, "term"),
        ({"term": "other"}, "description"),
        ({"onset": dt.date(2000, 1, 1)}, "onset"),
        ({"onset": "tomorrow"}, "onset"),
        ({"seriousness": "quite"}, "seriousness"),
        ({"outcome": "fine"}, "outcome"),
        ({"description": "x" * 4001}, "description"),
    ],
)
def test_bad_reports_are_refused_with_the_field_named(ward, staff, fields, field):
    fields = {"term": "headache", **fields}
    if fields.get("onset") == "tomorrow":
        fields["onset"] = timezone.localdate() + dt.timedelta(days=1)
    term = fields.pop("term")
    with pytest.raises(ValidationError) as refused:
        report_for(staff["supervisor"], ward.residents[0], term, **fields)
    assert field in refused.value.message_dict
    assert not AdverseEvent.objects.exists()


def test_the_outcome_is_followed_up_and_the_rest_is_final(ward, dosed, staff):
    event = report_for(staff["supervisor"], ward.residents[0], "nausea", [dosed])
    services.follow_up(staff["supervisor"], event, "recovering")
    services.follow_up(staff["supervisor"], event, "recovered")
    event.refresh_from_db()
    assert event.outcome == "recovered" and event.outcome_updated_by == staff["supervisor"]
    assert Entry.objects.filter(action="safety.outcome", object_id=str(event.pk)).count() == 2
    with pytest.raises(ValidationError, match="already the recorded outcome"):
        services.follow_up(staff["supervisor"], event, "recovered")
    for sql in (
        "UPDATE safety_adverseevent SET term = 'headache'",
        "UPDATE safety_adverseevent SET description = 'rewritten'",
        "DELETE FROM safety_adverseevent",
        "UPDATE safety_suspect SET drug = 'Water'",
        "DELETE FROM safety_suspect",
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(sql)


def test_signals_and_concluded_reviews_are_kept_by_the_database(ward, staff):
    r = ward.residents
    orders = [ward.dose(r[i], "mnemosyne") for i in range(4)]
    for i in range(4):
        report_for(staff["supervisor"], r[i], "amnesia", [orders[i]])
    for i in range(4, 10):
        for term in ("headache", "nausea"):
            report_for(staff["supervisor"], r[i], term)
    signal = signals.scan().raised[0]
    from django.db import connection

    for sql in ("DELETE FROM safety_signal", "UPDATE safety_signal SET drug = 'Aspirin'"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(sql)
    lead = Review.objects.get(signal=signal).assigned_to
    decisions.decide(  # a confirmed signal is acted on first
        lead, signal, decisions.Choice("suspend", "Amnesia within days of the first dose.")
    )
    services.conclude_review(
        lead, signal, "confirmed", "Four amnesia reports within days of the first dose."
    )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute("UPDATE safety_review SET conclusion = 'refuted'")
    with pytest.raises(ValidationError, match="already|concluded on"):
        services.conclude_review(lead, signal, "refuted", "Changed my mind about all of it.")


def test_a_review_needs_the_medical_lead_a_conclusion_and_reasons(ward, staff, prescriber):
    r = ward.residents
    orders = [ward.dose(r[i], "mnemosyne") for i in range(3)]
    for i in range(3):
        report_for(staff["supervisor"], r[i], "confusion", [orders[i]])
    for i in range(3, 10):
        report_for(staff["supervisor"], r[i], "headache")
    signal = signals.scan().raised[0]
    for who in (prescriber, staff["program_director"], staff["oversight"], staff["supervisor"]):
        with pytest.raises(AccessDenied):
            services.conclude_review(who, signal, "refuted", "Not convinced by the cases.")
        assert Entry.objects.filter(actor=who, outcome="denied").exists()
    lead = Review.objects.get(signal=signal).assigned_to
    with pytest.raises(ValidationError) as refused:
        services.conclude_review(lead, signal, "maybe", "short")
    assert set(refused.value.message_dict) == {"conclusion", "assessment"}
    review = services.conclude_review(lead, signal, "monitor", "Three cases; keep watching.")
    assert review.signal.status == "closed"


# --- who may report and read --------------------------------------------------------------


@pytest.mark.parametrize("who", ["contractor", "oversight", "investigator", "sysadmin"])
def test_roles_outside_care_neither_report_nor_read(ward, staff, who):
    resident = ward.residents[0]
    with pytest.raises(AccessDenied):
        report_for(staff[who], resident, "headache")
    with pytest.raises(AccessDenied):
        selectors.events_of(staff[who], resident.pk)
    assert Entry.objects.filter(actor=staff[who], outcome="denied").count() == 2


def test_a_caseworker_off_the_care_team_may_not_report_or_read(ward, staff):
    resident = ward.residents[0]
    with pytest.raises(AccessDenied):
        report_for(staff["caseworker_other"], resident, "headache")
    with pytest.raises(AccessDenied):
        selectors.events_of(staff["caseworker_other"], resident.pk)


def test_the_care_team_the_nurse_on_the_round_and_the_medical_lead(
    ward, staff, prescriber, medical_lead
):
    resident = ward.residents[0]
    report_for(staff["caseworker"], resident, "headache")  # primary caseworker
    report_for(prescriber, resident, "nausea")  # clinician on the team
    report_for(staff["clinician_other"], resident, "dizziness")  # the nurse, on the round
    with pytest.raises(AccessDenied):  # ...who gives doses, but does not read the reports
        selectors.events_of(staff["clinician_other"], resident.pk)
    record = selectors.events_of(medical_lead, resident.pk)  # any resident, for safety review
    assert len(record.events) == 3 and record.purpose == "safety_review"
    # Off the round (the resident discharged or not yet arrived) a clinician off the team
    # reports nothing: the round is what lets the nurse in.
    resident.stays.update(status="expected")
    with pytest.raises(AccessDenied):
        report_for(staff["clinician_other"], resident, "fall")


def test_a_resident_reports_and_reads_only_their_own(ward, make_user):
    own = portal_login(make_user, ward.residents[0])
    event = report_for(own.user, own, "nightmares", description="Every night since Tuesday.")
    assert event.reported_via == "resident"
    assert [e.pk for e in selectors.events_of(own.user, own.pk).events] == [event.pk]
    with pytest.raises(AccessDenied):
        report_for(own.user, ward.residents[1], "headache")
    with pytest.raises(AccessDenied):
        selectors.events_of(own.user, ward.residents[1].pk)


def test_the_dashboard_shows_counts_to_oversight_and_cases_only_to_readers(
    ward, staff, medical_lead
):
    r = ward.residents
    orders = [ward.dose(r[i], "mnemosyne") for i in range(3)]
    for i in range(3):
        report_for(staff["supervisor"], r[i], "memory-impairment", [orders[i]])
    for i in range(3, 10):
        report_for(staff["supervisor"], r[i], "headache")
    signal = signals.scan().raised[0]
    board = selectors.dashboard(staff["oversight"])
    assert [s.pk for s in board.signals] == [signal.pk] and board.reports == 10
    seen = selectors.signal_detail(staff["oversight"], signal.pk)
    assert seen.cases == [] and seen.hidden == 3
    assert not Entry.objects.filter(actor=staff["oversight"], action="safety.view").exists()
    lead = selectors.signal_detail(medical_lead, signal.pk)
    assert len(lead.cases) == 3 and lead.hidden == 0
    assert (
        Entry.objects.filter(
            actor=medical_lead, action="safety.view", purpose="safety_review"
        ).count()
        == 3
    )
    for who in ("caseworker", "contractor", "sysadmin", "investigator"):
        with pytest.raises(AccessDenied):
            selectors.dashboard(staff[who])


# --- pages and API ------------------------------------------------------------------------


def test_the_report_page_keeps_what_was_typed_when_refused(ward, dosed, staff, client_for):
    client = client_for(staff["caseworker"])
    url = f"/residents/{ward.residents[0].pk}/adverse-events/"
    page = client.get(url).content.decode()
    assert "Report an adverse event" in page and "Sertraline 50 mg tablet" in page
    response = client.post(
        url,
        {"term": "other", "onset": timezone.localdate().isoformat(), "seriousness": "not_serious",
         "outcome": "unknown", "description": ""},
    )  # fmt: skip
    assert response.status_code == 400
    assert "“other” needs the reporter&#x27;s words" in response.content.decode()
    response = client.post(
        url,
        {"term": "insomnia", "onset": timezone.localdate().isoformat(),
         "seriousness": "not_serious", "outcome": "recovering",
         "description": "Since the dose went up.", "suspects": [str(dosed.pk)]},
    )  # fmt: skip
    assert response.status_code == 302
    assert Suspect.objects.get().drug == "Sertraline"
    page = client.get(url).content.decode()
    assert "Since the dose went up." in page and "Reported: Insomnia." in page


def test_pages_refuse_those_who_may_not(ward, staff, client_for, make_user):
    url = f"/residents/{ward.residents[0].pk}/adverse-events/"
    for who in ("caseworker_other", "contractor", "sysadmin"):
        assert client_for(staff[who]).get(url).status_code == 403
    assert client_for(staff["caseworker"]).get("/safety/").status_code == 403
    assert client_for(staff["oversight"]).get("/safety/").status_code == 200
    assert client_for(staff["program_director"]).post("/safety/scan/").status_code == 403
    own = portal_login(make_user, ward.residents[1])
    assert client_for(own.user).get(url).status_code == 403
    assert client_for(own.user).get("/my-record/side-effects/").status_code == 200


def test_the_resident_reports_in_the_portal(ward, make_user, client_for):
    own = portal_login(make_user, ward.residents[0])
    client = client_for(own.user)
    response = client.post(
        "/my-record/side-effects/",
        {"term": "memory-impairment", "onset": timezone.localdate().isoformat(),
         "seriousness": "medically_important", "outcome": "not_recovered",
         "description": "I cannot remember last Thursday at all."},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get("/my-record/side-effects/").content.decode()
    assert "I cannot remember last Thursday at all." in page and "Thank you." in page
    assert AdverseEvent.objects.get().reported_via == "resident"


def test_the_api_reports_follows_up_and_lists_signals(ward, dosed, staff, api_for, medical_lead):
    api = api_for(staff["caseworker"])
    url = f"/api/v1/residents/{ward.residents[0].pk}/adverse-events"
    body = {"term": "tremor", "onset": timezone.localdate().isoformat(),
            "seriousness": "not_serious", "suspect_order_ids": [dosed.pk]}  # fmt: skip
    created = api.post(url, json.dumps(body), content_type="application/json")
    assert created.status_code == 201 and created.json()["suspects"][0]["drug"] == "Sertraline"
    bad = api.post(url, json.dumps({**body, "term": "wobbly"}), content_type="application/json")
    assert bad.status_code == 400 and "term" in bad.json()["errors"]
    event_id = created.json()["id"]
    followed = api.post(
        f"/api/v1/adverse-events/{event_id}/outcome",
        json.dumps({"outcome": "recovered"}),
        content_type="application/json",
    )
    assert followed.status_code == 200 and followed.json()["outcome"] == "recovered"
    assert [e["id"] for e in api.get(url).json()["items"]] == [event_id]
    assert api_for(staff["contractor"]).get(url).status_code == 403
    assert api_for(staff["caseworker"]).get("/api/v1/safety/signals").status_code == 403
    assert api_for(staff["oversight"]).get("/api/v1/safety/signals").json()["items"] == []
    assert api_for(medical_lead).post("/api/v1/safety/scan").json()["raised"] == []
    assert api_for(staff["oversight"]).post("/api/v1/safety/scan").status_code == 403
    assert api.get("/api/v1/safety/terms").json()["count"] > 30


def test_death_and_a_fatal_outcome_go_together(ward, staff, make_user, client_for):
    resident = ward.residents[0]
    for seriousness, outcome in (("death", "recovered"), ("not_serious", "fatal")):
        with pytest.raises(ValidationError) as refused:
            report_for(staff["supervisor"], resident, "overdose", seriousness=seriousness,
                       outcome=outcome)  # fmt: skip
        assert "outcome" in refused.value.message_dict
    report_for(staff["supervisor"], resident, "overdose", seriousness="death", outcome="fatal")
    own = portal_login(make_user, ward.residents[1])
    page = client_for(own.user).get("/my-record/side-effects/").content.decode()
    assert "Resulted in death" not in page and ">Fatal<" not in page
    assert "Something else (say what below)" in page


def test_a_concluded_review_keeps_the_counts_it_was_concluded_on(ward, staff):
    r = ward.residents
    orders = [ward.dose(r[i], "mnemosyne") for i in range(4)]
    for i in range(3):
        report_for(staff["supervisor"], r[i], "confusion", [orders[i]])
    for i in range(4, 10):
        for term in ("headache", "nausea"):
            report_for(staff["supervisor"], r[i], term)
    signal = signals.scan().raised[0]
    lead = Review.objects.get(signal=signal).assigned_to
    services.conclude_review(lead, signal, "monitor", "Three cases so far; keep watching.")
    report_for(staff["supervisor"], r[3], "confusion", [orders[3]])
    signals.scan()
    signal.refresh_from_db()
    review = Review.objects.get(signal=signal)
    assert review.measures["reports"]["a"] == 3 and signal.latest["reports"]["a"] == 4
