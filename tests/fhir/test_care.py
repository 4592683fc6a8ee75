"""Who cares for a resident, and where, as FHIR: a resident's sessions as Encounters (one per
resident at a session, so a group session never names the others), their care team, staff as
Practitioners and PractitionerRoles, rooms and beds as Locations. Each under the policy the pages
use, each refusal on the ledger."""

import datetime as dt

import pytest
from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.encounters import scheduling
from homecoming.ledger.models import Entry
from homecoming.residents import services, setup
from homecoming.residents.models import Room
from tests.support.sessions import at, book, set_clock

from .conftest import bundle_of, fhir_json, matches, outcome, valid

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


def _ids(bundle) -> list[str]:
    return [r["id"] for r in matches(bundle)]


def _denied(actor, resident) -> int:
    return Entry.objects.filter(actor=actor, resident=resident, outcome="denied").count()


@pytest.fixture
def heidi(admit):
    return admit(given_name="Heidi", family_name="Bergman")


@pytest.fixture
def session(resident, staff):
    return book(staff["caseworker"], [resident], at(2, 10), location="Quiet room")


@pytest.fixture
def group(resident, heidi, staff):
    return book(staff["caseworker"], [resident, heidi], at(3, 14), title="Sleep skills")


# ---------------------------------------------------------------------------------------------
# Encounter


def test_a_session_is_the_residents_encounter_with_their_caseworker(
    resident, session, staff, fhir_get
):
    before = Entry.objects.count()
    bundle = bundle_of(fhir_get(staff["caseworker"], "Encounter", patient=resident.pk))
    (found,) = matches(bundle)
    attendee = session.attendees.get()
    assert found["id"] == str(attendee.pk)
    assert found["status"] == "planned"
    assert found["class"]["code"] == "NONAC"
    assert found["type"] == [{"text": "Individual session"}]
    assert found["subject"] == {"reference": f"Patient/{resident.pk}"}
    (lead,) = found["participant"]
    assert lead["individual"]["reference"] == f"Practitioner/{staff['caseworker'].pk}"
    assert lead["type"][0]["coding"][0]["code"] == "PPRF"
    assert (
        found["period"]["start"].endswith("Z") and found["period"]["end"] > found["period"]["start"]
    )
    assert found["episodeOfCare"] == [{"reference": f"EpisodeOfCare/{resident.stays.get().pk}"}]
    assert found["location"] == [{"location": {"display": "Quiet room"}}]
    assert found["meta"]["lastUpdated"].endswith("Z")
    (look,) = Entry.objects.filter(seq__gt=before).exclude(action__startswith="token.")
    assert look.resident_id == resident.pk and look.action == "resident.view"
    assert "sessions" in look.details["sections"]


def test_a_group_session_is_one_encounter_per_resident_naming_only_them(
    resident, heidi, group, staff, fhir_get
):
    for person in (resident, heidi):
        (found,) = matches(bundle_of(fhir_get(staff["caseworker"], "Encounter", patient=person.pk)))
        assert found["id"] == str(group.attendees.get(resident=person).pk)
        assert found["subject"] == {"reference": f"Patient/{person.pk}"}
        assert found["type"] == [{"text": "Group session"}]
        assert found["serviceType"] == {"text": "Sleep skills"}
        assert f"Patient/{(heidi if person == resident else resident).pk}" not in str(found)


def test_attendance_is_the_encounters_status(resident, heidi, group, staff, fhir_get, monkeypatch):
    caseworker = staff["caseworker"]
    walter_place = group.attendees.get(resident=resident)
    set_clock(monkeypatch, group.starts_at)
    scheduling.check_in(caseworker, walter_place)
    found = valid(fhir_json(fhir_get(caseworker, f"Encounter/{walter_place.pk}")))
    assert found["status"] == "arrived"
    set_clock(monkeypatch, group.starts_at + dt.timedelta(minutes=5))
    scheduling.close(caseworker, group)  # Walter attended; Heidi, still expected, did not come
    statuses = {
        person.pk: matches(bundle_of(fhir_get(caseworker, "Encounter", patient=person.pk)))[0][
            "status"
        ]
        for person in (resident, heidi)
    }
    assert statuses == {resident.pk: "finished", heidi.pk: "cancelled"}


