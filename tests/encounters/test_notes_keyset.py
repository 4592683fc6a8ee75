"""The notes list is paginated by keyset (core.keyset): a page of the newest, "Older notes" to
the rest, each note once, and "Newer notes" back."""

import re

from homecoming.core.keyset import PAGE
from tests.support.notes import draft


def _note_ids(text) -> list[int]:
    return [int(n) for n in re.findall(r'href="/notes/(\d+)/"', text)]


def _link(text, words) -> str | None:
    found = re.search(r'href="(\?(?:before|after)=\d+)"[^>]*>' + words, text)
    return found.group(1) if found else None


def test_the_second_page_shows_the_rest_and_nothing_twice(resident, staff, client_for):
    caseworker = staff["caseworker"]
    written = [draft(caseworker, resident).pk for _ in range(PAGE + 5)]
    client = client_for(caseworker)
    url = f"/residents/{resident.pk}/notes/"

    first = client.get(url).text
    assert _note_ids(first) == sorted(written, reverse=True)[:PAGE]
    assert _link(first, "Newer notes") is None
    older = _link(first, "Older notes")

    second = client.get(url + older).text
    assert _note_ids(second) == sorted(written, reverse=True)[PAGE:]
    assert _link(second, "Older notes") is None
    assert sorted(_note_ids(first) + _note_ids(second)) == sorted(written)

    # A note written meanwhile does not shift the pages: back is the same first page.
    again = client.get(url + _link(second, "Newer notes")).text
    assert _note_ids(again) == _note_ids(first)


def test_a_page_that_is_not_a_number_is_a_400_naming_it(resident, staff, client_for):
    response = client_for(staff["caseworker"]).get(
        f"/residents/{resident.pk}/notes/?before=abc&after=1"
    )
    assert response.status_code == 400
    assert "“before” must be a row number" in response.text
    assert "not both" in response.text
