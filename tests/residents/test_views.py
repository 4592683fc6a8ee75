"""The pages: who reaches what, bad input gets a 400 with what was typed, every read recorded."""

import datetime as dt

import pytest
from django.test import Client

from homecoming.ledger.models import Entry
from homecoming.residents.models import Resident


def intake_post(bed, caseworker, **overrides):
    data = {
        "person-given_name": "Dana",
        "person-family_name": "Reyes",
        "person-preferred_name": "",
        "person-pronouns": "she/her",
        "person-date_of_birth": "1990-05-02",
        "person-service_branch": "navy",
        "person-service_start": "2009-07-01",
        "person-service_end": "2024-07-01",
        "person-emergency_contact_name": "Luis Reyes",
        "person-emergency_contact_relationship": "brother",
        "person-emergency_contact_phone": "555-0100",
        "deployments-TOTAL_FORMS": "3",
        "deployments-INITIAL_FORMS": "0",
        "deployments-MIN_NUM_FORMS": "0",
        "deployments-MAX_NUM_FORMS": "20",
        "deployments-0-location": "Rota, Spain",
        "deployments-0-started_on": "2015-01-10",
        "deployments-0-ended_on": "2015-09-01",
        "stay-admitted_on": dt.date.today().isoformat(),
        "stay-expected_length_days": "42",
        "stay-bed": str(bed.pk),
        "stay-primary_caseworker": str(caseworker.pk),
        "stay-clinician": "",
    }
    return data | overrides


