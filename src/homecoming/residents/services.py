"""Every write to residents, stays, beds and care teams.

Each function checks the access policy first (a denial is recorded and committed on its own),
then does the work, its record versions and its ledger entries in one transaction. Errors a user
can cause are ValidationErrors naming the field, so forms and the API can show them.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.accounts.services import check_new_password, check_new_username
from homecoming.ledger import services as ledger

from .models import (
    Bed,
    BedAssignment,
    CareTeamMember,
    Deployment,
    Program,
    Resident,
    Stay,
    StayStatus,
    TeamRole,
)

INTAKE_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "service_branch",
    "service_start",
    "service_end",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
)
# May be left empty: text fields become "", the service end date stays unknown (still serving).
BLANKABLE_INTAKE_FIELDS = ("preferred_name", "pronouns")
OPTIONAL_INTAKE_FIELDS = (*BLANKABLE_INTAKE_FIELDS, "service_end")
TEAM_ROLE_NEEDS = {TeamRole.PRIMARY_CASEWORKER: Role.CASEWORKER, TeamRole.CLINICIAN: Role.CLINICIAN}


@dataclass
class Admission:
    """Everything the intake form collects: the person, the stay, the bed and the team."""

    intake: dict
    admitted_on: dt.date
    expected_length_days: int
    bed: Bed | None = None
    program: Program | None = None
    primary_caseworker: object = None
    clinician: object = None
    deployments: list[dict] = field(default_factory=list)


def _write(actor, action, instance, resident, purpose):
    ledger.record_write(actor, str(action), instance, resident_id=resident.pk, purpose=purpose)


def _check_intake(intake: dict):
    errors = {}
    dob, start, end = intake["date_of_birth"], intake["service_start"], intake.get("service_end")
    today = timezone.localdate()
    if dob >= today:
        errors["date_of_birth"] = "The date of birth must be in the past."
    elif start <= dob:
        errors["service_start"] = "Service cannot start before the date of birth."
    if end and end < start:
        errors["service_end"] = "Service cannot end before it started."
    if errors:
        raise ValidationError(errors)


def _check_deployments(deployments):
    for i, d in enumerate(deployments, start=1):
        if d.get("ended_on") and d["ended_on"] < d["started_on"]:
            raise ValidationError(
                {"deployments": f"Deployment {i} ({d['location']}) ends before it starts."}
            )


def _check_team_member(user, team_role):
    needed = TEAM_ROLE_NEEDS[TeamRole(team_role)]
    if user.role != needed or not user.is_active:
        raise ValidationError({team_role: f"{user} is not an active {Role(needed).label.lower()}."})


def admit(actor, admission: Admission) -> Resident:
    """Intake: register a resident, open their stay, give them a bed and a care team."""
    decision = policy.require(actor, Action.REGISTER)
    intake = {k: admission.intake.get(k) for k in INTAKE_FIELDS}
    for k in ("preferred_name", "pronouns"):
        intake[k] = intake[k] or ""
    _check_intake(intake)
    _check_deployments(admission.deployments)
    if admission.expected_length_days is None or admission.expected_length_days < 1:
        raise ValidationError({"expected_length_days": "The expected stay is at least one day."})
    caseworker = admission.primary_caseworker
    if caseworker is None:
        raise ValidationError({"primary_caseworker": "Choose the primary caseworker."})
    if actor.role == Role.CASEWORKER and caseworker.pk != actor.pk:
        raise ValidationError(
            {"primary_caseworker": "A caseworker admits residents to their own caseload."}
        )
    _check_team_member(caseworker, TeamRole.PRIMARY_CASEWORKER)
    if admission.clinician is not None:
        _check_team_member(admission.clinician, TeamRole.CLINICIAN)
    bed = admission.bed
    if bed is not None:
        _check_bed_usable(bed)
    if bed is not None and BedAssignment.objects.filter(bed=bed, released_at__isnull=True).exists():
        raise ValidationError({"bed": f"Bed {bed} is already occupied. Choose a free bed."})
    program = admission.program
    if program is not None and not Program.objects.filter(pk=program.pk, active=True).exists():
        raise ValidationError({"program": f"The program {program} is retired; choose another."})

    purpose = decision.purpose
    try:
        with transaction.atomic():
            now = timezone.now()
            resident = Resident.objects.create(registered_at=now, **intake)
            _write(actor, Action.REGISTER, resident, resident, purpose)
            for d in admission.deployments:
                dep = Deployment.objects.create(resident=resident, **d)
                _write(actor, Action.REGISTER, dep, resident, purpose)
            for team_role, user in (
                (TeamRole.PRIMARY_CASEWORKER, caseworker),
                (TeamRole.CLINICIAN, admission.clinician),
            ):
                if user is not None:
                    member = CareTeamMember.objects.create(
                        resident=resident, user=user, team_role=team_role, started_at=now
                    )
                    _write(actor, Action.ASSIGN_CARE_TEAM, member, resident, purpose)
            stay = _create_stay(
                actor,
                resident,
                admission.admitted_on,
                admission.expected_length_days,
                purpose,
                program=program,
            )
            if admission.bed is not None:
                _place_in_bed(actor, stay, admission.bed, purpose)
    except IntegrityError as exc:
        raise _integrity_message(exc, admission.bed) from exc
    return resident


def update_intake(actor, resident: Resident, changes: dict) -> Resident:
    decision = policy.require(actor, Action.EDIT, resident)
    unknown = set(changes) - set(INTAKE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    missing = {
        k: "This field cannot be emptied."
        for k, v in changes.items()
        if v is None and k not in OPTIONAL_INTAKE_FIELDS
    }
    if missing:
        raise ValidationError(missing)
    changes = {
        k: ("" if v is None and k in BLANKABLE_INTAKE_FIELDS else v) for k, v in changes.items()
    }
    merged = {k: getattr(resident, k) for k in INTAKE_FIELDS} | changes
    _check_intake(merged)
    with transaction.atomic():
        resident = Resident.objects.lock(resident.pk)
        changed = False
        for key, value in changes.items():
            if getattr(resident, key) != value:
                setattr(resident, key, value)
                changed = True
        if changed:  # an unchanged save would add a version that says nothing
            resident.full_clean(exclude=["user"])
            resident.save()
            _write(actor, Action.EDIT, resident, resident, decision.purpose)
    return resident


def _create_stay(actor, resident, admitted_on, expected_length_days, purpose, program=None) -> Stay:
    status = StayStatus.IN_RESIDENCE if admitted_on <= timezone.localdate() else StayStatus.EXPECTED
    stay = Stay.objects.create(
        resident=resident,
        program=program,
        admitted_on=admitted_on,
        expected_length_days=expected_length_days,
        status=status,
        opened_at=timezone.now(),
    )
    _write(actor, Action.OPEN_STAY, stay, resident, purpose)
    return stay


def open_stay(actor, resident: Resident, admitted_on: dt.date, expected_length_days: int) -> Stay:
    decision = policy.require(actor, Action.OPEN_STAY, resident)
    if expected_length_days is None or expected_length_days < 1:
        raise ValidationError({"expected_length_days": "The expected stay is at least one day."})
    if resident.stays.filter(status__in=[StayStatus.EXPECTED, StayStatus.IN_RESIDENCE]).exists():
        raise ValidationError("This resident already has an open stay.")
    try:
        with transaction.atomic():
            return _create_stay(
                actor, resident, admitted_on, expected_length_days, decision.purpose
            )
    except IntegrityError as exc:  # a concurrent request opened one first
        raise ValidationError("This resident already has an open stay.") from exc


def _place_in_bed(actor, stay, bed, purpose) -> BedAssignment:
    now = timezone.now()
    current = stay.bed_assignments.select_for_update().filter(released_at__isnull=True).first()
    if current is not None:
        if current.bed_id == bed.pk:
            return current
        current.released_at = now
        current.save(update_fields=["released_at"])
        _write(actor, Action.ASSIGN_BED, current, stay.resident, purpose)
    assignment = BedAssignment.objects.create(stay=stay, bed=bed, assigned_at=now)
    _write(actor, Action.ASSIGN_BED, assignment, stay.resident, purpose)
    return assignment


def _check_bed_usable(bed):
    """An out-of-service bed, or a bed of an out-of-service room, takes nobody (the database
    refuses it too: migration 0003)."""
    bed = Bed.objects.select_related("room").get(pk=bed.pk)
    if not bed.in_service:
        raise ValidationError(
            {"bed": f"Bed {bed} is out of service ({bed.out_of_service_reason}). Choose another."}
        )
    if not bed.room.in_service:
        raise ValidationError(
            {
                "bed": f"Room {bed.room} is out of service ({bed.room.out_of_service_reason}). "
                "Choose another bed."
            }
        )


def _integrity_message(exc, bed) -> ValidationError:
    text = str(exc)
    if "out of service" in text:
        return ValidationError({"bed": f"Bed {bed} was taken out of service. Choose another."})
    if "bed_never_double_booked" in text or "residents_bedassignment.bed_id" in text:
        return ValidationError({"bed": f"Bed {bed} is already occupied. Choose a free bed."})
    return ValidationError(
        "The change conflicts with another one made at the same time. Try again."
    )


def assign_bed(actor, resident: Resident, bed: Bed) -> BedAssignment:
    """Move the resident's open stay into a bed (releasing the one they had)."""
    decision = policy.require(actor, Action.ASSIGN_BED, resident)
    stay = resident.stays.filter(status__in=[StayStatus.EXPECTED, StayStatus.IN_RESIDENCE]).first()
    if stay is None:
        raise ValidationError("Open a stay before assigning a bed.")
    _check_bed_usable(bed)
    occupied = BedAssignment.objects.filter(bed=bed, released_at__isnull=True).exclude(stay=stay)
    if occupied.exists():
        raise ValidationError({"bed": f"Bed {bed} is already occupied. Choose a free bed."})
    try:
        with transaction.atomic():
            return _place_in_bed(actor, stay, bed, decision.purpose)
    except IntegrityError as exc:  # another admission took the bed a moment ago
        raise _integrity_message(exc, bed) from exc


