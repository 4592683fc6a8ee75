"""The chart is bounded work: the same handful of queries for a new resident's chart and for one
with a long record (issue 15: at most 15, whatever the record size)."""

import pytest

from homecoming.measures import services as measures
from tests.measures.answers import phq9
from tests.support.notes import draft, signed

BOUND = 15


def _record_of(size, caseworker, resident):
    for n in range(size):
        signed(caseworker, resident) if n % 2 else draft(caseworker, resident)
        measures.record(caseworker, resident, "phq9", phq9(rest=n % 4))


@pytest.mark.parametrize("size", [3, 40])
def test_the_chart_runs_a_bounded_number_of_queries(
    size, resident, staff, client_for, django_assert_max_num_queries
):
    caseworker = staff["caseworker"]
    _record_of(size, caseworker, resident)
    client = client_for(caseworker)
    client.get(f"/residents/{resident.pk}/")  # the session's first request settles its state
    with django_assert_max_num_queries(BOUND):
        response = client.get(f"/residents/{resident.pk}/")
    assert response.status_code == 200
    assert resident.given_name in response.text
