"""Vital signs: every impossible value named at once, flags beside values, critical values
alerting the care team, a wrong set marked entered in error (never edited nor deleted, the
database refusing too), who may record and read, and every read and write on the ledger."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import AccessDenied, Action
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry
from homecoming.timeline import present
from homecoming.vitals import selectors, services, words
from homecoming.vitals.models import VitalSigns
from homecoming.vitals.ranges import BY_FIELD, MEASURES
from homecoming.vitals.services import Reading

NORMAL = Reading(systolic=128, diastolic=82, pulse=76, temperature="36.8", spo2=97)


def record(staff, resident, reading=NORMAL, who="clinician"):
    return services.record(staff[who], resident, reading)


# --- validation ---------------------------------------------------------------------------


def test_every_impossible_value_is_named_at_once(resident, staff):
    reading = Reading(
        systolic=400,
        diastolic=10,
        pulse="fast",
        temperature="3.7",
        respiratory_rate=70,
        spo2=101,
        weight="12.5",
        pain=11,
        taken_at=timezone.now() + dt.timedelta(hours=1),
    )
    with pytest.raises(ValidationError) as caught:
        record(staff, resident, reading)
    assert set(caught.value.message_dict) == {
        "systolic",
        "diastolic",
        "pulse",
        "temperature",
        "respiratory_rate",
        "spo2",
        "weight",
        "pain",
        "taken_at",
    }
    assert "between 40 and 300" in caught.value.message_dict["systolic"][0]
    assert not VitalSigns.objects.exists()


def test_a_blood_pressure_has_both_numbers_the_diastolic_below(resident, staff):
    with pytest.raises(ValidationError) as caught:
        record(staff, resident, Reading(systolic=120))
    assert "diastolic" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        record(staff, resident, Reading(systolic=90, diastolic=95))
    assert "below the systolic" in caught.value.message_dict["diastolic"][0]


def test_a_set_needs_one_value_and_may_be_charted_late_but_not_too_late(resident, staff):
    with pytest.raises(ValidationError, match="at least one"):
        record(staff, resident, Reading(note="nothing measured"))
    with pytest.raises(ValidationError) as caught:
        record(staff, resident, Reading(pulse=70, taken_at=timezone.now() - dt.timedelta(hours=13)))
    assert "12 hours late" in caught.value.message_dict["taken_at"][0]
    taken = timezone.now() - dt.timedelta(hours=11)
    row = record(staff, resident, Reading(pulse=70, taken_at=taken))
    assert row.taken_at == taken and row.recorded_at > taken


def test_whole_numbers_and_one_decimal_place(resident, staff):
    with pytest.raises(ValidationError) as caught:
        record(staff, resident, Reading(pulse="72.5", temperature="36.85"))
    assert set(caught.value.message_dict) == {"pulse", "temperature"}
    row = record(staff, resident, Reading(pulse="72", temperature="36.8", weight="81"))
    row.refresh_from_db()
    assert (row.pulse, row.temperature, row.weight) == (72, Decimal("36.8"), Decimal("81.0"))


# --- flags and alerts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "flag"),
    [
        ("systolic", 180, "high"),
        ("systolic", 179, ""),
        ("systolic", 89, "low"),
        ("systolic", 200, "critical high"),
        ("systolic", 79, "critical low"),
        ("diastolic", 110, "high"),
        ("pulse", 121, "high"),
        ("pulse", 120, ""),
        ("pulse", 49, "low"),
        ("temperature", Decimal("38.0"), "high"),
        ("temperature", Decimal("34.9"), "low"),
        ("temperature", Decimal("40.0"), "critical high"),
        ("respiratory_rate", 25, "high"),
        ("respiratory_rate", 9, "low"),
        ("spo2", 91, "low"),
        ("spo2", 92, ""),
        ("spo2", 87, "critical low"),
        ("pain", 7, "high"),
        ("pain", 6, ""),
        ("weight", Decimal("140.0"), ""),
    ],
)
def test_flags(field, value, flag):
    assert BY_FIELD[field].flag(value) == flag


def test_every_critical_threshold_is_within_the_plausible_range():
    for m in MEASURES:
        low, high = m.plausible
        for limit in (m.low, m.high, m.critical_low, m.critical_high):
            assert limit is None or low < limit <= high, (m.field, limit)


def test_a_critical_value_alerts_the_care_team_a_flag_alone_does_not(resident, staff):
    record(staff, resident, Reading(spo2=90, pain=8))  # flagged, not critical
    assert not Alert.objects.filter(kind="vitals_critical").exists()
    record(staff, resident, Reading(spo2=86, systolic=205, diastolic=100))
    alerted = Alert.objects.filter(kind="vitals_critical")
    assert {a.recipient for a in alerted} == {staff["caseworker"], staff["clinician"]}
    assert all(a.urgency == "critical" for a in alerted)
    assert "SpO2 86 % (critical low)" in alerted[0].message
    assert "Systolic 205 mmHg (critical high)" in alerted[0].message


def test_words_as_a_nurse_writes_them():
    assert words.summary({"systolic": 128, "diastolic": 82, "pulse": 76, "spo2": 97}) == (
        "BP 128/82, pulse 76, SpO2 97%"
    )


# --- never edited nor deleted -------------------------------------------------------------


def test_entered_in_error_keeps_the_set_with_the_reason_out_of_the_charts(resident, staff):
    wrong = record(staff, resident, Reading(pulse=150))
    record(staff, resident, Reading(pulse=72))
    with pytest.raises(ValidationError, match="Say why"):
        services.mark_entered_in_error(staff["clinician"], wrong, "  ")
    services.mark_entered_in_error(staff["clinician"], wrong, "Wrong resident's reading.")
    wrong.refresh_from_db()
    assert wrong.in_error and wrong.error_by == staff["clinician"] and wrong.pulse == 150
    with pytest.raises(ValidationError, match="Already"):
        services.mark_entered_in_error(staff["clinician"], wrong, "Again.")
    shown = selectors.vitals_record(staff["clinician"], resident.pk)
    assert len(shown.sets) == 2 and shown.latest.pulse == 72
    (pulse,) = [t for t in shown.trends if t.measure.field == "pulse"]
    assert [m.total for m in pulse.plot.markers] == [72]
    entry = Entry.objects.get(action="vitals.entered_in_error", object_id=str(wrong.pk))
    assert (entry.actor, entry.resident_id, entry.purpose) == (
        staff["clinician"],
        resident.pk,
        "care",
    )


def _sql(statement, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM vitals_vitalsigns",
        "UPDATE vitals_vitalsigns SET pulse = 60",
        "UPDATE vitals_vitalsigns SET systolic = NULL, diastolic = NULL",
        "UPDATE vitals_vitalsigns SET weight = 70.0",  # a value added where none was taken
        "UPDATE vitals_vitalsigns SET taken_at = '2020-01-01 00:00:00'",
    ],
)
def test_the_database_refuses_to_delete_or_change_a_set(resident, staff, statement):
    row = record(staff, resident, Reading(systolic=128, diastolic=82, pulse=76))
    with pytest.raises(Exception, match="refused"):
        _sql(statement)
    row.refresh_from_db()
    assert (row.systolic, row.pulse, row.weight) == (128, 76, None)


def test_the_database_refuses_to_undo_entered_in_error(resident, staff):
    row = record(staff, resident)
    services.mark_entered_in_error(staff["clinician"], row, "Wrong arm cuff size.")
    with pytest.raises(Exception, match="refused"):
        _sql("UPDATE vitals_vitalsigns SET error_at = NULL, error_by_id = NULL, error_reason = ''")
    row.refresh_from_db()
    assert row.in_error


# --- who may record and read --------------------------------------------------------------

RECORD_ALLOWED = {"clinician"}  # the resident's own clinician (and the round: below)
RECORD_DENIED = {
    "caseworker",
    "supervisor",
    "program_director",
    "contractor",
    "sysadmin",
    "oversight",
    "investigator",
    "caseworker_other",
}
READ_ALLOWED = {"caseworker", "clinician", "supervisor", "program_director", "clinician_other"}
READ_DENIED = {"caseworker_other", "contractor", "sysadmin", "oversight", "investigator"}


@pytest.mark.parametrize("who", sorted(RECORD_ALLOWED))
def test_who_may_record(resident, staff, who):
    row = record(staff, resident, who=who)
    entry = Entry.objects.get(action="vitals.record", object_id=str(row.pk))
    assert entry.actor == staff[who] and entry.resident_id == resident.pk and entry.version_sha256


@pytest.mark.parametrize("who", sorted(RECORD_DENIED))
def test_who_may_not_record(resident, staff, who):
    with pytest.raises(AccessDenied):
        record(staff, resident, who=who)
    assert not VitalSigns.objects.exists()
    assert Entry.objects.filter(actor=staff[who], action="vitals.record", outcome="denied").exists()


def test_the_nurse_on_the_round_records_and_reads_anyone_in_residence(resident, staff):
    nurse = staff["clinician_other"]  # not on the resident's care team
    row = record(staff, resident, who="clinician_other")
    assert Entry.objects.get(action="vitals.record", object_id=str(row.pk)).purpose == (
        "medication_round"
    )
    assert selectors.vitals_record(nurse, resident.pk).purpose == "medication_round"
    # The round is for residents in residence: a discharged one is not on it.
    stay = resident.stays.get()
    type(stay).objects.filter(pk=stay.pk).update(status="discharged")
    assert not policy.decide(nurse, Action.RECORD_VITALS, resident).allowed
    assert not policy.decide(nurse, Action.VIEW_VITALS, resident).allowed


@pytest.mark.parametrize("who", sorted(READ_ALLOWED))
def test_who_may_read(resident, staff, who):
    record(staff, resident)
    shown = selectors.vitals_record(staff[who], resident.pk)
    assert shown.latest.pulse == 76
    look = Entry.objects.filter(actor=staff[who], resident_id=resident.pk).latest("seq")
    assert look.action == "vitals.view" and "vital signs" in look.sections


@pytest.mark.parametrize("who", sorted(READ_DENIED))
def test_who_may_not_read(resident, staff, who):
    record(staff, resident)
    with pytest.raises(AccessDenied):
        selectors.vitals_record(staff[who], resident.pk)
    assert Entry.objects.filter(actor=staff[who], action="vitals.view", outcome="denied").exists()


def test_the_resident_reads_their_own_never_records(resident, staff, portal_user, admit):
    record(staff, resident)
    assert selectors.vitals_record(portal_user, resident.pk).purpose == "self"
    with pytest.raises(AccessDenied):
        services.record(portal_user, resident, NORMAL)
    other = admit(given_name="Rosa", family_name="Diaz")
    with pytest.raises(AccessDenied):
        selectors.vitals_record(portal_user, other.pk)


# --- pages, the API, the round, the portal, the timeline ----------------------------------


def test_the_page_records_with_every_error_at_once_and_keeps_what_was_typed(
    resident, staff, client_for
):
    client = client_for(staff["clinician"])
    url = f"/residents/{resident.pk}/vitals/"
    response = client.post(url, {"systolic": "400", "diastolic": "", "pulse": "777", "note": "x"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "between 40 and 300" in text and "between 20 and 250" in text
    assert 'value="777"' in text
    response = client.post(url, {"systolic": "210", "diastolic": "95", "spo2": "91"})
    assert response.status_code == 302
    text = client.get(url).content.decode()
    assert '<span class="badge danger">critical high</span>' in text
    assert '<span class="badge warn">low</span>' in text
    assert "<svg" in text and "Systolic blood pressure over time" in text
    assert "style=" not in text


def test_the_page_marks_a_set_entered_in_error(resident, staff, client_for):
    row = record(staff, resident)
    client = client_for(staff["clinician"])
    url = f"/residents/{resident.pk}/vitals/{row.pk}/entered-in-error/"
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Another resident's reading."}).status_code == 302
    assert VitalSigns.objects.get().error_reason == "Another resident's reading."


def test_a_caseworker_reads_the_page_without_the_form(resident, staff, client_for):
    record(staff, resident)
    client = client_for(staff["caseworker"])
    text = client.get(f"/residents/{resident.pk}/vitals/").content.decode()
    assert "Record vital signs</button>" not in text and "128" in text
    response = client.post(f"/residents/{resident.pk}/vitals/", {"pulse": "70"})
    assert response.status_code == 403


def test_the_api_records_lists_and_marks_in_error(resident, staff, api_for):
    client = api_for(staff["clinician"])
    url = f"/api/v1/residents/{resident.pk}/vitals"
    response = client.post(
        url, json.dumps({"pulse": 300, "spo2": 40}), content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"pulse", "spo2"}
    response = client.post(
        url,
        json.dumps({"systolic": 128, "diastolic": 82, "temperature": "38.2"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["summary"] == "BP 128/82, temp 38.2 °C"
    assert body["flags"] == [{"measure": "temperature", "value": "38.2", "flag": "high"}]
    listed = client.get(url).json()["items"]
    assert [s["id"] for s in listed] == [body["id"]]
    response = client.post(
        f"/api/v1/vitals/{body['id']}/entered-in-error",
        json.dumps({"reason": "Thermometer not calibrated."}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["entered_in_error"]
    denied = api_for(staff["caseworker"]).post(
        url, json.dumps({"pulse": 70}), content_type="application/json"
    )
    assert denied.status_code == 403


def test_the_resident_reads_their_vitals_in_the_portal(resident, staff, portal_user, client_for):
    record(staff, resident, Reading(pulse=130))
    client = client_for(portal_user)
    text = client.get("/my-record/vitals/").content.decode()
    assert "My vital signs" in text and "130" in text and "high" in text
    assert "entered-in-error" not in text and "Record vital signs" not in text
    # Their own record by its staff address is sent to the portal.
    response = client.get(f"/residents/{resident.pk}/vitals/")
    assert response.status_code == 302 and response["Location"] == "/my-record/vitals/"
    assert 'href="/my-record/vitals/"' in client.get("/my-record/").content.decode()


def test_the_timeline_says_the_set_in_words(resident, staff):
    row = record(staff, resident)
    fields = {"systolic": 128, "diastolic": 82, "pulse": 76, "error_at": None}
    version = present.Version("vitals.vitalsigns", str(row.pk), 1, fields)
    assert present.IDENTIFY["vitals.vitalsigns"](version, None) == "BP 128/82, pulse 76"


def test_older_sets_are_a_page_further_on_in_the_order_they_were_taken(
    resident, staff, client_for, api_for
):
    """60 sets a page, by when they were taken: a set typed in late from a paper chart sits
    among the sets of its own time, not at the top; nothing is lost past the first page."""
    now = timezone.now()
    late_entry = None
    for minutes in range(selectors.SHOWN + 1):
        taken = now - dt.timedelta(hours=11) + dt.timedelta(minutes=minutes)
        row = record(staff, resident, Reading(pulse=60 + minutes % 40, taken_at=taken))
        late_entry = late_entry or row
    # Typed in last, taken a minute before every other set: the oldest.
    oldest = record(
        staff, resident, Reading(pulse=99, taken_at=now - dt.timedelta(hours=11, minutes=1))
    )
    latest = selectors.vitals_record(staff["clinician"], resident.pk)
    assert len(latest.sets) == selectors.SHOWN and not latest.paged
    assert oldest not in latest.sets and latest.older == latest.sets[-1].pk
    older = selectors.vitals_record(staff["clinician"], resident.pk, before=latest.older)
    assert [s.pk for s in older.sets] == [late_entry.pk, oldest.pk]
    assert older.paged and older.older is None
    every = {s.pk for s in latest.sets} | {s.pk for s in older.sets}
    assert every == set(VitalSigns.objects.values_list("pk", flat=True))

    client = client_for(staff["clinician"])
    page = client.get(f"/residents/{resident.pk}/vitals/").content.decode()
    assert f'href="?before={latest.older}"' in page
    page = client.get(f"/residents/{resident.pk}/vitals/?before={latest.older}").content.decode()
    assert f'id="vitals-{oldest.pk}"' in page and "The latest sets" in page
    for bad in ("soon", str(oldest.pk + 1000)):
        assert client.get(f"/residents/{resident.pk}/vitals/?before={bad}").status_code == 400
    listed = api_for(staff["clinician"]).get(
        f"/api/v1/residents/{resident.pk}/vitals?before={latest.older}"
    )
    assert [s["id"] for s in listed.json()["items"]] == [late_entry.pk, oldest.pk]
    # Over the API every set is within reach of a page: `limit` and `offset`, the total counted.
    everything = api_for(staff["clinician"]).get(
        f"/api/v1/residents/{resident.pk}/vitals?limit=500"
    )
    assert everything.json()["count"] == VitalSigns.objects.count()
    assert [s["id"] for s in everything.json()["items"]][-2:] == [late_entry.pk, oldest.pk]
