"""The questionnaires API: the instruments to build a form from; recording one by staff and by
the resident themself, scored and alerted as the pages do; a resident's administrations (paged)
and trends; and who is refused, on the ledger."""

import json

import pytest
from django.test import Client

from homecoming.accounts import tokens
from homecoming.accounts.models import TokenScope
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry, Outcome
from homecoming.measures import services
from homecoming.measures.models import Questionnaire
from homecoming.measures.views import CRISIS_RESOURCES
from homecoming.safetyplans.models import RiskFlag
from tests.measures import conftest as questionnaire_fixtures
from tests.measures.answers import pcl5, phq9

# The questionnaire tests' residents with a log-in of their own.
portal_user = questionnaire_fixtures.portal_user
other_resident = questionnaire_fixtures.other_resident

pytestmark = pytest.mark.django_db

OTHERS = ["caseworker_other", "clinician_other", "contractor", "sysadmin", "oversight"]


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def record_url(resident):
    return f"/api/v1/residents/{resident.pk}/questionnaires"


def denied(actor, action, **fields):
    return Entry.objects.filter(
        actor=actor, action=action, outcome=Outcome.DENIED, **fields
    ).exists()


def alerts_about(resident):
    return {(a.recipient_id, a.kind, a.message) for a in Alert.objects.filter(resident=resident)}


# --- the instruments ---------------------------------------------------------------------------


def test_the_instruments_carry_everything_a_form_needs(resident, staff, api_for):
    response = api_for(staff["caseworker"]).get("/api/v1/questionnaire-instruments")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and [i["code"] for i in body["items"]] == ["pcl5", "phq9", "gad7"]
    pcl, phq, gad = body["items"]
    assert len(pcl["items"]) == 20 and pcl["closing_question"] is None
    assert [o["value"] for o in pcl["options"]] == [0, 1, 2, 3, 4]
    assert pcl["bands"] == [
        {"label": "below cut-point", "low": 0, "high": 32},
        {"label": "at or above cut-point", "low": 33, "high": 80},
    ]
    assert phq["items"][8] == {
        "number": 9,
        "text": "Thoughts that you would be better off dead or of hurting yourself in some way",
    }
    assert phq["safety_item"] == 9 and gad["safety_item"] is None and phq["max_total"] == 27
    assert phq["options"][1] == {"value": 1, "words": "Several days"}
    assert [o["words"] for o in phq["closing_question"]["options"]][-1] == "Extremely difficult"
    assert gad["bands"][-1] == {"label": "severe", "low": 15, "high": 21}


def test_one_instrument_by_code_and_an_unknown_one(staff, api_for):
    client = api_for(staff["caseworker"])
    assert client.get("/api/v1/questionnaire-instruments/gad7").json()["name"] == "GAD-7"
    unknown = client.get("/api/v1/questionnaire-instruments/bdi")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def test_the_resident_reads_the_instruments_and_nobody_unauthenticated(
    resident, portal_user, api_for
):
    assert api_for(portal_user).get("/api/v1/questionnaire-instruments").status_code == 200
    assert Client().get("/api/v1/questionnaire-instruments").status_code == 401
    assert Client().get("/api/v1/questionnaire-instruments/phq9").status_code == 401


# --- staff recording ---------------------------------------------------------------------------


