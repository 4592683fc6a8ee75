"""`homecoming center load FILE`: the whole center from one YAML file, idempotently.

The file says what the center should be (docs/operating.md, "The center file"; examples/
center.yaml). Loading it applies only the differences, through the same services as the
director's pages, so each change has its version and ledger entry; loading the same file again
changes nothing. Nothing is ever deleted: a program, room, bed or account missing from the file is
kept (and named in the report); renames are asked for with `was:`.

A bad file is refused whole: the file is read as a YAML node tree (yaml.compose), so every
problem is named with its line, all of them at once; then every change runs in one transaction,
and any refusal from a service (also named by line) rolls all of it back.
"""

from dataclasses import dataclass, field

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from homecoming.accounts import services as accounts
from homecoming.accounts.models import Role, User

from . import setup
from .models import Bed, Center, Program, Room

STAFF_ROLES = [r for r in Role.values if r != Role.RESIDENT]
TOP = {"center", "programs", "rooms", "staff"}
CENTER_KEYS = {"name", "time_zone", "operator", "sponsor"}
PROGRAM_KEYS = {"name", "was", "description", "active"}
ROOM_KEYS = {"name", "was", "wing", "beds", "out_of_service"}
BED_KEYS = {"label", "was", "out_of_service"}
STAFF_KEYS = {
    "username",
    "full_name",
    "role",
    "email",
    "prescriber",
    "medical_lead",
    "trainee",
    "takes_new_residents",
}
STAFF_FLAGS = {
    "prescriber": "is_prescriber",
    "medical_lead": "is_medical_lead",
    "trainee": "is_trainee",
    "takes_new_residents": "takes_new_residents",
}


class LoadError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class Report:
    source: str
    changes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    passwords: list[tuple[str, str]] = field(default_factory=list)

    def text(self, dry_run=False) -> str:
        if not self.changes:
            lines = [f"Nothing changed: the database already matches {self.source}."]
        else:
            verb = "Would make" if dry_run else "Made"
            lines = [f"{verb} {len(self.changes)} change(s) from {self.source}:"]
            lines += [f"  {c}" for c in self.changes]
        if self.kept:
            lines.append("Kept, though not in the file (nothing is ever deleted):")
            lines += [f"  {k}" for k in self.kept]
        if self.passwords and not dry_run:
            lines.append(
                "One-time passwords of the new accounts (shown once, not stored in the clear; "
                "each person replaces theirs and enrols a second factor at first log-in):"
            )
            lines += [f"  {username}: {password}" for username, password in self.passwords]
        return "\n".join(lines)


# Reading the node tree ----------------------------------------------------------------------


