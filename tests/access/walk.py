"""Walking every URL pattern of the project (pages and the API alike), with the numbers in its
path filled from a small center (tests/access/center.py).

The walk is driven by the URLconf itself, so a page added tomorrow is walked too. Each path
parameter is filled by its name from FILL; a pattern with a parameter FILL does not know is
returned as unknown, and the tests fail on it by name (add a way to fill it): never skipped.
"""

import itertools
import logging
import re

from django.urls import URLPattern, URLResolver, get_resolver

from homecoming.api import api
from homecoming.ledger.models import Entry

# How to fill each path parameter, by its name, from the center: one or more values, each walked.
FILL = {
    "resident_id": lambda c: [c.walter.pk, c.rosa.pk],
    "user_id": lambda c: [c.staff["caseworker"].pk, c.walter_user.pk],
    "action": lambda c: ["edit", "deactivate"],
    "program_id": lambda c: [c.program.pk],
    "room_id": lambda c: [c.walter.stays.get().bed_assignments.get().bed.room_id],
    "bed_id": lambda c: [c.walter.stays.get().bed_assignments.get().bed_id],
    "session_id": lambda c: [c.session.pk],
    "attendee_id": lambda c: [c.session.attendees.get().pk],
    "note_id": lambda c: [c.signed_note.pk, c.draft_note.pk],
    "recording_id": lambda c: [c.recording.pk],
    "instrument": lambda c: ["phq9"],
    "document_id": lambda c: [c.document.pk],
    "code": lambda c: [c.document.code],
    "signal_id": lambda c: [c.signal.pk],
    "complaint_id": lambda c: [c.complaint.pk],
    "attachment_id": lambda c: [c.attachment.pk],
    "investigation_id": lambda c: [c.investigation.pk],
    "grant_id": lambda c: [c.grant.pk],
    "order_id": lambda c: [c.order.pk],
    "allergy_id": lambda c: [c.allergy.pk],
    "vitals_id": lambda c: [c.vitals.pk],
    "flag_id": lambda c: [c.risk_flag.pk],
    "thread_id": lambda c: [c.thread.pk],
    "protocol_id": lambda c: [c.protocol.pk],
    "consent_id": lambda c: [c.consent.pk],
    "event_id": lambda c: [c.event.pk],
    "seq": lambda c: [c.entry_about(c.walter)],
    "alert_id": lambda c: [c.alert_of(c.staff["supervisor"]).pk],
    "token_id": lambda c: [c.token.pk],
    "contact_id": lambda c: [c.follow_up.pk],
    "lost_id": lambda c: [c.lost.pk],
    "secret": lambda c: ["not-a-check-in-link"],  # the public check-in page: an unknown link
    "stay_id": lambda c: [c.walter.stays.get().pk],
    "plan_id": lambda c: [discharge_plan(c).pk],
    "request_id": lambda c: [c.correction.pk],
    # FHIR (issue 17): every type served, and ids of each kind of source (a bare row id, a
    # prefixed one, a resident's own id, which a CareTeam's is)
    "type_name": lambda c: fhir_types(),
    "resource_id": lambda c: [
        c.walter.stays.get().pk,
        c.walter.pk,
        f"vitals-{c.vitals.pk}",
        f"note-{c.signed_note.pk}",
    ],
    "key": lambda c: ["not-an-export"],
}


def fhir_types() -> list[str]:
    from homecoming.fhir import sources

    return sources.types()


def discharge_plan(center):
    """Walter's draft discharge plan, written by his caseworker the first time it is asked."""
    from homecoming.discharge import services
    from homecoming.discharge.models import DischargePlan

    plan = DischargePlan.objects.filter(resident=center.walter).first()
    if plan is None:
        plan = services.write_plan(
            center.staff["caseworker"],
            center.walter.stays.get(),
            disposition="home",
            planned_on=center.walter.stays.get().admitted_on,
            plan="Home to his sister's; weekly outpatient therapy.",
            contacts="Center: (312) 555-0100",
        )
    return plan


PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, name) of every URL pattern, the API's included."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace]))
            yield from url_patterns(p.url_patterns, route, ns)
        elif isinstance(p, URLPattern):
            yield route, f"{namespace}:{p.name}"


def urls(center, *, fill=None, queries=None, with_ids_only=False):
    """Every URL to ask, as (pattern name, route, path), with ids filled; and the patterns there
    is no way to fill. `queries`: for a pattern name, the query strings to ask it with (or a
    function of the center giving them)."""
    fill, queries = fill or FILL, queries or {}
    unknown, found, seen = [], [], set()
    for route, name in url_patterns():
        if route in seen:  # the API lists a path once per method
            continue
        seen.add(route)
        if route.startswith("^") or "(?P" in route:
            unknown.append(f"{name}: a regular expression ({route})")
            continue
        params = PARAM.findall(route)
        if with_ids_only and not params:
            continue
        missing = [p for p in params if p not in fill]
        if missing:
            unknown.append(f"{name} ({route}): no way to fill {', '.join(missing)}")
            continue
        choices = [fill[p](center) for p in params]
        for values in itertools.product(*choices):
            by_name = dict(zip(params, values, strict=True))
            path = "/" + PARAM.sub(lambda m, by_name=by_name: str(by_name[m.group(1)]), route)
            asked = queries.get(name, [""])
            for query in asked(center) if callable(asked) else asked:
                found.append((name, route, path + (f"?{query}" if query else "")))
    return found, unknown


def last_seq() -> int:
    return Entry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def api_methods() -> dict[str, list[str]]:
    """The HTTP methods of each API route (as the URLconf spells it), from django-ninja."""
    methods = {}
    for _, router in api._routers:
        for path, view in router.path_operations.items():
            route = "api/v1/" + re.sub(r"\{(\w+)\}", r"<\1>", path.lstrip("/"))
            for operation in view.operations:
                methods.setdefault(route, []).extend(operation.methods)
    return methods


def quiet_refusals(monkeypatch):
    """Hundreds of refusals are expected in a walk; logging each one's traceback is most of
    its time."""
    for name in ("django.request", "django.security"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", True)