def test_the_care_team_records_a_questionnaire_scored_and_on_the_ledger(resident, staff, api_for):
    response = post(
        api_for(staff["clinician"]),
        record_url(resident),
        {"instrument": "phq9", "answers": phq9(item9=0, rest=2), "difficulty": 1},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    q = Questionnaire.objects.get()
    assert body["id"] == q.pk and q.mode == "staff" and q.completed_by == staff["clinician"]
    assert (body["total"], body["band"], body["max_total"]) == (16, "moderately severe", 27)
    assert q.total == 16 and q.band == "moderately severe" and q.findings["difficulty"] == 1
    assert body["answers"][0] == {
        "item": 1,
        "text": "Little interest or pleasure in doing things",
        "value": 2,
        "words": "More than half the days",
    }
    assert body["difficulty"] == {"value": 1, "words": "Somewhat difficult"}
    assert body["flags"] == [] and body["findings"]["item9_positive"] is False
    assert body["care_team_alerted"] is False and body["safety_alert"] is None
    assert body["crisis_resources"] is None
    entry = Entry.objects.get(action="measure.record", outcome=Outcome.ALLOWED)
    assert entry.actor == staff["clinician"] and entry.resident_id == resident.pk
    assert entry.object_id == str(q.pk)
    assert not Alert.objects.filter(kind="safety").exists() and not RiskFlag.objects.exists()


def test_a_pcl5_shows_its_clusters_and_the_change_since_the_last(resident, staff, api_for):
    client = api_for(staff["caseworker"])
    post(client, record_url(resident), {"instrument": "pcl5", "answers": pcl5(50)})
    body = post(client, record_url(resident), {"instrument": "pcl5", "answers": pcl5(30)}).json()
    assert body["findings"]["change"] == -20 and body["findings"]["meaningful_change"] is True
    assert "Clinically meaningful improvement: -20 points since the previous PCL-5" in [
        f["text"] for f in body["flags"]
    ]
    assert [c["total"] for c in body["clusters"]] == [20, 8, 2, 0]


def test_item9_above_zero_raises_the_same_alert_and_flag_as_the_pages(
    resident, admit, staff, api_for, client_for
):
    # One resident answered on the page, the other over the API: the same care team.
    by_page = admit(given_name="Dana", family_name="Reyes")
    form = {f"item_{n}": str(v) for n, v in enumerate(phq9(item9=2), start=1)}
    page = client_for(staff["caseworker"]).post(
        f"/residents/{by_page.pk}/questionnaires/phq9/new", form
    )
    assert page.status_code == 302
    response = post(
        api_for(staff["caseworker"]),
        record_url(resident),
        {"instrument": "phq9", "answers": phq9(item9=2)},
    )
    assert response.status_code == 201
    body = response.json()
    message = services.safety_message(resident, 2)
    assert body["care_team_alerted"] is True and body["safety_alert"] == message
    assert {"text": 'Item 9 answered 2 ("More than half the days")', "level": "danger"} in body[
        "flags"
    ]
    team = {staff["caseworker"].pk, staff["clinician"].pk}
    assert alerts_about(resident) == {(u, "safety", message) for u in team}
    assert alerts_about(by_page) == {
        (u, "safety", services.safety_message(by_page, 2)) for u in team
    }
    flag = RiskFlag.objects.get(resident=resident)
    assert flag.cleared_at is None and flag.source_id == body["id"] and flag.reason == message
    assert RiskFlag.objects.filter(resident=by_page, cleared_at__isnull=True).exists()
    raised = Entry.objects.get(action="riskflag.raise", resident=resident)
    assert raised.actor == staff["caseworker"] and raised.object_id == str(flag.pk)


def test_an_incomplete_or_off_scale_answer_set_is_refused_naming_every_problem(
    resident, staff, api_for
):
    response = post(
        api_for(staff["caseworker"]),
        record_url(resident),
        {"instrument": "phq9", "answers": [0, 1, None, 5, 2], "difficulty": 7},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    errors = body["errors"]
    assert errors["answers"] == [
        "Items 3, 6, 7, 8 and 9 are not answered.",
        "Item 4: 5 is not one of the answers (0 to 3).",
    ]
    for n in (3, 6, 7, 8, 9):
        assert errors[f"item_{n}"] == [f"Item {n} is not answered."]
    assert errors["item_4"] == ["Item 4: 5 is not one of the answers (0 to 3)."]
    assert errors["difficulty"] == ["7 is not one of the answers (0 to 3)."]
    assert "Items 3, 6, 7, 8 and 9 are not answered." in body["detail"]
    assert not Questionnaire.objects.exists() and not Alert.objects.exists()


def test_too_many_answers_and_a_closing_question_the_pcl5_lacks(resident, staff, api_for):
    client = api_for(staff["caseworker"])
    many = post(client, record_url(resident), {"instrument": "gad7", "answers": [1] * 9})
    assert many.status_code == 400
    assert many.json()["errors"]["answers"] == ["The GAD-7 has 7 items; 9 answers were given."]
    closing = post(
        client, record_url(resident), {"instrument": "pcl5", "answers": pcl5(10), "difficulty": 1}
    )
    assert closing.json()["errors"] == {"difficulty": ["The PCL-5 has no closing question."]}
    assert not Questionnaire.objects.exists()


def test_answers_that_are_not_whole_numbers_or_an_unknown_instrument_are_422(
    resident, staff, api_for
):
    client = api_for(staff["caseworker"])
    response = post(
        client, record_url(resident), {"instrument": "bdi", "answers": [True, "2", 1.5, 1]}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"instrument", "answers.0", "answers.1", "answers.2"} <= set(errors)
    assert "answers.3" not in errors
    assert not Questionnaire.objects.exists()


@pytest.mark.parametrize("who", OTHERS)
def test_who_may_not_record_a_residents_questionnaire(resident, staff, api_for, who):
    response = post(
        api_for(staff[who]), record_url(resident), {"instrument": "phq9", "answers": phq9(3)}
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert denied(staff[who], "measure.record", resident_id=resident.pk)
    assert not Questionnaire.objects.exists() and not Alert.objects.exists()


def test_an_unknown_resident_is_404_and_on_the_ledger(staff, api_for, db):
    client = api_for(staff["caseworker"])
    response = post(
        client, "/api/v1/residents/999999/questionnaires", {"instrument": "gad7", "answers": [0]}
    )
    assert response.status_code == 404
    assert client.get("/api/v1/residents/999999/questionnaires").status_code == 404
    assert client.get("/api/v1/residents/999999/questionnaires/trends").status_code == 404
    assert Entry.objects.filter(object_id="999999", outcome=Outcome.DENIED).count() == 3


def test_a_read_only_token_is_refused_on_writes(resident, staff, portal_user):
    for user, url in (
        (staff["caseworker"], record_url(resident)),
        (portal_user, "/api/v1/my-record/questionnaires"),
    ):
        _, clear = tokens.issue(user, "reports", scope=TokenScope.READ)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
        response = post(client, url, {"instrument": "gad7", "answers": [0] * 7})
        assert response.status_code == 403
        assert Entry.objects.filter(actor=user, outcome=Outcome.DENIED).exists()
        # The same token reads.
        assert client.get(url).status_code == 200
    assert not Questionnaire.objects.exists()


# --- the resident's own ------------------------------------------------------------------------


def test_the_resident_fills_in_their_own(resident, staff, portal_user, api_for):
    response = post(
        api_for(portal_user),
        "/api/v1/my-record/questionnaires",
        {"instrument": "gad7", "answers": [1] * 7},
    )
    assert response.status_code == 201
    body = response.json()
    q = Questionnaire.objects.get()
    assert q.mode == "self" and q.completed_by == portal_user and q.resident == resident
    assert (body["mode"], body["total"], body["band"]) == ("self", 7, "mild")
    assert body["flags"] is None and body["findings"] is None  # for the care team to discuss
    assert body["crisis_resources"] == CRISIS_RESOURCES and body["safety_alert"] is None
    assert Entry.objects.filter(actor=portal_user, action="measure.record").exists()


def test_the_residents_own_item9_alerts_their_team_and_not_them(
    resident, staff, portal_user, api_for
):
    # By the record's own address too: the resident may use either.
    response = post(
        api_for(portal_user), record_url(resident), {"instrument": "phq9", "answers": phq9(1)}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["care_team_alerted"] is True and body["mode"] == "self"
    assert body["safety_alert"] is None and body["flags"] is None
    assert "contact them today" not in response.content.decode()
    message = services.safety_message(resident, 1)
    assert (staff["caseworker"].pk, "safety", message) in alerts_about(resident)
    assert not Alert.objects.filter(recipient=portal_user).exists()
    assert RiskFlag.objects.filter(resident=resident, cleared_at__isnull=True).exists()


def test_a_resident_may_not_record_or_read_anyone_elses(
    resident,
    other_resident,
    portal_user,
    api_for,
):
    client = api_for(portal_user)
    posted = post(client, record_url(other_resident), {"instrument": "phq9", "answers": phq9(1)})
    assert posted.status_code == 403
    assert client.get(record_url(other_resident)).status_code == 403
    assert client.get(f"{record_url(other_resident)}/trends").status_code == 403
    assert denied(portal_user, "measure.record", resident_id=other_resident.pk)
    assert denied(portal_user, "resident.view", resident_id=other_resident.pk)
    assert not Questionnaire.objects.exists() and not Alert.objects.exists()


def test_staff_have_no_questionnaires_of_their_own(staff, api_for, db):
    client = api_for(staff["caseworker"])
    assert client.get("/api/v1/my-record/questionnaires").status_code == 404
    posted = post(
        client, "/api/v1/my-record/questionnaires", {"instrument": "gad7", "answers": [0] * 7}
    )
    assert posted.status_code == 404
    assert not Questionnaire.objects.exists()


# --- reading: the administrations and the trends -----------------------------------------------


def three(resident, staff):
    return [
        services.record(staff["caseworker"], resident, "pcl5", pcl5(40)),
        services.record(staff["caseworker"], resident, "phq9", phq9(item9=1)),
        services.record(staff["caseworker"], resident, "gad7", [3] * 7),
    ]


def test_the_care_team_pages_through_the_administrations_newest_first(resident, staff, api_for):
    pcl, phq, gad = three(resident, staff)
    client = api_for(staff["clinician"])
    first = client.get(f"{record_url(resident)}?limit=2")
    assert first.status_code == 200
    body = first.json()
    assert (body["count"], body["limit"], body["offset"]) == (3, 2, 0)
    assert [q["id"] for q in body["items"]] == [gad.pk, phq.pk]
    assert body["items"][0]["band"] == "severe" and body["items"][0]["total"] == 21
    assert body["items"][1]["flags"][0]["level"] == "danger"
    rest = client.get(f"{record_url(resident)}?limit=2&offset=2").json()
    assert [q["id"] for q in rest["items"]] == [pcl.pk]
    assert rest["items"][0]["findings"]["provisional_ptsd_cutpoint"] is True
    look = Entry.objects.filter(actor=staff["clinician"], resident=resident).last()
    assert look.action == "resident.view" and look.sections == ["questionnaires"]
    assert client.get(f"{record_url(resident)}?limit=0").status_code == 422


def test_an_empty_list_is_still_a_recorded_read(resident, staff, api_for):
    body = api_for(staff["caseworker"]).get(record_url(resident)).json()
    assert body == {"items": [], "count": 0, "limit": 50, "offset": 0}
    look = Entry.objects.filter(actor=staff["caseworker"], resident=resident).last()
    assert look.action == "resident.view" and look.outcome == Outcome.ALLOWED


def test_the_resident_reads_their_own_without_flags(resident, staff, portal_user, api_for):
    three(resident, staff)
    client = api_for(portal_user)
    mine = client.get("/api/v1/my-record/questionnaires").json()
    by_address = client.get(record_url(resident)).json()
    assert mine == by_address and mine["count"] == 3
    assert all(q["flags"] is None and q["findings"] is None for q in mine["items"])
    assert mine["items"][2]["clusters"]  # the PCL-5's clusters, as on their page
    trends = client.get(f"{record_url(resident)}/trends").json()
    assert all(t["latest_flags"] is None for t in trends["instruments"])


@pytest.mark.parametrize("who", OTHERS)
def test_who_may_not_read_a_residents_questionnaires(resident, staff, api_for, who):
    three(resident, staff)
    client = api_for(staff[who])
    listing = client.get(record_url(resident))
    trends = client.get(f"{record_url(resident)}/trends")
    assert (listing.status_code, trends.status_code) == (403, 403)
    assert "Walter" not in listing.content.decode() + trends.content.decode()
    assert (
        Entry.objects.filter(
            actor=staff[who], action="resident.view", outcome=Outcome.DENIED
        ).count()
        == 2
    )


def test_the_trends_as_the_charts_draw_them(resident, staff, api_for):
    first = services.record(staff["caseworker"], resident, "pcl5", pcl5(50))
    latest = services.record(staff["caseworker"], resident, "pcl5", pcl5(36))
    client = api_for(staff["caseworker"])
    response = client.get(f"{record_url(resident)}/trends")
    assert response.status_code == 200
    body = response.json()
    assert body["resident_id"] == resident.pk and body["can_record"] is True
    pcl, phq, gad = body["instruments"]
    assert [p["questionnaire_id"] for p in pcl["points"]] == [first.pk, latest.pk]
    assert [p["total"] for p in pcl["points"]] == [50, 36]
    assert pcl["baseline"] == 50 and pcl["from_first"] is True
    assert "Clinically meaningful improvement" in pcl["latest_flags"][0]["text"]
    assert "PCL-5 totals, 2 administrations" in pcl["summary"]
    assert phq["points"] == [] and phq["baseline"] is None and phq["latest_flags"] == []
    assert phq["summary"] == "No PHQ-9 completed yet."
    look = Entry.objects.filter(actor=staff["caseworker"], resident=resident).last()
    assert look.action == "resident.view" and look.sections == ["questionnaires"]
    supervisor = api_for(staff["supervisor"]).get(f"{record_url(resident)}/trends").json()
    assert supervisor["can_record"] is True


def test_the_endpoints_are_described_in_openapi(staff, client_for, db):
    schema = client_for(staff["caseworker"]).get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    listing = paths["/api/v1/residents/{resident_id}/questionnaires"]
    assert listing["get"]["operationId"] == "measures_list_questionnaires"
    assert listing["post"]["summary"] == "Record a completed questionnaire for a resident"
    assert {"201", "400", "403", "404", "422"} <= set(listing["post"]["responses"])
    for path in (
        "/api/v1/questionnaire-instruments",
        "/api/v1/questionnaire-instruments/{instrument}",
        "/api/v1/residents/{resident_id}/questionnaires/trends",
        "/api/v1/my-record/questionnaires",
    ):
        assert path in paths
