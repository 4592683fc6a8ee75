"""Issue 15: a look is one entry. A page view writes one entry per resident it discloses, listing
the sections shown; a list writes one entry naming its residents; the resident's "who looked"
reads them as sentences; bundles and the offline verifier follow list entries too."""

import json

import pytest

from homecoming.access.services import open_break_glass
from homecoming.ledger import looks
from homecoming.ledger import verify as v
from homecoming.ledger.canonical import canonical_json
from homecoming.ledger.export import export
from homecoming.ledger.models import Entry, Mention, Outcome
from homecoming.residents import selectors
from homecoming.residents.models import Resident
from tests.support.notes import signed


def new_entries(since: int):
    return list(Entry.objects.filter(seq__gte=since).order_by("seq"))


def head() -> int:
    last = Entry.objects.order_by("-seq").first()
    return last.seq + 1 if last else 0


def test_a_chart_page_is_one_entry_listing_what_it_showed(resident, staff, client_for):
    signed(staff["caseworker"], resident)
    client = client_for(staff["caseworker"])
    start = head()
    assert client.get(f"/residents/{resident.pk}/").status_code == 200
    entries = new_entries(start)
    assert len(entries) == 1, [(e.action, e.object_type) for e in entries]
    look = entries[0]
    assert look.resident_id == resident.pk and look.outcome == Outcome.ALLOWED
    assert look.purpose == "care" and look.actor_id == staff["caseworker"].pk
    assert look.sections[0] == "chart" and "notes" in look.sections
    assert "consents" not in look.sections  # nothing of it was on the screen
    assert look.version_sha256  # commits to the version of the record that was read
    assert json.loads(canonical_json(look.leaf()))["detail"]["sections"] == look.sections


def test_a_list_is_one_entry_naming_its_residents(resident, admit, staff, client_for, beds):
    other = admit(given_name="Jo", family_name="Other", bed=beds[1])
    client = client_for(staff["caseworker"])
    start = head()
    assert client.get("/").status_code == 200  # the caseload
    entries = [e for e in new_entries(start) if e.action == "resident.list"]
    assert len(entries) == 1
    assert entries[0].resident_id is None
    assert entries[0].residents_named == sorted([resident.pk, other.pk])
    assert set(
        Mention.objects.filter(seq=entries[0].seq).values_list("resident_id", flat=True)
    ) == {
        resident.pk,
        other.pk,
    }


def test_the_supervisors_home_writes_far_fewer_entries_than_residents(
    resident, admit, staff, client_for, beds
):
    for n in range(6):
        admit(given_name=f"Extra{n}", family_name="Resident")
    client = client_for(staff["supervisor"])
    start = head()
    assert client.get("/").status_code == 200
    entries = new_entries(start)
    # At most one entry per resident shown, and every list is a single entry.
    shown = set()
    for entry in entries:
        if entry.residents_named:
            continue
        assert entry.resident_id not in shown, "two entries for one resident in one request"
        shown.add(entry.resident_id)
    assert len(entries) <= len(shown) + 3
    assert Resident.objects.count() == 7 and len(entries) < 7


def test_two_reads_of_one_resident_in_a_request_are_one_entry_outside_a_request_each_call_one(
    resident, staff
):
    start = head()
    with looks.collecting():
        selectors.chart(staff["caseworker"], resident.pk)
        selectors.chart(staff["caseworker"], resident.pk)
        assert new_entries(start) == []  # nothing written before the request's end
    assert len(new_entries(start)) == 1
    start = head()
    selectors.chart(staff["caseworker"], resident.pk)
    selectors.chart(staff["caseworker"], resident.pk)
    assert len(new_entries(start)) == 2


def test_a_denial_is_written_at_once_even_inside_a_request(resident, staff):
    from homecoming.access.policy import AccessDenied

    start = head()
    with looks.collecting(), pytest.raises(AccessDenied):
        assert not new_entries(start)
        try:
            selectors.chart(staff["caseworker_other"], resident.pk)
        finally:
            denied = new_entries(start)
            assert len(denied) == 1 and denied[0].outcome == Outcome.DENIED


