"""The pages and the API: the resident's links, form and list (with the answer and their
disagreement), the care team's page and answer, the chart and the home page's worklist, and the
JSON endpoints, each with what it refuses."""

import json

import pytest
from django.urls import reverse

from homecoming.access.policy import Action
from homecoming.corrections import services
from homecoming.corrections.models import CorrectionAnswer, CorrectionRequest
from homecoming.ledger.models import Entry, Outcome

from ..conftest import PASSWORD, logged_in

pytestmark = pytest.mark.django_db
WRONG = "The argument was on Tuesday, not Monday."


def _ask_url(kind, entry_id):
    return f"{reverse('corrections:ask')}?kind={kind}&entry={entry_id}"


def _ask(portal_user, resident, note):
    return services.file_request(portal_user, resident, "note", note.pk, WRONG)


def test_the_residents_pages_link_to_the_form(portal_user, resident, note):
    client = logged_in(portal_user)
    for page in (
        reverse("encounters:note", args=[note.pk]),
        reverse("encounters:my_notes"),
        reverse("residents:my_record"),
    ):
        assert "Ask for a correction" in client.get(page).content.decode()
    record = client.get(reverse("residents:my_record")).content.decode()
    assert _ask_url("details", resident.pk).replace("&", "&amp;") in record


def test_the_resident_files_a_request_and_sees_it_listed(portal_user, resident, note):
    client = logged_in(portal_user)
    url = _ask_url("note", note.pk)
    form = client.get(url)
    assert form.status_code == 200 and "note of" in form.content.decode()
    refused = client.post(url, {"what_is_wrong": " ", "should_say": "Tuesday."})
    assert refused.status_code == 400
    assert (
        "Say what is wrong" in refused.content.decode() and "Tuesday." in refused.content.decode()
    )
    done = client.post(url, {"what_is_wrong": WRONG, "should_say": "Tuesday."})
    assert done.status_code == 302 and done.url == reverse("corrections:mine")
    mine = client.get(reverse("corrections:mine")).content.decode()
    assert WRONG in mine and "waiting for an answer" in mine


def test_pointing_the_form_at_another_residents_note_is_refused(portal_user, resident, rosas_note):
    client = logged_in(portal_user)
    url = _ask_url("note", rosas_note.pk)
    assert client.get(url).status_code == 403
    assert client.post(url, {"what_is_wrong": WRONG}).status_code == 403
    refused = Entry.objects.filter(
        actor=portal_user, action=str(Action.REQUEST_CORRECTION), outcome=Outcome.DENIED
    )
    assert refused.count() == 2 and not CorrectionRequest.objects.exists()


def test_staff_have_no_form_of_their_own(resident, note, staff):
    assert logged_in(staff["caseworker"]).get(_ask_url("note", note.pk)).status_code == 404


def test_the_care_team_answers_and_the_resident_reads_it_and_disagrees(
    portal_user, resident, note, staff
):
    request = _ask(portal_user, resident, note)
    page_url = reverse("corrections:resident", args=[resident.pk])
    answer_url = reverse("corrections:answer", args=[resident.pk, request.pk])
    author = logged_in(staff["caseworker"])
    assert WRONG in author.get(page_url).content.decode()
    # The note's author may not decline it.
    assert author.post(answer_url, {"outcome": "declined", "statement": "No."}).status_code == 403
    clinician = logged_in(staff["clinician"])
    missing = clinician.post(answer_url, {"outcome": "declined", "statement": ""})
    assert missing.status_code == 400 and "Say why the request is declined" in (
        missing.content.decode()
    )
    done = clinician.post(answer_url, {"outcome": "declined", "statement": "The log says Monday."})
    assert done.status_code == 302
    resident_client = logged_in(portal_user)
    mine = resident_client.get(reverse("corrections:mine")).content.decode()
    assert "declined" in mine and "The log says Monday." in mine
    disagree_url = reverse("corrections:disagree", args=[request.pk])
    assert resident_client.post(disagree_url, {"text": ""}).status_code == 400
    assert resident_client.post(disagree_url, {"text": "It was Tuesday."}).status_code == 302
    assert "It was Tuesday." in author.get(page_url).content.decode()


