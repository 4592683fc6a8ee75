"""Intake refuses nonsense, naming every problem at once (issue 16), through the service.

Every test runs on a fixed clock in the center's zone (America/New_York in the tests): the dates
are chosen so that a check counting in UTC, or a 29 February birthday counted wrongly, fails.
"""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from homecoming.ledger.models import Entry
from homecoming.residents import access_rules, intake_rules, selectors, services
from homecoming.residents.models import BedAssignment, Deployment, Resident, StayStatus
from tests.conftest import intake

CENTER = zoneinfo.ZoneInfo("America/New_York")
TODAY = dt.date(2029, 6, 1)


def at(day: dt.date, hour=12, minute=0):
    """A frozen clock at this hour of the center's day."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CENTER), tick=False
    )


@pytest.fixture
def today():
    with at(TODAY):
        yield TODAY


def admission(staff, admitted_on=TODAY, **kw):
    fields = {k: kw.pop(k) for k in list(kw) if k in intake()}
    return services.Admission(
        intake=intake(**fields),
        admitted_on=admitted_on,
        expected_length_days=kw.pop("expected_length_days", 42),
        primary_caseworker=kw.pop("primary_caseworker", staff["caseworker"]),
        **kw,
    )


def refused(staff, adm, actor=None) -> dict:
    with pytest.raises(ValidationError) as exc:
        services.admit(actor or staff["supervisor"], adm)
    return exc.value.message_dict


# -- age ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "born, on, age",
    [
        (dt.date(2008, 2, 29), dt.date(2025, 2, 28), 16),  # a common year: not yet on the 28th
        (dt.date(2008, 2, 29), dt.date(2025, 3, 1), 17),
        (dt.date(2008, 2, 29), dt.date(2028, 2, 29), 20),
        (dt.date(1990, 12, 31), dt.date(2029, 1, 1), 38),
    ],
)
def test_age_is_whole_years_and_a_29_february_birthday_comes_on_1_march(born, on, age):
    assert intake_rules.age_on(born, on) == age


@pytest.mark.parametrize(
    "born, admitted_on, allowed",
    [
        (dt.date(2008, 2, 29), dt.date(2025, 2, 28), False),  # 16 on the day
        (dt.date(2008, 2, 29), dt.date(2025, 3, 1), True),  # 17 that day
        (dt.date(1928, 2, 29), dt.date(2029, 2, 28), True),  # 100
        (dt.date(1928, 2, 29), dt.date(2029, 3, 1), False),  # 101
    ],
)
def test_age_is_17_to_100_on_the_admission_date(staff, today, born, admitted_on, allowed):
    adm = admission(
        staff,
        admitted_on=admitted_on,
        date_of_birth=born,
        service_start=born + dt.timedelta(days=18 * 366),
        service_end=born + dt.timedelta(days=19 * 366),
    )
    if allowed:
        assert services.admit(staff["supervisor"], adm).date_of_birth == born
    else:
        errors = refused(staff, adm)
        assert list(errors) == ["date_of_birth"]
        assert "residents are 17 to 100" in errors["date_of_birth"][0]
        assert not Resident.objects.exists()


def test_a_date_of_birth_today_or_later_is_refused(staff, today):
    errors = refused(staff, admission(staff, date_of_birth=TODAY))
    assert errors["date_of_birth"] == ["The date of birth must be in the past."]


# -- deployments ----------------------------------------------------------------------------------


def deployment(start, end, where="Rota, Spain"):
    return {"location": where, "started_on": start, "ended_on": end}


@pytest.mark.parametrize(
    "d, field, words",
    [
        (
            deployment(dt.date(1990, 1, 1), dt.date(1992, 1, 1)),
            "started_on",
            "before the date of birth",
        ),
        (
            deployment(dt.date(2028, 1, 1), dt.date(2029, 6, 2)),
            "ended_on",
            "after the admission date",
        ),
        (deployment(dt.date(2015, 1, 1), dt.date(2014, 1, 1)), "ended_on", "ends before it starts"),
        (deployment(dt.date(2015, 1, 1), None), "ended_on", "give the date it ended"),
    ],
)
def test_each_deployment_is_after_birth_and_over_by_the_admission(staff, today, d, field, words):
    errors = refused(
        staff,
        admission(staff, deployments=[deployment(dt.date(2012, 1, 1), dt.date(2012, 9, 1)), d]),
    )
    # The second deployment (index 1, as in the JSON list) is the one named.
    assert list(errors) == [f"deployments.1.{field}"]
    assert words in errors[f"deployments.1.{field}"][0]
    assert "Deployment 2 (Rota, Spain)" in errors[f"deployments.1.{field}"][0]
    assert not Deployment.objects.exists()


def test_a_deployment_ending_on_the_admission_day_is_accepted(staff, today):
    r = services.admit(
        staff["supervisor"], admission(staff, deployments=[deployment(dt.date(2028, 12, 1), TODAY)])
    )
    assert r.deployments.get().ended_on == TODAY


# -- admission date -------------------------------------------------------------------------------


def test_admission_today_or_earlier_is_in_residence(staff, today):
    for days, given in ((0, "Today"), (30, "Earlier")):
        r = services.admit(
            staff["supervisor"],
            admission(staff, admitted_on=TODAY - dt.timedelta(days=days), given_name=given),
        )
        assert r.stays.get().status == StayStatus.IN_RESIDENCE


def test_a_planned_admission_more_than_a_year_ahead_is_refused(staff, today):
    errors = refused(staff, admission(staff, admitted_on=TODAY + dt.timedelta(days=366)))
    assert list(errors) == ["admitted_on"]
    later = services.admit(
        staff["supervisor"], admission(staff, admitted_on=TODAY + dt.timedelta(days=365))
    )
    assert later.stays.get().status == StayStatus.EXPECTED


def test_today_is_the_centers_day_at_midnight_utc(staff, beds):
    """At 22:30 on 29 February in New York it is already 1 March in UTC: an admission dated
    29 February is today's (in residence), one dated 1 March is planned."""
    with at(dt.date(2028, 2, 29), 22, 30):
        now_ = services.admit(
            staff["supervisor"], admission(staff, admitted_on=dt.date(2028, 2, 29), bed=beds[0])
        )
        planned = services.admit(
            staff["supervisor"],
            admission(staff, admitted_on=dt.date(2028, 3, 1), bed=beds[1], given_name="Later"),
        )
    assert now_.stays.get().status == StayStatus.IN_RESIDENCE
    assert planned.stays.get().status == StayStatus.EXPECTED
    assert not BedAssignment.objects.filter(bed=beds[1]).exists()


