"""Setting up the center: its details, programs, rooms and beds. Every write of the director's
pages, of `homecoming init` and of `homecoming center load` goes through here.

Like any other write, each change stores a version of the row and appends its ledger entry in one
transaction; nothing here is resident data, so entries name no resident and carry the purpose
"operations". Nothing is ever deleted: a program is retired, a room or bed is taken out of service
with a reason (the database refuses DELETE on these tables, migration 0003). `check_policy=False`
is for the operator's own commands, run on the server (as `create_user` has it).
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.ledger import services as ledger

from .models import Bed, BedAssignment, Center, Program, Room

PURPOSE = "operations"


def _require(actor, check_policy: bool):
    if check_policy:
        policy.require(actor, Action.MANAGE_CENTER)


def _write(actor, action: str, instance):
    ledger.record_write(actor, action, instance, resident_id=None, purpose=PURPOSE)


def check_time_zone(name: str) -> str:
    """An IANA zone name the system knows (America/Chicago, Europe/Berlin, UTC)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"time_zone": "Give the center's time zone, e.g. America/Chicago."})
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            {"time_zone": f"{name!r} is not a time zone; use a name like America/Chicago."}
        ) from exc
    return name


def _text(errors, key, value, label, max_length, required=True) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    if not isinstance(value, str):
        errors[key] = f"{label} must be text."
        return ""
    if required and not value:
        errors[key] = f"Give the {label.lower()}."
    elif len(value) > max_length:
        errors[key] = f"{label} has at most {max_length} characters."
    return value


def center_zone_name() -> str:
    """The zone times are shown in: the center's own, else the HOMECOMING_TIME_ZONE setting."""
    zone = Center.objects.values_list("time_zone", flat=True).first()
    return zone or settings.TIME_ZONE


def current_center() -> Center:
    center = Center.objects.first()
    if center is None:
        raise ValidationError("There is no center yet: run `homecoming init` first.")
    return center


def overview(actor) -> dict:
    """What the set-up page shows: the center, its programs, rooms with their beds (which are
    occupied, never by whom: no resident data here), and how many stays each program has."""
    policy.require(actor, Action.MANAGE_CENTER)
    occupied = set(
        BedAssignment.objects.filter(released_at__isnull=True).values_list("bed_id", flat=True)
    )
    rooms = list(Room.objects.prefetch_related("beds"))
    for room in rooms:
        room.bed_list = sorted(room.beds.all(), key=lambda b: b.label)
        for bed in room.bed_list:
            bed.occupied = bed.pk in occupied
    return {
        "center": Center.objects.first(),
        "zone": center_zone_name(),
        "programs": list(Program.objects.annotate(stay_count=Count("stays"))),
        "rooms": rooms,
        "beds_in_service": sum(
            1 for r in rooms for b in r.bed_list if b.in_service and r.in_service
        ),
        "beds_total": sum(len(r.bed_list) for r in rooms),
    }


# The center ---------------------------------------------------------------------------------


def _center_fields(changes: dict) -> dict:
    errors, clean = {}, {}
    labels = {"name": ("Name", 200, True), "operator": ("Operator", 200, False)}
    labels["sponsor"] = ("Sponsor", 200, False)
    for key, value in changes.items():
        if key == "time_zone":
            try:
                clean[key] = check_time_zone(value)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        elif key in labels:
            label, length, required = labels[key]
            clean[key] = _text(errors, key, value, label, length, required)
        else:
            errors[key] = f"{key!r} is not a detail of the center."
    if errors:
        raise ValidationError(errors)
    return clean


def create_center(actor, *, name, time_zone, operator="", sponsor="", check_policy=True):
    """The center, once: a database that has one refuses a second."""
    _require(actor, check_policy)
    fields = _center_fields(
        {"name": name, "time_zone": time_zone, "operator": operator, "sponsor": sponsor}
    )
    with transaction.atomic():
        if Center.objects.select_for_update().exists():
            raise ValidationError("This database already holds a center.")
        center = Center.objects.create(**fields)
        _write(actor, "center.create", center)
    return center


