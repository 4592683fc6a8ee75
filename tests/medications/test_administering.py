"""Giving doses through the service: every hard stop, the witness, the override, and what the
ledger keeps of each attempt."""

import datetime as dt
import zoneinfo
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from homecoming.alerts.models import Alert
from homecoming.consents import services as consents
from homecoming.consents.models import Consent
from homecoming.ledger.models import Entry, Version
from homecoming.medications import administering, orders
from homecoming.medications.administering import DoseStopped, Override, Witness
from homecoming.medications.guard import Rule
from homecoming.medications.models import Administration, DoseStop
from homecoming.residents.models import StayStatus
from tests.conftest import PASSWORD

from .conftest import LORAZEPAM_LIQUID, MNEMOSYNE


def stopped_rules(excinfo):
    return [s.rule for s in excinfo.value.stops]


@pytest.fixture
def prn(resident, add_protocol, consent_to, prescribe):
    """Sertraline 50 mg as needed (single 100, 24 h 200, 6 h apart), consented."""
    protocol = add_protocol()
    consent_to(resident, protocol)
    return prescribe(resident, protocol, frequency="as_needed")


def test_a_dose_given_is_kept_with_its_version_on_the_ledger(prn, nurse):
    row = administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    entry = Entry.objects.get(action="medication.administer", object_id=str(row.pk))
    assert (entry.actor, entry.outcome, entry.purpose) == (nurse, "allowed", "medication_round")
    assert Version.objects.filter(seq=entry.seq, sha256=entry.version_sha256).exists()


def test_a_second_dose_inside_the_interval_is_stopped_and_the_attempt_kept(prn, nurse):
    administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    with pytest.raises(DoseStopped) as stopped:
        administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    assert stopped_rules(stopped) == [Rule.INTERVAL]
    assert stopped.value.overridable
    assert Administration.objects.filter(order=prn).count() == 1
    record = DoseStop.objects.get()
    assert record.stops[0]["rule"] == "interval" and record.attempted_by == nurse
    entry = Entry.objects.get(object_type="medications.dosestop", object_id=str(record.pk))
    assert (entry.action, entry.outcome) == ("medication.administer", "denied")
    assert Version.objects.filter(seq=entry.seq).exists()


def test_a_dose_above_the_order_or_the_single_maximum_is_stopped(prn, nurse, medical_lead):
    with pytest.raises(DoseStopped) as stopped:
        administering.give(nurse, prn, dose_amount="0.15", dose_unit="g")
    assert stopped_rules(stopped) == [Rule.ABOVE_ORDER, Rule.ABOVE_SINGLE_MAXIMUM]
    assert not stopped.value.overridable
    # A ceiling stop tells the medical lead.
    alert = Alert.objects.get(recipient=medical_lead, kind="dose_stopped")
    assert "150 mg is more than the ordered dose of 50 mg" in alert.message


def test_units_convert_exactly_and_a_mismatch_is_refused(
    resident, add_protocol, consent_to, prescribe, nurse, staff
):
    protocol = add_protocol(LORAZEPAM_LIQUID)  # 2 mg per mL; limits in mg
    consent_to(resident, protocol)
    order = prescribe(resident, protocol, dose="1", unit="mg", frequency="as_needed")
    witness = Witness(staff["clinician"], PASSWORD)
    row = administering.give(nurse, order, dose_amount="0.5", dose_unit="mL", witness=witness)
    assert (row.dose_amount, row.dose_unit) == (pytest.approx(0.5), "mL")
    # 0.6 mL = 1.2 mg: above the order of 1 mg, though in another unit.
    with pytest.raises(DoseStopped) as stopped:
        administering.give(
            nurse,
            order,
            dose_amount="0.6",
            dose_unit="mL",
            witness=witness,
            at=timezone.now() - dt.timedelta(seconds=1),
        )
    assert Rule.ABOVE_ORDER in stopped_rules(stopped)
    assert "1.2 mg is more than the ordered dose of 1 mg" in str(stopped.value)


def test_ml_for_a_tablet_is_a_unit_mismatch_never_a_guess(prn, nurse):
    with pytest.raises(DoseStopped) as stopped:
        administering.give(nurse, prn, dose_amount="5", dose_unit="mL")
    assert stopped_rules(stopped) == [Rule.UNIT]
    assert "needs a liquid's concentration" in str(stopped.value)
    with pytest.raises(DoseStopped) as stopped:
        administering.give(nurse, prn, dose_amount="1", dose_unit="tablet")
    assert stopped_rules(stopped) == [Rule.UNIT]


