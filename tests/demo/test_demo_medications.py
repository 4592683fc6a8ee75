"""The demo center's medications: a formulary under consent documents, orders, and a history of
doses charted through the services on the simulated clock, with the story's stopped dose and
co-signed override; and Walter's as-needed orders, ready for a visitor to give the next dose."""

import datetime as dt

import pytest
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action, Purpose
from homecoming.accounts.models import User
from homecoming.alerts.models import Alert
from homecoming.consents import services as consents
from homecoming.consents.models import Consent, ConsentDocument, ConsentPurpose, SignedVia
from homecoming.demo import builder
from homecoming.ledger import dbcheck
from homecoming.ledger.models import Entry, Outcome
from homecoming.ledger.models import Version as StoredVersion
from homecoming.medications.models import (
    Administration,
    AdministrationStatus,
    DoseStop,
    Frequency,
    Order,
    Protocol,
)
from homecoming.residents.models import Resident, StayStatus


@pytest.fixture
def demo(db):
    builder.build(residents=6, progress=False)


def test_the_formulary_stands_on_published_consent_documents(demo):
    protocols = {p.drug: p for p in Protocol.objects.all()}
    assert set(protocols) == {
        "Sertraline",
        "Trazodone",
        "Lorazepam",
        "Ibuprofen",
        "Melatonin",
        "Mnemosyne-7",
    }
    lead = User.objects.get(username="prescriber")
    assert {p.added_by for p in protocols.values()} == {lead}
    assert protocols["Lorazepam"].controlled and protocols["Lorazepam"].strength_per_ml == 1
    trial = protocols["Mnemosyne-7"]
    assert trial.investigational and (trial.strength_unit, trial.limit_unit) == ("mcg", "mcg")
    assert (trial.max_single_dose, trial.max_daily_dose, trial.min_interval_minutes) == (
        500,
        1000,
        480,
    )
    document = ConsentDocument.objects.get(code="trial-mnemosyne")
    assert document.purpose == ConsentPurpose.INVESTIGATIONAL
    assert document.ethics_approval_ref == "IRB-2026-077"
    assert timezone.localdate() + dt.timedelta(days=150) < document.ethics_approval_expires
    assert document.published_by.username == "director"
    for drug, protocol in protocols.items():
        if drug != "Mnemosyne-7":
            assert protocol.consent_code == f"medication-{drug.lower()}"
            assert ConsentDocument.objects.get(code=protocol.consent_code).purpose == "medication"


