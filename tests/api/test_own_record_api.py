"""The resident's own record over JSON: GET /api/v1/my-record (what the portal's My record page
shows them, one ledger entry like the page) and GET /api/v1/my-record/looks (its "who looked at
your record", paged, with the portal's filtering). The resident only: staff have no record
there, and a resident reaches nobody else's."""

import pytest

from homecoming.access.services import open_break_glass
from homecoming.ledger.models import Entry, Outcome
from tests.conftest import logged_in
from tests.record.test_own_copy import NEVER, center, rosa_user  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def head() -> int:
    last = Entry.objects.order_by("-seq").first()
    return last.seq + 1 if last else 0


def test_the_resident_reads_their_record_as_the_portal_shows_it(center, api_for):  # noqa: F811
    client = api_for(center.walter_user)
    start = head()
    response = client.get("/api/v1/my-record")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["details"]["legal_name"] == "Thaddeus Quillfeather"
    assert body["stay"]["bed"] and body["left_on"] is None
    assert {m["name"] for m in body["care_team"]} >= {center.staff["caseworker"].full_name}
    assert body["allergies"]["active"][0]["substance"] == "Penicillin"
    assert [c["document"] for c in body["consents_in_force"]]
    assert body["latest_notes"] and len(body["latest_notes"]) <= 3
    assert body["questionnaires"] and "PHQ-9" in body["questionnaires"][0]
    assert set(body["sessions"]) == {"upcoming", "cancelled"}
    for words in NEVER:  # the draft, the withheld note, the trainee's, the other resident
        assert words not in response.content.decode(), words
    # One look at the record, as the page's: the resident's own, on their own record.
    looks = Entry.objects.filter(seq__gte=start, resident=center.walter)
    assert looks.count() == 1
    look = looks.get()
    assert look.actor == center.walter_user and look.purpose == "self"
    assert "chart" in look.sections and "notes" in look.sections


def test_the_api_and_the_page_show_the_same_record(center, api_for):  # noqa: F811
    api = api_for(center.walter_user).get("/api/v1/my-record").json()
    page = logged_in(center.walter_user).get("/my-record/").content.decode()
    assert api["details"]["legal_name"] in page
    for member in api["care_team"]:
        assert member["name"] in page


@pytest.mark.parametrize(
    "who", ["caseworker", "clinician", "supervisor", "oversight", "investigator", "sysadmin"]
)
def test_staff_have_no_record_here(center, api_for, who):  # noqa: F811
    client = api_for(center.staff[who])
    for path in ("/api/v1/my-record", "/api/v1/my-record/looks"):
        response = client.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_resident_reaches_only_their_own(center, rosa_user, api_for):  # noqa: F811
    rosa = api_for(rosa_user)
    mine = rosa.get("/api/v1/my-record").json()
    assert mine["details"]["name"] == center.rosa.display_name
    assert "Quillfeather" not in str(mine)
    refused = rosa.get(f"/api/v1/residents/{center.walter.pk}")
    assert refused.status_code == 403
    assert Entry.objects.filter(
        actor=rosa_user, resident=center.walter, outcome=Outcome.DENIED
    ).exists()
    # Walter reads that another resident was refused at his record, never who she is.
    walters = api_for(center.walter_user).get("/api/v1/my-record/looks?limit=500").json()
    refusal = [line for line in walters["items"] if line["who"] == "another resident"]
    assert refusal and refusal[0]["refused"] and refusal[0]["role"] == "resident"
    assert not any(rosa_user.full_name in line["statement"] for line in walters["items"])
    # And her list holds none of his trail.
    hers = rosa.get("/api/v1/my-record/looks?limit=500").json()
    assert not any("Quillfeather" in line["statement"] for line in hers["items"])


def test_who_looked_as_the_portal_words_it(center, api_for):  # noqa: F811
    staff = center.staff
    # An emergency look by a clinician off the care team, with the reason they gave; an
    # investigator's look under their grant; another resident refused at his chart.
    open_break_glass(staff["clinician_other"], center.walter, "Collapsed in the gym.")
    assert (
        api_for(staff["clinician_other"]).get(f"/api/v1/residents/{center.walter.pk}").status_code
        == 200
    )
    assert (
        api_for(staff["investigator"]).get(f"/api/v1/residents/{center.walter.pk}").status_code
        == 200
    )
    client = api_for(center.walter_user)
    client.get("/api/v1/my-record")  # his own read: not listed
    response = client.get("/api/v1/my-record/looks?limit=500")
    assert response.status_code == 200
    page = response.json()
    lines = page["items"]
    assert page["count"] == len(lines) > 0
    emergency = next(
        line for line in lines if line["break_glass"] and line["action"] == "resident.view"
    )
    assert emergency["who"] == staff["clinician_other"].full_name
    assert emergency["role"] == "clinician" and emergency["reason"] == "Collapsed in the gym."
    assert "Reason given: Collapsed in the gym." in emergency["statement"]
    investigated = next(line for line in lines if line["grant_id"] is not None)
    assert investigated["grant_id"] == center.grant.pk
    assert f"under grant #{center.grant.pk}" in investigated["statement"]
    # His own reads are not listed; what he changed or downloaded is.
    own_reads = [
        line
        for line in lines
        if line["who"] == center.walter_user.full_name and line["action"].endswith(".view")
    ]
    assert own_reads == []
    # Newest first, and paged: a page of two is the first two lines.
    times = [line["at"] for line in lines]
    assert times == sorted(times, reverse=True)
    two = client.get("/api/v1/my-record/looks?limit=2&offset=1").json()
    assert [line["statement"] for line in two["items"]] == [
        line["statement"] for line in lines[1:3]
    ]
    assert two["count"] == page["count"]


def test_reading_who_looked_is_one_entry_of_his_own(center, api_for):  # noqa: F811
    start = head()
    assert api_for(center.walter_user).get("/api/v1/my-record/looks").status_code == 200
    entries = Entry.objects.filter(seq__gte=start, resident=center.walter)
    assert entries.count() == 1
    entry = entries.get()
    assert entry.action == "ledger.trail.view" and entry.sections == ["who looked"]
    assert entry.actor == center.walter_user and entry.purpose == "self"


def test_a_bad_page_is_422(center, api_for):  # noqa: F811
    response = api_for(center.walter_user).get("/api/v1/my-record/looks?limit=0&offset=-1")
    assert response.status_code == 422
    assert {"limit", "offset"} <= set(response.json()["errors"])
