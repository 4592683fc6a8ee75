"""The timeline page is bounded work: a page of a long history costs what a short one does (at
most 15 queries of the page's own, issue 15)."""

from tests.support.notes import draft, signed
from tests.support.queries import assert_bounded, page_queries


def _timeline(client, resident):
    with page_queries() as counted:
        response = client.get(f"/residents/{resident.pk}/timeline/?drafts=on")
    assert response.status_code == 200
    return counted, response.text


def test_a_long_timeline_costs_what_a_short_one_does(resident, staff, client_for):
    caseworker = staff["caseworker"]
    client = client_for(caseworker)
    signed(caseworker, resident)
    client.get(f"/residents/{resident.pk}/timeline/")  # the first request stamps the session
    small, _ = _timeline(client, resident)
    for _ in range(40):  # a note started and saved: two changes each
        draft(caseworker, resident)
    large, text = _timeline(client, resident)
    assert "Show more" in text  # a page of 50, the rest behind the keyset link
    assert_bounded(small, large)
