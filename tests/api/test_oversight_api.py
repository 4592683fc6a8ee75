# ruff: noqa: F811 (the fixtures imported below are the arguments of these tests)
"""The oversight API (/api/v1/complaints..., /investigations..., /grants...): each operation
allowed for those the pages allow and its effect real (the row, the ledger entry), refused for
everyone else, on the ledger; the insiders' replays (staff named in a complaint, an investigator
whose grant ended, a stranger guessing a receipt) refused; read-only tokens refused on writes."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from homecoming.accounts import tokens
from homecoming.accounts.models import Role
from homecoming.ledger.models import Entry
from homecoming.oversight import complaints, investigations, selectors
from homecoming.oversight.models import Complaint, ComplaintEvent, Grant, Investigation
from tests.oversight.conftest import (  # noqa: F401 (fixtures)
    filing,
    investigator,
    media,
    own,
    picture,
)

JSON = "application/json"


def post(client, url, body=None, **headers):
    return client.post(url, body or {}, content_type=JSON, **headers)


def read_only(user) -> Client:
    _, clear = tokens.issue(user, "reports", scope="read")
    return Client(HTTP_AUTHORIZATION=f"Bearer {clear}")


def denied(actor, action, since) -> int:
    return Entry.objects.filter(actor=actor, action=action, outcome="denied", seq__gt=since).count()


def last_seq() -> int:
    return Entry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.fixture
def walters(own, staff):
    """Walter's complaint from the portal, naming the supervisor."""
    return complaints.file_own(own.user, filing(named_staff=[staff["supervisor"]]))


# --- filing and one's own complaints -----------------------------------------------------------


def test_a_resident_files_reads_and_answers_their_own_complaint(own, staff, api_for):
    api = api_for(own.user)
    body = {
        "subject": "My note was changed",
        "body": "The note I read on Monday said something else on Wednesday.",
        "named_staff_ids": [staff["supervisor"].pk],
    }
    filed = post(api, "/api/v1/complaints", body)
    assert filed.status_code == 201, filed.content
    got = filed.json()
    complaint = Complaint.objects.get(pk=got["id"])
    assert complaint.resident_id == own.pk and complaint.filed_via == "portal"
    assert [n.user for n in complaint.named.all()] == [staff["supervisor"]]
    assert got["you_filed_it"] and not got["you_may_handle"] and got["complainant"] is None
    assert Entry.objects.filter(
        action="complaint.file", resident_id=own.pk, object_id=str(complaint.pk)
    ).exists()

    mine = api.get("/api/v1/complaints/mine").json()
    assert mine["count"] == 1 and mine["items"][0]["reference"] == complaint.reference

    wrote = post(api, f"/api/v1/complaints/{complaint.pk}/messages", {"body": "Any news?"})
    assert wrote.status_code == 201, wrote.content
    assert wrote.json()["from_complainant"] and wrote.json()["by"] is None
    assert ComplaintEvent.objects.filter(complaint=complaint, body="Any news?").exists()
    # A note for staff only is for those handling it.
    note = {"body": "Psst", "for_staff_only": True}
    assert post(api, f"/api/v1/complaints/{complaint.pk}/messages", note).status_code == 400


def test_staff_file_as_staff_and_bad_filings_name_every_problem(staff, api_for):
    api = api_for(staff["caseworker"])
    body = {"subject": "Night shift", "body": "The night log was rewritten on the 4th."}
    filed = post(api, "/api/v1/complaints", body)
    assert filed.status_code == 201, filed.content
    assert Complaint.objects.get(pk=filed.json()["id"]).filed_via == "staff"

    bad = post(api, "/api/v1/complaints", {"subject": " ", "body": "short"})
    assert bad.status_code == 400
    assert {"subject", "body"} <= set(bad.json()["errors"])
    unknown = post(api, "/api/v1/complaints", {**body, "named_staff_ids": [99999]})
    assert unknown.status_code == 400 and "named_staff_ids" in unknown.json()["errors"]
    herself = post(api, "/api/v1/complaints", {**body, "named_staff_ids": [staff["caseworker"].pk]})
    assert herself.status_code == 400 and "named_staff_ids" in herself.json()["errors"]
    assert post(api, "/api/v1/complaints", {"subject": "x"}).status_code == 422
    assert Complaint.objects.count() == 1


