"""The message pages and the API: the warning at the top of every page, the resident's own
pages, the care team's, nothing typed lost on a refusal, and the JSON endpoints."""

import json

import pytest
from django.urls import reverse

from homecoming.conversations import services
from homecoming.conversations.models import Message, Thread
from homecoming.ledger.models import Entry, Outcome

from ..conftest import logged_in

pytestmark = pytest.mark.django_db

WARNING = "Messages are not for emergencies"


def test_the_resident_writes_and_reads_in_the_portal(resident, staff, portal_user):
    client = logged_in(portal_user)
    mine = reverse("conversations:mine")
    page = client.get(mine).content.decode()
    assert WARNING in page and 'href="tel:988"' in page and 'href="sms:838255"' in page
    assert 'href="tel:911"' in page
    refused = client.post(mine, {"subject": "", "body": "I typed all this."})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Give the message a subject" in text and "I typed all this." in text
    sent = client.post(mine, {"subject": "Night passes", "body": "Can I sign out Saturday?"})
    thread = Thread.objects.get()
    assert sent.status_code == 302 and sent.url == reverse(
        "conversations:my_thread", args=[thread.pk]
    )
    page = client.get(sent.url).content.decode()
    assert WARNING in page and "Can I sign out Saturday?" in page and "Not read yet." in page
    client.post(sent.url, {"body": "Or Sunday."})
    assert thread.messages.count() == 2


def test_the_care_team_sees_it_waiting_and_answers(resident, staff, portal_user):
    thread = services.start(portal_user, resident, "Night passes", "Can I sign out Saturday?")
    client = logged_in(staff["caseworker"])
    home = client.get(reverse("core:home")).content.decode()
    assert "Messages waiting" in home and "Night passes" in home
    inbox = client.get(reverse("conversations:inbox")).content.decode()
    assert WARNING in inbox and "Night passes" in inbox
    url = reverse("conversations:thread", args=[thread.pk])
    page = client.get(url).content.decode()
    assert WARNING in page and "Can I sign out Saturday?" in page
    assert client.post(url, {"body": ""}).status_code == 400
    assert client.post(url, {"body": "Yes: sign the book."}).status_code == 302
    home = logged_in(staff["caseworker"]).get(reverse("core:home")).content.decode()
    assert "Messages waiting" not in home
    # The resident sees who read their message, and the reading on "who looked".
    mine = logged_in(portal_user).get(reverse("conversations:my_thread", args=[thread.pk]))
    assert (
        "Read by" in mine.content.decode()
        and str(staff["caseworker"].full_name) in mine.content.decode()
    )
    chart_list = client.get(reverse("conversations:resident", args=[resident.pk])).content.decode()
    assert "Night passes" in chart_list and WARNING in chart_list


def test_a_resident_cannot_open_anothers_thread(resident, staff, portal_user, other_resident):
    thread = services.start(portal_user, resident, "Mine", "Private.")
    rosa = logged_in(other_resident.user)
    url = reverse("conversations:my_thread", args=[thread.pk])
    assert rosa.get(url).status_code == 403
    assert rosa.post(url, {"body": "Hi"}).status_code == 403
    assert Entry.objects.filter(actor=other_resident.user, outcome=Outcome.DENIED).count() == 2
    # The staff address sends a resident to their own pages.
    assert rosa.get(reverse("conversations:thread", args=[thread.pk])).status_code == 302


def test_staff_outside_the_care_team_get_403_on_the_pages(resident, staff, portal_user):
    thread = services.start(portal_user, resident, "Mine", "Private.")
    outsider = logged_in(staff["caseworker_other"])
    assert outsider.get(reverse("conversations:thread", args=[thread.pk])).status_code == 403
    assert (
        outsider.post(reverse("conversations:thread", args=[thread.pk]), {"body": "x"}).status_code
        == 403
    )
    assert outsider.get(reverse("conversations:resident", args=[resident.pk])).status_code == 403
    assert "Mine" not in outsider.get(reverse("conversations:inbox")).content.decode()
    assert Message.objects.count() == 1


def test_the_api_for_the_resident_and_for_staff(resident, staff, portal_user, api_for):
    mine = api_for(portal_user)
    threads = f"/api/v1/residents/{resident.pk}/message-threads"
    bad = mine.post(
        threads, json.dumps({"subject": "", "body": ""}), content_type="application/json"
    )
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"subject", "body"}
    made = mine.post(
        threads,
        json.dumps({"subject": "Pass", "body": "Saturday?", "from_resident": False}),
        content_type="application/json",
    )
    assert made.status_code == 201
    thread_id = made.json()["thread"]["id"]
    assert made.json()["messages"][0]["from_resident"] is True
    team = api_for(staff["caseworker"])
    listed = team.get(threads).json()["items"]
    assert listed[0]["waiting_for_care_team"] is True and listed[0]["messages"] == 1
    read = team.get(f"/api/v1/message-threads/{thread_id}").json()
    assert read["may_write"] and read["messages"][0]["body"] == "Saturday?"
    answer = team.post(
        f"/api/v1/message-threads/{thread_id}",
        json.dumps({"body": "Yes.", "from_resident": True, "author": portal_user.pk}),
        content_type="application/json",
    )
    assert answer.status_code == 201
    assert answer.json()["from_resident"] is False and answer.json()["author"] == str(
        staff["caseworker"]
    )
    again = mine.get(f"/api/v1/message-threads/{thread_id}").json()
    assert [r["reader"] for r in again["messages"][0]["read_by"]] == [str(staff["caseworker"])]
    outsider = api_for(staff["caseworker_other"])
    assert outsider.get(f"/api/v1/message-threads/{thread_id}").status_code == 403
    assert outsider.get(threads).status_code == 403
    assert team.get("/api/v1/message-threads/999999").status_code == 404


def test_the_resident_sees_who_read_their_messages_in_who_looked(resident, staff, portal_user):
    thread = services.start(portal_user, resident, "Night passes", "Can I sign out Saturday?")
    logged_in(staff["caseworker"]).get(reverse("conversations:thread", args=[thread.pk]))
    page = logged_in(portal_user).get(reverse("residents:my_record")).content.decode()
    assert "looked at your messages" in page and staff["caseworker"].full_name in page
    assert "read a message (a read receipt)" in page


def test_the_timeline_names_messages(resident, staff, portal_user):
    thread = services.start(portal_user, resident, "Night passes", "Can I sign out Saturday?")
    services.reply(staff["caseworker"], thread, "Yes.")
    page = logged_in(staff["caseworker"]).get(reverse("timeline:timeline", args=[resident.pk]))
    text = page.content.decode()
    assert "message thread “Night passes”" in text
    assert f"message from {staff['caseworker'].full_name}" in text
    assert f"message from {portal_user.full_name} (the resident)" in text