def test_a_cancelled_session_is_a_cancelled_encounter(resident, session, staff, fhir_get):
    scheduling.cancel(staff["caseworker"], session, "Walter is at the VA clinic that morning.")
    (found,) = matches(bundle_of(fhir_get(staff["caseworker"], "Encounter", patient=resident.pk)))
    assert found["status"] == "cancelled"


def test_date_status_and_last_updated_narrow_encounters(resident, session, staff, fhir_get):
    day = scheduling.local(session.starts_at).date()
    cases = {
        (("date", day.isoformat()),): 1,
        (("date", f"gt{day.isoformat()}"),): 0,
        (("date", f"lt{day.isoformat()}"),): 0,
        (("status", "planned"),): 1,
        (("status", "finished,cancelled"),): 0,
        (("_lastUpdated", f"ge{YESTERDAY}"),): 1,
        (("_lastUpdated", f"lt{YESTERDAY}"),): 0,
    }
    for asked, total in cases.items():
        bundle = bundle_of(
            fhir_get(staff["caseworker"], "Encounter", patient=resident.pk, **dict(asked))
        )
        assert bundle["total"] == total, asked


def test_a_moved_session_moves_its_encounter(resident, session, staff, fhir_get):
    later = at(4, 15)
    scheduling.reschedule(
        staff["caseworker"], session, later, later + dt.timedelta(hours=1), "Walter asked."
    )
    attendee = session.attendees.get()
    found = valid(fhir_json(fhir_get(staff["caseworker"], f"Encounter/{attendee.pk}")))
    assert found["period"]["start"] == later.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    on_day = bundle_of(
        fhir_get(
            staff["caseworker"],
            "Encounter",
            patient=resident.pk,
            date=scheduling.local(later).date().isoformat(),
        )
    )
    assert _ids(on_day) == [str(attendee.pk)]


def test_a_resident_reads_their_own_encounters_only(
    resident, other_resident, portal_user, session, staff, fhir_get
):
    theirs = book(staff["caseworker_other"], [other_resident], at(2, 15))
    own = bundle_of(fhir_get(portal_user, "Encounter"))
    assert _ids(own) == [str(session.attendees.get().pk)]
    outcome(fhir_get(portal_user, "Encounter", patient=other_resident.pk), 403, "forbidden")
    outcome(fhir_get(portal_user, f"Encounter/{theirs.attendees.get().pk}"), 403, "forbidden")


def test_encounters_are_refused_off_the_team_and_to_the_contractor(
    resident, session, staff, fhir_get
):
    other = staff["caseworker_other"]
    attendee = session.attendees.get()
    outcome(fhir_get(other, "Encounter", patient=resident.pk), 403, "forbidden")
    outcome(fhir_get(other, f"Encounter/{attendee.pk}"), 403, "forbidden")
    assert _denied(other, resident) == 2
    assert not Entry.objects.filter(actor=other, resident=resident, outcome="allowed").exists()
    outcome(fhir_get(staff["contractor"], "Encounter", patient=resident.pk), 403, "forbidden")
    outcome(fhir_get(staff["contractor"], f"Encounter/{attendee.pk}"), 403, "forbidden")


def test_encounters_are_part_of_everything(resident, session, staff, fhir_get):
    bundle = bundle_of(
        fhir_get(staff["caseworker"], f"Patient/{resident.pk}/$everything", _type="Encounter")
    )
    assert _ids(bundle) == [str(session.attendees.get().pk)]


# ---------------------------------------------------------------------------------------------
# CareTeam


