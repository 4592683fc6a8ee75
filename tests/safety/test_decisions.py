"""The medical lead's decision on a signal (issue 13, part 4): monitor, restrict to named
prescribers, or suspend. Only the medical lead decides; every decision alerts the oversight
body; a suspension is a hard stop on new orders and on doses of the medicine, and a restriction
on orders by anyone not named, each refusal naming the signal and written to the ledger.

The replay: with the Mnemosyne-7 signal confirmed on main, nothing stopped a prescriber from
ordering it again or a nurse from giving it: a review's conclusion was words only."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from homecoming.access.policy import AccessDenied
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry
from homecoming.medications import administering, orders
from homecoming.medications.administering import DoseStopped, Witness
from homecoming.medications.guard import Rule
from homecoming.medications.models import DoseStop
from homecoming.safety import decisions, services, signals
from homecoming.safety.decisions import Choice
from homecoming.safety.models import Decision
from tests.conftest import PASSWORD

from .conftest import report_for

REASONS = "Four residents lost days within a week of the first dose."


@pytest.fixture
def signal(ward, staff, medical_lead, consent_to):
    """The trial drug's memory-impairment signal, from reports nobody ticked it in. Residents
    0-4 have an as-needed Mnemosyne-7 order (one dose given), 5-9 sertraline; resident 5 has
    consented to the trial too, so only a decision can stop an order for them."""
    r = ward.residents
    ward.trial = {i: ward.dose(r[i], "mnemosyne") for i in range(5)}
    ward.sertraline = {i: ward.dose(r[i], "sertraline") for i in range(5, 10)}
    for i in range(4):
        report_for(staff["supervisor"], r[i], "memory-impairment")
    for i in range(5, 10):
        report_for(staff["supervisor"], r[i], "headache", [ward.sertraline[i]])
    raised = signals.scan("report").raised
    consent_to(r[5], ward.protocols["mnemosyne"])
    return next(s for s in raised if s.term == "memory-impairment")


def order(prescriber, resident, protocol, amount="250", unit="mcg"):
    return orders.prescribe(
        prescriber,
        resident,
        orders.Prescription(
            protocol=protocol,
            dose_amount=amount,
            dose_unit=unit,
            route="oral",
            frequency="as_needed",
        ),
    )


def give(ward, staff, order, amount="250", unit="mcg"):
    witness = Witness(staff["caseworker"], PASSWORD) if order.protocol.needs_witness else None
    return administering.give(
        staff["clinician_other"], order, dose_amount=amount, dose_unit=unit, witness=witness
    )


# --- who may decide -----------------------------------------------------------------------------


def test_only_the_medical_lead_decides(signal, staff, prescriber, medical_lead):
    for who in (
        prescriber,
        staff["clinician"],
        staff["supervisor"],
        staff["program_director"],
        staff["oversight"],
        staff["caseworker"],
        staff["sysadmin"],
    ):
        with pytest.raises(AccessDenied):
            decisions.decide(who, signal, Choice("suspend", REASONS))
        assert Entry.objects.filter(
            actor=who, action="safety.decide_signal", outcome="denied"
        ).exists()
    assert not Decision.objects.exists()
    decisions.decide(medical_lead, signal, Choice("suspend", REASONS))
    assert Decision.objects.get().decided_by == medical_lead


def test_the_page_and_the_api_refuse_everyone_but_the_medical_lead(
    signal, staff, prescriber, medical_lead, client_for, api_for
):
    url = f"/safety/signals/{signal.pk}/decision/"
    api = f"/api/v1/safety/signals/{signal.pk}/decisions"
    body = {"kind": "suspend", "reasons": REASONS}
    for who in (prescriber, staff["program_director"], staff["oversight"]):
        assert client_for(who).post(url, body).status_code == 403
        response = api_for(who).post(api, body, content_type="application/json")
        assert response.status_code == 403
    assert client_for(staff["caseworker"]).get(url).status_code == 403  # no safety dashboard
    assert not Decision.objects.exists()
    # Oversight reads the decisions; the form is the medical lead's alone.
    page = client_for(staff["oversight"]).get(url)
    assert page.status_code == 200 and b"Record the decision" not in page.content
    lead = client_for(medical_lead)
    assert b"Record the decision" in lead.get(url).content
    refused = lead.post(url, {"kind": "restrict", "reasons": REASONS})  # nobody named
    assert refused.status_code == 400
    assert b"Name the prescribers" in refused.content and REASONS.encode() in refused.content
    assert lead.post(url, body).status_code == 302
    listed = api_for(staff["oversight"]).get(api).json()["items"]
    assert [(d["kind"], d["decided_by"]) for d in listed] == [("suspend", str(medical_lead))]


# --- suspend ----------------------------------------------------------------------------------


def test_replay_a_suspended_drug_is_neither_ordered_nor_given(
    signal, ward, staff, prescriber, medical_lead
):
    decisions.decide(medical_lead, signal, Choice("suspend", REASONS))
    r = ward.residents
    with pytest.raises(ValidationError) as refused:
        order(prescriber, r[5], ward.protocols["mnemosyne"])
    words = refused.value.message_dict["protocol"][0]
    assert "suspended" in words and f"signal #{signal.pk}" in words
    denied = Entry.objects.get(action="medication.prescribe", outcome="denied")
    assert denied.object_type == "safety.decision" and denied.resident_id == r[5].pk
    # A dose on an order written before the suspension: stopped, kept, and on the ledger.
    later = time_machine.travel(timezone.now() + dt.timedelta(hours=9), tick=False)
    with later, pytest.raises(DoseStopped) as stopped:
        give(ward, staff, ward.trial[0])
    assert [s.rule for s in stopped.value.stops] == [Rule.SUSPENDED]
    assert f"signal #{signal.pk}" in stopped.value.stops[0].message
    assert not stopped.value.overridable
    kept = DoseStop.objects.get()
    assert kept.stops[0]["rule"] == "suspended"
    # Other medicines go on.
    with time_machine.travel(timezone.now() + dt.timedelta(hours=9), tick=False):
        give(ward, staff, ward.sertraline[5], amount="50", unit="mg")


def test_a_later_decision_replaces_the_suspension_and_every_one_is_kept(
    signal, ward, staff, prescriber, medical_lead
):
    decisions.decide(medical_lead, signal, Choice("suspend", REASONS))
    decisions.decide(medical_lead, signal, Choice("monitor", "Cases explained by a mix-up."))
    order(prescriber, ward.residents[5], ward.protocols["mnemosyne"])  # allowed again
    assert [d.kind for d in decisions.history(signal)] == ["monitor", "suspend"]
    # Each decision told the oversight body and the program director, monitor included.
    told = Alert.objects.filter(kind="safety_decision")
    assert told.count() == 4
    assert {a.recipient.role for a in told} == {"oversight", "program_director"}
    assert any("suspend" in a.message for a in told)


def test_any_signal_of_the_drug_that_suspends_it_stops_it(signal, ward, prescriber, medical_lead):
    other = signals.Signal.objects.create(
        drug=signal.drug,
        term="amnesia",
        rules=["evans"],
        detected_at=timezone.now(),
        measures=signal.measures,
        latest=signal.measures,
        latest_at=timezone.now(),
        status="open",
    )
    decisions.decide(medical_lead, signal, Choice("monitor", REASONS))
    decisions.decide(medical_lead, other, Choice("suspend", REASONS))
    with pytest.raises(ValidationError, match=f"signal #{other.pk}"):
        order(prescriber, ward.residents[5], ward.protocols["mnemosyne"])


# --- restrict ---------------------------------------------------------------------------------


def test_a_restriction_refuses_orders_by_prescribers_not_named(
    signal, ward, staff, prescriber, medical_lead
):
    decisions.decide(
        medical_lead, signal, Choice("restrict", REASONS, prescriber_ids=[medical_lead.pk])
    )
    with pytest.raises(ValidationError) as refused:
        order(prescriber, ward.residents[5], ward.protocols["mnemosyne"])
    words = refused.value.message_dict["protocol"][0]
    assert "restricted to" in words and str(medical_lead) in words
    assert f"signal #{signal.pk}" in words
    assert Entry.objects.filter(
        actor=prescriber, action="medication.prescribe", outcome="denied"
    ).exists()
    # Doses on orders already written go on (a restriction is about who orders).
    with time_machine.travel(timezone.now() + dt.timedelta(hours=9), tick=False):
        give(ward, staff, ward.trial[0])
    decisions.decide(
        medical_lead,
        signal,
        Choice("restrict", REASONS, prescriber_ids=[medical_lead.pk, prescriber.pk]),
    )
    order(prescriber, ward.residents[5], ward.protocols["mnemosyne"])


def test_a_decision_names_every_problem_at_once(signal, staff, medical_lead):
    with pytest.raises(ValidationError) as refused:
        decisions.decide(medical_lead, signal, Choice("ban", "short"))
    assert set(refused.value.message_dict) == {"kind", "reasons"}
    with pytest.raises(ValidationError, match="Name the prescribers"):
        decisions.decide(medical_lead, signal, Choice("restrict", REASONS))
    with pytest.raises(ValidationError, match="active prescribers"):
        decisions.decide(
            medical_lead,
            signal,
            Choice("restrict", REASONS, prescriber_ids=[staff["caseworker"].pk]),
        )
    with pytest.raises(ValidationError, match="Only a restricting"):
        decisions.decide(
            medical_lead, signal, Choice("suspend", REASONS, prescriber_ids=[medical_lead.pk])
        )
    assert not Decision.objects.exists() and not Alert.objects.filter(kind="safety_decision")


def test_a_confirmed_signal_needs_a_decision_first(signal, medical_lead):
    with pytest.raises(ValidationError, match="decision first"):
        services.conclude_review(medical_lead, signal, "confirmed", REASONS)
    decisions.decide(medical_lead, signal, Choice("suspend", REASONS))
    review = services.conclude_review(medical_lead, signal, "confirmed", REASONS)
    assert review.conclusion == "confirmed"


def test_the_database_keeps_every_decision(signal, medical_lead, prescriber):
    decisions.decide(medical_lead, signal, Choice("restrict", REASONS, [prescriber.pk]))
    for sql in (
        "UPDATE safety_decision SET kind = 'monitor'",
        "DELETE FROM safety_decision",
        "DELETE FROM safety_namedprescriber",
        f"UPDATE safety_namedprescriber SET prescriber_id = {medical_lead.pk}",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(sql)
    entries = Entry.objects.filter(action="safety.decide_signal", outcome="allowed")
    assert {e.object_type for e in entries} == {"safety.decision", "safety.namedprescriber"}


def test_the_api_records_a_decision_and_refuses_bad_input(signal, medical_lead, api_for):
    api = api_for(medical_lead)
    url = f"/api/v1/safety/signals/{signal.pk}/decisions"
    bad = api.post(url, {"kind": "restrict", "reasons": "x"}, content_type="application/json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"reasons", "prescriber_ids"}
    made = api.post(
        url,
        {"kind": "restrict", "reasons": REASONS, "prescriber_ids": [medical_lead.pk]},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert made.json()["prescriber_ids"] == [medical_lead.pk]
    assert (
        api.post(
            "/api/v1/safety/signals/999999/decisions",
            {"kind": "suspend", "reasons": REASONS},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_the_medication_pages_show_the_suspension(
    signal, ward, staff, prescriber, medical_lead, client_for
):
    decisions.decide(medical_lead, signal, Choice("suspend", REASONS))
    r = ward.residents
    ordered = client_for(prescriber).post(
        f"/residents/{r[5].pk}/medications/orders/",
        {"protocol": ward.protocols["mnemosyne"].pk, "dose_amount": "250",
         "dose_unit": "mcg", "route": "oral", "frequency": "as_needed"},
    )  # fmt: skip
    assert ordered.status_code == 400
    assert f"signal #{signal.pk}" in ordered.content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=9), tick=False):
        given = client_for(staff["clinician_other"]).post(
            f"/medications/orders/{ward.trial[0].pk}/give/",
            {"do": "give", "dose_amount": "250", "dose_unit": "mcg",
             "witness": staff["caseworker"].username, "witness_secret": PASSWORD},
        )  # fmt: skip
    text = given.content.decode()
    assert given.status_code == 400 and "suspended" in text and f"signal #{signal.pk}" in text