class _Reader:
    """Turns nodes into values, writing every problem down with its line instead of stopping."""

    def __init__(self):
        self.problems: list[str] = []
        self._constructor = yaml.SafeLoader("")

    def problem(self, node, message):
        self.problems.append(f"line {node.start_mark.line + 1}: {message}")

    def mapping(self, node, what: str, allowed: set, required=()) -> dict | None:
        """{key: value node} of a mapping, with unknown, repeated and missing keys named."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} should be a mapping of keys to values.")
            return None
        out = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in allowed:
                self.problem(
                    key_node,
                    f"{what}: unknown key {key!r} (known: {', '.join(sorted(allowed))}).",
                )
            elif key in out:
                self.problem(key_node, f"{what}: {key!r} is given twice.")
            else:
                out[key] = value_node
        for key in required:
            if key not in out:
                self.problem(node, f"{what} needs {key!r}.")
        return out

    def sequence(self, node, what: str) -> list:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{what} should be a list (items starting with '- ').")
            return []
        return node.value

    def scalar(self, node):
        if not isinstance(node, yaml.ScalarNode):
            return _NOT_SCALAR
        return self._constructor.construct_object(node)

    def text(self, node, what: str, required=True, max_length=200):
        if node is None:
            return None
        value = self.scalar(node)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # a room called 101, a bed labelled 1
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            self.problem(node, f"{what} should be text.")
            return None
        value = value.strip()
        if required and not value:
            self.problem(node, f"{what} is empty.")
            return None
        if len(value) > max_length:
            self.problem(node, f"{what} has more than {max_length} characters.")
            return None
        return value

    def flag(self, node, what: str):
        if node is None:
            return None
        value = self.scalar(node)
        if not isinstance(value, bool):
            self.problem(node, f"{what} should be true or false.")
            return None
        return value

    def reason(self, node, what: str):
        """out_of_service: a reason (text) takes it out, false brings it back."""
        if node is None:
            return None
        value = self.scalar(node)
        if value is False:
            return False
        if isinstance(value, str) and value.strip():
            return self.text(node, what)
        self.problem(node, f"{what} should be the reason (text), or false to bring it back.")
        return None


_NOT_SCALAR = object()


@dataclass
class _Item:
    node: object
    values: dict


def _line(node) -> str:
    return f"line {node.start_mark.line + 1}"


def parse(text: str):
    """The file as plain items (each with its node, for its line), or LoadError naming every
    problem found in its shape."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise LoadError([f"{where}not valid YAML: {getattr(exc, 'problem', exc)}"]) from exc
    if root is None:
        raise LoadError(["line 1: the file is empty."])
    r = _Reader()
    top = r.mapping(root, "The file", TOP) or {}
    data = {"center": None, "programs": [], "rooms": [], "staff": []}

    if "center" in top:
        c = r.mapping(top["center"], "center", CENTER_KEYS, required=("name", "time_zone")) or {}
        values = {
            "name": r.text(c.get("name"), "center name"),
            "time_zone": r.text(c.get("time_zone"), "time_zone", max_length=64),
            "operator": r.text(c.get("operator"), "operator", required=False),
            "sponsor": r.text(c.get("sponsor"), "sponsor", required=False),
        }
        if values["time_zone"]:
            try:
                setup.check_time_zone(values["time_zone"])
            except ValidationError as exc:
                r.problem(c["time_zone"], exc.message_dict["time_zone"][0])
        data["center"] = _Item(top["center"], {k: v for k, v in values.items() if v is not None})

    seen = {}
    for node in r.sequence(top.get("programs"), "programs"):
        p = r.mapping(node, "A program", PROGRAM_KEYS, required=("name",))
        if p is None:
            continue
        values = {
            "name": r.text(p.get("name"), "program name", max_length=100),
            "was": r.text(p.get("was"), "was", max_length=100),
            "description": r.text(p.get("description"), "description", False, 2000),
            "active": r.flag(p.get("active"), "active"),
        }
        _unique(r, seen, "the program", values["name"], node)
        data["programs"].append(_Item(node, values))

    rooms, beds_total = {}, 0
    for node in r.sequence(top.get("rooms"), "rooms"):
        m = r.mapping(node, "A room", ROOM_KEYS, required=("name", "wing"))
        if m is None:
            continue
        name = r.text(m.get("name"), "room name", max_length=50)
        values = {
            "name": name,
            "was": r.text(m.get("was"), "was", max_length=50),
            "wing": r.text(m.get("wing"), "wing", max_length=50),
            "out_of_service": r.reason(m.get("out_of_service"), "out_of_service"),
            "beds": [],
        }
        _unique(r, rooms, "the room", name, node)
        labels = {}
        for bed_node in r.sequence(m.get("beds"), f"the beds of room {name or '(unnamed)'}"):
            if isinstance(bed_node, yaml.ScalarNode):
                bed = {"label": r.text(bed_node, "bed label", max_length=10)}
            else:
                b = r.mapping(bed_node, "A bed", BED_KEYS, required=("label",))
                if b is None:
                    continue
                bed = {
                    "label": r.text(b.get("label"), "bed label", max_length=10),
                    "was": r.text(b.get("was"), "was", max_length=10),
                    "out_of_service": r.reason(b.get("out_of_service"), "out_of_service"),
                }
            _unique(r, labels, f"in room {name}, the bed", bed["label"], bed_node)
            values["beds"].append(_Item(bed_node, bed))
            beds_total += 1
        data["rooms"].append(_Item(node, values))

    users, leads = {}, []
    for node in r.sequence(top.get("staff"), "staff"):
        s = r.mapping(node, "A member of staff", STAFF_KEYS, ("username", "full_name", "role"))
        if s is None:
            continue
        values = {
            "username": r.text(s.get("username"), "username", max_length=150),
            "full_name": r.text(s.get("full_name"), "full_name"),
            "role": r.text(s.get("role"), "role", max_length=32),
            "email": r.text(s.get("email"), "email", required=False, max_length=254),
        }
        for key, attr in STAFF_FLAGS.items():
            values[attr] = r.flag(s.get(key), key)
        if values["role"] is not None and values["role"] not in STAFF_ROLES:
            r.problem(
                s["role"],
                f"unknown role {values['role']!r}; choose one of: {', '.join(STAFF_ROLES)}.",
            )
        _check_staff(r, s, values)
        if values["is_medical_lead"]:
            leads.append(node)
        _unique(r, users, "the username", values["username"], node)
        data["staff"].append(_Item(node, values))
    if len(leads) > 1:
        r.problem(leads[1], f"a second medical lead (the first is at {_line(leads[0])}); only one.")
    if r.problems:
        raise LoadError(_by_line(r.problems))
    return data


def _by_line(problems: list[str]) -> list[str]:
    def line(problem):
        head = problem.split(":", 1)[0]
        return int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 0

    return sorted(problems, key=line)  # stable: problems of one line keep their order