@pytest.mark.parametrize("who", ["investigator", "oversight"])
def test_those_who_receive_complaints_do_not_file_them_here(staff, api_for, who):
    since = last_seq()
    body = {"subject": "Night shift", "body": "The night log was rewritten on the 4th."}
    assert post(api_for(staff[who]), "/api/v1/complaints", body).status_code == 403
    assert denied(staff[who], "complaint.file_staff", since) == 1
    assert not Complaint.objects.exists()


def test_a_read_only_token_files_and_writes_nothing(own, walters, staff):
    body = {"subject": "Night shift", "body": "The night log was rewritten on the 4th."}
    assert post(read_only(own.user), "/api/v1/complaints", body).status_code == 403
    url = f"/api/v1/complaints/{walters.pk}"
    director = read_only(staff["program_director"])
    assert director.get(url).status_code == 200  # reading is what it is for
    assert post(director, f"{url}/messages", {"body": "Seen."}).status_code == 403
    assert post(director, f"{url}/status", {"status": "acknowledged"}).status_code == 403
    assign = {"assignee_id": staff["program_director"].pk}
    assert post(director, f"{url}/assign", assign).status_code == 403
    walters.refresh_from_db()
    assert walters.status == "received" and walters.assignee is None
    assert Complaint.objects.count() == 1 and walters.events.count() == 1


# --- handling ----------------------------------------------------------------------------------


def test_handlers_list_read_answer_assign_and_move_a_complaint(own, walters, staff, api_for):
    director = api_for(staff["program_director"])
    listed = director.get("/api/v1/complaints?limit=1").json()
    assert listed["count"] == 1 and listed["limit"] == 1
    assert listed["items"][0]["id"] == walters.pk and not listed["items"][0]["overdue"]
    assert director.get("/api/v1/complaints?status=closed").json()["count"] == 0
    assert director.get("/api/v1/complaints?status=nonsense").status_code == 422
    # Each complaint listed is a read on Walter's record.
    assert Entry.objects.filter(
        actor=staff["program_director"], action="complaint.view", resident_id=own.pk
    ).exists()

    url = f"/api/v1/complaints/{walters.pk}"
    got = director.get(url).json()
    assert got["you_may_handle"] and "resident, in the portal" in got["complainant"]
    assert [p["id"] for p in got["named_staff"]] == [staff["supervisor"].pk]

    note = post(
        director, f"{url}/messages", {"body": "Ask for the versions.", "for_staff_only": True}
    )
    assert note.status_code == 201 and note.json()["for_staff_only"]
    reply = post(director, f"{url}/messages", {"body": "We are looking into it."})
    assert reply.status_code == 201 and reply.json()["by"] == staff["program_director"].full_name

    assigned = post(director, f"{url}/assign", {"assignee_id": staff["oversight"].pk})
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee"]["id"] == staff["oversight"].pk
    moved = post(director, f"{url}/status", {"status": "acknowledged", "note": "Received."})
    assert moved.status_code == 200 and moved.json()["status"] == "acknowledged"
    walters.refresh_from_db()
    assert walters.status == "acknowledged" and walters.assignee == staff["oversight"]
    assert Entry.objects.filter(
        actor=staff["program_director"], action="complaint.update", outcome="allowed"
    ).exists()

    # Refused moves and assignees name the field.
    resolve = post(director, f"{url}/status", {"status": "resolved", "outcome": "done"})
    assert resolve.status_code == 400 and "outcome" in resolve.json()["errors"]
    back = post(director, f"{url}/status", {"status": "received"})
    assert back.status_code == 400 and "status" in back.json()["errors"]
    to_caseworker = post(director, f"{url}/assign", {"assignee_id": staff["caseworker"].pk})
    assert to_caseworker.status_code == 400 and "assignee_id" in to_caseworker.json()["errors"]
    to_named = post(director, f"{url}/assign", {"assignee_id": staff["supervisor"].pk})
    assert to_named.status_code == 400 and "assignee_id" in to_named.json()["errors"]
    nobody = post(director, f"{url}/assign", {"assignee_id": 99999})
    assert nobody.status_code == 400 and "assignee_id" in nobody.json()["errors"]

    # The complainant reads the reply and the status, never the staff note.
    theirs = api_for(own.user).get(url).json()
    bodies = [e["body"] for e in theirs["events"]]
    assert "We are looking into it." in bodies and "Ask for the versions." not in bodies
    assert not any(e["for_staff_only"] for e in theirs["events"])