def test_the_care_team_is_its_current_members_in_their_roles(resident, staff, fhir_get):
    before = Entry.objects.count()
    (team,) = matches(bundle_of(fhir_get(staff["clinician"], "CareTeam", patient=resident.pk)))
    assert team["id"] == str(resident.pk) and team["status"] == "active"
    assert team["subject"] == {"reference": f"Patient/{resident.pk}"}
    members = {p["member"]["reference"]: p["role"][0]["text"] for p in team["participant"]}
    assert members == {
        f"Practitioner/{staff['caseworker'].pk}": "Primary caseworker",
        f"Practitioner/{staff['clinician'].pk}": "Clinician",
    }
    assert team["meta"]["lastUpdated"].endswith("Z")
    (look,) = Entry.objects.filter(seq__gt=before).exclude(action__startswith="token.")
    assert look.resident_id == resident.pk and "care team" in look.details["sections"]


def test_a_member_who_left_is_no_longer_on_the_team(resident, staff, fhir_get):
    services.assign_care_team(
        staff["supervisor"], resident, "primary_caseworker", staff["caseworker_other"]
    )
    team = valid(fhir_json(fhir_get(staff["supervisor"], f"CareTeam/{resident.pk}")))
    members = {p["member"]["reference"] for p in team["participant"]}
    assert f"Practitioner/{staff['caseworker_other'].pk}" in members
    assert f"Practitioner/{staff['caseworker'].pk}" not in members


def test_status_and_last_updated_narrow_care_teams(resident, staff, fhir_get):
    cases = {
        (("status", "active"),): 1,
        (("status", "inactive"),): 0,
        (("_lastUpdated", f"ge{YESTERDAY}"),): 1,
        (("_lastUpdated", f"lt{YESTERDAY}"),): 0,
    }
    for asked, total in cases.items():
        bundle = bundle_of(
            fhir_get(staff["caseworker"], "CareTeam", patient=resident.pk, **dict(asked))
        )
        assert bundle["total"] == total, asked


def test_a_team_with_nobody_left_on_it_is_inactive(admit, staff, fhir_get):
    alone = admit(given_name="Heidi", family_name="Bergman", clinician=None)
    services.assign_care_team(staff["supervisor"], alone, "clinician", staff["clinician"])
    alone.care_team.update(ended_at=timezone.now())  # as if everyone had left
    bundle = bundle_of(
        fhir_get(staff["supervisor"], "CareTeam", patient=alone.pk, status="inactive")
    )
    (team,) = matches(bundle)
    assert team["status"] == "inactive" and "participant" not in team


def test_a_resident_reads_their_own_care_team_only(resident, other_resident, portal_user, fhir_get):
    assert _ids(bundle_of(fhir_get(portal_user, "CareTeam"))) == [str(resident.pk)]
    outcome(fhir_get(portal_user, f"CareTeam/{other_resident.pk}"), 403, "forbidden")


def test_care_teams_are_refused_off_the_team_and_to_the_contractor(resident, staff, fhir_get):
    other = staff["caseworker_other"]
    outcome(fhir_get(other, "CareTeam", patient=resident.pk), 403, "forbidden")
    outcome(fhir_get(other, f"CareTeam/{resident.pk}"), 403, "forbidden")
    assert _denied(other, resident) == 2
    outcome(fhir_get(staff["contractor"], f"CareTeam/{resident.pk}"), 403, "forbidden")


# ---------------------------------------------------------------------------------------------
# Practitioner and PractitionerRole: reference data, for staff who care or supervise


def test_staff_are_practitioners_and_residents_are_not(portal_user, staff, make_user, fhir_get):
    gone = make_user(Role.CASEWORKER, username="left_in_june", is_active=False)
    bundle = bundle_of(fhir_get(staff["caseworker"], "Practitioner", _count=50))
    by_id = {p["id"]: p for p in matches(bundle)}
    assert str(portal_user.pk) not in by_id
    assert set(by_id) == {str(u.pk) for u in [*staff.values(), gone]}
    nurse = by_id[str(staff["clinician"].pk)]
    assert nurse["identifier"] == [{"system": "urn:homecoming:staff", "value": "clinician"}]
    assert nurse["name"] == [{"text": staff["clinician"].full_name}] and nurse["active"] is True
    assert by_id[str(gone.pk)]["active"] is False
    outcome(fhir_get(staff["caseworker"], f"Practitioner/{portal_user.pk}"), 404, "not-found")