def _check_staff(r, nodes, values):
    """What accounts.create_user would refuse, found before anything is written."""
    role = values["role"]
    if values["email"]:
        try:
            accounts.check_email(values["email"])
        except ValidationError as exc:
            r.problem(nodes["email"], exc.message_dict["email"][0])
    for key, attr in (("prescriber", "is_prescriber"), ("medical_lead", "is_medical_lead")):
        if values[attr] and role in STAFF_ROLES and role != Role.CLINICIAN:
            r.problem(nodes[key], f"only a clinician can be {key.replace('_', ' ')}.")
    if values["is_trainee"] and role in STAFF_ROLES and role not in ("caseworker", "clinician"):
        r.problem(nodes["trainee"], "only caseworkers and clinicians are trainees.")


def _unique(r, seen: dict, what: str, value, node, fold=True):
    if value is None:
        return
    key = value.lower() if fold else value
    if key in seen:
        r.problem(node, f"{what} {value!r} is already given at {_line(seen[key])}.")
    else:
        seen[key] = node


# Applying it --------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def load(text: str, *, dry_run=False, source="the file") -> Report:
    data = parse(text)
    report = Report(source=source)
    problems: list[str] = []
    try:
        with transaction.atomic():
            _apply(data, report, problems)
            if problems:
                raise _Rollback
            if dry_run:
                raise _Rollback
    except _Rollback:
        if problems:
            raise LoadError(_by_line(problems)) from None
    return report


def _attempt(problems, item, action):
    """Run one service call; a refusal is written down with the item's line."""
    try:
        return action()
    except ValidationError as exc:
        messages = (
            [m for ms in exc.message_dict.values() for m in ms]
            if hasattr(exc, "error_dict")
            else exc.messages
        )
        problems.extend(f"{_line(item.node)}: {m}" for m in messages)
        return None


def _apply(data, report: Report, problems: list[str]):
    _apply_center(data["center"], report, problems)
    _apply_programs(data["programs"], report, problems)
    _apply_rooms(data["rooms"], report, problems)
    _apply_staff(data["staff"], report, problems)


def _apply_center(item, report, problems):
    center = Center.objects.first()
    if item is None:
        if center is None:
            problems.append("line 1: there is no center yet: give a 'center:' with its name.")
        return
    values = item.values
    if center is None:
        done = _attempt(
            problems,
            item,
            lambda: setup.create_center(None, **values, check_policy=False),
        )
        if done:
            report.changes.append(f"created the center {values['name']!r}")
        return
    result = _attempt(problems, item, lambda: setup.update_center(None, values, check_policy=False))
    if result and result[1]:
        report.changes.append(f"updated the center's details ({values['name']})")


def _renamed(model, field_name, item, problems, queryset):
    """The row this item is about: the one it was (`was:`), or the one of its name."""
    values = item.values
    name = values[field_name]
    if values.get("was"):
        row = queryset.filter(**{f"{field_name}__iexact": values["was"]}).first()
        if row is None:
            same = queryset.filter(**{f"{field_name}__iexact": name}).first()
            if same is not None:
                return same  # renamed on an earlier load: nothing left to rename
            problems.append(
                f"{_line(item.node)}: was {values['was']!r}, but there is no "
                f"{model._meta.verbose_name} called so."
            )
            return None
        return row
    return queryset.filter(**{f"{field_name}__iexact": name}).first()


def _apply_programs(items, report, problems):
    named = set()
    for item in items:
        v = item.values
        named.add(v["name"].lower())
        if v["was"]:
            named.add(v["was"].lower())
        program = _renamed(Program, "name", item, problems, Program.objects.all())
        if program is None and not v["was"]:
            program = _attempt(
                problems,
                item,
                lambda v=v: setup.add_program(
                    None, v["name"], v["description"] or "", check_policy=False
                ),
            )
            if program is None:
                continue
            report.changes.append(f"added the program {v['name']!r}")
        elif program is None:
            continue
        else:
            old = program.name
            description = v["description"] if v["description"] is not None else None
            changed = _attempt(
                problems,
                item,
                lambda p=program, v=v, d=description: setup.update_program(
                    None, p, name=v["name"], description=d, check_policy=False
                ),
            )
            if changed:
                what = f"renamed the program {old!r} to" if old != v["name"] else "updated"
                report.changes.append(f"{what} {v['name']!r}")
        if v["active"] is not None:
            changed = _attempt(
                problems,
                item,
                lambda p=program, a=v["active"]: setup.set_program_active(
                    None, p, a, check_policy=False
                ),
            )
            if changed:
                verb = "brought back" if v["active"] else "retired"
                report.changes.append(f"{verb} the program {v['name']!r}")
    for program in Program.objects.order_by("name"):
        if program.name.lower() not in named:
            report.kept.append(f"program {program.name!r}")


