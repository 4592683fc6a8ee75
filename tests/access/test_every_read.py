"""Every read that shows a resident is written down: a walk over every URL pattern (pages and
the API alike), as every role, in a small center that holds one of every record.

Whenever a response names a resident (their given or family name appears in its body, outside
the page header, which names only the one logged in), the request must have written an allowed
ledger entry about that resident: the entry the resident reads in "who looked".

The walk is driven by the URLconf itself (tests/access/walk.py): a page added tomorrow is walked
too. Its numbers are filled from walk.FILL by the name of each path parameter; a pattern with a
parameter FILL does not know fails the test by name (add a way to fill it), never skipped.
"""

import re
from urllib.parse import parse_qsl, urlsplit

from django.test import Client

from homecoming.accounts.models import Role
from homecoming.ledger.models import Entry
from tests.conftest import logged_in

from .center import ROSA, WALTER
from .walk import last_seq, quiet_refusals, urls

# Pages that show residents only when asked something: the questions asked too.
QUERIES = {
    "residents:search": ["q=" + WALTER["family_name"], "q=" + ROSA["family_name"]],
    "followup:worklist": ["status=due", "status=overdue", "status=lost"],
    "api:list_contacts": ["status=due", "status=lost"],
    # A FHIR search of a resident's record names them: asked about Walter and Rosa.
    "fhir:search": lambda c: ["", f"patient={c.walter.pk}", f"patient={c.rosa.pk}"],
    "fhir:everything": lambda c: ["", "_count=100"],
}
NAMES = {"walter": tuple(WALTER.values()), "rosa": tuple(ROSA.values())}
HEADER = re.compile(r'<header class="site">.*?</header>', re.S)


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


def readers(center):
    """One account of every role (the clinician on the team and one outside it), and nobody."""
    people = {role: center.staff[role] for role in Role.values if role != Role.RESIDENT}
    people["clinician_other"] = center.staff["clinician_other"]
    people["resident"] = center.walter_user
    clients = {who: logged_in(user) for who, user in people.items()}
    clients["anonymous"] = Client()
    return clients


def test_every_response_that_names_a_resident_wrote_their_read_entry(center, monkeypatch):
    quiet_refusals(monkeypatch)
    found, unknown = urls(center, queries=QUERIES)
    assert not unknown, "URL patterns the walk cannot fill (add them to FILL):\n" + "\n".join(
        unknown
    )
    residents = {"walter": center.walter, "rosa": center.rosa}
    unrecorded, named, asked = [], 0, 0
    for who, client in readers(center).items():
        for name, _, url in found:
            before = last_seq()
            response = client.get(url)
            asked += 1
            text = body_of(response, url)
            shown = [key for key, words in NAMES.items() if any(word in text for word in words)]
            if not shown:
                continue
            named += 1
            written = set()
            for entry in Entry.objects.filter(seq__gt=before, outcome="allowed"):
                written |= {entry.resident_id, *entry.residents_named}  # a list names many
            for key in shown:
                if residents[key].pk not in written:
                    unrecorded.append(
                        f"{who} GET {url} ({name}, {response.status_code}) names "
                        f"{' '.join(NAMES[key])} without a read entry"
                    )
    assert not unrecorded, "\n".join(unrecorded)
    # The walk is not empty: charts, lists and the API all named residents.
    assert asked > 1000 and named > 100
