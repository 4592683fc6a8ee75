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
from homecoming.alerts import services as alerts
from homecoming.ledger import services as ledger

from . import intake_rules as rules
from . import selectors
from .models import (
    Bed,
    BedAssignment,
    CareTeamMember,
    Deployment,
    Program,
    Resident,
    Stay,
    StayCancellation,
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
    "service_number",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
)
# May be left empty: text fields become "", the service end date stays unknown (still serving).
BLANKABLE_INTAKE_FIELDS = ("preferred_name", "pronouns", "service_number")
OPTIONAL_INTAKE_FIELDS = (*BLANKABLE_INTAKE_FIELDS, "service_end")
ARRIVAL = "stay.arrive"  # the ledger's action for record_arrival (core/templatetags/ledger_words)
CANCELLATION = "stay.cancel"  # and for cancel_planned_admission
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
    # The admitter saw the likely-duplicate warning and says this is someone else.
    different_person_confirmed: bool = False


def _write(actor, action, instance, resident, purpose):
    ledger.record_write(actor, str(action), instance, resident_id=resident.pk, purpose=purpose)


def _merge(errors: dict, more: dict):
    for key, messages in more.items():
        errors.setdefault(key, []).extend(messages)


class LikelyDuplicate(ValidationError):
    """The admission may be of someone already registered and that was not confirmed otherwise:
    every problem found, with the residents it may duplicate (the API answers 409 naming them
    when that is the only problem)."""

    def __init__(self, errors: dict, duplicates: list):
        super().__init__(errors)
        self.duplicates = duplicates


def _team_problems(actor, admission) -> dict:
    errors = {}
    caseworker = admission.primary_caseworker
    if caseworker is None:
        errors["primary_caseworker"] = ["Choose the primary caseworker."]
    elif actor is not None and actor.role == Role.CASEWORKER and caseworker.pk != actor.pk:
        errors["primary_caseworker"] = ["A caseworker admits residents to their own caseload."]
    else:
        _merge(errors, _team_member_problems(caseworker, TeamRole.PRIMARY_CASEWORKER))
    if admission.clinician is not None:
        _merge(errors, _team_member_problems(admission.clinician, TeamRole.CLINICIAN))
    return errors


def admission_problems(actor, admission: Admission, intake: dict | None = None):
    """Every problem with an admission, at once: ({field: [messages]}, likely duplicates).
    Values left out (None) are skipped: the form or the schema says they are missing."""
    today = timezone.localdate()
    intake = intake if intake is not None else admission.intake
    errors: dict[str, list[str]] = {}
    admitted_on, length = admission.admitted_on, admission.expected_length_days
    _merge(errors, rules.person_problems(intake, today, admitted_on))
    _merge(errors, rules.admission_date_problems(admitted_on, today))
    _merge(
        errors,
        rules.deployment_problems(admission.deployments, intake.get("date_of_birth"), admitted_on),
    )
    if admitted_on is None:
        errors["admitted_on"] = ["Give the admission date."]
    if length is None or length < 1:
        errors["expected_length_days"] = ["The expected stay is at least one day."]
    _merge(errors, _team_problems(actor, admission))
    if admission.bed is not None and admitted_on is not None:
        # A refused length still books at least a night: the bed's own problem is named too.
        start, end = rules.booked_period(admitted_on, max(length or 1, 1), today)
        if problems := rules.bed_problems(admission.bed, start, end, today):
            errors["bed"] = problems
    program = admission.program
    if program is not None and not Program.objects.filter(pk=program.pk, active=True).exists():
        errors["program"] = [f"The program {program} is retired; choose another."]
    duplicates = rules.likely_duplicates(intake)
    if duplicates:
        # The warning tells the admitter these residents exist: a look at each, on the ledger.
        selectors.record_listing(actor, [d.resident for d in duplicates])
        if not admission.different_person_confirmed:
            errors[rules.DIFFERENT_PERSON] = [rules.duplicate_message(duplicates)]
    return errors, duplicates


def _check_intake(intake: dict, admitted_on=None):
    errors = rules.person_problems(intake, timezone.localdate(), admitted_on)
    if errors:
        raise ValidationError(errors)


def _team_member_problems(user, team_role) -> dict:
    needed = TEAM_ROLE_NEEDS[TeamRole(team_role)]
    if user.role != needed or not user.is_active:
        return {team_role: [f"{user} is not an active {Role(needed).label.lower()}."]}
    return {}


def _check_team_member(user, team_role):
    if problems := _team_member_problems(user, team_role):
        raise ValidationError(problems)


def _intake_warning(duplicates) -> str:
    """What the warning said, kept with the new resident when the admitter confirmed a
    different person."""
    if not duplicates:
        return ""
    return (
        "Intake warned of a likely duplicate: "
        + "; ".join(d.words for d in duplicates)
        + ". The person admitting confirmed this is a different person."
    )