def test_doses_were_charted_on_the_round_with_the_rules_at_work(demo, ledger_key):
    nurse = User.objects.get(username="nurse")
    prescriber = User.objects.get(username="prescriber")
    rows = Administration.objects.all()
    statuses = set(rows.values_list("status", flat=True))
    assert statuses == set(AdministrationStatus.values)
    assert rows.filter(status=AdministrationStatus.GIVEN).count() > rows.count() * 0.8
    assert all(r.reason for r in rows.filter(status=AdministrationStatus.HELD))
    assert set(rows.values_list("recorded_by", flat=True)) == {nurse.pk}
    # Every order is the prescriber's, for a resident on their caseload (the nurse's is none).
    assert set(Order.objects.values_list("prescribed_by", flat=True)) == {prescriber.pk}
    for order in Order.objects.select_related("resident"):
        assert policy.on_care_team(prescriber, order.resident)
        assert not policy.on_care_team(nurse, order.resident)
    assert {"Sertraline", "Trazodone"} <= set(
        Order.objects.values_list("protocol__drug", flat=True)
    )
    # Controlled and investigational doses all had a witness; the others none.
    needing = rows.filter(status="given").filter(order__protocol__controlled=True) | rows.filter(
        status="given", order__protocol__investigational=True
    )
    assert needing.exists() and not needing.filter(witness__isnull=True).exists()
    assert not rows.filter(
        order__protocol__controlled=False,
        order__protocol__investigational=False,
        witness__isnull=False,
    ).exists()
    # The trial: consent signed in person before a witness, doses twice a day.
    trial = Order.objects.filter(protocol__investigational=True)
    assert trial.exists()
    for order in trial:
        consent = order.resident.consents.get(document__code="trial-mnemosyne")
        assert consent.signed_via == SignedVia.IN_PERSON
        assert consent.witness_id not in (None, consent.recorded_by_id)
        assert order.administrations.filter(status="given").count() >= 6
    # One person alone vouched for no consent: every consent staff recorded has a witness who is
    # someone else, and nothing waits for confirmation.
    assert not Consent.objects.filter(signed_via__in=["pending", "own_password"]).exists()
    in_person = Consent.objects.filter(signed_via=SignedVia.IN_PERSON)
    assert in_person.exists()
    assert not [c for c in in_person if c.witness_id in (None, c.recorded_by_id)]
    # No dose's second check was its prescriber; the oversight body was told of every trial
    # order and dose.
    assert not rows.filter(witness=prescriber).exists()
    oversight = User.objects.get(role="oversight")
    assert Alert.objects.filter(kind="investigational_order", recipient=oversight).count() == (
        trial.count()
    )
    trial_doses = rows.filter(status="given", order__protocol__investigational=True).count()
    told = Alert.objects.filter(kind="investigational_dose", recipient=oversight).count()
    assert told == trial_doses
    # The story's stopped dose (the interval) and co-signed override, each alerting.
    stop = DoseStop.objects.get()
    assert [s["rule"] for s in stop.stops] == ["interval"]
    assert Entry.objects.get(object_type="medications.dosestop").outcome == Outcome.DENIED
    early = Administration.objects.get(override_cosigner__isnull=False)
    assert early.override_cosigner == prescriber and early.witness is not None
    assert early.order.protocol.controlled and (early.dose_amount, early.dose_unit) == (0.5, "mL")
    assert Alert.objects.filter(kind="medication_override").count() == 2  # director, oversight
    assert Entry.objects.filter(action="medication.override", actor=prescriber).count() == 1
    # Entries are dated when their events happened, in sequence order.
    times = list(Entry.objects.order_by("seq").values_list("time", flat=True))
    assert times == sorted(times)
    given = Administration.objects.filter(status="given").order_by("at")
    assert given.first().at < timezone.now() - dt.timedelta(days=5)
    for row in given[:20]:
        entry = Entry.objects.get(
            object_type="medications.administration",
            object_id=str(row.pk),
            action="medication.administer",
        )
        assert row.at <= entry.time <= row.at + dt.timedelta(minutes=30)
        assert entry.purpose == Purpose.MEDICATION_ROUND
        assert StoredVersion.objects.filter(seq=entry.seq).exists()
    report = dbcheck.check()
    assert report.ok, report.problems


def test_walter_is_ready_for_his_next_dose(demo):
    """The browser tests rely on this: Walter in residence, two as-needed orders under active
    consents, no dose of either in the last day, and the nurse not on his care team."""
    walter = Resident.objects.get(given_name="Walter", family_name="Cruz")
    assert walter.stays.filter(status=StayStatus.IN_RESIDENCE).exists()
    now = timezone.now()
    orders = {o.protocol.drug: o for o in walter.medication_orders.select_related("protocol")}
    assert set(orders) == {"Ibuprofen", "Melatonin"}
    for drug, dose in (("Ibuprofen", 400), ("Melatonin", 3)):
        order = orders[drug]
        assert order.frequency == Frequency.AS_NEEDED and order.active_at(now)
        assert (order.dose_amount, order.dose_unit) == (dose, "mg")
        code = f"medication-{drug.lower()}"
        consent = consents.active_consent(walter, ConsentPurpose.MEDICATION, code=code)
        assert consent is not None and consent.signed_via == SignedVia.PORTAL
        assert not order.administrations.filter(
            status="given", at__gt=now - dt.timedelta(hours=24)
        ).exists()
    assert orders["Ibuprofen"].administrations.filter(status="given").exists()
    nurse = User.objects.get(username="nurse")
    assert not policy.on_care_team(nurse, walter)
    assert policy.decide(nurse, Action.ADMINISTER, walter).purpose == Purpose.MEDICATION_ROUND
