"""Residents, stays and beds over JSON."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from homecoming.access.policy import Action
from homecoming.core.forms import messages_by_field
from homecoming.core.paging import Window
from homecoming.core.schemas import Day, Error, Pages, problem
from homecoming.record import own_copy

from . import intake_rules as rules
from . import selectors, services, setup
from .models import Bed, Program, Resident, ServiceBranch
from .views import attachment

router = Router(tags=["residents"])


class BedOut(Schema):
    id: int
    label: str
    room: str
    wing: str


class StayOut(Schema):
    id: int
    admitted_on: dt.date
    expected_length_days: int
    status: str
    discharged_on: dt.date | None
    program_id: int | None
    # A planned admission (status "expected"): the bed held for it from admitted_on.
    reserved_bed_id: int | None = None


class MemberOut(Schema):
    team_role: str
    user_id: int
    name: str


class DeploymentIO(Schema):
    location: str = Field(min_length=1, max_length=200)
    started_on: Day
    ended_on: Day | None = None


class ResidentSummary(Schema):
    id: int
    display_name: str
    stay: StayOut | None
    bed: BedOut | None


class ResidentOut(ResidentSummary):
    given_name: str
    family_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: dt.date
    service_branch: ServiceBranch
    service_start: dt.date
    service_end: dt.date | None
    service_number: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    deployments: list[DeploymentIO]
    care_team: list[MemberOut]


class IntakeIn(Schema):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    preferred_name: str = Field("", max_length=100)
    pronouns: str = Field("", max_length=40)
    date_of_birth: Day
    service_branch: ServiceBranch
    service_start: Day
    service_end: Day | None = None
    service_number: str = Field("", max_length=20)
    emergency_contact_name: str = Field(min_length=1, max_length=200)
    emergency_contact_relationship: str = Field(min_length=1, max_length=100)
    emergency_contact_phone: str = Field(min_length=1, max_length=40)


class IntakePatch(Schema):
    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    preferred_name: str | None = Field(None, max_length=100)
    pronouns: str | None = Field(None, max_length=40)
    date_of_birth: Day | None = None
    service_branch: ServiceBranch | None = None
    service_start: Day | None = None
    service_end: Day | None = None
    service_number: str | None = Field(None, max_length=20)
    emergency_contact_name: str | None = Field(None, min_length=1, max_length=200)
    emergency_contact_relationship: str | None = Field(None, min_length=1, max_length=100)
    emergency_contact_phone: str | None = Field(None, min_length=1, max_length=40)

    model_config = {
        "json_schema_extra": {
            "examples": [{"preferred_name": "Walt", "emergency_contact_phone": "555-0142"}]
        }
    }


class AdmissionIn(IntakeIn):
    admitted_on: Day
    expected_length_days: int = Field(ge=1, le=730)
    bed_id: int | None = None
    program_id: int | None = None
    primary_caseworker_id: int
    clinician_id: int | None = None
    deployments: list[DeploymentIO] = []
    # Sent after a 409: the admitter checked the existing resident named and this is someone else.
    different_person_confirmed: bool = False

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "given_name": "Dana",
                    "family_name": "Reyes",
                    "preferred_name": "",
                    "pronouns": "she/her",
                    "date_of_birth": "1990-05-02",
                    "service_branch": "navy",
                    "service_start": "2009-07-01",
                    "service_end": None,
                    "service_number": "",
                    "emergency_contact_name": "Luis Reyes",
                    "emergency_contact_relationship": "brother",
                    "emergency_contact_phone": "555-0100",
                    "admitted_on": "2026-03-02",
                    "expected_length_days": 42,
                    "bed_id": 7,
                    "program_id": 1,
                    "primary_caseworker_id": 12,
                    "clinician_id": 15,
                    "deployments": [
                        {
                            "location": "Rota, Spain",
                            "started_on": "2015-01-10",
                            "ended_on": "2015-09-01",
                        }
                    ],
                    "different_person_confirmed": False,
                }
            ]
        }
    }


class IntakeError(Error):
    """Every problem with an admission; with the residents it may duplicate, if any."""

    existing_resident_ids: list[int] = []


# The service names the objects; the API's fields are their ids.
API_FIELD = {
    "bed": "bed_id",
    "program": "program_id",
    "primary_caseworker": "primary_caseworker_id",
    "clinician": "clinician_id",
}


class StayIn(Schema):
    admitted_on: Day
    expected_length_days: int = Field(ge=1, le=730)

    model_config = {
        "json_schema_extra": {
            "examples": [{"admitted_on": "2026-04-06", "expected_length_days": 30}]
        }
    }


class BedIn(Schema):
    bed_id: int

    model_config = {"json_schema_extra": {"examples": [{"bed_id": 7}]}}


class BoardBedOut(Schema):
    bed: BedOut
    occupied: bool
    in_service: bool  # the bed and its room are both in service: it can take a resident
    reserved_from: dt.date | None  # a planned admission holds it from then (free until)
    out_of_service_reason: str
    resident_id: int | None
    resident_name: str | None


def _bed(bed):
    if bed is None:
        return None
    return {"id": bed.pk, "label": bed.label, "room": bed.room.name, "wing": bed.room.wing}


def _summary(row):
    return {
        "id": row.resident.pk,
        "display_name": row.resident.display_name,
        "stay": row.stay,
        "bed": _bed(row.bed),
    }


def _full(chart):
    r = chart.resident
    return {
        **{f: getattr(r, f) for f in services.INTAKE_FIELDS},
        "id": r.pk,
        "display_name": r.display_name,
        "stay": chart.stay,
        "bed": _bed(chart.bed),
        "deployments": chart.deployments,
        "care_team": [
            {"team_role": m.team_role, "user_id": m.user_id, "name": str(m.user)}
            for m in chart.care_team
        ],
    }


def _chart(request, resident_id):
    try:
        return selectors.chart(request.auth, resident_id)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _resident(request, resident_id, action):
    try:
        return selectors.resident_for(request.auth, resident_id, action)
    except Resident.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


def _staff(user_id, field):
    if user_id is None:
        return None
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationError({field: f"No staff member #{user_id}."})
    return user


def _bed_by_id(bed_id):
    if bed_id is None:
        return None
    bed = Bed.objects.select_related("room").filter(pk=bed_id).first()
    if bed is None:
        raise ValidationError({"bed_id": f"No bed #{bed_id}."})
    return bed


def _program_by_id(program_id):
    if program_id is None:
        return None
    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        raise ValidationError({"program_id": f"No program #{program_id}."})
    return program


class ProgramOut(Schema):
    id: int
    name: str
    description: str
    active: bool


class SetupBedOut(Schema):
    id: int
    label: str
    in_service: bool
    out_of_service_reason: str
    occupied: bool


class RoomOut(Schema):
    id: int
    name: str
    wing: str
    in_service: bool
    out_of_service_reason: str
    beds: list[SetupBedOut]


class CenterOut(Schema):
    name: str
    operator: str
    sponsor: str
    time_zone: str
    programs: list[ProgramOut]
    rooms: list[RoomOut]


@router.get("/center", response={200: CenterOut, 403: Error})
def get_center(request):
    """Read the center's set-up: details, programs, rooms and beds. Which beds are occupied,
    never by whom. Only the program director, who keeps the set-up; anyone else is refused
    (403 `forbidden`, on the ledger). No resident is shown, so it is no look at one."""
    view = setup.overview(request.auth)
    c = view["center"]
    return {
        "name": c.name if c else "",
        "operator": c.operator if c else "",
        "sponsor": c.sponsor if c else "",
        "time_zone": view["zone"],
        "programs": view["programs"],
        "rooms": [
            {
                "id": r.pk,
                "name": r.name,
                "wing": r.wing,
                "in_service": r.in_service,
                "out_of_service_reason": r.out_of_service_reason,
                "beds": r.bed_list,
            }
            for r in view["rooms"]
        ],
    }


@router.get(
    "/my-record/download",
    response={200: None, 403: Error},
    openapi_extra={
        "responses": {
            200: {
                "description": 'The resident\'s copy of their own record: {"format": '
                '"homecoming-record", "version": 1, ...} (see docs/using.md)',
                "content": {"application/json": {}},
            }
        }
    },
)
def download_own_record(request):
    """Download your own record as a JSON file, as the portal's "Download my record". Only a
    resident, with their own log-in or token, for their own record; anyone else is refused
    (403 `forbidden`, on the ledger). One ledger entry per download."""
    resident = getattr(request.auth, "resident", None)
    return attachment(own_copy.download(request.auth, resident, "json"))


@router.get("/residents", response={200: list[ResidentSummary]})
@paginate(Pages)
def list_residents(request, q: str = ""):
    """List your caseload (residents with an open stay), or search by name with `q`. Staff
    get the residents the access rules let them list (their caseload; a supervisor or the
    program director the center); others an empty list. `q` matches residents whose legal or
    preferred name contains every word, open stay or not. By family name. The page is one list
    entry on the ledger naming the residents it shows, and only those."""
    user = request.auth
    return Window(
        lambda offset, count: [_summary(r) for r in selectors.listing_page(user, q, offset, count)],
        lambda: selectors.listing_count(user, q),
    )


def _resolved(data) -> tuple[dict, dict]:
    """The bed, program and staff the ids name, and a problem for each id that names none."""
    found, errors = {}, {}
    for key, lookup, field in (
        ("bed", _bed_by_id, "bed_id"),
        ("program", _program_by_id, "program_id"),
        ("primary_caseworker", _staff, "primary_caseworker_id"),
        ("clinician", _staff, "clinician_id"),
    ):
        try:
            found[key] = lookup(data[field], field) if lookup is _staff else lookup(data[field])
        except ValidationError as exc:
            found[key] = None
            errors |= messages_by_field(exc)
    return found, errors


def _refused(errors: dict, duplicates: list):
    errors = {API_FIELD.get(k, k): v for k, v in errors.items()}
    # A likely duplicate alone is a conflict to confirm; anything else is bad input.
    duplicate_only = set(errors) == {rules.DIFFERENT_PERSON}
    return problem(
        409 if duplicate_only else 400,
        " ".join(m for messages in errors.values() for m in messages),
        code="possible_duplicate" if duplicate_only else "invalid",
        errors=errors,
        existing_resident_ids=[d.resident.pk for d in duplicates],
    )


@router.post(
    "/residents", response={201: ResidentOut, 400: IntakeError, 403: Error, 409: IntakeError}
)
def admit(request, payload: AdmissionIn):
    """Admit a resident: intake, a stay, a bed and a care team in one step. Caseworkers,
    supervisors and the program director. An admission date in the future is a planned
    admission (status "expected"), its bed reserved from that day. The resident, the stay, the
    bed and the care team are ledger entries. Errors: 400 `invalid` (every problem at once,
    field by field, including ids that name no bed, program or staff member), 403 `forbidden`
    (on the ledger), 409 `possible_duplicate` (a likely duplicate of an existing resident:
    same name and date of birth, or same service number, named in `existing_resident_ids`;
    send again with `different_person_confirmed` to admit anyway)."""
    data = payload.dict()
    found, lookup_errors = _resolved(data)
    admission = services.Admission(
        intake={k: data[k] for k in services.INTAKE_FIELDS},
        admitted_on=data["admitted_on"],
        expected_length_days=data["expected_length_days"],
        deployments=data["deployments"],
        different_person_confirmed=data["different_person_confirmed"],
        **found,
    )
    try:
        if lookup_errors:
            errors, duplicates = services.admission_problems(request.auth, admission)
            # An id that names nothing says so, rather than "choose one".
            errors = {k: v for k, v in errors.items() if API_FIELD.get(k) not in lookup_errors}
            return _refused(errors | lookup_errors, duplicates)
        resident = services.admit(request.auth, admission)
    except ValidationError as exc:
        return _refused(messages_by_field(exc), getattr(exc, "duplicates", []))
    return Status(201, _full(selectors.chart(request.auth, resident.pk)))


@router.get("/residents/{resident_id}", response={200: ResidentOut, 403: Error, 404: Error})
def get_resident(request, resident_id: int):
    """Read a resident's details: intake, the open stay, the bed and the care team. The care
    team, supervisors, the program director, and the resident themselves; a clinician outside
    the care team only by break-glass on the pages. The read is a look at the resident on the
    ledger. Errors: 403 `forbidden` (on the ledger), 404 `not_found` (no such resident you may
    know of)."""
    return _full(_chart(request, resident_id))


@router.patch(
    "/residents/{resident_id}", response={200: ResidentOut, 400: Error, 403: Error, 404: Error}
)
def update_resident(request, resident_id: int, payload: IntakePatch):
    """Change a resident's intake details: send only the fields that change. The caseworker on
    the care team, a supervisor or the program director. The change is a ledger entry with
    the resident's new version. Errors: 400 `invalid` (a field emptied that cannot be, dates
    that do not hold together: by field), 403 `forbidden` (on the ledger), 404 `not_found`
    (no such resident)."""
    resident = _resident(request, resident_id, Action.EDIT)
    changes = payload.dict(exclude_unset=True)
    services.update_intake(request.auth, resident, changes)
    return _full(selectors.chart(request.auth, resident_id))


@router.get("/residents/{resident_id}/stays", response={200: list[StayOut], 403: Error, 404: Error})
@paginate(Pages)
def list_stays(request, resident_id: int):
    """List a resident's stays: the open one first, then the past ones, newest first. Whoever
    may read the resident; the read is a look at the resident on the ledger. Errors: 403
    `forbidden` (on the ledger), 404 `not_found` (no such resident you may know of)."""
    chart = _chart(request, resident_id)
    return ([chart.stay] if chart.stay else []) + chart.past_stays


@router.post(
    "/residents/{resident_id}/stays", response={201: StayOut, 400: Error, 403: Error, 404: Error}
)
def open_stay(request, resident_id: int, payload: StayIn):
    """Open a new stay (a readmission) for a resident with none open. The caseworker on the
    care team (a former resident's too), a supervisor or the program director; a date in the
    future is a planned admission. The stay is a ledger entry. Errors: 400 `invalid` (the
    resident has an open stay, a length under one day), 403 `forbidden` (on the ledger), 404
    `not_found` (no such resident)."""
    resident = _resident(request, resident_id, Action.OPEN_STAY)
    stay = services.open_stay(
        request.auth, resident, payload.admitted_on, payload.expected_length_days
    )
    return Status(201, stay)


@router.put(
    "/residents/{resident_id}/bed", response={200: BedOut, 400: Error, 403: Error, 404: Error}
)
def assign_bed(request, resident_id: int, payload: BedIn):
    """Put a resident in a bed, releasing the one they had. For a planned admission not yet
    arrived, the bed is reserved for it from the admission date. The caseworker on the care
    team, a supervisor or the program director; a ledger entry. Errors: 400 `invalid` (no open
    stay, no such bed, a bed taken or out of service), 403 `forbidden` (on the ledger), 404
    `not_found` (no such resident)."""
    resident = _resident(request, resident_id, Action.ASSIGN_BED)
    return _bed(services.assign_bed(request.auth, resident, _bed_by_id(payload.bed_id)))


@router.post(
    "/residents/{resident_id}/arrival",
    response={200: StayOut, 400: Error, 403: Error, 404: Error},
)
def record_arrival(request, resident_id: int):
    """Record that a planned admission's resident has arrived. On or after the admission
    date: in residence from now, in the bed reserved for them. The caseworker on the care
    team, a supervisor or the program director; a ledger entry. Errors: 400 `invalid` (no
    planned admission, a day before the admission date, the reserved bed no longer usable),
    403 `forbidden` (on the ledger), 404 `not_found` (no such resident)."""
    resident = _resident(request, resident_id, Action.OPEN_STAY)
    return services.record_arrival(request.auth, resident)


class CancelAdmissionIn(Schema):
    reason: str

    model_config = {
        "json_schema_extra": {
            "examples": [{"reason": "He called: his unit extended the deployment by a month."}]
        }
    }


@router.post(
    "/residents/{resident_id}/planned-admission/cancel",
    response={200: StayOut, 400: Error, 403: Error, 404: Error},
)
def cancel_planned_admission(request, resident_id: int, payload: CancelAdmissionIn):
    """Cancel a planned admission that will not happen, with the reason. Before the arrival
    is recorded: the stay is cancelled with the reason, its reserved bed freed, and the care
    team and the supervisors told. The caseworker on the care team, a supervisor or the
    program director; a ledger entry. Errors: 400 `invalid` (no reason, no planned admission),
    403 `forbidden` (on the ledger), 404 `not_found` (no such resident)."""
    resident = _resident(request, resident_id, Action.OPEN_STAY)
    return services.cancel_planned_admission(request.auth, resident, payload.reason)


@router.get("/beds", response={200: list[BoardBedOut], 403: Error})
@paginate(Pages)
def list_beds(request):
    """List every bed and whether it is occupied, in or out of service, or reserved. Who
    occupies a bed only where you may see them. Caseworkers, clinicians, supervisors and the
    program director; anyone else is refused (403 `forbidden`, on the ledger). The residents
    the page names are one list entry on the ledger (only those)."""
    user = request.auth
    return Window(
        lambda offset, count: [_board_bed(i) for i in selectors.bed_board(user, offset, count)],
        selectors.bed_count,
    )


def _board_bed(item) -> dict:
    return {
        "bed": _bed(item.bed),
        "occupied": item.occupied,
        "in_service": item.bed.usable,
        "out_of_service_reason": (
            item.bed.out_of_service_reason or item.bed.room.out_of_service_reason
        ),
        "resident_id": item.resident.pk if item.resident else None,
        "resident_name": item.resident.display_name if item.resident else None,
        "reserved_from": item.reserved_from,
    }
