"""The questionnaires page lists its administrations a page at a time (keyset: core.keyset),
each one once, while the trends above still plot each instrument's latest."""

import re

from homecoming.core.keyset import PAGE
from homecoming.measures import services
from tests.measures.answers import phq9


def _shown(text) -> list[int]:
    return [int(n) for n in re.findall(r'id="questionnaire-(\d+)"', text)]


def test_the_second_page_shows_the_rest_and_nothing_twice(resident, staff, client_for):
    caseworker = staff["caseworker"]
    recorded = [
        services.record(caseworker, resident, "phq9", phq9(rest=n % 4)).pk for n in range(PAGE + 3)
    ]
    client = client_for(caseworker)
    url = f"/residents/{resident.pk}/questionnaires/"
    first = client.get(url).text
    assert _shown(first) == sorted(recorded, reverse=True)[:PAGE]
    older = re.search(r'href="(\?before=\d+)"[^>]*>Older questionnaires', first).group(1)
    second = client.get(url + older).text
    assert _shown(second) == sorted(recorded, reverse=True)[PAGE:]
    assert "Older questionnaires" not in second and "Newer questionnaires" in second
    assert sorted(_shown(first) + _shown(second)) == sorted(recorded)


def test_a_page_that_is_not_a_number_is_a_400(resident, staff, client_for):
    response = client_for(staff["caseworker"]).get(
        f"/residents/{resident.pk}/questionnaires/?after=-3"
    )
    assert response.status_code == 400
    assert "“after” must be a row number" in response.text