# -- every problem at once ------------------------------------------------------------------------


def test_every_problem_is_named_at_once_and_nothing_is_written(staff, beds, today):
    services.admit(staff["supervisor"], admission(staff, bed=beds[0]))
    entries = Entry.objects.count()
    errors = refused(
        staff,
        admission(
            staff,
            date_of_birth=dt.date(2015, 1, 1),  # 14
            service_start=dt.date(2014, 1, 1),  # before birth
            deployments=[deployment(dt.date(2028, 1, 1), dt.date(2029, 7, 1))],  # after admission
            bed=beds[0],  # taken
            expected_length_days=0,
            given_name="Someone",
            family_name="Else",
            service_number="55",
        ),
        actor=staff["caseworker"],
    )
    assert set(errors) == {
        "date_of_birth",
        "service_start",
        "deployments.0.ended_on",
        "bed",
        "expected_length_days",
    }
    assert Resident.objects.count() == 1
    assert Entry.objects.count() == entries  # not even a look: nothing was disclosed


# -- likely duplicates ----------------------------------------------------------------------------


def test_same_name_and_date_of_birth_warns_and_names_the_existing_resident(staff, beds, today):
    first = services.admit(staff["supervisor"], admission(staff, bed=beds[0]))
    with pytest.raises(services.LikelyDuplicate) as exc:
        services.admit(
            staff["supervisor"],
            admission(staff, given_name="WALTER", family_name="cruz", bed=beds[1]),
        )
    assert [d.resident for d in exc.value.duplicates] == [first]
    assert exc.value.duplicates[0].reasons == ["same name and date of birth"]
    message = exc.value.message_dict[intake_rules.DIFFERENT_PERSON][0]
    assert f"resident #{first.pk}" in message
    assert Resident.objects.count() == 1
    # The warning disclosed that the resident exists: a look, on the ledger, by the admitter.
    assert (
        first.pk
        in Entry.objects.filter(action="resident.list", actor=staff["supervisor"])
        .last()
        .residents_named
    )