def update_center(actor, changes: dict, *, check_policy=True) -> tuple[Center, bool]:
    """Change the center's name, operator, sponsor or time zone. Returns (center, changed)."""
    _require(actor, check_policy)
    fields = _center_fields(changes)
    with transaction.atomic():
        center = Center.objects.select_for_update().first()
        if center is None:
            raise ValidationError("There is no center yet: run `homecoming init` first.")
        changed = _apply(center, fields)
        if changed:
            center.save()
            _write(actor, "center.update", center)
    return center, changed


def _apply(instance, fields: dict) -> bool:
    changed = False
    for key, value in fields.items():
        if getattr(instance, key) != value:
            setattr(instance, key, value)
            changed = True
    return changed


# Programs -----------------------------------------------------------------------------------


def _program_fields(name=None, description=None, *, exclude_pk=None) -> dict:
    errors, clean = {}, {}
    if name is not None:
        clean["name"] = _text(errors, "name", name, "Program name", 100)
        taken = Program.objects.filter(name__iexact=clean["name"]).exclude(pk=exclude_pk)
        if "name" not in errors and taken.exists():
            errors["name"] = f"There is already a program called {clean['name']!r}."
    if description is not None:
        clean["description"] = _text(errors, "description", description, "Description", 2000, False)
    if errors:
        raise ValidationError(errors)
    return clean


def add_program(actor, name: str, description: str = "", *, check_policy=True) -> Program:
    _require(actor, check_policy)
    fields = _program_fields(name, description)
    try:
        with transaction.atomic():
            program = Program.objects.create(**fields)
            _write(actor, "program.add", program)
    except IntegrityError as exc:
        raise ValidationError({"name": "That name was taken at the same time."}) from exc
    return program


def update_program(
    actor, program: Program, *, name=None, description=None, check_policy=True
) -> bool:
    """Rename a program or change its description. Returns whether anything changed."""
    _require(actor, check_policy)
    fields = _program_fields(name, description, exclude_pk=program.pk)
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        changed = _apply(program, fields)
        if changed:
            program.save()
            _write(actor, "program.update", program)
    return changed


def set_program_active(actor, program: Program, active: bool, *, check_policy=True) -> bool:
    """Retire a program (no new stays join it; its stays keep it) or bring it back."""
    _require(actor, check_policy)
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        if program.active == active:
            return False
        program.active = active
        program.save(update_fields=["active"])
        _write(actor, "program.reinstate" if active else "program.retire", program)
    return True


# Rooms and beds -----------------------------------------------------------------------------


def _room_fields(name=None, wing=None, *, exclude_pk=None) -> dict:
    errors, clean = {}, {}
    if name is not None:
        clean["name"] = _text(errors, "name", name, "Room name", 50)
        taken = Room.objects.filter(name__iexact=clean["name"]).exclude(pk=exclude_pk)
        if "name" not in errors and taken.exists():
            errors["name"] = f"There is already a room called {clean['name']!r}."
    if wing is not None:
        clean["wing"] = _text(errors, "wing", wing, "Wing", 50)
    if errors:
        raise ValidationError(errors)
    return clean


def _labels(labels) -> list[str]:
    errors, seen, clean = [], set(), []
    for raw in labels:
        label = (raw or "").strip() if isinstance(raw, str) else str(raw)
        if not label:
            errors.append("A bed needs a label (A, B, 1, 2...).")
        elif len(label) > 10:
            errors.append(f"Bed label {label!r} is longer than 10 characters.")
        elif label.lower() in seen:
            errors.append(f"Bed label {label!r} is given twice.")
        else:
            seen.add(label.lower())
            clean.append(label)
    if errors:
        raise ValidationError({"beds": errors})
    return clean


