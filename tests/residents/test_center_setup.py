"""Setting up a center: the set-up services, the director's pages, and who they refuse.

Every change is a ledger entry with a version; nothing is deleted; an out-of-service bed takes
nobody, by the service and by the database; the insider (the director, a database administrator)
cannot delete a bed with history unseen."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from homecoming.access.policy import AccessDenied
from homecoming.accounts import services as accounts
from homecoming.accounts.models import Role, User
from homecoming.ledger import dbcheck
from homecoming.ledger.models import Entry, Version
from homecoming.residents import services, setup
from homecoming.residents.middleware import CenterTimeZone
from homecoming.residents.models import Bed, BedAssignment, Center, Program, Room


@pytest.fixture
def center(db):
    return setup.create_center(
        None, name="Riverside", time_zone="America/Chicago", check_policy=False
    )


def entries_for(instance):
    return Entry.objects.filter(
        object_type=instance._meta.label_lower, object_id=str(instance.pk)
    ).order_by("seq")


# The services -------------------------------------------------------------------------------


def test_every_set_up_change_is_a_versioned_ledger_entry(center, staff, ledger_key):
    director = staff["program_director"]
    program = setup.add_program(director, "Readjustment", "Six weeks")
    setup.update_program(director, program, name="Residential readjustment")
    setup.set_program_active(director, program, False)
    room = setup.add_room(director, "E301", "East", ["A", "B"])
    setup.update_room(director, room, name="E302")
    bed = room.beds.get(label="A")
    setup.rename_bed(director, bed, "1")
    setup.set_bed_service(director, bed, False, "Leak in the ceiling")
    setup.set_bed_service(director, bed, True)
    setup.update_center(director, {"time_zone": "Europe/Berlin"})

    assert [e.action for e in entries_for(program)] == [
        "program.add",
        "program.update",
        "program.retire",
    ]
    assert [e.action for e in entries_for(bed)] == [
        "bed.add",
        "bed.update",
        "bed.out_of_service",
        "bed.in_service",
    ]
    for e in entries_for(bed):
        assert (e.actor, e.purpose, e.resident_id) == (director, "operations", None)
        assert Version.objects.filter(seq=e.seq, sha256=e.version_sha256).exists()
    assert Center.objects.get().time_zone == "Europe/Berlin"
    assert dbcheck.check().ok  # every row of these models matches its latest version


def test_an_unchanged_save_writes_nothing(center, staff):
    director = staff["program_director"]
    room = setup.add_room(director, "E301", "East", ["A"])
    before = Entry.objects.count()
    assert not setup.update_room(director, room, name="E301", wing="East")
    assert not setup.update_center(director, {"name": "Riverside"})[1]
    assert not setup.set_room_service(director, room, True)
    assert Entry.objects.count() == before


def test_bad_input_names_every_problem(center, staff, beds):
    with pytest.raises(ValidationError) as exc:
        setup.add_room(staff["program_director"], "N101", "", ["A", "a", ""])
    errors = exc.value.message_dict
    assert "already a room called 'N101'" in errors["name"][0]  # the beds fixture has N101
    assert errors["wing"] == ["Give the wing."]
    assert any("given twice" in m for m in errors["beds"])
    assert any("needs a label" in m for m in errors["beds"])
    with pytest.raises(ValidationError, match="not a time zone"):
        setup.update_center(staff["program_director"], {"time_zone": "Mars/Olympus"})
    with pytest.raises(ValidationError, match="Say why"):
        setup.set_bed_service(staff["program_director"], Bed.objects.first(), False, " ")


def test_the_center_is_made_once(center):
    with pytest.raises(ValidationError, match="already holds a center"):
        setup.create_center(None, name="Again", time_zone="UTC", check_policy=False)
    assert Center.objects.count() == 1


def test_an_out_of_service_bed_takes_nobody(center, staff, beds, admit):
    setup.set_bed_service(staff["program_director"], beds[1], False, "Broken frame")
    with pytest.raises(ValidationError, match="out of service"):
        admit(bed=beds[1])
    setup.set_room_service(staff["program_director"], beds[2].room, False, "Repainting")
    with pytest.raises(ValidationError, match="Room N102 is out of service"):
        admit(bed=beds[2])
    resident = admit(bed=beds[0])
    with pytest.raises(ValidationError, match="out of service"):
        services.assign_bed(staff["supervisor"], resident, beds[1])


def test_the_database_refuses_an_out_of_service_bed_too(center, staff, beds, admit):
    resident = admit()
    Bed.objects.filter(pk=beds[1].pk).update(in_service=False, out_of_service_reason="Leak")
    with pytest.raises(DatabaseError, match="out of service"), transaction.atomic():
        BedAssignment.objects.create(
            stay=resident.stays.get(), bed=beds[1], assigned_at=timezone.now()
        )


def test_an_occupied_bed_or_its_room_cannot_go_out_of_service(center, staff, resident, beds):
    director = staff["program_director"]
    with pytest.raises(ValidationError, match="N101-A is occupied"):
        setup.set_bed_service(director, beds[0], False, "Leak")
    with pytest.raises(ValidationError, match="N101-A is occupied"):
        setup.set_room_service(director, beds[0].room, False, "Leak")
    assert Bed.objects.get(pk=beds[0].pk).in_service


def test_out_of_service_beds_are_not_offered_at_intake(center, staff, beds):
    from homecoming.residents.selectors import free_beds

    setup.set_bed_service(staff["program_director"], beds[0], False, "Leak")
    setup.set_room_service(staff["program_director"], beds[2].room, False, "Repainting")
    assert list(free_beds()) == [beds[1]]


def test_a_retired_program_takes_no_new_stay(center, staff, admit):
    program = setup.add_program(staff["program_director"], "Sleep")
    setup.set_program_active(staff["program_director"], program, False)
    admission = services.Admission(
        intake={
            "given_name": "Ann",
            "family_name": "Lee",
            "date_of_birth": dt.date(1990, 1, 1),
            "service_branch": "navy",
            "service_start": dt.date(2010, 1, 1),
            "emergency_contact_name": "B",
            "emergency_contact_relationship": "sister",
            "emergency_contact_phone": "1",
        },
        admitted_on=timezone.localdate(),
        expected_length_days=30,
        program=program,
        primary_caseworker=staff["caseworker"],
    )
    with pytest.raises(ValidationError, match="retired"):
        services.admit(staff["supervisor"], admission)
    setup.set_program_active(staff["program_director"], program, True)
    resident = services.admit(staff["supervisor"], admission)
    assert resident.stays.get().program == program


# Insiders -----------------------------------------------------------------------------------


def test_the_director_cannot_delete_a_bed_with_history(center, staff, resident, beds):
    """Insider replay: the director, even reaching past the pages to the ORM, cannot make a bed
    (and the stays it held) disappear: no service deletes one, and the database refuses."""
    assert not any(name.startswith(("delete", "remove")) for name in dir(setup))
    for bed in (beds[0], beds[1]):  # with an assignment, and with only its own history
        with pytest.raises(DatabaseError), transaction.atomic():
            Bed.objects.filter(pk=bed.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Room.objects.filter(pk=beds[3].room_id).delete()
    program = setup.add_program(staff["program_director"], "Sleep")
    with pytest.raises(DatabaseError), transaction.atomic():
        Program.objects.filter(pk=program.pk).delete()
    assert Bed.objects.filter(pk__in=[beds[0].pk, beds[1].pk]).count() == 2


def test_a_raw_sql_delete_of_a_bed_is_refused_by_the_database(center, beds):
    """The database administrator at a SQL console."""
    with (
        pytest.raises(DatabaseError, match="never away"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM residents_bed WHERE id = %s", [beds[1].pk])
    assert Bed.objects.filter(pk=beds[1].pk).exists()


def test_a_bed_edited_behind_the_application_is_found_by_verify(center, beds, ledger_key):
    Bed.objects.filter(pk=beds[1].pk).update(label="Z")
    report = dbcheck.check()
    assert any(f"residents.bed #{beds[1].pk} differs" in p for p in report.problems)


# Permissions --------------------------------------------------------------------------------

DENIED = ["caseworker", "clinician", "supervisor", "contractor", "oversight", "sysadmin"]


@pytest.mark.parametrize("who", DENIED)
def test_set_up_services_deny_everyone_but_the_director(center, staff, beds, who):
    before = Room.objects.count()
    with pytest.raises(AccessDenied):
        setup.add_room(staff[who], "X1", "West", ["A"])
    with pytest.raises(AccessDenied):
        setup.set_bed_service(staff[who], beds[0], False, "sabotage")
    with pytest.raises(AccessDenied):
        setup.update_center(staff[who], {"name": "Mine now"})
    with pytest.raises(AccessDenied):
        setup.add_program(staff[who], "Secret trial")
    assert Room.objects.count() == before and Bed.objects.get(pk=beds[0].pk).in_service
    denied = Entry.objects.filter(actor=staff[who], outcome="denied", action="center.manage")
    assert denied.count() == 4


@pytest.mark.parametrize("who", [*DENIED, "resident"])
def test_set_up_pages_deny_everyone_but_the_director(center, staff, beds, make_user, who):
    from tests.conftest import logged_in

    user = make_user(Role.RESIDENT) if who == "resident" else staff[who]
    client = logged_in(user)
    program = setup.add_program(staff["program_director"], "Sleep")
    for url in (
        "/center/",
        "/center/edit/",
        "/center/rooms/new/",
        f"/center/beds/{beds[0].pk}/out-of-service/",
        f"/center/programs/{program.pk}/",
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post("/center/rooms/new/", {"name": "X", "wing": "W", "beds": "A"}).status_code
        == 403
    )
    assert not Room.objects.filter(name="X").exists()
    assert client.post(f"/center/programs/{program.pk}/retire/").status_code == 403
    assert client.post(f"/center/beds/{beds[0].pk}/in-service/").status_code == 403
    assert Program.objects.get(pk=program.pk).active


@pytest.mark.parametrize(
    "who", ["caseworker", "clinician", "supervisor", "contractor", "oversight"]
)
def test_account_changes_deny_everyone_but_director_and_sysadmin(staff, client_for, who):
    target = staff["caseworker_other"]
    assert client_for(staff[who]).get(f"/staff/{target.pk}/edit/").status_code == 403
    with pytest.raises(AccessDenied):
        accounts.update_user(staff[who], target, {"takes_new_residents": False})
    assert User.objects.get(pk=target.pk).takes_new_residents


def test_the_sysadmin_manages_accounts_but_not_rooms(center, staff, client_for, beds):
    client = client_for(staff["sysadmin"])
    target = staff["caseworker_other"]
    response = client.post(
        f"/staff/{target.pk}/edit/",
        {"full_name": "Cas Other", "email": "cas@example.org", "role": "caseworker"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.full_name, target.email, target.takes_new_residents) == (
        "Cas Other",
        "cas@example.org",
        False,
    )
    assert entries_for(target).last().action == "account.update"
    assert client.get("/center/").status_code == 403
    assert (
        client.post(f"/center/rooms/{beds[0].room_id}/", {"name": "Z", "wing": "Z"}).status_code
        == 403
    )


def test_the_sysadmin_cannot_edit_a_resident_log_in(staff, client_for, make_user):
    walter = make_user(Role.RESIDENT, username="walter", full_name="Walter Cruz")
    assert client_for(staff["sysadmin"]).get(f"/staff/{walter.pk}/edit/").status_code == 404
    with pytest.raises(ValidationError):
        accounts.update_user(staff["sysadmin"], walter, {"full_name": "W"})


def test_a_role_change_is_told_to_director_and_oversight(staff):
    from homecoming.alerts.models import Alert

    target = staff["contractor"]
    accounts.update_user(staff["sysadmin"], target, {"role": "caseworker"})
    for role in ("program_director", "oversight"):
        assert Alert.objects.filter(
            recipient=staff[role], message__contains="from contractor to caseworker"
        ).exists()


@pytest.mark.parametrize("role", ["oversight", "program_director"])
def test_the_sysadmin_cannot_move_the_last_overseer_aside(staff, role):
    """Insider replay: the sysadmin demotes the only oversight officer (or director) to
    silence them: refused."""
    with pytest.raises(ValidationError, match="last active"):
        accounts.update_user(staff["sysadmin"], staff[role], {"role": "contractor"})
    assert User.objects.get(pk=staff[role].pk).role == role


# The pages ----------------------------------------------------------------------------------


def test_the_director_sets_up_rooms_beds_and_programs_on_the_pages(center, staff, client_for):
    client = client_for(staff["program_director"])
    assert client.get("/center/").status_code == 200
    r = client.post("/center/rooms/new/", {"name": "W401", "wing": "West", "beds": "A, B"})
    assert r.status_code == 302
    room = Room.objects.get(name="W401")
    assert [b.label for b in room.beds.order_by("label")] == ["A", "B"]
    bed = room.beds.get(label="B")
    r = client.post(f"/center/beds/{bed.pk}/out-of-service/", {"reason": "Broken frame"})
    assert r.status_code == 302
    page = client.get("/center/").content.decode()
    assert "Broken frame" in page and "W401" in page
    board = client.get("/beds/").content.decode()
    assert "out of service" in board and "Broken frame" in board
    r = client.post("/center/programs/new/", {"name": "Sleep", "description": ""})
    assert r.status_code == 302 and Program.objects.filter(name="Sleep").exists()
    r = client.post("/center/edit/", {"name": "Riverside", "time_zone": "Nowhere/Land"})
    assert r.status_code == 400 and "not a time zone" in r.content.decode()
    r = client.post("/center/rooms/new/", {"name": "w401", "wing": "West", "beds": "A"})
    assert r.status_code == 400 and "already a room" in r.content.decode()


def test_pages_show_times_in_the_centers_zone(center, settings):
    settings.TIME_ZONE = "UTC"
    seen = []

    def page(request):
        seen.append(timezone.get_current_timezone_name())

    CenterTimeZone(page)(RequestFactory().get("/"))
    assert seen == ["America/Chicago"]
    Center.objects.update(time_zone="")
    CenterTimeZone(page)(RequestFactory().get("/"))
    assert seen[-1] == "UTC"  # no zone of its own: HOMECOMING_TIME_ZONE
    assert zoneinfo.ZoneInfo(seen[0])


# The API ------------------------------------------------------------------------------------


def test_the_api_shows_the_set_up_to_the_director_only(center, staff, beds, api_for):
    setup.set_bed_service(staff["program_director"], beds[1], False, "Leak")
    program = setup.add_program(staff["program_director"], "Sleep")
    body = api_for(staff["program_director"]).get("/api/v1/center").json()
    assert body["time_zone"] == "America/Chicago"
    assert [p["name"] for p in body["programs"]] == ["Sleep"]
    n101 = next(r for r in body["rooms"] if r["name"] == "N101")
    assert n101["beds"][1] == {
        "id": beds[1].pk,
        "label": "B",
        "in_service": False,
        "out_of_service_reason": "Leak",
        "occupied": False,
    }
    for who in ("sysadmin", "caseworker", "contractor"):
        assert api_for(staff[who]).get("/api/v1/center").status_code == 403
    board = api_for(staff["supervisor"]).get("/api/v1/beds").json()["items"]
    leak = next(b for b in board if b["bed"]["id"] == beds[1].pk)
    assert (leak["in_service"], leak["out_of_service_reason"]) == (False, "Leak")

    payload = {
        "given_name": "Ann",
        "family_name": "Lee",
        "date_of_birth": "1990-01-01",
        "service_branch": "navy",
        "service_start": "2010-01-01",
        "emergency_contact_name": "B",
        "emergency_contact_relationship": "sister",
        "emergency_contact_phone": "1",
        "admitted_on": timezone.localdate().isoformat(),
        "expected_length_days": 30,
        "primary_caseworker_id": staff["caseworker"].pk,
        "program_id": program.pk,
        "bed_id": beds[1].pk,
    }
    api = api_for(staff["supervisor"])
    refused = api.post("/api/v1/residents", payload, content_type="application/json")
    assert refused.status_code == 400 and "out of service" in refused.content.decode()
    payload["bed_id"] = beds[0].pk
    admitted = api.post("/api/v1/residents", payload, content_type="application/json")
    assert admitted.status_code == 201 and admitted.json()["stay"]["program_id"] == program.pk
