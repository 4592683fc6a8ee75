"""Who cares for a resident, and where: sessions as Encounters, the care team as a CareTeam,
staff as Practitioners with their PractitionerRoles, rooms and beds as Locations."""

from django.contrib.auth import get_user_model
from django.db.models import CharField, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Cast, Coalesce, Greatest, TruncDate

from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.encounters.models import Attendance, SessionAttendee
from homecoming.encounters.scheduling import center_zone
from homecoming.ledger.models import Version
from homecoming.residents.models import Bed, CareTeamMember, Resident, Room, Stay, StayStatus

from .resources import concept, patient_ref, period, practitioner_ref, ref, without_empty
from .sources import Source, register

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
STAFF_SYSTEM = "urn:homecoming:staff"

# ---------------------------------------------------------------------------------------------
# Sessions as Encounters

# One Encounter per resident at a session (a SessionAttendee row): a group session is several
# residents' encounters with the same caseworker, and each resident's record holds only their
# own, as their week in the portal shows them (other attendees are never named).
#
# The status is the resident's attendance, not the session's: holding or cancelling a session
# settles every attendee's row (scheduling.close and cancel), so the attendance says all the
# session's status does, and more for this one resident. R4 has no "no-show": a resident who
# did not come had an encounter that ended before it began, which is what "cancelled" means.
ENCOUNTER_STATUS = {
    Attendance.EXPECTED: "planned",
    Attendance.CHECKED_IN: "arrived",
    Attendance.ATTENDED: "finished",
    Attendance.NO_SHOW: "cancelled",
    Attendance.CANCELLED: "cancelled",
}

# Sessions are only for residents living at the center (scheduling._check_stays needs an open
# stay begun by the session's day): the encounter happens during a residential, non-acute
# admission, which v3 ActCode names NONAC ("inpatient non-acute", under IMP). AMB would say
# the resident came from home and left again, which a resident never does here.
RESIDENTIAL = {"system": ACT_CODE, "code": "NONAC", "display": "inpatient non-acute"}
# The caseworker leads the session: the primary performer.
LEADS = concept("Leads the session", PARTICIPATION_TYPE, "PPRF", "primary performer")


def _newest_version(model_label: str, pk_field: str):
    return Subquery(
        Version.objects.filter(
            object_type=model_label, object_id=Cast(OuterRef(pk_field), CharField())
        )
        .order_by("-seq")
        .values("time")[:1]
    )


def _attendee_rows():
    # The stay the session falls in: the open or discharged stay begun by the session's day
    # (in the center's time zone, as booking checks it) and not ended before it.
    day = OuterRef("session_day")
    stay = (
        Stay.objects.filter(resident=OuterRef("resident"), admitted_on__lte=day)
        .exclude(status=StayStatus.CANCELLED)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=day))
        .order_by("-admitted_on")
    )
    # The resident's encounter changes with their place (attendance) and with the session
    # (its time, its status): it was last updated when either last was.
    attendee = _newest_version("encounters.sessionattendee", "pk")
    session = _newest_version("encounters.session", "session_id")
    return (
        SessionAttendee.objects.select_related("session__caseworker")
        .annotate(session_day=TruncDate("session__starts_at", tzinfo=center_zone()))
        .annotate(
            stay_id=Subquery(stay.values("pk")[:1]),
            changed_at=Greatest(Coalesce(attendee, session), Coalesce(session, attendee)),
        )
    )


def encounter(attendee: SessionAttendee) -> dict:
    session = attendee.session
    place = [{"location": {"display": session.location}}] if session.location else None
    return without_empty(
        {
            "status": ENCOUNTER_STATUS[attendee.attendance],
            "class": RESIDENTIAL,
            "type": [concept(session.get_kind_display())],
            "serviceType": concept(session.title) if session.title else None,
            "subject": patient_ref(attendee.resident_id),
            "episodeOfCare": [ref("EpisodeOfCare", attendee.stay_id)] if attendee.stay_id else None,
            "participant": [{"type": [LEADS], "individual": practitioner_ref(session.caseworker)}],
            "period": period(session.starts_at, session.ends_at),
            "location": place,
        }
    )


def _attendance_in(fhir_code: str) -> Q:
    return Q(attendance__in=[ours for ours, fhir in ENCOUNTER_STATUS.items() if fhir == fhir_code])


# ---------------------------------------------------------------------------------------------
# The care team: one CareTeam per resident, its current members