def admit(actor, admission: Admission) -> Resident:
    """Intake: register a resident, open their stay, give them a bed (or, for a planned
    admission, reserve it from the admission date) and a care team. Every problem is named at
    once and nothing is written unless there are none."""
    decision = policy.require(actor, Action.REGISTER)
    intake = {k: admission.intake.get(k) for k in INTAKE_FIELDS}
    for k in ("preferred_name", "pronouns", "service_number"):
        intake[k] = intake[k] or ""
    intake["service_number"] = rules.normal_service_number(intake["service_number"])
    errors, duplicates = admission_problems(actor, admission, intake)
    if rules.DIFFERENT_PERSON in errors:
        raise LikelyDuplicate(errors, duplicates)
    if errors:
        raise ValidationError(errors)
    program, bed, today = admission.program, admission.bed, timezone.localdate()
    planned = admission.admitted_on > today
    purpose = decision.purpose
    try:
        with transaction.atomic():
            if bed is not None:  # checked again under the bed's lock: another intake may race
                Bed.objects.select_for_update(no_key=True).get(pk=bed.pk)
                start, end = rules.booked_period(
                    admission.admitted_on, admission.expected_length_days, today
                )
                if problems := rules.bed_problems(bed, start, end, today):
                    raise ValidationError({"bed": problems})
            now = timezone.now()
            resident = Resident.objects.create(
                # Confirmed a different person: what the warning said is kept with the record.
                registered_at=now,
                intake_warning=_intake_warning(duplicates),
                **intake,
            )
            _write(actor, Action.REGISTER, resident, resident, purpose)
            for d in admission.deployments:
                dep = Deployment.objects.create(resident=resident, **d)
                _write(actor, Action.REGISTER, dep, resident, purpose)
            for team_role, user in (
                (TeamRole.PRIMARY_CASEWORKER, admission.primary_caseworker),
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
                reserved_bed=bed if planned else None,
            )
            if bed is not None and not planned:
                _place_in_bed(actor, stay, bed, purpose)
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
    if "service_number" in changes:
        changes["service_number"] = rules.normal_service_number(changes["service_number"])
    merged = {k: getattr(resident, k) for k in INTAKE_FIELDS} | changes
    # The age is counted on the latest admission, as at intake.
    latest = resident.stays.order_by("-admitted_on").values_list("admitted_on", flat=True).first()
    _check_intake(merged, latest)
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


def _create_stay(
    actor, resident, admitted_on, expected_length_days, purpose, program=None, reserved_bed=None
) -> Stay:
    """A stay admitted today or earlier is in residence; a later one is a planned admission,
    expected until its arrival is recorded (record_arrival)."""
    status = StayStatus.IN_RESIDENCE if admitted_on <= timezone.localdate() else StayStatus.EXPECTED
    stay = Stay.objects.create(
        resident=resident,
        program=program,
        admitted_on=admitted_on,
        expected_length_days=expected_length_days,
        status=status,
        opened_at=timezone.now(),
        reserved_bed=reserved_bed,
    )
    _write(actor, Action.OPEN_STAY, stay, resident, purpose)
    return stay


def open_stay(actor, resident: Resident, admitted_on: dt.date, expected_length_days: int) -> Stay:
    decision = policy.require(actor, Action.OPEN_STAY, resident)
    errors = {}
    if expected_length_days is None or expected_length_days < 1:
        errors["expected_length_days"] = ["The expected stay is at least one day."]
    today = timezone.localdate()
    _merge(errors, rules.admission_date_problems(admitted_on, today))
    if errors:
        raise ValidationError(errors)
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


def _integrity_message(exc, bed) -> ValidationError:
    text = str(exc)
    if "out of service" in text:
        return ValidationError({"bed": f"Bed {bed} was taken out of service. Choose another."})
    if "bed_never_double_booked" in text or "residents_bedassignment.bed_id" in text:
        return ValidationError({"bed": f"Bed {bed} is already occupied. Choose a free bed."})
    return ValidationError(
        "The change conflicts with another one made at the same time. Try again."
    )


