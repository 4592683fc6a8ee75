"""The caseload on the home page is a page of 25 residents at a time (issue 15: the supervisor's
home listed all 200 and wrote them all to the ledger). Only the residents shown are listed on
the ledger; a bad page number is a 400; a page past the last shows the last."""

import re

from homecoming.ledger.models import Entry
from homecoming.residents.selectors import CASELOAD_PAGE


def _shown(text):
    return set(map(int, re.findall(r'href="/residents/(\d+)/"', text)))


def _listed(since, actor):
    entries = Entry.objects.filter(seq__gte=since, actor=actor, action="resident.list")
    return [set(entry.residents_named) for entry in entries]


def test_the_center_is_paged_and_each_page_lists_only_its_residents(
    resident, admit, staff, client_for
):
    for n in range(CASELOAD_PAGE + 4):
        admit(given_name=f"Paged{n:02d}")
    supervisor = staff["supervisor"]
    client = client_for(supervisor)
    since = Entry.objects.count()
    first = client.get("/")
    assert first.status_code == 200
    total = CASELOAD_PAGE + 5
    assert f"Residents with an open stay ({total})" in first.text
    assert "Page 1 of 2" in first.text
    page_one = _shown(first.text)
    assert len(page_one) == CASELOAD_PAGE
    assert _listed(since, supervisor) == [page_one]

    since = Entry.objects.count()
    second = client.get("/?page=2")
    page_two = _shown(second.text)
    assert len(page_two) == 5 and not page_one & page_two
    assert _listed(since, supervisor) == [page_two]
    assert _shown(client.get("/?page=99").text) == page_two


def test_a_page_that_is_not_a_number_is_a_400(resident, staff, client_for):
    response = client_for(staff["caseworker"]).get("/?page=first")
    assert response.status_code == 400
    assert "“first” is not a page number" in response.text


def test_a_caseworker_pages_only_their_care_team(resident, admit, staff, client_for):
    for n in range(3):
        admit(given_name=f"Other{n}", caseworker=staff["caseworker_other"])
    text = client_for(staff["caseworker"]).get("/").text
    assert _shown(text) == {resident.pk}
    assert "Residents on your care team (1)" in text and "Page 1 of" not in text