def test_an_entry_without_detail_hashes_as_entries_always_did(resident, staff):
    from homecoming.ledger import services as ledger

    entry = ledger.append(staff["caseworker"], "resident.edit", purpose="care")
    assert entry.detail is None and "detail" not in entry.leaf()
    stored = Entry.objects.get(seq=entry.seq)
    assert bytes(stored.leaf_hash) == v.leaf_hash(canonical_json(stored.leaf()))


def test_who_looked_reads_as_a_statement_with_the_break_glass_reason(
    resident, staff, client_for, make_user
):
    from tests.consents.helpers import portal_login

    own = portal_login(make_user, resident)
    client_for(staff["caseworker"]).get(f"/residents/{resident.pk}/")
    open_break_glass(
        staff["clinician_other"], resident, "Seizure in the dining room, need medication history"
    )
    client_for(staff["clinician_other"]).get(f"/residents/{resident.pk}/")
    look = Entry.objects.filter(actor=staff["clinician_other"], purpose="break_glass").last()
    assert look.details["via"].startswith("access.breakglass#")
    page = client_for(own.user).get("/my-record/").content.decode()
    who = page[page.index('id="who-looked"') :]
    assert "Caseworker 1, caseworker, opened your chart" in who
    assert ", for your care" in who
    assert "in an emergency (break-glass)" in who
    assert "Reason given: Seizure in the dining room" in who
    assert 'class="statement-day"' in who  # grouped by day


def test_a_residents_bundle_holds_the_lists_that_named_them_and_verifies(
    resident, admit, staff, client_for, beds, ledger_key, tmp_path
):
    admit(given_name="Jo", family_name="Other", bed=beds[1])
    client_for(staff["caseworker"]).get("/")
    listed = Entry.objects.filter(action="resident.list").last()
    assert resident.pk in listed.residents_named
    export(tmp_path / "mine", resident_id=resident.pk)
    lines = (tmp_path / "mine" / "entries.ndjson").read_bytes().splitlines()
    assert any(json.loads(line)["seq"] == listed.seq for line in lines)
    assert v.main([str(tmp_path / "mine")]) == 0


def test_the_verifier_refuses_a_residents_bundle_with_an_entry_about_someone_else(
    resident, admit, staff, client_for, beds, ledger_key, tmp_path
):
    other = admit(given_name="Jo", family_name="Other", bed=beds[1])
    selectors.chart(staff["caseworker"], other.pk)
    export(tmp_path / "mine", resident_id=resident.pk)
    export(tmp_path / "theirs", resident_id=other.pk)
    mine = (tmp_path / "mine" / "entries.ndjson").read_bytes().splitlines()
    theirs = (tmp_path / "theirs" / "entries.ndjson").read_bytes().splitlines()
    # Swap in a look at the other resident in place of one of mine (its proof will not match
    # either, but the refusal names the resident first).
    look = next(line for line in theirs if json.loads(line)["resident"] == other.pk)
    mine[-1] = look
    (tmp_path / "mine" / "entries.ndjson").write_bytes(b"\n".join(mine) + b"\n")
    assert v.main([str(tmp_path / "mine")]) == 1


def test_who_looked_shows_the_lists_that_named_them_and_not_their_own(
    resident, staff, client_for, make_user
):
    from tests.consents.helpers import portal_login

    own = portal_login(make_user, resident)
    client_for(staff["caseworker"]).get("/")  # the caseload names Walter
    client = client_for(own.user)
    client.get("/")  # the resident's own home
    page = client.get("/my-record/").content.decode()
    who = page[page.index('id="who-looked"') :]
    assert "Caseworker 1, caseworker, saw your name in a list or search" in who
    assert f"{own.display_name} saw your name" not in who