def test_staff_named_in_a_complaint_read_it_blind_and_never_handle_it(own, staff, api_for, media):
    """The insider's replay: the supervisor the complaint names tries, over the API, to learn
    who made it, to answer it, to assign it to himself and to close it."""
    complaint = complaints.file_own(
        own.user, filing(named_staff=[staff["supervisor"]], files=[picture()])
    )
    complaints.move(staff["program_director"], complaint, "acknowledged")
    supervisor = api_for(staff["supervisor"])
    url = f"/api/v1/complaints/{complaint.pk}"
    since = last_seq()

    seen = supervisor.get(url).json()
    assert seen["complainant"] == selectors.WITHHELD and not seen["you_may_handle"]
    assert own.display_name not in str(seen) and own.given_name not in str(seen)
    filed = next(e for e in seen["events"] if e["kind"] == "filed")
    assert filed["by"] is None and filed["attachments"] == [] and filed["attachments_withheld"] == 1

    assert post(supervisor, f"{url}/messages", {"body": "Drop it."}).status_code == 403
    note = {"body": "Nothing to see.", "for_staff_only": True}
    assert post(supervisor, f"{url}/messages", note).status_code == 403
    mine = {"assignee_id": staff["supervisor"].pk}
    assert post(supervisor, f"{url}/assign", mine).status_code == 403
    resolve = {"status": "resolved", "outcome": "No fault was found with the notes at all."}
    assert post(supervisor, f"{url}/status", resolve).status_code == 403
    assert denied(staff["supervisor"], "complaint.update", since) == 4
    complaint.refresh_from_db()
    assert complaint.status == "acknowledged" and complaint.assignee is None
    assert not complaint.events.filter(actor=staff["supervisor"]).exists()


def test_a_named_caseworker_cannot_answer_either(own, staff, api_for):
    complaint = complaints.file_own(own.user, filing(named_staff=[staff["caseworker"]]))
    caseworker = api_for(staff["caseworker"])
    url = f"/api/v1/complaints/{complaint.pk}"
    assert caseworker.get(url).json()["complainant"] == selectors.WITHHELD
    assert post(caseworker, f"{url}/messages", {"body": "It was not me."}).status_code == 403
    assert complaint.events.count() == 1


@pytest.mark.parametrize(
    "who", ["caseworker_other", "clinician", "contractor", "sysadmin", "investigator"]
)
def test_strangers_neither_read_nor_handle_a_complaint(walters, staff, api_for, who):
    api = api_for(staff[who])
    url = f"/api/v1/complaints/{walters.pk}"
    since = last_seq()
    assert api.get(url).status_code == 403
    assert denied(staff[who], "complaint.view", since) == 1
    assert post(api, f"{url}/messages", {"body": "Hello"}).status_code == 403
    assert post(api, f"{url}/status", {"status": "acknowledged"}).status_code == 403
    assert post(api, f"{url}/assign", {"assignee_id": staff[who].pk}).status_code == 403
    assert post(api, f"{url}/assign", {"assignee_id": 99999}).status_code == 403
    assert api.get("/api/v1/complaints").status_code == 403
    assert api.get("/api/v1/complaints/mine").json()["count"] == 0
    walters.refresh_from_db()
    assert walters.status == "received" and walters.events.count() == 1


def test_another_resident_cannot_read_walters_complaint(walters, admit, make_user, api_for):
    from tests.consents.helpers import portal_login

    rosa = portal_login(make_user, admit(given_name="Rosa", family_name="Vega"))
    api = api_for(rosa.user)
    assert api.get(f"/api/v1/complaints/{walters.pk}").status_code == 403
    assert post(api, f"/api/v1/complaints/{walters.pk}/messages", {"body": "Hi"}).status_code == 403


def test_an_unknown_complaint_is_not_found_and_written_down(staff, api_for):
    since = last_seq()
    assert api_for(staff["oversight"]).get("/api/v1/complaints/99999").status_code == 404
    assert denied(staff["oversight"], "complaint.view", since) == 1


# --- following a public complaint up with its receipt ------------------------------------------