def test_amending_a_note_from_the_page_signs_the_addendum(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    url = reverse("corrections:answer", args=[resident.pk, request.pk])
    client = logged_in(staff["caseworker"])
    fields = {"outcome": "amended", "statement": "The argument was on Tuesday."}
    assert client.post(url, fields | {"secret": "wrong"}).status_code == 400
    assert client.post(url, fields | {"secret": PASSWORD}).status_code == 302
    assert CorrectionAnswer.objects.get().addendum.text == "The argument was on Tuesday."


def test_staff_outside_the_care_team_are_refused(portal_user, resident, note, staff):
    request = _ask(portal_user, resident, note)
    client = logged_in(staff["caseworker_other"])
    assert client.get(reverse("corrections:resident", args=[resident.pk])).status_code == 403
    url = reverse("corrections:answer", args=[resident.pk, request.pk])
    assert client.post(url, {"outcome": "declined", "statement": "No."}).status_code == 403
    assert not CorrectionAnswer.objects.exists()


def test_a_resident_cannot_disagree_on_anothers_request(
    portal_user, resident, note, staff, other_resident
):
    request = _ask(portal_user, resident, note)
    services.answer(staff["clinician"], request, "declined", "The log says Monday.")
    rosa = logged_in(other_resident.user)
    url = reverse("corrections:disagree", args=[request.pk])
    assert rosa.post(url, {"text": "Not mine."}).status_code == 403


def test_the_chart_and_home_show_open_requests(portal_user, resident, note, staff):
    chart = reverse("residents:chart", args=[resident.pk])
    client = logged_in(staff["caseworker"])
    assert "correction" not in client.get(chart).content.decode().split("<nav")[0]
    assert "Correction requests" not in client.get(reverse("core:home")).content.decode()
    _ask(portal_user, resident, note)
    assert "Correction requests (1 open)" in client.get(chart).content.decode()
    home = client.get(reverse("core:home")).content.decode()
    assert "Correction requests" in home and resident.display_name in home
    other = logged_in(staff["caseworker_other"]).get(reverse("core:home")).content.decode()
    assert "Correction requests" not in other


def test_the_api(portal_user, resident, note, staff, api_for, rosas_note):
    walter = api_for(portal_user)
    url = f"/api/v1/residents/{resident.pk}/corrections"
    body = {"kind": "note", "entry_id": note.pk, "what_is_wrong": WRONG}
    filed = walter.post(url, json.dumps(body), content_type="application/json")
    assert filed.status_code == 201, filed.content
    request_id = filed.json()["id"]
    assert filed.json()["status"] == "waiting for an answer"
    theirs = body | {"entry_id": rosas_note.pk}
    refused = walter.post(url, json.dumps(theirs), content_type="application/json")
    assert refused.status_code == 403
    empty = walter.post(
        url, json.dumps(body | {"what_is_wrong": ""}), content_type="application/json"
    )
    assert empty.status_code == 400
    assert [r["id"] for r in walter.get(url).json()["items"]] == [request_id]

    clinician = api_for(staff["clinician"])
    open_ones = clinician.get("/api/v1/corrections/open").json()
    assert [r["id"] for r in open_ones["items"]] == [request_id] and open_ones["count"] == 1
    assert api_for(staff["caseworker_other"]).get("/api/v1/corrections/open").json()["items"] == []
    answer_url = f"/api/v1/corrections/{request_id}/answer"
    decline = {"outcome": "declined", "statement": "The log says Monday."}
    outsider = api_for(staff["caseworker_other"])
    assert (
        outsider.post(answer_url, json.dumps(decline), content_type="application/json").status_code
        == 403
    )
    author = api_for(staff["caseworker"])
    assert (
        author.post(answer_url, json.dumps(decline), content_type="application/json").status_code
        == 403
    )
    answered = clinician.post(answer_url, json.dumps(decline), content_type="application/json")
    assert answered.status_code == 200 and answered.json()["answer"]["outcome"] == "declined"
    disagree_url = f"/api/v1/corrections/{request_id}/disagreement"
    kept = walter.post(
        disagree_url, json.dumps({"text": "It was Tuesday."}), content_type="application/json"
    )
    assert kept.status_code == 201 and kept.json()["disagreement"]["text"] == "It was Tuesday."


def test_the_form_without_an_entry_shows_where_to_ask_from(portal_user, resident):
    client = logged_in(portal_user)
    page = client.get(reverse("corrections:ask"))
    assert page.status_code == 200
    assert _ask_url("details", resident.pk).replace("&", "&amp;") in page.content.decode()
    # Half a pointer is a made-up one: refused.
    assert client.get(f"{reverse('corrections:ask')}?kind=note").status_code == 403