def test_mcg_and_g_count_towards_the_same_24_hours(
    resident, add_protocol, consent_to, prescribe, nurse
):
    protocol = add_protocol(min_interval_minutes="0")
    consent_to(resident, protocol)
    order = prescribe(resident, protocol, dose="100", frequency="as_needed")
    now = timezone.now()
    administering.give(
        nurse, order, dose_amount="0.1", dose_unit="g", at=now - dt.timedelta(hours=2)
    )
    administering.give(
        nurse, order, dose_amount="60000", dose_unit="mcg", at=now - dt.timedelta(hours=1)
    )
    with pytest.raises(DoseStopped) as stopped:
        administering.give(nurse, order, dose_amount="40.5", dose_unit="mg")
    assert stopped_rules(stopped) == [Rule.ABOVE_DAILY_MAXIMUM]
    assert "200.5 mg in the 24 hours" in str(stopped.value)


def test_no_consent_stops_the_dose_and_names_what_is_missing(prn, nurse, resident, staff):
    consent = Consent.objects.get(resident=resident)
    consents.revoke(staff["caseworker"], consent, "The resident told me they want to stop.")
    with pytest.raises(DoseStopped) as stopped:
        administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    assert stopped_rules(stopped) == [Rule.NO_CONSENT]
    assert "has no active consent to a medication protocol, “Medication protocol" in str(
        stopped.value
    )


def test_an_expired_ethics_approval_ends_consent_to_an_investigational_drug(
    resident, add_protocol, consent_to, prescribe, nurse, staff
):
    protocol = add_protocol(MNEMOSYNE)  # its consent document's approval runs 180 days
    consent_to(resident, protocol)
    order = prescribe(resident, protocol, dose="250", unit="mcg", frequency="as_needed")
    witness = Witness(staff["caseworker"], PASSWORD)
    administering.give(nurse, order, dose_amount="250", dose_unit="mcg", witness=witness)
    later = timezone.now() + dt.timedelta(days=181)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        pytest.raises(DoseStopped) as stopped,
    ):
        administering.give(nurse, order, dose_amount="250", dose_unit="mcg", witness=witness)
    assert stopped_rules(stopped) == [Rule.NO_CONSENT]
    assert "the ethics approval of Investigational protocol trial-mnemosyne expired on" in str(
        stopped.value
    )


def test_controlled_and_investigational_doses_need_a_witness(
    resident, add_protocol, consent_to, prescribe, nurse, staff
):
    protocol = add_protocol(MNEMOSYNE)
    consent_to(resident, protocol)
    order = prescribe(resident, protocol, dose="250", unit="mcg", frequency="as_needed")
    with pytest.raises(DoseStopped) as stopped:
        administering.give(nurse, order, dose_amount="250", dose_unit="mcg")
    assert stopped_rules(stopped) == [Rule.NO_WITNESS]
    with pytest.raises(ValidationError) as wrong:
        administering.give(
            nurse,
            order,
            dose_amount="250",
            dose_unit="mcg",
            witness=Witness(staff["caseworker"], "not the password at all"),
        )
    assert "witness_secret" in wrong.value.message_dict
    refused = Entry.objects.filter(action="medication.witness", outcome="denied").get()
    # In the name of the session that typed it: a wrong secret never counts against the witness.
    assert refused.actor == nurse
    with pytest.raises(ValidationError, match="someone other than you"):
        administering.give(
            nurse, order, dose_amount="250", dose_unit="mcg", witness=Witness(nurse, PASSWORD)
        )
    row = administering.give(
        nurse,
        order,
        dose_amount="250",
        dose_unit="mcg",
        witness=Witness(staff["caseworker"], PASSWORD),
    )
    assert row.witness == staff["caseworker"]
    witnessed = Entry.objects.get(action="medication.witness", outcome="allowed")
    assert witnessed.actor == staff["caseworker"] and witnessed.object_id == str(row.pk)