@pytest.fixture
def stopped_clock():
    """Rate-limit windows do not roll over in the middle of a test (test_public_limits.py)."""
    with time_machine.travel(dt.datetime(2028, 2, 29, 23, 59, 30, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def public(staff, stopped_clock):
    complaint, passphrase = complaints.file_public(filing(name="Ana Cruz", relationship="sister"))
    complaints.write(staff["program_director"], complaint, "We are on it.")
    complaints.write(staff["program_director"], complaint, "Call the son.", for_staff_only=True)
    complaints.assign(staff["program_director"], complaint, staff["oversight"])
    return complaint, passphrase


def test_the_receipt_opens_the_complaint_and_takes_an_answer(public):
    complaint, passphrase = public
    anyone = Client(REMOTE_ADDR="198.51.100.7")
    receipt = {"reference": complaint.reference.lower(), "passphrase": passphrase}
    opened = post(anyone, "/api/v1/complaints/receipt", receipt)
    assert opened.status_code == 200, opened.content
    got = opened.json()
    assert got["id"] == complaint.pk and got["assignee"] is None and got["named_staff"] == []
    bodies = [e["body"] for e in got["events"]]
    assert "We are on it." in bodies and "Call the son." not in bodies
    assert Entry.objects.filter(
        actor=None, action="complaint.follow_up", object_id=str(complaint.pk), outcome="allowed"
    ).exists()

    wrote = post(anyone, "/api/v1/complaints/receipt/messages", {**receipt, "body": "Thanks."})
    assert wrote.status_code == 201, wrote.content
    event = ComplaintEvent.objects.get(complaint=complaint, body="Thanks.")
    assert event.actor is None and event.from_complainant
    # An Idempotency-Key needs a caller to keep the answer for: with none, the write runs.
    keyed = post(
        anyone,
        "/api/v1/complaints/receipt/messages",
        {**receipt, "body": "Once more."},
        HTTP_IDEMPOTENCY_KEY="3f1c0a52-receipt",
    )
    assert keyed.status_code == 201, keyed.content
    empty = post(anyone, "/api/v1/complaints/receipt/messages", {**receipt, "body": " "})
    assert empty.status_code == 400 and "body" in empty.json()["errors"]


def test_a_wrong_passphrase_is_refused_written_down_and_locks_only_that_address(public):
    complaint, passphrase = public
    guesser = Client(REMOTE_ADDR="10.20.0.15")
    wrong = {"reference": complaint.reference, "passphrase": "AAAA-BBBB-CCCC-DDDD"}
    for _ in range(5):
        refused = post(guesser, "/api/v1/complaints/receipt", wrong)
        assert refused.status_code == 403 and refused.json()["code"] == "receipt_refused"
    assert (
        Entry.objects.filter(
            action="complaint.follow_up", object_id=complaint.reference, outcome="denied"
        ).count()
        == 5
    )
    right = {"reference": complaint.reference, "passphrase": passphrase}
    locked = post(guesser, "/api/v1/complaints/receipt", right)
    assert locked.status_code == 429 and locked.json()["code"] == "receipt_locked"
    written = post(guesser, "/api/v1/complaints/receipt/messages", {**right, "body": "Let go"})
    assert written.status_code == 429
    assert not ComplaintEvent.objects.filter(body="Let go").exists()
    # The complainant, elsewhere, is not shut out.
    assert (
        post(Client(REMOTE_ADDR="203.0.113.20"), "/api/v1/complaints/receipt", right).status_code
        == 200
    )


def test_a_portal_complaint_never_opens_with_a_receipt(walters, stopped_clock):
    guess = {"reference": walters.reference, "passphrase": "AAAA-BBBB-CCCC-DDDD"}
    assert post(Client(), "/api/v1/complaints/receipt", guess).status_code == 403


def test_the_receipt_keeps_the_pages_limits_shared_with_the_page(public, settings):
    complaint, passphrase = public
    settings.HOMECOMING_RECEIPT_RATE = "2/h"
    flooder = Client(REMOTE_ADDR="198.51.100.7")
    right = {"reference": complaint.reference, "passphrase": passphrase}
    # One opening on the follow-up page and one over the API: the address's allowance is spent.
    assert flooder.post("/complain/follow-up/", right).status_code == 302
    assert post(flooder, "/api/v1/complaints/receipt", right).status_code == 200
    limited = post(flooder, "/api/v1/complaints/receipt", right)
    assert limited.status_code == 429 and limited.json()["code"] == "too_many_requests"
    assert 0 < limited.json()["retry_after"] <= 3600 and int(limited["Retry-After"]) > 0
    assert (
        post(Client(REMOTE_ADDR="203.0.113.20"), "/api/v1/complaints/receipt", right).status_code
        == 200
    )


def test_the_receipt_takes_the_days_allowance_of_messages_only(public, settings):
    complaint, passphrase = public
    settings.HOMECOMING_RECEIPT_MESSAGES_PER_DAY = 1
    right = {"reference": complaint.reference, "passphrase": passphrase}
    api = Client(REMOTE_ADDR="198.51.100.7")
    assert (
        post(api, "/api/v1/complaints/receipt/messages", {**right, "body": "One"}).status_code
        == 201
    )
    refused = post(api, "/api/v1/complaints/receipt/messages", {**right, "body": "Two"})
    assert refused.status_code == 400 and "body" in refused.json()["errors"]


# --- investigations and grants -----------------------------------------------------------------


@pytest.fixture
def case(walters, staff):
    return investigations.open_investigation(
        staff["oversight"], "Record steering", complaint=walters
    )


def grant_body(investigator, resident, staff, **overrides):
    body = {
        "investigator_id": investigator.pk,
        "resident_ids": [resident.pk],
        "staff_ids": [staff["supervisor"].pk],
        "expires_at": (timezone.now() + dt.timedelta(days=30)).isoformat(),
        "reason": "Read the notes and what the supervisor did with them.",
    }
    return body | overrides


def test_the_oversight_body_opens_an_investigation_from_a_complaint(walters, staff, api_for):
    api = api_for(staff["oversight"])
    opened = post(
        api, "/api/v1/investigations", {"title": "Record steering", "complaint_id": walters.pk}
    )
    assert opened.status_code == 201, opened.content
    investigation = Investigation.objects.get(pk=opened.json()["id"])
    assert (
        investigation.complaint == walters
        and opened.json()["complaint_reference"] == walters.reference
    )
    assert Entry.objects.filter(
        action="investigation.open", object_id=str(investigation.pk)
    ).exists()
    walters.refresh_from_db()
    assert walters.status == "referred"
    listed = api.get("/api/v1/investigations").json()
    assert listed["count"] == 1 and listed["items"][0]["reference"] == investigation.reference

    bad = post(api, "/api/v1/investigations", {"title": " "})
    assert bad.status_code == 400 and "title" in bad.json()["errors"]
    unknown = post(
        api, "/api/v1/investigations", {"title": "X", "complaint_id": 99999, "signal_id": 99999}
    )
    assert unknown.status_code == 400 and {"complaint_id", "signal_id"} <= set(
        unknown.json()["errors"]
    )


@pytest.mark.parametrize("who", ["supervisor", "program_director", "investigator", "sysadmin"])
def test_nobody_else_opens_an_investigation(walters, staff, api_for, who):
    since = last_seq()
    body = {"title": "Record steering", "complaint_id": walters.pk}
    assert post(api_for(staff[who]), "/api/v1/investigations", body).status_code == 403
    assert denied(staff[who], "oversight.investigate", since) == 1
    assert not Investigation.objects.exists()


def test_a_grant_gives_the_investigator_what_it_covers_and_no_more(
    case, own, admit, staff, investigator, api_for
):
    oversight = api_for(staff["oversight"])
    url = f"/api/v1/investigations/{case.pk}/grants"
    given = post(oversight, url, grant_body(investigator, own, staff))
    assert given.status_code == 201, given.content
    grant = Grant.objects.get(pk=given.json()["id"])
    assert given.json()["resident_ids"] == [own.pk] and given.json()["in_force"]
    # Walter is told: the grant is on his record's ledger.
    assert Entry.objects.filter(action="investigation.grant", resident_id=own.pk).exists()
    assert oversight.get(url).json()["count"] == 1

    api = api_for(investigator)
    assert [g["id"] for g in api.get("/api/v1/grants/mine").json()["items"]] == [grant.pk]
    assert api.get("/api/v1/investigations").json()["count"] == 1
    seen = api.get(f"/api/v1/investigations/{case.pk}").json()
    assert [g["id"] for g in seen["grants"]] == [grant.pk]
    assert api.get(f"/api/v1/residents/{own.pk}").status_code == 200
    rosa = admit(given_name="Rosa", family_name="Vega")
    assert api.get(f"/api/v1/residents/{rosa.pk}").status_code == 403  # not covered
    actions = api.get(f"/api/v1/grants/{grant.pk}/actions")
    assert actions.status_code == 200, actions.content
    assert actions.json()["entries"] and all(
        e["actor"] == staff["supervisor"].full_name for e in actions.json()["entries"]
    )
    assert Entry.objects.filter(
        actor=investigator, action="investigation.read_entries", outcome="allowed"
    ).exists()
    # The investigator gives nobody access, least of all themselves, and closes nothing.
    assert post(api, url, grant_body(investigator, rosa, staff)).status_code == 403
    assert post(api, f"/api/v1/grants/{grant.pk}/revoke", {"reason": "x"}).status_code == 404
    revoke = f"{url}/{grant.pk}/revoke"
    assert post(api, revoke, {"reason": "Done with it."}).status_code == 403
    closing = {"findings": "Nothing at all was found in the records.", "outcome": "x" * 20}
    assert post(api, f"/api/v1/investigations/{case.pk}/close", closing).status_code == 403
    assert Grant.objects.count() == 1 and Grant.objects.get().revoked_at is None


def test_grants_refused_name_every_field(case, own, staff, investigator, api_for):
    oversight = api_for(staff["oversight"])
    url = f"/api/v1/investigations/{case.pk}/grants"
    unknown = post(
        oversight,
        url,
        grant_body(investigator, own, staff, resident_ids=[99999], staff_ids=[99999]),
    )
    assert unknown.status_code == 400
    assert {"resident_ids", "staff_ids"} <= set(unknown.json()["errors"])
    past = (timezone.now() - dt.timedelta(days=1)).isoformat()
    wrong = grant_body(staff["caseworker"], own, staff, expires_at=past, reason=" ")
    refused = post(oversight, url, wrong)
    assert refused.status_code == 400
    assert {"investigator_id", "expires_at", "reason"} <= set(refused.json()["errors"])
    too_long = (timezone.now() + dt.timedelta(days=200)).isoformat()
    long = post(oversight, url, grant_body(investigator, own, staff, expires_at=too_long))
    assert long.status_code == 400 and "expires_at" in long.json()["errors"]
    assert not Grant.objects.exists()


def test_a_revoked_grant_gives_the_investigator_nothing(case, own, staff, investigator, api_for):
    oversight = api_for(staff["oversight"])
    grant = post(
        oversight, f"/api/v1/investigations/{case.pk}/grants", grant_body(investigator, own, staff)
    ).json()
    revoke = f"/api/v1/investigations/{case.pk}/grants/{grant['id']}/revoke"
    assert post(oversight, revoke, {"reason": " "}).status_code == 400
    done = post(oversight, revoke, {"reason": "The investigator has left the panel."})
    assert done.status_code == 200 and done.json()["revoked_at"] and not done.json()["in_force"]
    assert Entry.objects.filter(action="investigation.revoke", object_id=str(grant["id"])).exists()
    assert post(oversight, revoke, {"reason": "Again."}).status_code == 400  # already ended

    api = api_for(investigator)
    since = last_seq()
    assert api.get("/api/v1/grants/mine").json()["count"] == 0
    assert api.get(f"/api/v1/grants/{grant['id']}/actions").status_code == 403
    assert api.get(f"/api/v1/residents/{own.pk}").status_code == 403
    assert denied(investigator, "investigation.read_entries", since) == 1


def test_an_expired_grant_gives_the_investigator_nothing(case, own, staff, investigator, api_for):
    grant = investigations.grant_access(
        staff["oversight"],
        case,
        investigator=investigator,
        residents=[own],
        staff=[staff["supervisor"]],
        expires_at=timezone.now() + dt.timedelta(days=2),
        reason="A short look.",
    )
    api = api_for(investigator)
    assert api.get(f"/api/v1/grants/{grant.pk}/actions").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=3)):
        api = api_for(investigator)  # a token of the day: the first one may have expired
        assert api.get("/api/v1/grants/mine").json()["count"] == 0
        assert api.get(f"/api/v1/grants/{grant.pk}/actions").status_code == 403
        assert api.get(f"/api/v1/residents/{own.pk}").status_code == 403


