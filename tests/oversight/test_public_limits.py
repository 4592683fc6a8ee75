"""Issue 13, part 8: the public complaint form and the receipt follow-ups are rate-limited per
client address and bounded, and the receipt's own lock cannot be turned against the complainant.

Replays: a flood of filings from one address; staff who can read a complaint's receipt code
typing wrong passphrases to shut the complainant out; a receipt used to write without end; a
body far larger than the form can need. Each time, the first legitimate uses still pass."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from homecoming.oversight import complaints
from homecoming.oversight.models import Complaint, ComplaintEvent

from .conftest import picture

FLOODER = "198.51.100.7"
SOMEONE_ELSE = "203.0.113.20"
STAFF_DESK = "10.20.0.15"


@pytest.fixture(autouse=True)
def stopped_clock():
    """django-ratelimit counts in fixed windows whose edges fall anywhere in the period (offset
    by a hash of the key): with the clock stopped, no edge passes in the middle of a test, so
    it tells the same story whatever the hour the suite runs. A fixed day, 29 February."""
    with time_machine.travel(dt.datetime(2028, 2, 29, 23, 59, 30, tzinfo=dt.UTC), tick=False):
        yield


def body(response):
    return response.content.decode()


def file_one(client, n=0):
    return client.post(
        "/complain/",
        {"subject": f"Complaint {n}", "body": "He is gone and nobody says why."},
    )


def test_filing_is_rate_limited_per_address_with_a_clear_page(staff, settings, media):
    settings.HOMECOMING_COMPLAINT_RATE = "2/h"
    flooder = Client(REMOTE_ADDR=FLOODER)
    # The first uses pass.
    assert [file_one(flooder, n).status_code for n in range(2)] == [302, 302]
    refused = file_one(flooder, 2)
    assert refused.status_code == 429
    assert "Too many tries from here" in body(refused) and "Nothing you sent" in body(refused)
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Complaint.objects.count() == 2  # the refused one filed nothing
    assert flooder.get("/complain/").status_code == 200  # reading the form is never counted
    # Someone at another address is not held up by the flood.
    assert file_one(Client(REMOTE_ADDR=SOMEONE_ELSE)).status_code == 302


def test_the_limit_sees_the_client_through_the_trusted_proxy(staff, settings, media):
    settings.HOMECOMING_COMPLAINT_RATE = "1/h"
    settings.HOMECOMING_TRUSTED_PROXIES = "10.0.0.2"
    via = {"REMOTE_ADDR": "10.0.0.2"}
    assert file_one(Client(**via, HTTP_X_FORWARDED_FOR=FLOODER)).status_code == 302
    assert file_one(Client(**via, HTTP_X_FORWARDED_FOR=FLOODER)).status_code == 429
    assert file_one(Client(**via, HTTP_X_FORWARDED_FOR=SOMEONE_ELSE)).status_code == 302


def test_opening_receipts_is_rate_limited_per_address(staff, settings):
    settings.HOMECOMING_RECEIPT_RATE = "3/h"
    complaint, passphrase = complaints.file_public(complaints.Filing("Subject", "What happened."))
    guesser = Client(REMOTE_ADDR=FLOODER)
    for n in range(3):
        tried = guesser.post(
            "/complain/follow-up/", {"reference": f"HC-0000-000{n}", "passphrase": "x"}
        )
        assert tried.status_code == 400
    assert (
        guesser.post(
            "/complain/follow-up/", {"reference": "HC-0000-0009", "passphrase": "x"}
        ).status_code
        == 429
    )
    mine = Client(REMOTE_ADDR=SOMEONE_ELSE)
    opened = mine.post(
        "/complain/follow-up/", {"reference": complaint.reference, "passphrase": passphrase}
    )
    assert opened.status_code == 302 and opened["Location"] == "/complain/yours/"


def test_wrong_passphrases_from_staff_do_not_shut_the_complainant_out(staff, client_for):
    complaint, passphrase = complaints.file_public(
        complaints.Filing("About the supervisor", "Supervisor 3 changed my brother's notes.")
    )
    # The supervisor reads the receipt code where staff see the complaint...
    listed = body(client_for(staff["program_director"]).get(f"/complaints/{complaint.pk}/"))
    assert complaint.reference in listed
    # ...and types wrong passphrases from a desk until the receipt locks there.
    desk = Client(REMOTE_ADDR=STAFF_DESK)
    for _ in range(5):
        desk.post("/complain/follow-up/", {"reference": complaint.reference, "passphrase": "x"})
    locked = desk.post(
        "/complain/follow-up/", {"reference": complaint.reference, "passphrase": passphrase}
    )
    assert locked.status_code == 400 and "Too many wrong tries" in body(locked)
    # The complainant, at home, opens their complaint as ever.
    home = Client(REMOTE_ADDR=SOMEONE_ELSE)
    opened = home.post(
        "/complain/follow-up/", {"reference": complaint.reference, "passphrase": passphrase}
    )
    assert opened.status_code == 302 and opened["Location"] == "/complain/yours/"


def test_follow_up_messages_per_receipt_are_bounded_per_day(staff, settings):
    settings.HOMECOMING_RECEIPT_MESSAGES_PER_DAY = 2
    complaint, passphrase = complaints.file_public(complaints.Filing("Subject", "What happened."))
    client = Client(REMOTE_ADDR=SOMEONE_ELSE)
    client.post(
        "/complain/follow-up/", {"reference": complaint.reference, "passphrase": passphrase}
    )
    sent = [client.post("/complain/yours/", {"body": f"Message {n}"}).status_code for n in range(2)]
    assert sent == [302, 302]
    refused = client.post("/complain/yours/", {"body": "Message 3"})
    assert refused.status_code == 400 and "the most it takes in a day" in body(refused)
    assert "Message 3" in body(refused)  # what they wrote is kept on the page
    written = ComplaintEvent.objects.filter(complaint=complaint, kind="message")
    assert written.count() == 2
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)):
        complaints.write(None, complaint, "The next day.")
    assert written.count() == 3


def test_a_body_larger_than_the_form_can_need_is_refused_unread(staff, settings, media):
    settings.HOMECOMING_ATTACHMENT_MAX_MB = 1  # five files of 1 MB and the words: 6 MB at most
    client = Client(REMOTE_ADDR=SOMEONE_ELSE)
    huge = client.post(
        "/complain/",
        {"subject": "S", "body": "What happened here."},
        CONTENT_LENGTH=str(7 * 1024 * 1024),
    )
    assert huge.status_code == 413 and "at most 6 MB" in body(huge)
    assert not Complaint.objects.exists()
    fine = client.post(
        "/complain/",
        {"subject": "S", "body": "What happened here.", "files": [picture()]},
    )
    assert fine.status_code == 302


@pytest.mark.parametrize("field, longest", [("name", 200), ("contact", 200), ("relationship", 120)])
def test_what_a_complainant_says_of_themselves_is_bounded(staff, field, longest):
    filing = complaints.Filing("Subject", "What happened.", **{field: "x" * (longest + 1)})
    with pytest.raises(complaints.ValidationError) as refused:
        complaints.file_public(filing)
    assert refused.value.message_dict == {field: [f"At most {longest} characters."]}
    assert not Complaint.objects.exists()
