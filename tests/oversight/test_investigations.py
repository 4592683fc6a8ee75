"""Investigations: the oversight body opens one from a complaint or a signal and gives an
investigator read-only access to named residents and the actions of named staff, for a fixed
time; each resident is told; expiry and revocation end it at once; the evidence bundle verifies
offline; closing tells the complainant the outcome."""

import datetime as dt
import io
import zipfile
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import AccessDenied, Action
from homecoming.ledger import verify
from homecoming.ledger.models import Entry
from homecoming.oversight import complaints, evidence, investigations, selectors
from homecoming.residents import selectors as resident_selectors

from .conftest import filing


@pytest.fixture
def case(own, staff, investigator):
    """Walter's complaint about the supervisor, an investigation, and a 30-day grant covering
    Walter's record and the supervisor's actions."""
    complaint = complaints.file_own(own.user, filing(named_staff=[staff["supervisor"]]))
    opened = investigations.open_investigation(
        staff["oversight"], "Record steering on Walter's notes", complaint=complaint
    )
    grant = investigations.grant_access(
        staff["oversight"],
        opened,
        investigator=investigator,
        residents=[own],
        staff=[staff["supervisor"]],
        expires_at=timezone.now() + dt.timedelta(days=30),
        reason="Read Walter's notes and what the supervisor did with them.",
    )
    return complaint, opened, grant


def test_opening_from_a_complaint_refers_it_to_the_oversight_body(case):
    complaint, opened, _ = case
    complaint.refresh_from_db()
    assert opened.reference.startswith(f"INV-{timezone.localdate().year}-")
    assert complaint.status == "referred"


def test_the_investigator_reads_only_what_the_grant_covers(case, own, admit, investigator, staff):
    other = admit(given_name="Dana", family_name="Reyes")
    chart = resident_selectors.chart(investigator, own.pk)
    assert chart.resident == own and chart.purpose == "investigation"
    with pytest.raises(AccessDenied):
        resident_selectors.chart(investigator, other.pk)
    for action in (Action.EDIT, Action.WRITE_NOTE, Action.RECORD_CONSENT, Action.ADMINISTER):
        assert not policy.decide(investigator, action, own).allowed
    assert list(policy.visible_residents(investigator)) == [own]


def test_each_resident_in_scope_is_told(case, own, investigator):
    told = Entry.objects.filter(action="investigation.grant", resident_id=own.pk)
    assert told.count() == 1 and told.get().purpose == "investigation"


def test_an_expired_or_revoked_grant_denies_at_once(case, own, investigator, staff):
    _, _, grant = case
    later = grant.expires_at + dt.timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        with pytest.raises(AccessDenied, match="No current grant"):
            resident_selectors.chart(investigator, own.pk)
        with pytest.raises(AccessDenied, match="expired or was revoked"):
            selectors.staff_entries(investigator, grant.pk)
    investigations.revoke_grant(staff["oversight"], grant, "The investigator changed roles.")
    with pytest.raises(AccessDenied):
        resident_selectors.chart(investigator, own.pk)
    assert Entry.objects.filter(actor=investigator, outcome="denied").count() >= 3


def test_the_investigator_reads_what_the_named_staff_did(case, own, admit, investigator, staff):
    _, _, grant = case
    other = admit(actor=staff["program_director"], given_name="Dana", family_name="Reyes")
    resident_selectors.chart(staff["supervisor"], own.pk)  # something the supervisor did
    page = selectors.staff_entries(investigator, grant.pk)
    assert page.entries and {e.actor_id for e in page.entries} == {staff["supervisor"].pk}
    assert Entry.objects.filter(actor=investigator, action="investigation.read_entries").exists()
    mine = Entry.objects.filter(actor=staff["supervisor"]).first()
    outside = Entry.objects.filter(actor=staff["program_director"], resident_id=other.pk).first()
    assert policy.may_read_leaf(investigator, mine)
    assert not policy.may_read_leaf(investigator, outside)