def test_another_investigator_sees_nothing_of_the_investigation(
    case, own, staff, investigator, make_user, api_for
):
    grant = investigations.grant_access(
        staff["oversight"],
        case,
        investigator=investigator,
        residents=[own],
        staff=[staff["supervisor"]],
        expires_at=timezone.now() + dt.timedelta(days=2),
        reason="A short look.",
    )
    other = api_for(make_user(Role.INVESTIGATOR, username="inv2"))
    assert other.get("/api/v1/investigations").json()["count"] == 0
    assert other.get(f"/api/v1/investigations/{case.pk}").status_code == 403
    assert other.get(f"/api/v1/investigations/{case.pk}/grants").status_code == 403
    assert other.get(f"/api/v1/grants/{grant.pk}/actions").status_code == 403
    assert other.get(f"/api/v1/residents/{own.pk}").status_code == 403


@pytest.mark.parametrize("who", ["supervisor", "caseworker", "contractor", "sysadmin"])
def test_the_center_reads_no_investigation(case, staff, api_for, who):
    api = api_for(staff[who])
    assert api.get("/api/v1/investigations").status_code == 403
    assert api.get(f"/api/v1/investigations/{case.pk}").status_code == 403
    assert api.get("/api/v1/grants/mine").status_code == 403


def test_closing_ends_the_grants_and_resolves_the_complaint(
    case, own, staff, investigator, api_for
):
    grant = investigations.grant_access(
        staff["oversight"],
        case,
        investigator=investigator,
        residents=[own],
        expires_at=timezone.now() + dt.timedelta(days=2),
        reason="A short look.",
    )
    oversight = api_for(staff["oversight"])
    url = f"/api/v1/investigations/{case.pk}/close"
    short = post(oversight, url, {"findings": "Bad."})
    assert short.status_code == 400 and {"findings", "outcome"} <= set(short.json()["errors"])
    body = {
        "findings": "Three signed notes were rewritten through back-dated addenda.",
        "recommendations": "Remove the supervisor's addendum rights.",
        "outcome": "Your complaint was upheld and the notes are corrected.",
    }
    assert post(read_only(staff["oversight"]), url, body).status_code == 403
    closed = post(oversight, url, body)
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed" and closed.json()["grants"][0]["revoked_at"]
    assert Entry.objects.filter(action="investigation.close", object_id=str(case.pk)).exists()
    grant.refresh_from_db()
    case.complaint.refresh_from_db()
    assert grant.revoked_at is not None and case.complaint.status == "resolved"
    assert post(oversight, url, body).status_code == 400  # already closed
    assert post(oversight, "/api/v1/investigations/99999/close", body).status_code == 404