def add_room(actor, name: str, wing: str, beds=(), *, check_policy=True) -> Room:
    """A new room with its beds (labels such as A and B)."""
    _require(actor, check_policy)
    errors = {}
    fields = {}
    try:
        fields = _room_fields(name, wing)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        labels = _labels(beds)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            room = Room.objects.create(**fields)
            _write(actor, "room.add", room)
            for label in labels:
                _write(actor, "bed.add", Bed.objects.create(room=room, label=label))
    except IntegrityError as exc:
        raise ValidationError({"name": "That room was added at the same time."}) from exc
    return room


def update_room(actor, room: Room, *, name=None, wing=None, check_policy=True) -> bool:
    _require(actor, check_policy)
    fields = _room_fields(name, wing, exclude_pk=room.pk)
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        changed = _apply(room, fields)
        if changed:
            room.save()
            _write(actor, "room.update", room)
    return changed


def _occupied(beds) -> list[str]:
    current = BedAssignment.objects.filter(bed__in=beds, released_at__isnull=True)
    return sorted(str(a.bed) for a in current.select_related("bed__room"))


def _service_change(actor, model, instance, in_service: bool, reason: str, noun: str) -> bool:
    reason = (reason or "").strip()
    if not in_service and not reason:
        raise ValidationError({"reason": f"Say why the {noun} goes out of service."})
    if len(reason) > 200:
        raise ValidationError({"reason": "Keep the reason under 200 characters."})
    with transaction.atomic():
        instance = model.objects.select_for_update().get(pk=instance.pk)
        if not in_service:
            beds = instance.beds.all() if model is Room else [instance]
            occupied = _occupied(beds)
            if occupied:
                raise ValidationError(
                    {
                        "reason": f"Bed {', '.join(occupied)} is occupied: move the resident "
                        f"before taking the {noun} out of service."
                    }
                )
        unchanged = instance.in_service if in_service else instance.out_of_service_reason == reason
        if unchanged and instance.in_service == in_service:
            return False
        instance.in_service = in_service
        instance.out_of_service_reason = "" if in_service else reason
        instance.save(update_fields=["in_service", "out_of_service_reason"])
        state = "in_service" if in_service else "out_of_service"
        _write(actor, f"{noun}.{state}", instance)
    return True


def set_room_service(actor, room: Room, in_service: bool, reason="", *, check_policy=True) -> bool:
    """Take a room out of service (no bed of it takes a resident) with a reason, or back."""
    _require(actor, check_policy)
    return _service_change(actor, Room, room, in_service, reason, "room")


def add_bed(actor, room: Room, label: str, *, check_policy=True) -> Bed:
    _require(actor, check_policy)
    (label,) = _labels([label])
    if room.beds.filter(label__iexact=label).exists():
        raise ValidationError({"label": f"Room {room} already has a bed {label}."})
    try:
        with transaction.atomic():
            bed = Bed.objects.create(room=room, label=label)
            _write(actor, "bed.add", bed)
    except IntegrityError as exc:
        raise ValidationError({"label": "That bed was added at the same time."}) from exc
    return bed


def rename_bed(actor, bed: Bed, label: str, *, check_policy=True) -> bool:
    _require(actor, check_policy)
    try:
        (label,) = _labels([label])
    except ValidationError as exc:
        raise ValidationError({"label": exc.message_dict["beds"]}) from exc
    if bed.room.beds.filter(label__iexact=label).exclude(pk=bed.pk).exists():
        raise ValidationError({"label": f"Room {bed.room} already has a bed {label}."})
    with transaction.atomic():
        bed = Bed.objects.select_for_update().get(pk=bed.pk)
        if bed.label == label:
            return False
        bed.label = label
        bed.save(update_fields=["label"])
        _write(actor, "bed.update", bed)
    return True


def set_bed_service(actor, bed: Bed, in_service: bool, reason="", *, check_policy=True) -> bool:
    """Take a bed out of service with a reason (a broken frame, a leak), or back into service."""
    _require(actor, check_policy)
    return _service_change(actor, Bed, bed, in_service, reason, "bed")