def test_an_interval_override_needs_a_second_clinician_and_alerts_oversight(prn, nurse, staff):
    administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    with pytest.raises(ValidationError, match="someone other than you"):
        administering.give(
            nurse,
            prn,
            dose_amount="50",
            dose_unit="mg",
            override=Override(nurse, PASSWORD, "Pain after a fall"),
        )
    with pytest.raises(ValidationError, match="must be a clinician; Caseworker 1 is a caseworker"):
        administering.give(
            nurse,
            prn,
            dose_amount="50",
            dose_unit="mg",
            override=Override(staff["caseworker"], PASSWORD, "Pain after a fall"),
        )
    with pytest.raises(ValidationError, match="Say why"):
        administering.give(
            nurse,
            prn,
            dose_amount="50",
            dose_unit="mg",
            override=Override(staff["clinician"], PASSWORD, "  "),
        )
    row = administering.give(
        nurse,
        prn,
        dose_amount="50",
        dose_unit="mg",
        override=Override(staff["clinician"], PASSWORD, "Pain after a fall"),
    )
    assert (row.override_cosigner, row.override_reason) == (
        staff["clinician"],
        "Pain after a fall",
    )
    alerted = set(
        Alert.objects.filter(kind="medication_override").values_list("recipient__role", flat=True)
    )
    assert alerted == {"program_director", "oversight"}
    # One critical event for both: whoever acknowledges first stops its escalation.
    events = Alert.objects.filter(kind="medication_override").values_list("event", "urgency")
    assert len(set(events)) == 1 and events[0][1] == "critical"
    assert Entry.objects.filter(action="medication.override", actor=staff["clinician"]).exists()


def test_an_override_never_passes_a_ceiling(
    resident, add_protocol, consent_to, prescribe, nurse, staff
):
    protocol = add_protocol()
    consent_to(resident, protocol)
    order = prescribe(resident, protocol, dose="100", frequency="as_needed")
    now = timezone.now()
    administering.give(
        nurse, order, dose_amount="100", dose_unit="mg", at=now - dt.timedelta(hours=7)
    )
    administering.give(
        nurse, order, dose_amount="100", dose_unit="mg", at=now - dt.timedelta(minutes=30)
    )
    with pytest.raises(DoseStopped) as stopped:
        administering.give(
            nurse,
            order,
            dose_amount="50",
            dose_unit="mg",
            override=Override(staff["clinician"], PASSWORD, "Severe pain"),
        )
    assert stopped_rules(stopped) == [Rule.ABOVE_DAILY_MAXIMUM, Rule.INTERVAL]
    assert DoseStop.objects.get().override_requested
    assert not Alert.objects.filter(kind="medication_override").exists()


def test_not_in_residence_and_an_inactive_order_stop_the_dose(
    prn, nurse, resident, staff, prescriber
):
    member = staff["clinician"]  # on the care team: policy lets them, the stops do not
    orders.discontinue(prescriber, prn, "Pain resolved.")
    with pytest.raises(DoseStopped) as stopped:
        administering.give(prescriber, prn, dose_amount="50", dose_unit="mg")
    assert stopped_rules(stopped) == [Rule.ORDER_NOT_ACTIVE]
    assert "discontinued: Pain resolved." in str(stopped.value)
    stay = resident.stays.get()
    stay.status = StayStatus.EXPECTED
    stay.save()
    with pytest.raises(DoseStopped) as stopped:
        administering.give(prescriber, prn, dose_amount="50", dose_unit="mg")
    assert stopped_rules(stopped) == [Rule.NOT_IN_RESIDENCE, Rule.ORDER_NOT_ACTIVE]
    del member


# Moments the day's dose times once made this test fail (an hour before the morning dose, the
# order then written 23 hours ago began after yesterday's), and others that could.
MOMENTS = {
    "before the morning dose": dt.datetime(2026, 12, 3, 7, 30),
    "just after midnight": dt.datetime(2026, 12, 3, 0, 5),
    "evening": dt.datetime(2026, 12, 3, 20, 30),
    "the night clocks go back": dt.datetime(2026, 11, 1, 1, 30),
}


