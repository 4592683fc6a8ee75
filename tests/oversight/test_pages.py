"""Complaint and investigation pages: the public form with no account, the receipt and follow-up,
the complaints officers' list and a complaint's page, and the investigator's pages; each
refuses those who may not, with what was typed kept on a refusal."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from homecoming.oversight import complaints, investigations
from homecoming.oversight.models import Complaint

from .conftest import filing, picture


def body(response) -> str:
    return response.content.decode()


def test_anyone_complains_without_an_account_and_follows_up_with_the_receipt(staff, media):
    client = Client()
    page = client.get("/complain/")
    assert page.status_code == 200 and "You do not need an account" in body(page)
    refused = client.post("/complain/", {"subject": "", "body": "He is gone and nobody says why."})
    assert refused.status_code == 400 and "He is gone and nobody says why." in body(refused)
    sent = client.post(
        "/complain/",
        {
            "subject": "My brother vanished after discharge",
            "body": "He left the center on May 2 and nobody can tell us where he is.",
            "relationship": "his sister",
            "files": [picture()],
        },
    )
    assert sent.status_code == 302 and sent["Location"] == "/complain/receipt/"
    sent = client.get("/complain/receipt/")
    code = re.search(r'id="receipt-code">([^<]+)<', body(sent))[1]
    passphrase = re.search(r'id="receipt-passphrase">([^<]+)<', body(sent))[1]
    again = body(client.get("/complain/receipt/"))  # a reload shows it again, files nothing
    assert code in again and passphrase in again and Complaint.objects.count() == 1
    assert Complaint.objects.get().reference == code

    fresh = Client()
    wrong = fresh.post("/complain/follow-up/", {"reference": code, "passphrase": "nope"})
    assert wrong.status_code == 400 and "do not match" in body(wrong)
    opened = fresh.post("/complain/follow-up/", {"reference": code, "passphrase": passphrase})
    assert opened.status_code == 302
    view = body(fresh.get("/complain/yours/"))
    assert "My brother vanished after discharge" in view and "photo.png" in view
    fresh.post("/complain/yours/", {"body": "Any news?"})
    assert "Any news?" in body(fresh.get("/complain/yours/"))
    fresh.post("/complain/forget/")
    assert fresh.get("/complain/yours/")["Location"] == "/complain/follow-up/"


def test_the_complaints_list_and_a_complaint_for_its_handlers(own, staff, client_for):
    complaint = complaints.file_own(own.user, filing(named_staff=[staff["supervisor"]]))
    director = client_for(staff["program_director"])
    listing = body(director.get("/complaints/"))
    assert complaint.reference in listing and "Records changed after my session" in listing
    page = body(director.get(f"/complaints/{complaint.pk}/"))
    assert "Walter Cruz (resident, in the portal)" in page and "Move it on" in page
    moved = director.post(
        f"/complaints/{complaint.pk}/",
        {"do": "move", "status": "acknowledged", "note": "Thank you; we are reading it."},
    )
    assert moved.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "acknowledged"
    named = body(client_for(staff["supervisor"]).get(f"/complaints/{complaint.pk}/"))
    assert "withheld: you are named in this complaint" in named and "Walter Cruz" not in named
    assert "Move it on" not in named


@pytest.mark.parametrize("who", ["caseworker", "clinician", "contractor", "sysadmin"])
def test_the_complaints_list_is_refused_to_others(own, staff, client_for, who):
    complaint = complaints.file_own(own.user, filing())
    assert client_for(staff[who]).get("/complaints/").status_code == 403
    assert client_for(staff[who]).get(f"/complaints/{complaint.pk}/").status_code == 403


def test_a_resident_files_and_reads_their_own(own, staff, client_for):
    client = client_for(own.user)
    filed = client.post(
        "/complaints/new/",
        {"subject": "Noise at night", "body": "The night staff shout in the corridor at 2 a.m."},
    )
    assert filed.status_code == 302
    page = body(client.get(filed["Location"]))
    assert "Your complaint is filed as HC-" in page and "Noise at night" in page
    assert "Noise at night" in body(client.get("/complaints/mine/"))
    assert client.get("/complaints/").status_code == 403


def test_the_investigator_pages_and_the_evidence_download(
    own, staff, investigator, client_for, ledger_key
):
    complaint = complaints.file_own(own.user, filing(named_staff=[staff["supervisor"]]))
    oversight = client_for(staff["oversight"])
    opened = oversight.post(
        "/oversight/", {"title": "Walter's notes", "cause": f"complaint:{complaint.pk}"}
    )
    assert opened.status_code == 302
    investigation = complaint.investigations.get()
    url = f"/oversight/investigations/{investigation.pk}/"
    until = (timezone.localtime() + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    refused = oversight.post(
        url,
        {"do": "grant", "investigator": investigator.pk, "residents": "99999",
         "expires_at": until, "reason": "Read the notes."},
    )  # fmt: skip
    assert refused.status_code == 400 and "No resident record #99999." in body(refused)
    granted = oversight.post(
        url,
        {"do": "grant", "investigator": investigator.pk, "residents": f"#{own.pk}",
         "staff": [staff["supervisor"].pk], "expires_at": until, "reason": "Read the notes."},
    )  # fmt: skip
    assert granted.status_code == 302
    mine = client_for(investigator)
    home = body(mine.get("/"))
    assert investigation.reference in home and "Walter Cruz" in home
    page = body(mine.get(url))
    assert "Download the evidence bundle" in page
    grant = investigation.grants.get()
    assert mine.get(f"/oversight/grants/{grant.pk}/actions/").status_code == 200
    download = mine.post(f"/oversight/grants/{grant.pk}/evidence/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert mine.get(f"/residents/{own.pk}/").status_code == 200
    assert client_for(staff["caseworker"]).get(url).status_code == 403
    assert (
        client_for(staff["caseworker"]).post(f"/oversight/grants/{grant.pk}/evidence/").status_code
        == 403
    )


def test_the_ledger_api_shows_an_investigator_only_leaves_in_scope(
    own, staff, investigator, api_for, admit
):
    complaint = complaints.file_own(own.user, filing())
    opened = investigations.open_investigation(staff["oversight"], "x", complaint=complaint)
    investigations.grant_access(
        staff["oversight"],
        opened,
        investigator=investigator,
        residents=[own],
        expires_at=timezone.now() + dt.timedelta(days=1),
        reason="Read the record.",
    )
    from homecoming.ledger.models import Entry

    other = admit(actor=staff["program_director"], given_name="Dana", family_name="Reyes")
    inside = Entry.objects.filter(resident_id=own.pk).first()
    outside = Entry.objects.filter(resident_id=other.pk).first()
    api = api_for(investigator)
    assert api.get(f"/api/v1/ledger/entries/{inside.seq}").status_code == 200
    assert api.get(f"/api/v1/ledger/entries/{outside.seq}").status_code == 403
    assert (
        api_for(staff["oversight"]).get(f"/api/v1/ledger/entries/{outside.seq}").status_code == 200
    )
