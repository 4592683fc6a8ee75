"""The chart is bounded work: no more queries for a long record than for a short one, and at
most 15 of the page's own (issue 15), whatever the record size."""

import pytest

from homecoming.measures import services as measures
from tests.measures.answers import phq9
from tests.support.notes import draft, signed
from tests.support.photos import photo_storage, take_photo  # noqa: F401
from tests.support.queries import assert_bounded, page_queries

# Uploaded photos go to the test's own folder.
pytestmark = pytest.mark.usefixtures("photo_storage")


def _add_to_record(count, caseworker, resident):
    for n in range(count):
        signed(caseworker, resident) if n % 2 else draft(caseworker, resident)
        measures.record(caseworker, resident, "phq9", phq9(rest=n % 4))


def _chart(client, resident):
    with page_queries() as counted:
        response = client.get(f"/residents/{resident.pk}/")
    assert response.status_code == 200
    assert resident.given_name in response.text
    return counted


def test_the_chart_costs_the_same_for_3_and_40_notes_and_questionnaires(
    resident, staff, client_for
):
    caseworker = staff["caseworker"]
    client = client_for(caseworker)
    _add_to_record(3, caseworker, resident)
    client.get(f"/residents/{resident.pk}/")  # the session's first request stamps its activity
    small = _chart(client, resident)
    _add_to_record(37, caseworker, resident)
    large = _chart(client, resident)
    assert_bounded(small, large)


def test_an_active_risk_flag_costs_the_chart_no_query(resident, staff, client_for):
    """The flag rides on the banner's one query (record/banner.py), with the allergies."""
    caseworker = staff["caseworker"]
    client = client_for(caseworker)
    _add_to_record(3, caseworker, resident)
    client.get(f"/residents/{resident.pk}/")
    quiet = _chart(client, resident)
    measures.record(caseworker, resident, "phq9", phq9(item9=1))
    flagged = _chart(client, resident)
    assert "Risk flag, raised" in client.get(f"/residents/{resident.pk}/").text
    assert_bounded(quiet, flagged)


def test_a_photo_and_a_bed_cost_the_chart_no_query(resident, staff, client_for):
    """The banner's photo and bed are annotations on its one query, like the flag."""
    caseworker = staff["caseworker"]
    client = client_for(caseworker)
    _add_to_record(3, caseworker, resident)
    client.get(f"/residents/{resident.pk}/")
    without = _chart(client, resident)
    take_photo(caseworker, resident)
    with_photo = _chart(client, resident)
    assert (
        f'alt="Photo of {resident.given_name} {resident.family_name}"'
        in client.get(f"/residents/{resident.pk}/").text
    )
    assert_bounded(without, with_photo)