@pytest.fixture(params=MOMENTS.values(), ids=MOMENTS.keys())
def at_moment(request, settings):
    """The test's clock at a moment of the center's day (set before the other fixtures run)."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    with time_machine.travel(request.param.replace(tzinfo=zone), tick=True):
        yield


def test_a_scheduled_dose_is_recorded_once(
    at_moment, resident, add_protocol, consent_to, prescribe, nurse, staff
):
    protocol = add_protocol()
    consent_to(resident, protocol)
    order = prescribe(resident, protocol, frequency="twice_daily")
    now = timezone.localtime()
    # The order's latest dose time that has come (08:00 or 20:00): after the order began.
    times = [
        now.replace(hour=hour, minute=0, second=0, microsecond=0) - dt.timedelta(days=back)
        for back in (0, 1)
        for hour in (8, 20)
    ]
    slot = max(t for t in times if t <= now)
    administering.not_given(nurse, order, status="refused", scheduled_for=slot)
    with pytest.raises(DoseStopped) as stopped:
        administering.give(nurse, order, dose_amount="50", dose_unit="mg", scheduled_for=slot)
    assert stopped_rules(stopped) == [Rule.ALREADY_RECORDED]
    with pytest.raises(ValidationError, match="not a dose time"):
        administering.give(
            nurse, order, dose_amount="50", dose_unit="mg", scheduled_for=slot.replace(minute=5)
        )
    with pytest.raises(ValidationError, match="Say why the dose is held"):
        administering.not_given(
            nurse, order, status="held", scheduled_for=slot + dt.timedelta(hours=12)
        )


def test_a_scheduled_dose_is_given_from_an_hour_before_its_time(
    resident, add_protocol, consent_to, prescribe, nurse
):
    protocol = add_protocol()
    consent_to(resident, protocol, days_ago=4)
    then = timezone.now() - dt.timedelta(days=3)
    with mock.patch("django.utils.timezone.now", return_value=then):
        order = prescribe(resident, protocol, frequency="twice_daily")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    due = timezone.make_aware(dt.datetime.combine(yesterday, dt.time(20)))
    for minutes_before, allowed in ((180, False), (61, False), (50, True)):
        at = due - dt.timedelta(minutes=minutes_before)
        with mock.patch("django.utils.timezone.now", return_value=at):
            if allowed:
                row = administering.give(
                    nurse, order, dose_amount="50", dose_unit="mg", scheduled_for=due
                )
                assert row.scheduled_for == due and row.at == at
                continue
            with pytest.raises(ValidationError) as refused:
                administering.give(
                    nurse, order, dose_amount="50", dose_unit="mg", scheduled_for=due
                )
        assert refused.value.message_dict["at"] == [
            "The 20:00 dose may be given from 19:00; it is not due yet. A dose needed now is "
            "one for an as-needed order."
        ]


def test_doses_are_charted_within_12_hours_and_never_ahead(prn, nurse):
    with pytest.raises(ValidationError, match="before it happens"):
        administering.give(
            nurse, prn, dose_amount="50", dose_unit="mg", at=timezone.now() + dt.timedelta(hours=1)
        )
    with pytest.raises(ValidationError, match="within 12 hours"):
        administering.give(
            nurse, prn, dose_amount="50", dose_unit="mg", at=timezone.now() - dt.timedelta(hours=13)
        )
    for bad in ("", "abc", "-5", "0", "1.2345", "1e9"):
        with pytest.raises(ValidationError):
            administering.give(nurse, prn, dose_amount=bad, dose_unit="mg")
    assert not Administration.objects.exists() and not DoseStop.objects.exists()


@pytest.mark.parametrize(
    "who",
    [
        "caseworker",
        "caseworker_other",
        "supervisor",
        "program_director",
        "contractor",
        "oversight",
        "investigator",
        "sysadmin",
    ],
)
def test_only_clinicians_give_doses(prn, staff, who):
    from homecoming.access.policy import AccessDenied

    with pytest.raises(AccessDenied):
        administering.give(staff[who], prn, dose_amount="50", dose_unit="mg")
    denied = Entry.objects.filter(outcome="denied").latest("seq")
    assert (denied.actor, denied.action) == (staff[who], "medication.administer")
    assert not Administration.objects.exists()


def test_the_database_refuses_to_change_or_delete_the_administration_record(prn, nurse):
    from django.db import DatabaseError, transaction

    row = administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    with pytest.raises(DatabaseError), transaction.atomic():
        Administration.objects.filter(pk=row.pk).update(dose_amount="5")
    with pytest.raises(DatabaseError), transaction.atomic():
        Administration.objects.filter(pk=row.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        type(prn.protocol).objects.filter(pk=prn.protocol_id).update(max_daily_dose="9999")
    with pytest.raises(DatabaseError), transaction.atomic():
        type(prn).objects.filter(pk=prn.pk).update(dose_amount="100")