def assign_bed(actor, resident: Resident, bed: Bed) -> Bed:
    """Move the resident's open stay into a bed (releasing the one they had). For a planned
    admission not yet arrived, the bed is reserved from the admission date instead."""
    decision = policy.require(actor, Action.ASSIGN_BED, resident)
    stay = resident.stays.filter(status__in=[StayStatus.EXPECTED, StayStatus.IN_RESIDENCE]).first()
    if stay is None:
        raise ValidationError("Open a stay before assigning a bed.")
    today = timezone.localdate()
    start, end = rules.booked_period(stay.admitted_on, stay.expected_length_days, today)
    try:
        with transaction.atomic():
            Bed.objects.select_for_update(no_key=True).get(pk=bed.pk)  # one booking at a time
            if problems := rules.bed_problems(bed, start, end, today, stay=stay):
                raise ValidationError({"bed": problems})
            if stay.status == StayStatus.EXPECTED:
                stay = Stay.objects.select_for_update(no_key=True).get(pk=stay.pk)
                if stay.reserved_bed_id != bed.pk:
                    stay.reserved_bed = bed
                    stay.save(update_fields=["reserved_bed"])
                    _write(actor, Action.ASSIGN_BED, stay, resident, decision.purpose)
                return bed
            return _place_in_bed(actor, stay, bed, decision.purpose).bed
    except IntegrityError as exc:  # another admission took the bed a moment ago
        raise _integrity_message(exc, bed) from exc


def record_arrival(actor, resident: Resident) -> Stay:
    """A planned admission's resident has arrived (on or after the admission date): the stay is
    in residence from now, and the reserved bed becomes theirs. Before the date nobody can act
    as if they were here: the medication round and the eMAR ask for a stay in residence."""
    decision = policy.require(actor, Action.OPEN_STAY, resident)
    stay = resident.stays.filter(status=StayStatus.EXPECTED).first()
    if stay is None:
        raise ValidationError("There is no planned admission to record the arrival of.")
    today = timezone.localdate()
    if stay.admitted_on > today:
        raise ValidationError(
            {
                "admitted_on": f"The admission is planned for {rules.day(stay.admitted_on)}: "
                "record the arrival on or after that day."
            }
        )
    bed = None
    try:
        with transaction.atomic():
            stay = Stay.objects.select_for_update(no_key=True).get(pk=stay.pk)
            if stay.status != StayStatus.EXPECTED:  # recorded a moment ago by someone else
                return stay
            bed = stay.reserved_bed
            if bed is not None:
                Bed.objects.select_for_update(no_key=True).get(pk=bed.pk)
                start, end = rules.booked_period(stay.admitted_on, stay.expected_length_days, today)
                if problems := rules.bed_problems(bed, start, end, today, stay=stay):
                    raise ValidationError(
                        {"bed": [*problems, "Assign another bed, then record the arrival."]}
                    )
            stay.status = StayStatus.IN_RESIDENCE
            stay.reserved_bed = None
            stay.save(update_fields=["status", "reserved_bed"])
            # Allowed as opening a stay is, but its own words in the record: "recorded the
            # arrival", not a second "opened a stay".
            _write(actor, ARRIVAL, stay, resident, decision.purpose)
            if bed is not None:
                _place_in_bed(actor, stay, bed, decision.purpose)
    except IntegrityError as exc:
        raise _integrity_message(exc, bed) from exc
    return stay


def cancel_planned_admission(actor, resident: Resident, reason: str) -> Stay:
    """A planned admission will not happen: the stay is cancelled (never in residence, so
    never "discharged"), its reserved bed is free again, and the reason is kept beside it. Only
    before the arrival is recorded: after, the stay ends by discharge. The care team and the
    supervisors are told, so a planned admission cannot vanish unseen."""
    decision = policy.require(actor, Action.OPEN_STAY, resident)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the planned admission is cancelled."})
    with transaction.atomic():
        stay = (
            Stay.objects.select_for_update(no_key=True)
            .filter(resident=resident, status=StayStatus.EXPECTED)
            .first()
        )
        if stay is None:
            raise ValidationError(
                "There is no planned admission to cancel: once the arrival is recorded, the "
                "stay ends by discharge."
            )
        reserved = stay.reserved_bed
        stay.status = StayStatus.CANCELLED
        stay.reserved_bed = None
        stay.save(update_fields=["status", "reserved_bed"])
        _write(actor, CANCELLATION, stay, resident, decision.purpose)
        cancellation = StayCancellation.objects.create(
            stay=stay, reason=reason, cancelled_by=actor, cancelled_at=timezone.now()
        )
        _write(actor, CANCELLATION, cancellation, resident, decision.purpose)
        # The care team planned for the person, and the supervisors keep the center's beds:
        # one caseworker alone cannot make an expected arrival vanish unseen.
        team = {m.user for m in resident.care_team.filter(ended_at__isnull=True)}
        team |= set(get_user_model().objects.filter(role=Role.SUPERVISOR, is_active=True))
        freed = f" Bed {reserved} is free again." if reserved is not None else ""
        alerts.notify(
            [u for u in team if u.is_active and u.pk != actor.pk],
            kind="admission_cancelled",
            message=(
                f"{actor} cancelled the planned admission of {resident.display_name} on "
                f"{rules.day(stay.admitted_on)}: {reason.rstrip('.')}.{freed}"
            ),
            resident=resident,
        )
    return stay


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