def test_same_service_number_however_typed_warns(staff, today):
    first = services.admit(staff["supervisor"], admission(staff, service_number="12 345-678"))
    assert first.service_number == "12345678"
    with pytest.raises(services.LikelyDuplicate) as exc:
        services.admit(
            staff["supervisor"],
            admission(
                staff,
                given_name="Other",
                date_of_birth=dt.date(1985, 1, 1),
                service_number="12345678",
            ),
        )
    assert exc.value.duplicates[0].reasons == ["same service number"]


def test_same_name_other_birthday_and_no_service_number_is_no_duplicate(staff, today):
    services.admit(staff["supervisor"], admission(staff))
    services.admit(staff["supervisor"], admission(staff, date_of_birth=dt.date(1991, 3, 15)))
    assert Resident.objects.count() == 2


def test_confirming_a_different_person_admits_and_keeps_the_warning(staff, today):
    first = services.admit(staff["supervisor"], admission(staff))
    second = services.admit(staff["supervisor"], admission(staff, different_person_confirmed=True))
    assert second.pk != first.pk
    assert f"resident #{first.pk} (same name and date of birth)" in second.intake_warning
    assert "confirmed this is a different person" in second.intake_warning
    assert first.intake_warning == ""
    # The warning is part of the record's first version, committed to by its ledger entry.
    entry = Entry.objects.get(
        action="resident.register", object_type="residents.resident", object_id=str(second.pk)
    )
    assert entry.version_sha256


# -- planned admission ----------------------------------------------------------------------------

PLANNED = TODAY + dt.timedelta(days=10)


@pytest.fixture
def planned(staff, beds, today):
    """Walter, planned for 10 days ahead in beds[0], for 30 days."""
    return services.admit(
        staff["supervisor"],
        admission(staff, admitted_on=PLANNED, bed=beds[0], expected_length_days=30),
    )


def test_a_planned_admission_reserves_the_bed_from_its_date_not_now(planned, beds, staff):
    stay = planned.stays.get()
    assert stay.status == StayStatus.EXPECTED and stay.reserved_bed == beds[0]
    assert not BedAssignment.objects.exists()
    board = {b.bed: b for b in selectors.bed_board(staff["supervisor"])}
    assert not board[beds[0]].occupied and board[beds[0]].reserved_from == PLANNED
    assert beds[0] in selectors.free_beds()  # free until then, for a stay that ends by then


def test_a_planned_resident_is_not_in_residence_before_the_date(planned, staff):
    assert not access_rules.in_residence(planned)
    assert access_rules.stay_standing(access_rules.stay_statuses([planned.pk])[planned.pk]) == (
        False,
        False,
    )
    with pytest.raises(ValidationError, match="on or after that day"):
        services.record_arrival(staff["caseworker"], planned)
    assert planned.stays.get().status == StayStatus.EXPECTED


def test_others_may_book_the_bed_only_for_days_that_do_not_overlap(planned, staff, beds):
    # Today for 10 nights: out on the morning the planned resident comes in. Allowed.
    services.admit(
        staff["supervisor"],
        admission(
            staff, bed=beds[0], expected_length_days=10, given_name="Before", service_number="1"
        ),
    )
    assert BedAssignment.objects.get(bed=beds[0]).stay.resident.given_name == "Before"


