"""Every read that shows a resident is written down: a walk over every URL pattern (pages and
the API alike), as every role, in a small center that holds one of every record.

Whenever a response names a resident (their given or family name appears in its body, outside
the page header, which names only the one logged in), the request must have written an allowed
ledger entry about that resident: the entry the resident reads in "who looked".

The walk is driven by the URLconf itself: a page added tomorrow is walked too. Its numbers are
filled from FILL by the name of each path parameter; a pattern with a parameter FILL does not
know fails the test by name (add a way to fill it), never skipped.
"""

import itertools
import logging
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from homecoming.accounts.models import Role
from homecoming.ledger.models import Entry
from tests.conftest import logged_in

from .center import ROSA, WALTER, build

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
    "protocol_id": lambda c: [c.protocol.pk],
    "consent_id": lambda c: [c.consent.pk],
    "event_id": lambda c: [c.event.pk],
    "seq": lambda c: [c.entry_about(c.walter)],
    "alert_id": lambda c: [c.alert_of(c.staff["supervisor"]).pk],
}
# Pages that show residents only when asked something: the questions asked too.
QUERIES = {
    "residents:search": ["q=" + WALTER["family_name"], "q=" + ROSA["family_name"]],
    "residents:bed_board": [""],
}
NAMES = {
    key: (person["given_name"], person["family_name"])
    for key, person in (
        ("walter", WALTER),
        ("rosa", ROSA),
    )
}
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
HEADER = re.compile(r'<header class="site">.*?</header>', re.S)


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, name) of every URL pattern, the API's included."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace]))
            yield from url_patterns(p.url_patterns, route, ns)
        elif isinstance(p, URLPattern):
            yield route, f"{namespace}:{p.name}"


def urls(center):
    """Every URL to ask, with ids filled; and the patterns there is no way to fill."""
    unknown, found, seen = [], [], set()
    for route, name in url_patterns():
        if route in seen:  # the API lists a path once per method
            continue
        seen.add(route)
        if route.startswith("^") or "(?P" in route:
            unknown.append(f"{name}: a regular expression ({route})")
            continue
        params = PARAM.findall(route)
        missing = [p for p in params if p not in FILL]
        if missing:
            unknown.append(f"{name} ({route}): no way to fill {', '.join(missing)}")
            continue
        choices = [FILL[p](center) for p in params]
        for values in itertools.product(*choices):
            by_name = dict(zip(params, values, strict=True))
            path = "/" + PARAM.sub(lambda m, by_name=by_name: str(by_name[m.group(1)]), route)
            for query in QUERIES.get(name, [""]):
                found.append((name, path + (f"?{query}" if query else "")))
    return found, unknown


def body_of(response, url) -> str:
    """The response's text, less the page header (it names the one logged in) and less what
    the request itself sent (a search echoes the words typed)."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    text = HEADER.sub("", content.decode("utf-8", errors="ignore"))
    for _, value in parse_qsl(urlsplit(url).query):
        text = text.replace(value, "")
    return text


@pytest.fixture
def center(staff, admit, make_user, beds, settings, tmp_path, ledger_key):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return build(staff, admit, make_user, beds)


def readers(center):
    """One account of every role (the clinician on the team and one outside it), and nobody."""
    people = {role: center.staff[role] for role in Role.values if role != Role.RESIDENT}
    people["clinician_other"] = center.staff["clinician_other"]
    people["resident"] = center.walter_user
    clients = {who: logged_in(user) for who, user in people.items()}
    clients["anonymous"] = Client()
    return clients


def last_seq() -> int:
    return Entry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_every_response_that_names_a_resident_wrote_their_read_entry(center, monkeypatch):
    # Hundreds of refusals are expected here; logging each one's traceback is most of the time.
    monkeypatch.setattr(logging.getLogger("django.request"), "disabled", True)
    monkeypatch.setattr(logging.getLogger("django.security"), "disabled", True)
    found, unknown = urls(center)
    assert not unknown, "URL patterns the walk cannot fill (add them to FILL):\n" + "\n".join(
        unknown
    )
    residents = {"walter": center.walter, "rosa": center.rosa}
    unrecorded, named, asked = [], 0, 0
    for who, client in readers(center).items():
        for name, url in found:
            before = last_seq()
            response = client.get(url)
            asked += 1
            text = body_of(response, url)
            shown = [key for key, words in NAMES.items() if any(word in text for word in words)]
            if not shown:
                continue
            named += 1
            written = set(
                Entry.objects.filter(seq__gt=before, outcome="allowed").values_list(
                    "resident_id", flat=True
                )
            )
            for key in shown:
                if residents[key].pk not in written:
                    unrecorded.append(
                        f"{who} GET {url} ({name}, {response.status_code}) names "
                        f"{' '.join(NAMES[key])} without a read entry"
                    )
    assert not unrecorded, "\n".join(unrecorded)
    print(f"{asked} requests, {named} named a resident")
    # The walk is not empty: charts, lists and the API all named residents.
    assert named > 100
