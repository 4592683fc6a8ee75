"""Every list of the API is paged the same way: `?limit=` and `?offset=`, the answer
`{items, count, limit, offset}` with `count` the whole list's total; a page out of range is a
422 naming the parameter. A list of residents puts on the ledger only those its page shows."""

import pytest

from homecoming.ledger.models import Entry


@pytest.fixture
def three(resident, admit, staff, beds):
    """Walter Cruz and two more residents, by family name: Cruz, Other, Zed."""
    other = admit(
        caseworker=staff["caseworker_other"], given_name="Jo", family_name="Other", bed=beds[1]
    )
    zed = admit(
        caseworker=staff["caseworker_other"], given_name="Al", family_name="Zed", bed=beds[2]
    )
    return [resident, other, zed]


def test_a_page_of_the_caseload_and_its_total(three, staff, api_for):
    client = api_for(staff["supervisor"])
    page = client.get("/api/v1/residents?limit=1&offset=1").json()
    assert page["count"] == 3 and page["limit"] == 1 and page["offset"] == 1
    assert [r["id"] for r in page["items"]] == [three[1].pk]
    whole = client.get("/api/v1/residents").json()
    assert [r["id"] for r in whole["items"]] == [r.pk for r in three]
    assert (whole["count"], whole["limit"], whole["offset"]) == (3, 50, 0)
    past = client.get("/api/v1/residents?offset=10").json()
    assert past["items"] == [] and past["count"] == 3


def test_a_page_of_residents_puts_only_its_residents_on_the_ledger(three, staff, api_for):
    supervisor = staff["supervisor"]
    since = Entry.objects.order_by("-seq").values_list("seq", flat=True).first()
    api_for(supervisor).get("/api/v1/residents?limit=1&offset=2")
    listed = Entry.objects.filter(seq__gt=since, actor=supervisor, action="resident.list")
    assert [set(e.residents_named) for e in listed] == [{three[2].pk}]


def test_a_page_of_the_bed_board_lists_only_the_residents_it_shows(three, staff, api_for):
    supervisor = staff["supervisor"]
    client = api_for(supervisor)
    whole = client.get("/api/v1/beds").json()
    in_beds = [b["resident_id"] for b in whole["items"] if b["resident_id"]]
    assert whole["count"] == len(whole["items"]) and len(in_beds) >= 2
    since = Entry.objects.order_by("-seq").values_list("seq", flat=True).first()
    page = client.get("/api/v1/beds?limit=1&offset=1").json()
    assert page["count"] == whole["count"] and page["items"] == whole["items"][1:2]
    listed = Entry.objects.filter(seq__gt=since, actor=supervisor, action="resident.list")
    named = set().union(*(e.residents_named for e in listed))
    assert named == {b["resident_id"] for b in page["items"]} and len(named) == 1


def test_a_page_of_alerts_reads_only_the_residents_it_shows(three, staff, api_for):
    from homecoming.alerts.services import notify

    supervisor = staff["supervisor"]
    for r in three:
        notify([supervisor], kind="test", message=f"About {r.display_name}.", resident=r)
    since = Entry.objects.order_by("-seq").values_list("seq", flat=True).first()
    page = api_for(supervisor).get("/api/v1/alerts?limit=1").json()
    assert page["count"] == 3 and len(page["items"]) == 1
    shown = page["items"][0]["resident_id"]
    read = Entry.objects.filter(seq__gt=since, actor=supervisor, action="alert.view")
    assert {e.resident_id for e in read} == {shown}


@pytest.mark.parametrize(
    "query, field",
    [("limit=0", "limit"), ("limit=501", "limit"), ("offset=-1", "offset")],
)
@pytest.mark.parametrize(
    "url", ["/api/v1/residents", "/api/v1/alerts", "/api/v1/safety/terms", "/api/v1/beds"]
)
def test_a_page_out_of_range_is_refused(resident, staff, api_for, url, query, field):
    response = api_for(staff["supervisor"]).get(f"{url}?{query}")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid_request" and field in body["errors"], body


def test_every_list_answers_a_page(resident, staff, api_for):
    """One list of each app the lists were turned into pages in."""
    client = api_for(staff["clinician"])
    for url in (
        "/api/v1/alerts",
        f"/api/v1/residents/{resident.pk}/stays",
        f"/api/v1/residents/{resident.pk}/vitals",
        f"/api/v1/residents/{resident.pk}/risk-flags",
        f"/api/v1/residents/{resident.pk}/adverse-events",
        f"/api/v1/residents/{resident.pk}/message-threads",
        f"/api/v1/residents/{resident.pk}/corrections",
        "/api/v1/corrections/open",
        "/api/v1/formulary",
        "/api/v1/consent-documents",
        "/api/v1/follow-ups",
        "/api/v1/safety/signals",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        assert set(response.json()) == {"items", "count", "limit", "offset"}, url