def test_nobody_else_gives_access_or_reads_investigations(case, staff, investigator, own):
    _, opened, grant = case
    for who in ("supervisor", "program_director", "caseworker", "contractor", "sysadmin"):
        with pytest.raises(AccessDenied):
            investigations.grant_access(
                staff[who],
                opened,
                investigator=investigator,
                residents=[own],
                expires_at=timezone.now() + dt.timedelta(days=1),
                reason="To look.",
            )
        with pytest.raises(AccessDenied):
            selectors.investigations_for(staff[who])
    with pytest.raises(AccessDenied):
        investigations.open_investigation(investigator, "My own idea", complaint=case[0])
    with pytest.raises(AccessDenied, match="not yours"):
        selectors.staff_entries(staff["investigator"], grant.pk)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expires_at": "past"}, "expires_at"),
        ({"expires_at": "long"}, "expires_at"),
        ({"residents": [], "staff": []}, "residents"),
        ({"reason": ""}, "reason"),
        ({"investigator": "caseworker"}, "investigator"),
    ],
)
def test_a_grant_is_refused_with_the_field_named(case, staff, investigator, own, change, field):
    _, opened, _ = case
    fields = {
        "investigator": investigator,
        "residents": [own],
        "staff": [],
        "expires_at": timezone.now() + dt.timedelta(days=5),
        "reason": "Read the record.",
    }
    fields.update(change)
    if fields["expires_at"] == "past":
        fields["expires_at"] = timezone.now() - dt.timedelta(minutes=1)
    if fields["expires_at"] == "long":
        fields["expires_at"] = timezone.now() + dt.timedelta(days=181)
    if fields["investigator"] == "caseworker":
        fields["investigator"] = staff["caseworker"]
    with pytest.raises(ValidationError) as refused:
        investigations.grant_access(staff["oversight"], opened, **fields)
    assert field in refused.value.message_dict


def _verify_zip(archive: bytes, tmp_path, name="evidence.zip"):
    path = tmp_path / name
    path.write_bytes(archive)
    return verify.main([str(path)])


def test_the_evidence_bundle_verifies_offline_and_tampering_is_named(
    case, own, investigator, ledger_key, tmp_path, capsys
):
    _, _, grant = case
    archive, name = evidence.bundle(investigator, grant.pk)
    assert name.startswith("evidence-INV-") and name.endswith(".zip")
    assert _verify_zip(archive, tmp_path) == 0
    said = capsys.readouterr().out
    assert said.startswith("OK: all") and f"entries about resident #{own.pk}" in said
    assert Entry.objects.filter(action="investigation.evidence", resident_id=own.pk).exists()
    # Leave out one entry about Walter: the bundle no longer hashes to the signed root.
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        files = {i.filename: z.read(i) for i in z.infolist()}
    lines = files["evidence/entries.ndjson"].splitlines(keepends=True)
    walters = [i for i, line in enumerate(lines) if f'"resident":{own.pk},'.encode() in line]
    del lines[walters[-1]]
    files["evidence/entries.ndjson"] = b"".join(lines)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for filename, data in files.items():
            z.writestr(filename, data)
    assert _verify_zip(out.getvalue(), tmp_path, "tampered.zip") == 1
    assert "FAILED" in capsys.readouterr().err


def test_closing_resolves_the_complaint_and_tells_the_complainant(case, own, staff, investigator):
    complaint, opened, grant = case
    with pytest.raises(ValidationError) as refused:
        investigations.close_investigation(staff["oversight"], opened, findings="Short.")
    assert set(refused.value.message_dict) == {"findings", "outcome"}
    investigations.close_investigation(
        staff["oversight"],
        opened,
        findings="The supervisor rewrote two signed notes through an unpatched admin path.",
        recommendations="Remove direct database access; retrain supervisors.",
        outcome="Your notes were changed after signing. The changes are reversed and the "
        "supervisor no longer works at the center.",
    )
    complaint.refresh_from_db()
    assert complaint.status == "resolved" and "no longer works at the center" in complaint.outcome
    seen = selectors.complaint_for(own.user, complaint.pk)
    assert any("no longer works at the center" in e.body for e in seen.events)
    grant.refresh_from_db()
    assert grant.revoked_at is not None  # open grants end with the investigation
    with pytest.raises(AccessDenied):
        resident_selectors.chart(investigator, own.pk)


def test_a_grant_over_records_only_has_no_staff_actions_page(
    case, own, investigator, staff, client_for
):
    _, opened, _ = case
    records_only = investigations.grant_access(
        staff["oversight"],
        opened,
        investigator=investigator,
        residents=[own],
        expires_at=timezone.now() + dt.timedelta(days=2),
        reason="Only the record.",
    )
    client = client_for(investigator)
    assert client.get(f"/oversight/grants/{records_only.pk}/actions/").status_code == 404
    page = client.get(f"/oversight/investigations/{opened.pk}/").content.decode()
    assert page.count("What the named staff did") == 1  # the first grant's, not this one's
