"""The questionnaire pages: administering, self-completion, refusals that keep the answers."""

import re

import pytest
from django.template.loader import render_to_string

from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry
from homecoming.measures import selectors, services
from homecoming.measures.models import Questionnaire
from tests.measures.answers import pcl5, phq9


def post_of(answers, difficulty=None):
    data = {f"item_{n}": str(v) for n, v in enumerate(answers, start=1) if v is not None}
    if difficulty is not None:
        data["difficulty"] = str(difficulty)
    return data


def radio(page, name, value):
    """The radio input for one answer, as rendered."""
    match = re.search(rf'<input type="radio" name="{name}" value="{value}"[^>]*>', page)
    assert match, f"no radio {name}={value}"
    return match.group(0)


def test_the_administer_page_shows_every_item_with_labelled_answers(resident, staff, client_for):
    response = client_for(staff["caseworker"]).get(
        f"/residents/{resident.pk}/questionnaires/pcl5/new"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "In the past month, how much were you bothered by:" in page
    assert "Repeated, disturbing, and unwanted memories of the stressful experience?" in page
    assert "Trouble falling or staying asleep?" in page
    for n in range(1, 21):
        for value, words in enumerate(
            ["Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"]
        ):
            assert f'aria-label="Item {n}: {words}"' in radio(page, f"item_{n}", value)
    assert "Walter Cruz" in page


def test_phq9_has_its_closing_question_labelled_apart(resident, staff, client_for):
    page = (
        client_for(staff["caseworker"])
        .get(f"/residents/{resident.pk}/questionnaires/phq9/new")
        .content.decode()
    )
    assert 'aria-label="Difficulty: Very difficult"' in radio(page, "difficulty", 2)
    assert "how difficult have these problems made it for you" in page


def test_a_complete_submission_is_saved_and_confirmed(resident, staff, client_for):
    client = client_for(staff["caseworker"])
    response = client.post(
        f"/residents/{resident.pk}/questionnaires/phq9/new", post_of(phq9(item9=0, rest=2), 1)
    )
    q = Questionnaire.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/residents/{resident.pk}/questionnaires/?recorded={q.pk}"
    assert (q.total, q.mode, q.findings["difficulty"]) == (16, "staff", 1)
    page = client.get(response["Location"]).content.decode()
    assert "PHQ-9 recorded:</strong> total 16 of 27 (moderately severe)" in page
    assert "care team has been alerted" not in page


def test_an_incomplete_submission_keeps_the_answers_and_names_the_missing(
    resident, staff, client_for
):
    answers = [2, 1, None, 3, 0, 1, 2, 1, None]
    response = client_for(staff["caseworker"]).post(
        f"/residents/{resident.pk}/questionnaires/phq9/new", post_of(answers, difficulty=2)
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert not Questionnaire.objects.exists()
    summary = page.index("Items 3 and 9 are not answered.")
    assert summary < page.index('<form method="post" novalidate>')  # at the top
    assert 'id="item_3-errors"><li>Item 3 is not answered.' in page  # beside item 3
    assert 'id="item_9-errors"><li>Item 9 is not answered.' in page
    assert "item_1-errors" not in page
    for n, value in enumerate(answers, start=1):
        for option in range(4):
            checked = " checked" in radio(page, f"item_{n}", option)
            assert checked is (value == option), (n, option)
    assert " checked" in radio(page, "difficulty", 2)
    assert 'aria-invalid="true"' in radio(page, "item_3", 0)
    assert 'href="#item_3"' in page


def test_an_empty_submission_names_every_item(resident, staff, client_for):
    response = client_for(staff["caseworker"]).post(
        f"/residents/{resident.pk}/questionnaires/gad7/new", {}
    )
    assert response.status_code == 400
    assert "Items 1, 2, 3, 4, 5, 6 and 7 are not answered." in response.content.decode()


def test_an_answer_off_the_scale_is_refused(resident, staff, client_for):
    data = post_of(phq9()) | {"item_4": "7"}
    response = client_for(staff["caseworker"]).post(
        f"/residents/{resident.pk}/questionnaires/phq9/new", data
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Questionnaire.objects.exists()


def test_unknown_instrument_or_resident_is_a_404(resident, staff, client_for):
    client = client_for(staff["supervisor"])
    assert client.get(f"/residents/{resident.pk}/questionnaires/bdi2/new").status_code == 404
    assert client.get("/residents/999999/questionnaires/phq9/new").status_code == 404
    assert client.get("/residents/999999/questionnaires/").status_code == 404


def test_item9_above_zero_alerts_the_team_and_says_so(resident, staff, client_for):
    client = client_for(staff["caseworker"])
    response = client.post(
        f"/residents/{resident.pk}/questionnaires/phq9/new", post_of(phq9(item9=3))
    )
    page = client.get(response["Location"]).content.decode()
    assert "Item 9 was answered above 0. The care team has been alerted" in page
    clinician_home = client_for(staff["clinician"]).get("/").content.decode()
    assert "to PHQ-9 item 9" in clinician_home and "contact them today" in clinician_home


def test_the_resident_page_shows_trends_and_every_answer(resident, staff, client_for):
    services.record(staff["caseworker"], resident, "pcl5", pcl5(50))
    services.record(staff["clinician"], resident, "pcl5", pcl5(36))
    services.record(staff["clinician"], resident, "phq9", phq9(item9=2))
    page = (
        client_for(staff["caseworker"])
        .get(f"/residents/{resident.pk}/questionnaires/")
        .content.decode()
    )
    # The chart: bands, baseline, the line and points, accessible names, a table fallback.
    assert page.count('class="trend-chart"') == 2  # PCL-5 and PHQ-9; no GAD-7 yet
    # Each drawn twice: wide, and narrow for a phone (the page's width shows one), ids apart.
    assert page.count('class="trend-chart-narrow"') == 2
    assert '<title id="trend-pcl5-title">PCL-5 totals over time</title>' in page
    assert '<title id="trend-pcl5-title-narrow">PCL-5 totals over time</title>' in page
    assert "baseline 50, latest 36 (at or above cut-point)" in page
    assert ">baseline</text>" in page and 'stroke-dasharray="6 4"' in page
    assert "<polyline" in page and page.count("<circle") == 3 * 2
    assert "below cut-point (0–32)" in page and "moderately severe (15–19)" in page
    assert "PCL-5 as a table" in page
    # The table: item-level answers, how and by whom, flags.
    assert "Feeling jumpy or easily startled?" in page and "4 · Extremely" in page
    assert "Administered by staff" in page and "Clinician 2" in page
    assert "Clinically meaningful improvement: -14 points since the previous PCL-5" in page
    assert "Item 9 answered 2 (&quot;More than half the days&quot;)" in page
    assert "Provisional PTSD (at or above cut-point 33)" in page
    assert "<script" not in page.split("</header>")[1]  # drawn on the server, no library


def test_the_charts_partial_renders_from_the_selector(resident, staff):
    services.record(staff["caseworker"], resident, "gad7", [3] * 7)
    html = render_to_string(
        "measures/_chart_section.html",
        {"measures": selectors.trends(staff["caseworker"], resident.pk)},
    )
    assert "GAD-7 totals over time" in html and "severe (15–21)" in html
    assert f"/residents/{resident.pk}/questionnaires/gad7/new" in html


@pytest.mark.parametrize(
    "who",
    ["caseworker_other", "clinician_other", "contractor", "oversight", "investigator", "sysadmin"],
)
def test_pages_are_forbidden_to_others_and_the_attempt_recorded(resident, staff, client_for, who):
    client = client_for(staff[who])
    listing = client.get(f"/residents/{resident.pk}/questionnaires/")
    administer = client.get(f"/residents/{resident.pk}/questionnaires/phq9/new")
    posted = client.post(
        f"/residents/{resident.pk}/questionnaires/phq9/new", post_of(phq9(item9=1))
    )
    assert (listing.status_code, administer.status_code, posted.status_code) == (403, 403, 403)
    assert "Walter" not in listing.content.decode() + administer.content.decode()
    denied = Entry.objects.filter(actor=staff[who], outcome="denied", resident_id=resident.pk)
    assert sorted(denied.values_list("action", flat=True)) == [
        "measure.record",
        "measure.record",
        "resident.view",
    ]
    assert not Questionnaire.objects.exists() and not Alert.objects.exists()


# --- the resident's own pages ----------------------------------------------------------------


def test_the_resident_lists_their_questionnaires(resident, portal_user, client_for):
    page = client_for(portal_user).get("/my-record/questionnaires/").content.decode()
    for code in ("pcl5", "phq9", "gad7"):
        assert f'href="/my-record/questionnaires/{code}/"' in page
    assert "No questionnaires completed yet." in page
    assert 'call <a class="dial" href="tel:988">988</a> and press 1' in page


def test_the_resident_completes_a_questionnaire_themselves(resident, portal_user, client_for):
    client = client_for(portal_user)
    form = client.get("/my-record/questionnaires/gad7/").content.decode()
    assert 'aria-label="Item 7: Nearly every day"' in form
    response = client.post("/my-record/questionnaires/gad7/", post_of([1, 1, 1, 1, 1, 1, 1]))
    q = Questionnaire.objects.get()
    assert response["Location"] == f"/my-record/questionnaires/?completed={q.pk}"
    assert q.mode == "self" and q.completed_by == portal_user
    page = client.get(response["Location"]).content.decode()
    assert "Your GAD-7 is saved: total 7 of 21 (mild)" in page
    assert "GAD-7 totals over time" in page and "Completed by the resident" in page
    assert "Thank you for telling us" not in page
    assert "Flags" not in page  # clinical flags are for the care team to discuss


def test_item9_above_zero_shows_the_resident_crisis_resources(
    resident, staff, portal_user, client_for
):
    client = client_for(portal_user)
    response = client.post("/my-record/questionnaires/phq9/", post_of(phq9(item9=1)))
    page = client.get(response["Location"]).content.decode()
    crisis = page.index('role="alert"')
    assert (
        page.index(
            'If you are in crisis, call <a class="dial" href="tel:988">988</a> and press 1 '
            '(Veterans Crisis Line), text <a class="dial" href="sms:838255">838255</a>, '
            "or tell any staff member now."
        )
        > crisis
    )
    assert crisis < page.index("Your PHQ-9 is saved")
    # The team is alerted; the resident is not shown an alert about themselves.
    assert Alert.objects.filter(recipient=staff["caseworker"], kind="safety").exists()
    assert "contact them today" not in client.get("/").content.decode() + page


def test_an_incomplete_self_completion_keeps_the_answers(resident, portal_user, client_for):
    response = client_for(portal_user).post(
        "/my-record/questionnaires/phq9/", post_of([0, 1, 2, 3])
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Items 5, 6, 7, 8 and 9 are not answered." in page
    assert " checked" in radio(page, "item_4", 3)
    assert not Questionnaire.objects.exists()


def test_the_residents_own_staff_pages_lead_to_their_portal(resident, portal_user, client_for):
    client = client_for(portal_user)
    assert (
        client.get(f"/residents/{resident.pk}/questionnaires/")["Location"]
        == "/my-record/questionnaires/"
    )
    assert client.get(f"/residents/{resident.pk}/questionnaires/phq9/new")["Location"] == (
        "/my-record/questionnaires/phq9/"
    )


def test_a_resident_cannot_reach_anyone_elses(resident, other_resident, portal_user, client_for):
    client = client_for(portal_user)
    assert client.get(f"/residents/{other_resident.pk}/questionnaires/").status_code == 403
    posted = client.post(f"/residents/{other_resident.pk}/questionnaires/phq9/new", post_of(phq9()))
    assert posted.status_code == 403
    denied = Entry.objects.filter(actor=portal_user, outcome="denied")
    assert sorted(denied.values_list("action", flat=True)) == ["measure.record", "resident.view"]
    assert {e.resident_id for e in denied} == {other_resident.pk}
    assert not Questionnaire.objects.exists()


def test_a_confirmation_names_only_the_residents_own_questionnaire(
    resident, other_resident, staff, portal_user, client_for
):
    theirs = services.record(staff["caseworker_other"], other_resident, "phq9", phq9(item9=3))
    page = (
        client_for(portal_user)
        .get(f"/my-record/questionnaires/?completed={theirs.pk}")
        .content.decode()
    )
    assert "is saved" not in page and "Thank you for telling us" not in page


def test_staff_have_no_questionnaires_of_their_own(staff, client_for, db):
    client = client_for(staff["caseworker"])
    assert client.get("/my-record/questionnaires/").status_code == 404
    assert client.get("/my-record/questionnaires/phq9/").status_code == 404