def test_anonymous_visitors_are_sent_to_log_in(resident):
    for url in ("/", f"/residents/{resident.pk}/", "/beds/", "/residents/intake/", "/staff/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_caseworker_home_is_their_caseload(resident, admit, staff, client_for):
    admit(caseworker=staff["caseworker_other"], given_name="Not", family_name="Mine")
    page = client_for(staff["caseworker"]).get("/").content.decode()
    assert "Walter Cruz" in page and "Not Mine" not in page
    [listed] = Entry.objects.filter(action="resident.list", actor=staff["caseworker"])
    assert listed.residents_named == [resident.pk]


def test_contractor_home_shows_aggregates_and_no_names(resident, staff, client_for):
    response = client_for(staff["contractor"]).get("/")
    page = response.content.decode()
    assert response.status_code == 200 and "beds in service occupied" in page
    assert "Walter" not in page and "Cruz" not in page
    assert not Entry.objects.filter(actor=staff["contractor"], outcome="allowed").exists()


@pytest.mark.parametrize(
    "who", ["contractor", "sysadmin", "oversight", "investigator", "caseworker_other"]
)
def test_chart_is_forbidden_to_those_without_access(resident, staff, client_for, who):
    response = client_for(staff[who]).get(f"/residents/{resident.pk}/")
    assert response.status_code == 403
    assert "Cruz" not in response.content.decode()


def test_chart_shows_stay_bed_team_and_intake(resident, staff, client_for):
    page = client_for(staff["caseworker"]).get(f"/residents/{resident.pk}/").content.decode()
    for text in ("Walter Cruz", "N101-A", "Caseworker 1", "Clinician 2", "Ana Cruz", "Army"):
        assert text in page


def test_unknown_resident_is_a_404(staff, client_for, db):
    assert client_for(staff["supervisor"]).get("/residents/999999/").status_code == 404


def test_clinician_outside_team_is_offered_break_glass(resident, staff, client_for):
    client = client_for(staff["clinician_other"])
    response = client.get(f"/residents/{resident.pk}/")
    assert response.status_code == 403 and "break glass" in response.content.decode()
    short = client.post(f"/residents/{resident.pk}/break-glass/", {"reason": "why not"})
    assert short.status_code == 400 and "why not" in short.content.decode()
    ok = client.post(
        f"/residents/{resident.pk}/break-glass/", {"reason": "Fall in the corridor, need allergies"}
    )
    assert ok.status_code == 302
    page = client.get(f"/residents/{resident.pk}/").content.decode()
    assert "Break-glass access" in page and "Walter Cruz" in page
    supervisor_home = client_for(staff["supervisor"]).get("/").content.decode()
    assert "Fall in the corridor" in supervisor_home


def test_intake_page_admits_a_resident_with_a_bed(staff, beds, client_for):
    client = client_for(staff["caseworker"])
    assert client.get("/residents/intake/").status_code == 200
    response = client.post("/residents/intake/", intake_post(beds[2], staff["caseworker"]))
    assert response.status_code == 302
    dana = Resident.objects.get(family_name="Reyes")
    assert response["Location"] == f"/residents/{dana.pk}/"
    assert dana.deployments.get().location == "Rota, Spain"
    page = client.get(response["Location"]).content.decode()
    assert "N102-A" in page and "Rota, Spain" in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"person-date_of_birth": "not a date"}, "Enter a valid date"),
        ({"person-given_name": ""}, "This field is required"),
        ({"person-service_start": "1980-01-01"}, "Service cannot start before"),
        ({"stay-expected_length_days": "0"}, "greater than or equal to 1"),
        ({"deployments-1-location": "Guam"}, "Give the date the deployment started"),
        ({"deployments-0-ended_on": "2014-01-01"}, "ends before it starts"),
    ],
)
def test_bad_intake_is_a_400_that_keeps_what_was_typed(staff, beds, client_for, overrides, message):
    client = client_for(staff["caseworker"])
    response = client.post(
        "/residents/intake/", intake_post(beds[2], staff["caseworker"], **overrides)
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert "Luis Reyes" in page  # nothing typed is lost
    assert not Resident.objects.exists()


def test_intake_into_a_taken_bed_is_a_400(resident, staff, beds, client_for):
    response = client_for(staff["supervisor"]).post(
        "/residents/intake/", intake_post(beds[0], staff["caseworker"])
    )
    assert response.status_code == 400
    assert Resident.objects.count() == 1


@pytest.mark.parametrize("who", ["clinician", "contractor", "sysadmin", "oversight"])
def test_intake_page_denied(staff, client_for, who, beds):
    client = client_for(staff[who])
    assert client.get("/residents/intake/").status_code == 403
    assert (
        client.post("/residents/intake/", intake_post(beds[2], staff["caseworker"])).status_code
        == 403
    )
    assert not Resident.objects.exists()


def test_edit_page_corrects_intake_and_refuses_bad_dates(resident, staff, client_for):
    client = client_for(staff["caseworker"])
    url = f"/residents/{resident.pk}/edit/"
    form = client.get(url)
    assert form.status_code == 200
    data = {
        k: v
        for k, v in {
            "given_name": "Walter",
            "family_name": "Cruz",
            "preferred_name": "Walt",
            "pronouns": "he/him",
            "date_of_birth": "1991-03-14",
            "service_branch": "army",
            "service_start": "2010-06-01",
            "service_end": "",
            "emergency_contact_name": "Ana Cruz",
            "emergency_contact_relationship": "sister",
            "emergency_contact_phone": "(312) 555-0147",
        }.items()
    }
    assert client.post(url, data).status_code == 302
    resident.refresh_from_db()
    assert resident.preferred_name == "Walt"
    bad = client.post(url, data | {"service_end": "2001-01-01", "preferred_name": "Wally"})
    assert bad.status_code == 400 and "Wally" in bad.content.decode()
    resident.refresh_from_db()
    assert resident.preferred_name == "Walt" and resident.service_end is None


def test_edit_and_bed_pages_denied_to_clinician(resident, staff, client_for, beds):
    client = client_for(staff["clinician"])
    assert client.get(f"/residents/{resident.pk}/edit/").status_code == 403
    assert client.post(f"/residents/{resident.pk}/bed/", {"bed": beds[1].pk}).status_code == 403


def test_bed_page_moves_a_resident(resident, staff, client_for, beds):
    client = client_for(staff["caseworker"])
    assert client.post(f"/residents/{resident.pk}/bed/", {"bed": beds[3].pk}).status_code == 302
    assert "N102-B" in client.get(f"/residents/{resident.pk}/").content.decode()
    invalid = client.post(f"/residents/{resident.pk}/bed/", {"bed": "999"})
    assert invalid.status_code == 400


def test_care_team_page_is_for_supervisors(resident, staff, client_for):
    data = {"team_role": "clinician", "user": staff["clinician_other"].pk}
    assert (
        client_for(staff["caseworker"])
        .post(f"/residents/{resident.pk}/care-team/", data)
        .status_code
        == 403
    )
    assert (
        client_for(staff["supervisor"])
        .post(f"/residents/{resident.pk}/care-team/", data)
        .status_code
        == 302
    )
    wrong = {"team_role": "primary_caseworker", "user": staff["clinician_other"].pk}
    response = client_for(staff["supervisor"]).post(f"/residents/{resident.pk}/care-team/", wrong)
    assert response.status_code == 400 and "not an active caseworker" in response.content.decode()


def test_search_is_narrowed_to_what_the_user_may_see(resident, admit, staff, client_for):
    admit(caseworker=staff["caseworker_other"], given_name="Walter", family_name="Other")
    mine = client_for(staff["caseworker"]).get("/residents/?q=walter").content.decode()
    assert "Walter Cruz" in mine and "Walter Other" not in mine
    everyone = client_for(staff["supervisor"]).get("/residents/?q=walter").content.decode()
    assert "Walter Cruz" in everyone and "Walter Other" in everyone
    partial = client_for(staff["supervisor"]).get("/residents/?q=cruz", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "Walter Cruz" in partial.content.decode()


def test_bed_board_hides_names_outside_the_caseload(resident, admit, staff, client_for, beds):
    admit(caseworker=staff["caseworker_other"], given_name="Jo", family_name="Other", bed=beds[1])
    page = client_for(staff["caseworker"]).get("/beds/").content.decode()
    assert "Walter Cruz" in page and "Jo Other" not in page
    assert page.count("occupied</span>") == 1
    assert client_for(staff["contractor"]).get("/beds/").status_code == 403


def test_resident_sees_own_record_and_who_looked(resident, admit, staff, make_user, client_for):
    other = admit(given_name="Jo", family_name="Other")
    user = make_user("resident", username="walter")
    Resident.objects.filter(pk=resident.pk).update(user=user)
    client_for(staff["caseworker"]).get(f"/residents/{resident.pk}/")
    client = client_for(user)
    assert client.get("/").status_code == 302
    page = client.get("/my-record/").content.decode()
    assert "Walter Cruz" in page and "Caseworker 1, caseworker, opened your chart" in page
    assert client.get(f"/residents/{resident.pk}/")["Location"] == "/my-record/"
    assert client.get(f"/residents/{other.pk}/").status_code == 403
    assert client.get("/residents/?q=jo").content.decode().count("Jo Other") == 0
    assert client.get("/beds/").status_code == 403
    assert client.get("/residents/intake/").status_code == 403


def test_a_new_stay_opens_only_when_none_is_open(resident, staff, client_for):
    from homecoming.residents.models import Stay

    client = client_for(staff["caseworker"])
    url = f"/residents/{resident.pk}/stay/"
    data = {"admitted_on": dt.date.today().isoformat(), "expected_length_days": "30"}
    refused = client.post(url, data)
    assert refused.status_code == 400 and "already has an open stay" in refused.content.decode()
    # A discharge (built in a later issue) closes the stay; here it is done by hand.
    Stay.objects.filter(resident=resident).update(
        status="discharged", discharged_on=dt.date.today()
    )
    assert "Open a new stay" in client.get(f"/residents/{resident.pk}/").content.decode()
    assert client.post(url, data | {"expected_length_days": "0"}).status_code == 400
    assert client.post(url, data).status_code == 302
    assert resident.stays.filter(status="in_residence").count() == 1
    assert client_for(staff["clinician"]).post(url, data).status_code == 403


def test_who_looked_leaves_out_the_residents_own_visits_and_pages_back(
    resident, staff, make_user, client_for
):
    from homecoming.consents import services as consents
    from tests.consents.helpers import portal_login, publish

    own = portal_login(make_user, resident)
    client = client_for(own.user)
    for _ in range(5):
        client.get("/my-record/")  # each visit reads the record several times
    consents.sign(own.user, own, publish(staff["program_director"]))  # a change of their own
    for _ in range(60):
        client_for(staff["caseworker"]).get(f"/residents/{resident.pk}/")
    page = client.get("/my-record/").content.decode()
    who = page[page.index('id="who-looked"') :]
    assert "Caseworker 1, caseworker, opened your chart" in who
    assert "Your own visits to your record are not listed" in who
    # A page of 50 entries, all the caseworker's views within the minute: one line, counted.
    assert who.count("Caseworker 1") == 1 and 'for your care <span class="muted">(×50)' in who
    pages = 1
    while "recorded a consent" not in who:  # page back to the resident's own change
        older = who[who.index('href="?older=') + len('href="?older=') :].split("#")[0]
        who = client.get(f"/my-record/?older={older}").content.decode()
        who = who[who.index('id="who-looked"') :]
        pages += 1
        assert "The latest entries" in who and pages < 10
    assert pages > 1 and f"{own.display_name} recorded a consent" in who


def test_a_refused_confirmation_is_worded_as_what_happened(resident, staff):
    from homecoming.core.templatetags.ledger_words import entry_words, role_words
    from homecoming.ledger import services as ledger

    entry = ledger.append(
        staff["clinician"],
        "medication.override",
        ledger.Target.of(resident, resident_id=resident.pk),
        purpose="none",
        outcome="denied",
    )
    assert entry_words(entry) == (
        "co-signature of a dose past a hard stop not given: a wrong password or code was entered"
    )
    assert role_words("program_director") == "program director"
