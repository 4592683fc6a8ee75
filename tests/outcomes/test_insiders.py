"""The contractor trying to read what suppression hides: through the page, the CSV and the API,
with `for=`, and with filters that make a cell small (one program holding one resident, a
period of a day or two). Every count from 1 to 10 stays "<11", and every try is on the ledger."""

import csv
import io
import re

import pytest

from homecoming.ledger.models import Entry
from tests.conftest import logged_in

NUMBER_CELL = re.compile(r">(\d+)</(?:td|text)>")
# Not counts of people: beds, and percentages/rates drawn from hidden counts are hidden anyway.
NOT_PEOPLE = {"Beds in service"}


def small_in_api(data):
    return [
        (t["key"], row[0], v)
        for t in data["tables"]
        for row in t["rows"]
        if row[0] not in NOT_PEOPLE
        for v in row[1:]
        if isinstance(v, int) and 0 < v < 11
    ]


def small_in_csv(text):
    return [
        row
        for row in csv.reader(io.StringIO(text))
        if row and row[0] not in NOT_PEOPLE
        for c in row[1:]
        if c.isdigit() and 0 < int(c) < 11
    ]


def small_on_page(html):
    # The beds row is the only unsuppressed small number a page may show.
    html = re.sub(r"Beds in service</t[dh]>\s*<td[^>]*>\d+", "", html)
    return [n for n in NUMBER_CELL.findall(html) if 0 < int(n) < 11]


QUERIES = [
    "",
    "program={program}",  # one program, one resident
    "from=2026-11-10&to=2026-11-10",  # one day
    "from=2026-11-10&to=2026-11-11",  # one night: the resident-days are a head count
    "from=2026-02-27&to=2026-03-01&program={program}",  # one resident's last days
    "from=2025-07-11&to=2025-07-11",  # the day d left
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_contractor_sees_no_small_count_whatever_the_filter(staff, known, program, query):
    q = query.format(program=program.pk)
    client = logged_in(staff["contractor"])
    page = client.get(f"/outcomes/?{q}")
    assert page.status_code == 200
    assert small_on_page(page.content.decode()) == []
    assert small_in_csv(client.get(f"/outcomes.csv?{q}").content.decode()) == []
    api_q = q.replace("from=", "period_from=").replace("to=", "period_to=")
    data = client.get(f"/api/v1/outcomes?{api_q}").json()
    assert data["suppressed"] is True
    assert small_in_api(data) == []


@pytest.mark.parametrize(
    "asked", ["for=", "for=director", "for=full", "for=sponsor", "suppressed=0"]
)
def test_asking_for_the_full_figures_changes_nothing(staff, known, asked):
    client = logged_in(staff["contractor"])
    assert small_in_csv(client.get(f"/outcomes.csv?{asked}").content.decode()) == []
    assert small_on_page(client.get(f"/outcomes/?{asked}").content.decode()) == []
    answer = client.get(f"/api/v1/outcomes?{asked}")
    if answer.status_code == 200:
        assert answer.json()["suppressed"] is True and small_in_api(answer.json()) == []
    else:
        assert answer.status_code == 400


def test_every_look_is_on_the_ledger_as_suppressed(staff, known, program):
    client = logged_in(staff["contractor"])
    before = Entry.objects.count()
    client.get(f"/outcomes/?program={program.pk}")
    client.get("/outcomes.csv?for=director")
    client.get("/api/v1/outcomes?period_from=2026-11-10&period_to=2026-11-11")
    rows = list(
        Entry.objects.order_by("seq")[before:].values_list("actor_id", "object_id", "resident_id")
    )
    assert rows == [(staff["contractor"].pk, "suppressed", None)] * 3


def test_the_director_still_sees_the_small_figures(staff, known):
    data = (
        logged_in(staff["program_director"])
        .get("/api/v1/outcomes?period_from=2026-11-10&period_to=2026-11-11")
        .json()
    )
    events = next(t for t in data["tables"] if t["key"] == "adverse_events")
    assert dict((r[0], r[1]) for r in events["rows"])["Resident-days"] == 1


def test_the_admissions_total_does_not_give_away_the_stays_ended(staff, build):
    """Twelve in residence, one discharged: the total of 13 less the 12 shown would be 1."""
    import datetime as dt

    for n in range(12):
        build.stay(dt.date(2026, 10, 1) + dt.timedelta(days=n))
    build.stay(dt.date(2026, 9, 1), discharged_on=dt.date(2026, 9, 30))
    client = logged_in(staff["contractor"])
    data = client.get("/api/v1/outcomes").json()
    tables = {t["key"]: {r[0]: r[1] for r in t["rows"]} for t in data["tables"]}
    assert tables["occupancy"]["Residents in residence"] == 12
    assert tables["occupancy"]["Stays ended (all time)"] == "<11"
    assert tables["admissions"]["Total"] == "<11"
    # The director sees it as counted.
    full = logged_in(staff["program_director"]).get("/api/v1/outcomes").json()
    admissions = next(t for t in full["tables"] if t["key"] == "admissions")
    assert admissions["rows"][-1] == ["Total", 13]