def _team_rows():
    current = CareTeamMember.objects.filter(ended_at__isnull=True).select_related("user")
    # A member's row last changed when they joined or left; the team, when its newest such
    # change was (the resident's own versions say nothing of the team).
    changes = (
        CareTeamMember.objects.filter(resident=OuterRef("pk"))
        .annotate(changed=Coalesce("ended_at", "started_at"))
        .order_by("-changed")
        .values("changed")[:1]
    )
    return Resident.objects.prefetch_related(
        Prefetch("care_team", queryset=current, to_attr="current_team")
    ).annotate(team_changed=Subquery(changes))


def care_team(resident: Resident) -> dict:
    members = resident.current_team
    return without_empty(
        {
            "status": "active" if members else "inactive",
            "name": "Care team",
            "subject": patient_ref(resident.pk),
            "participant": [
                {
                    "role": [concept(m.get_team_role_display())],
                    "member": practitioner_ref(m.user),
                    "period": period(m.started_at),
                }
                for m in members
            ],
        }
    )


# Whether anyone is on the team now (a subquery, not a join: a join would repeat the resident
# once per member).
HAS_TEAM = Q(Exists(CareTeamMember.objects.filter(resident=OuterRef("pk"), ended_at__isnull=True)))

# ---------------------------------------------------------------------------------------------
# Staff: every account but residents', active or not (past authors stay named)


def _staff_rows():
    return get_user_model().objects.exclude(role=Role.RESIDENT)


def practitioner(user) -> dict:
    return without_empty(
        {
            "identifier": [{"system": STAFF_SYSTEM, "value": user.username}],
            "active": user.is_active,
            "name": [{"text": user.full_name}] if user.full_name else None,
        }
    )


def practitioner_role(user) -> dict:
    roles = [concept(user.get_role_display())]
    for held, words in (
        (user.is_prescriber, "Prescriber"),
        (user.is_medical_lead, "Medical lead"),
        (user.is_trainee, "In training"),
    ):
        if held:
            roles.append(concept(words))
    return {
        "active": user.is_active,
        "practitioner": practitioner_ref(user),
        "code": roles,
    }


# ---------------------------------------------------------------------------------------------
# Rooms and beds: one Location type from two tables


def _physical(code: str, display: str) -> dict:
    return concept(display, PHYSICAL_TYPE, code, display)


def room_location(room: Room) -> dict:
    return {
        "status": "active" if room.in_service else "inactive",
        "name": room.name,
        "description": f"{room.wing} wing",
        "mode": "instance",
        "physicalType": _physical("ro", "Room"),
    }


def bed_location(bed: Bed) -> dict:
    # A bed in a room out of service takes nobody either (Bed.usable): inactive with it.
    return {
        "status": "active" if bed.usable else "inactive",
        "name": str(bed),
        "mode": "instance",
        "physicalType": _physical("bd", "Bed"),
        "partOf": ref("Location", bed.room_id, prefix="room", display=bed.room.name),
    }


BED_USABLE = Q(in_service=True, room__in_service=True)

register(
    Source(
        type="Encounter",
        rows=_attendee_rows,
        resource=encounter,
        # What the resident's week and a session's page read sessions under.
        action=Action.VIEW,
        section="sessions",
        date="session__starts_at",
        updated="changed_at",
        statuses={code: _attendance_in(code) for code in dict.fromkeys(ENCOUNTER_STATUS.values())},
    ),
    Source(
        type="CareTeam",
        rows=_team_rows,
        resource=care_team,
        action=Action.VIEW,  # the chart shows the care team
        section="care team",
        resident="pk",
        updated="team_changed",
        statuses={"active": HAS_TEAM, "inactive": ~HAS_TEAM},
    ),
    Source(type="Practitioner", rows=_staff_rows, resource=practitioner, action=None),
    Source(type="PractitionerRole", rows=_staff_rows, resource=practitioner_role, action=None),
    Source(
        type="Location",
        rows=lambda: Room.objects.all(),
        resource=room_location,
        action=None,
        prefix="room",
        statuses={"active": Q(in_service=True), "inactive": Q(in_service=False)},
    ),
    Source(
        type="Location",
        rows=lambda: Bed.objects.select_related("room"),
        resource=bed_location,
        action=None,
        prefix="bed",
        statuses={"active": BED_USABLE, "inactive": ~BED_USABLE},
    ),
)