def _service(problems, item, instance, model, reason, report, noun):
    if reason is None:
        return
    setter = setup.set_room_service if model is Room else setup.set_bed_service
    changed = _attempt(
        problems,
        item,
        lambda: setter(None, instance, reason is False, reason or "", check_policy=False),
    )
    if changed:
        report.changes.append(
            f"took the {noun} {instance} out of service ({reason})"
            if reason
            else f"put the {noun} {instance} back into service"
        )


def _apply_rooms(items, report, problems):
    named = set()
    for item in items:
        v = item.values
        named.update(n.lower() for n in (v["name"], v["was"]) if n)
        room = _renamed(Room, "name", item, problems, Room.objects.all())
        if room is None and v["was"]:
            continue
        if room is None:
            labels = [b.values["label"] for b in v["beds"] if not b.values.get("was")]
            room = _attempt(
                problems,
                item,
                lambda v=v, labels=labels: setup.add_room(
                    None, v["name"], v["wing"], labels, check_policy=False
                ),
            )
            if room is None:
                continue
            report.changes.append(
                f"added the room {room.name} ({room.wing} wing) with beds {', '.join(labels)}"
                if labels
                else f"added the room {room.name} ({room.wing} wing)"
            )
        else:
            old = (room.name, room.wing)
            changed = _attempt(
                problems,
                item,
                lambda room=room, v=v: setup.update_room(
                    None, room, name=v["name"], wing=v["wing"], check_policy=False
                ),
            )
            if changed:
                report.changes.append(
                    f"room {old[0]} ({old[1]} wing) is now {v['name']} ({v['wing']} wing)"
                )
            room.refresh_from_db()
        _service(problems, item, room, Room, v["out_of_service"], report, "room")
        _apply_beds(room, v["beds"], report, problems)
    for room in Room.objects.order_by("name"):
        if room.name.lower() not in named:
            report.kept.append(f"room {room.name}")


def _apply_beds(room, items, report, problems):
    named = set()
    for item in items:
        v = item.values
        named.update(n.lower() for n in (v["label"], v.get("was")) if n)
        bed = _renamed(Bed, "label", item, problems, room.beds.all())
        if bed is None and v.get("was"):
            continue
        if bed is None:
            bed = _attempt(
                problems,
                item,
                lambda v=v: setup.add_bed(None, room, v["label"], check_policy=False),
            )
            if bed is None:
                continue
            if not any(c.startswith(f"added the room {room.name} ") for c in report.changes):
                report.changes.append(f"added the bed {bed}")
        elif bed.label != v["label"]:
            old = str(bed)
            if _attempt(
                problems,
                item,
                lambda bed=bed, v=v: setup.rename_bed(None, bed, v["label"], check_policy=False),
            ):
                bed.refresh_from_db()
                report.changes.append(f"renamed the bed {old} to {bed}")
        _service(problems, item, bed, Bed, v.get("out_of_service"), report, "bed")
    for bed in room.beds.order_by("label"):
        if bed.label.lower() not in named:
            report.kept.append(f"bed {bed}")


def _apply_staff(items, report, problems):
    from .cli import one_time_password

    named = set()
    # A new medical lead after everyone else: a file that moves the role steps the old lead
    # down (medical_lead: false) before the new one takes it.
    for item in sorted(items, key=lambda i: bool(i.values["is_medical_lead"])):
        v = item.values
        named.add(v["username"].lower())
        user = User.objects.filter(username__iexact=v["username"]).first()
        flags = {attr: v[attr] for attr in STAFF_FLAGS.values() if v[attr] is not None}
        if user is None:
            password = one_time_password()
            created = _attempt(
                problems,
                item,
                lambda v=v, flags=flags, password=password: accounts.create_user(
                    None,
                    username=v["username"],
                    full_name=v["full_name"],
                    role=v["role"],
                    password=password,
                    email=v["email"] or "",
                    check_policy=False,
                    must_change_password=True,
                    **flags,
                ),
            )
            if created is not None:
                report.changes.append(
                    f"added the {created.get_role_display().lower()} {created.username} "
                    f"({created.full_name})"
                )
                report.passwords.append((created.username, password))
            continue
        if user.role == Role.RESIDENT:
            problems.append(f"{_line(item.node)}: {user.username!r} is a resident's log-in.")
            continue
        changes = {"full_name": v["full_name"], "role": v["role"], **flags}
        if v["email"] is not None:
            changes["email"] = v["email"]
        if _attempt(
            problems,
            item,
            lambda user=user, changes=changes: accounts.update_user(
                None, user, changes, check_policy=False
            ),
        ):
            report.changes.append(f"updated the account {user.username}")
    for user in User.objects.exclude(role=Role.RESIDENT).order_by("username"):
        if user.username.lower() not in named:
            report.kept.append(f"account {user.username}")