def test_a_read_only_token_opens_grants_and_revokes_nothing(case, own, staff, investigator):
    api = read_only(staff["oversight"])
    assert api.get(f"/api/v1/investigations/{case.pk}").status_code == 200
    assert (
        post(
            api, "/api/v1/investigations", {"title": "X", "complaint_id": case.complaint_id}
        ).status_code
        == 403
    )
    url = f"/api/v1/investigations/{case.pk}/grants"
    assert post(api, url, grant_body(investigator, own, staff)).status_code == 403
    assert Investigation.objects.count() == 1 and not Grant.objects.exists()


def test_the_endpoints_are_described(db):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/complaints": {"get", "post"},
        "/api/v1/complaints/mine": {"get"},
        "/api/v1/complaints/{complaint_id}": {"get"},
        "/api/v1/complaints/{complaint_id}/messages": {"post"},
        "/api/v1/complaints/{complaint_id}/assign": {"post"},
        "/api/v1/complaints/{complaint_id}/status": {"post"},
        "/api/v1/complaints/receipt": {"post"},
        "/api/v1/complaints/receipt/messages": {"post"},
        "/api/v1/investigations": {"get", "post"},
        "/api/v1/investigations/{investigation_id}": {"get"},
        "/api/v1/investigations/{investigation_id}/close": {"post"},
        "/api/v1/investigations/{investigation_id}/grants": {"get", "post"},
        "/api/v1/investigations/{investigation_id}/grants/{grant_id}/revoke": {"post"},
        "/api/v1/grants/mine": {"get"},
        "/api/v1/grants/{grant_id}/actions": {"get"},
    }.items():
        assert methods <= set(paths[path]), path
        for op in paths[path].values():
            assert len(op["summary"]) <= 80 and op["description"]
    # The receipt needs no log-in: no 401 is promised there.
    assert "security" not in paths["/api/v1/complaints/receipt"]["post"]
    assert "429" in paths["/api/v1/complaints/receipt"]["post"]["responses"]