def assign_care_team(actor, resident: Resident, team_role: str, user) -> CareTeamMember:
    """Put a staff member in a care-team role, ending whoever held it."""
    decision = policy.require(actor, Action.ASSIGN_CARE_TEAM, resident)
    if team_role not in TeamRole.values:
        raise ValidationError({"team_role": f"Unknown care-team role {team_role!r}."})
    _check_team_member(user, team_role)
    now = timezone.now()
    try:
        with transaction.atomic():
            current = (
                resident.care_team.select_for_update()
                .filter(team_role=team_role, ended_at__isnull=True)
                .first()
            )
            if current is not None:
                if current.user_id == user.pk:
                    return current
                current.ended_at = now
                current.save(update_fields=["ended_at"])
                _write(actor, Action.ASSIGN_CARE_TEAM, current, resident, decision.purpose)
            member = CareTeamMember.objects.create(
                resident=resident, user=user, team_role=team_role, started_at=now
            )
            _write(actor, Action.ASSIGN_CARE_TEAM, member, resident, decision.purpose)
            return member
    except IntegrityError as exc:
        raise ValidationError("The care team was changed at the same time. Try again.") from exc


def grant_portal_access(
    actor, resident: Resident, username: str, password: str, must_change_password: bool = True
):
    """Give the resident a log-in for the portal (residents have no second factor). The first
    password is chosen by staff, so the resident must replace it at their first log-in."""
    decision = policy.require(actor, Action.GRANT_PORTAL, resident)
    if resident.user_id is not None:
        raise ValidationError("This resident already has a portal log-in.")
    username = check_new_username(username)
    candidate = get_user_model()(
        username=username,
        full_name=resident.display_name,
        role=Role.RESIDENT,
        must_change_password=must_change_password,
    )
    check_new_password(password, candidate)
    candidate.set_password(password)
    try:
        with transaction.atomic():
            resident = Resident.objects.lock(resident.pk)
            if resident.user_id is not None:  # another grant won the race
                raise ValidationError("This resident already has a portal log-in.")
            candidate.save()
            ledger.record_write(
                actor,
                "account.create",
                candidate,
                resident_id=resident.pk,
                purpose=decision.purpose,
            )
            resident.user = candidate
            resident.save(update_fields=["user"])
            _write(actor, Action.GRANT_PORTAL, resident, resident, decision.purpose)
    except IntegrityError as exc:
        raise ValidationError({"username": f"The username {username!r} is taken."}) from exc
    return candidate