def test_a_stay_overlapping_the_reservation_is_refused(planned, staff, beds):
    errors = refused(
        staff, admission(staff, bed=beds[0], expected_length_days=11, given_name="Overlap")
    )
    assert list(errors) == ["bed"] and "reserved from" in errors["bed"][0]


@pytest.mark.parametrize(
    "start_days, length, allowed",
    [
        (40, 5, True),  # comes in the day the first leaves
        (39, 5, False),
        (1, 9, True),  # leaves the day the first comes in
        (5, 10, False),
        (1, 200, False),
    ],
)
def test_two_planned_admissions_share_a_bed_only_apart(
    planned, staff, beds, start_days, length, allowed
):
    adm = admission(
        staff,
        admitted_on=TODAY + dt.timedelta(days=start_days),
        bed=beds[0],
        expected_length_days=length,
        given_name="Second",
    )
    if allowed:
        assert services.admit(staff["supervisor"], adm).stays.get().reserved_bed == beds[0]
    else:
        assert "reserved from" in refused(staff, adm)["bed"][0]


def test_the_arrival_on_the_day_puts_them_in_residence_and_in_the_bed(planned, staff, beds):
    with at(PLANNED, 9):
        stay = services.record_arrival(staff["caseworker"], planned)
        assert stay.status == StayStatus.IN_RESIDENCE and stay.reserved_bed is None
        assert access_rules.in_residence(planned)
        assert BedAssignment.objects.get(released_at__isnull=True).bed == beds[0]
        board = {b.bed: b for b in selectors.bed_board(staff["supervisor"])}
        assert board[beds[0]].occupied and board[beds[0]].reserved_from is None


def test_a_bed_due_for_a_planned_arrival_is_not_offered(planned, beds):
    with at(PLANNED, 9):
        assert beds[0] not in selectors.free_beds()


def test_an_overstay_in_the_reserved_bed_stops_the_arrival_until_another_bed(planned, staff, beds):
    before = services.admit(
        staff["supervisor"],
        admission(
            staff, bed=beds[0], expected_length_days=10, given_name="Stays", service_number="2"
        ),
    )
    with at(PLANNED, 9):
        with pytest.raises(ValidationError, match="already occupied"):
            services.record_arrival(staff["caseworker"], planned)
        assert services.assign_bed(staff["caseworker"], planned, beds[1]) == beds[1]
        services.record_arrival(staff["caseworker"], planned)
    assert BedAssignment.objects.get(stay__resident=planned).bed == beds[1]
    assert BedAssignment.objects.get(stay__resident=before).bed == beds[0]


def test_moving_a_planned_admission_moves_the_reservation_not_an_occupancy(planned, staff, beds):
    services.assign_bed(staff["caseworker"], planned, beds[2])
    assert planned.stays.get().reserved_bed == beds[2]
    assert not BedAssignment.objects.exists()


def test_the_database_keeps_a_reservation_to_planned_stays(planned, beds):
    from django.db import IntegrityError, transaction

    stay = planned.stays.get()
    stay.status = StayStatus.IN_RESIDENCE
    with pytest.raises(IntegrityError), transaction.atomic():
        stay.save()


def test_a_correction_is_held_to_the_same_age_rule_on_the_latest_admission(staff, today):
    r = services.admit(
        staff["supervisor"], admission(staff, admitted_on=TODAY - dt.timedelta(days=5))
    )
    with pytest.raises(ValidationError) as exc:
        services.update_intake(staff["supervisor"], r, {"date_of_birth": dt.date(2015, 1, 1)})
    assert "residents are 17 to 100" in exc.value.message_dict["date_of_birth"][0]
    ok = services.update_intake(staff["supervisor"], r, {"date_of_birth": dt.date(1991, 3, 15)})
    assert ok.date_of_birth == dt.date(1991, 3, 15)
