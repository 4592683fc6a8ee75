"""The medication round is bounded work: the same queries for 5 residents as for 60, one policy
decision for all of them (issue 15: 192 queries at 88 residents before), at most 15 of the
page's own."""

import re

import pytest

from homecoming.medications.models import Order
from homecoming.medications.selectors import ROUND_PAGE
from tests.support.photos import photo_storage, take_photo  # noqa: F401
from tests.support.queries import PAGE_BOUND, assert_bounded, page_queries

from .test_views import round_url

# Uploaded photos go to the test's own folder.
pytestmark = pytest.mark.usefixtures("photo_storage")


def _on_the_round(first, last, admit, order):
    """More residents in residence, each with the same order running; every other one with a
    photo (the card shows it for the two-identifier check, read with the list)."""
    for n in range(first, last):
        someone = admit(given_name=f"Roundsman{n}")
        copy = Order.objects.get(pk=order.pk)
        copy.pk = None
        copy.resident = someone
        copy.save()
        if n % 2:
            take_photo(someone.care_team.get(team_role="primary_caseworker").user, someone)


def _round(client, page=1):
    with page_queries() as counted:
        response = client.get(round_url() + f"&page={page}")
    assert response.status_code == 200
    return counted, response.text


def _shown(text):
    return set(re.findall(r"Roundsman\d+", text))


def test_the_round_costs_the_same_for_5_and_60_residents(
    resident,
    admit,
    add_protocol,
    consent_to,
    prescribe,
    nurse,
    client_for,
    django_assert_max_num_queries,
):
    protocol = add_protocol()
    consent_to(resident, protocol)
    order = prescribe(resident, protocol)
    client = client_for(nurse)
    _on_the_round(1, 5, admit, order)
    client.get(round_url())  # the session's first request stamps its activity
    small, text = _round(client)
    assert len(set(re.findall(r"Roundsman\d+", text))) == 4
    assert 'alt="Photo of Roundsman1 Cruz"' in text
    _on_the_round(5, 60, admit, order)
    # The round's own read entries are few (one batch per purpose): it fits the bound
    # whole, ledger writes included.
    with django_assert_max_num_queries(PAGE_BOUND):
        large, text = _round(client)
    assert_bounded(small, large)
    # A page is ROUND_PAGE residents; the pages together show every one, each once.
    seen, page = _shown(text), 1
    assert len(seen) == ROUND_PAGE - 1  # the first resident on the page is not a Roundsman
    while 'rel="next"' in text:
        page += 1
        with django_assert_max_num_queries(PAGE_BOUND):
            _, text = _round(client, page)
        assert not seen & _shown(text)
        seen |= _shown(text)
    assert len(seen) == 59 and page == 3