def test_a_practitioner_role_is_the_role_and_what_else_they_hold(staff, make_user, fhir_get):
    lead = make_user(Role.CLINICIAN, is_prescriber=True, is_medical_lead=True)
    role = valid(fhir_json(fhir_get(staff["supervisor"], f"PractitionerRole/{lead.pk}")))
    assert role["practitioner"]["reference"] == f"Practitioner/{lead.pk}"
    assert [c["text"] for c in role["code"]] == ["Clinician", "Prescriber", "Medical lead"]
    assert role["active"] is True
    plain = valid(
        fhir_json(fhir_get(staff["supervisor"], f"PractitionerRole/{staff['caseworker'].pk}"))
    )
    assert [c["text"] for c in plain["code"]] == ["Caseworker"]


def test_staff_reference_data_is_refused_to_residents_and_those_who_do_not_care(
    portal_user, staff, fhir_get
):
    for reader in (portal_user, staff["contractor"], staff["sysadmin"]):
        for path in ("Practitioner", "PractitionerRole", f"Practitioner/{staff['clinician'].pk}"):
            outcome(fhir_get(reader, path), 403, "forbidden")


# ---------------------------------------------------------------------------------------------
# Location: rooms and beds


def test_rooms_and_beds_are_locations_a_bed_part_of_its_room(beds, staff, fhir_get):
    bundle = bundle_of(fhir_get(staff["caseworker"], "Location", _count=50))
    room = beds[0].room
    ids = set(_ids(bundle))
    assert {f"room-{r.pk}" for r in Room.objects.all()} <= ids
    assert {f"bed-{b.pk}" for b in beds} <= ids and bundle["total"] == 6
    place = valid(fhir_json(fhir_get(staff["caseworker"], f"Location/room-{room.pk}")))
    assert place["name"] == "N101" and place["description"] == "North wing"
    assert place["physicalType"]["coding"][0]["code"] == "ro"
    bed = valid(fhir_json(fhir_get(staff["caseworker"], f"Location/bed-{beds[0].pk}")))
    assert bed["name"] == "N101-A" and bed["physicalType"]["coding"][0]["code"] == "bd"
    assert bed["partOf"]["reference"] == f"Location/room-{room.pk}"
    assert bed["status"] == "active"
    outcome(fhir_get(staff["caseworker"], f"Location/{room.pk}"), 404, "not-found")


def test_out_of_service_rooms_and_their_beds_are_inactive(beds, staff, fhir_get):
    room = beds[0].room
    setup.set_room_service(None, room, False, "Water damage", check_policy=False)
    setup.set_bed_service(None, beds[2], False, "Broken frame", check_policy=False)
    inactive = bundle_of(fhir_get(staff["supervisor"], "Location", status="inactive"))
    assert set(_ids(inactive)) == {
        f"room-{room.pk}",
        f"bed-{beds[0].pk}",
        f"bed-{beds[1].pk}",
        f"bed-{beds[2].pk}",
    }
    active = bundle_of(fhir_get(staff["supervisor"], "Location", status="active"))
    assert set(_ids(active)) == {f"room-{beds[2].room.pk}", f"bed-{beds[3].pk}"}


def test_locations_are_refused_to_residents_and_the_contractor(beds, portal_user, staff, fhir_get):
    for reader in (portal_user, staff["contractor"]):
        outcome(fhir_get(reader, "Location"), 403, "forbidden")
        outcome(fhir_get(reader, f"Location/bed-{beds[0].pk}"), 403, "forbidden")
