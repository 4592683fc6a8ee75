"""The audit ledger as AuditEvent: a resident's entries, each with its place in the ledger and
the checkpoint that covers it; read by the resident (as "who looked" shows it), the oversight
body, and an investigator under a grant; refused to those the trail watches."""

import datetime as dt

import pytest
from django.utils import timezone

from homecoming.ledger.checkpoints import make_checkpoint
from homecoming.ledger.models import Entry
from homecoming.oversight import complaints, investigations
from homecoming.residents import selectors as residents_selectors
from tests.oversight.conftest import filing

from .conftest import bundle_of, fhir_json, matches, outcome, valid


def _events(bundle) -> dict[str, dict]:
    """The bundle's events by their entry's sequence number."""
    found = {}
    for event in matches(bundle):
        (ledger,) = [
            e
            for e in event["entity"]
            if e["what"].get("identifier", {}).get("system") == "urn:homecoming:ledger-entry"
        ]
        found[ledger["what"]["identifier"]["value"]] = event
    return found


def _details(event) -> dict:
    ledger = event["entity"][-1]
    return {d["type"]: d["valueString"] for d in ledger.get("detail", [])}


def test_an_entry_is_an_audit_event(resident, staff, fhir_get):
    residents_selectors.chart(staff["caseworker"], resident.pk)
    read = Entry.objects.filter(actor=staff["caseworker"], action="resident.view").latest("seq")
    bundle = bundle_of(fhir_get(staff["oversight"], "AuditEvent", patient=resident.pk))
    event = _events(bundle)[str(read.seq)]
    assert event["id"] == str(read.seq)
    assert event["type"] == {
        "system": "http://dicom.nema.org/resources/ontology/DCM",
        "code": "110110",
        "display": "Patient Record",
    }
    assert event["subtype"][0]["system"] == "urn:homecoming:ledger-action"
    assert event["subtype"][0]["code"] == "resident.view"
    assert event["action"] == "R" and event["outcome"] == "0"
    assert event["recorded"] == event["meta"]["lastUpdated"]
    assert event["purposeOfEvent"][0]["coding"][0]["code"] == "care"
    (agent,) = event["agent"]
    assert agent["who"]["reference"] == f"Practitioner/{staff['caseworker'].pk}"
    assert agent["requestor"] is True and agent["role"] == [{"text": "caseworker"}]
    assert event["source"]["observer"]["display"] == "Homecoming audit ledger"
    assert event["entity"][0]["what"] == {"reference": f"Patient/{resident.pk}"}
    details = _details(event)
    assert details["seq"] == str(read.seq)
    assert details["leaf_hash"] == bytes(read.leaf_hash).hex()
    # Newer than every checkpoint: said, and no checkpoint named.
    assert "checkpoint" not in details
    assert "Not yet covered" in event["entity"][-1]["description"]


def test_a_write_is_create_then_update_and_the_system_is_named(resident, staff, fhir_get):
    bundle = bundle_of(fhir_get(staff["oversight"], "AuditEvent", patient=resident.pk))
    actions = {e["action"] for e in matches(bundle)}
    assert "C" in actions  # the intake wrote the resident's first version
    for event in matches(bundle):
        valid(event)
        if event["action"] in "CU":
            assert event["entity"][1]["what"]["identifier"]["value"].count("#") == 1


def test_the_checkpoint_that_covers_an_entry_appears_once_signed(
    resident, staff, fhir_get, ledger_key
):
    residents_selectors.chart(staff["caseworker"], resident.pk)
    read = Entry.objects.filter(actor=staff["caseworker"], action="resident.view").latest("seq")
    checkpoint = make_checkpoint()
    residents_selectors.chart(staff["caseworker"], resident.pk)
    later = Entry.objects.filter(actor=staff["caseworker"], action="resident.view").latest("seq")
    events = _events(bundle_of(fhir_get(staff["oversight"], "AuditEvent", patient=resident.pk)))
    assert _details(events[str(read.seq)])["checkpoint"] == (
        f"tree_size={checkpoint.tree_size} root={bytes(checkpoint.root).hex()}"
    )
    assert "checkpoint" not in _details(events[str(later.seq)])


def test_a_refusal_is_a_minor_failure(resident, staff, fhir_get):
    fhir_get(staff["caseworker_other"], "EpisodeOfCare", patient=resident.pk)
    denied = Entry.objects.filter(actor=staff["caseworker_other"], outcome="denied").latest("seq")
    event = valid(fhir_json(fhir_get(staff["oversight"], f"AuditEvent/{denied.seq}")))
    assert event["outcome"] == "4" and "purposeOfEvent" not in event


def test_the_resident_reads_their_own_trail_as_who_looked_shows_it(
    resident, staff, portal_user, other_resident, fhir_get
):
    residents_selectors.chart(staff["caseworker"], resident.pk)
    residents_selectors.chart(portal_user, resident.pk)  # their own read: not listed
    own_read = Entry.objects.filter(actor=portal_user, action="resident.view").latest("seq")
    bundle = bundle_of(fhir_get(portal_user, "AuditEvent"))
    events = _events(bundle)
    assert str(own_read.seq) not in events
    assert {e["entity"][0]["what"]["reference"] for e in events.values()} == {
        f"Patient/{resident.pk}"
    }
    assert any(
        e["agent"][0].get("who", {}).get("reference") == f"Practitioner/{staff['caseworker'].pk}"
        for e in events.values()
    )
    # Their own read, by its id, is not there for them either.
    outcome(fhir_get(portal_user, f"AuditEvent/{own_read.seq}"), 404, "not-found")
    # Another resident's trail: refused, and written down.
    response = fhir_get(portal_user, "AuditEvent", patient=other_resident.pk)
    assert response.status_code == 403
    denied = Entry.objects.filter(actor=portal_user, outcome="denied").latest("seq")
    assert (denied.action, denied.resident_id) == ("ledger.trail.view", other_resident.pk)


def test_reading_the_trail_is_one_look_named_who_looked(resident, staff, fhir_get):
    before = Entry.objects.order_by("-seq").values_list("seq", flat=True).first()
    bundle_of(fhir_get(staff["oversight"], "AuditEvent", patient=resident.pk))
    (look,) = Entry.objects.filter(seq__gt=before).exclude(action__startswith="token.")
    assert (look.action, look.resident_id, look.purpose) == (
        "ledger.trail.view",
        resident.pk,
        "investigation",
    )
    assert look.details["sections"] == ["who looked"]


def test_oversight_reads_any_residents_trail(resident, other_resident, staff, fhir_get):
    for whose in (resident, other_resident):
        bundle = bundle_of(fhir_get(staff["oversight"], "AuditEvent", patient=whose.pk))
        assert bundle["total"] > 0


def test_an_investigator_reads_only_under_a_covering_grant(
    resident, other_resident, portal_user, staff, make_user, fhir_get
):
    from homecoming.accounts.models import Role

    investigator = make_user(Role.INVESTIGATOR, username="inv")
    assert fhir_get(investigator, "AuditEvent", patient=resident.pk).status_code == 403
    complaint = complaints.file_own(portal_user, filing())
    opened = investigations.open_investigation(
        staff["oversight"], "Who read Walter's record", complaint=complaint
    )
    investigations.grant_access(
        staff["oversight"],
        opened,
        investigator=investigator,
        residents=[resident],
        expires_at=timezone.now() + dt.timedelta(days=30),
        reason="Read who looked at Walter's record.",
    )
    assert bundle_of(fhir_get(investigator, "AuditEvent", patient=resident.pk))["total"] > 0
    assert fhir_get(investigator, "AuditEvent", patient=other_resident.pk).status_code == 403
    denied = Entry.objects.filter(actor=investigator, outcome="denied").latest("seq")
    assert (denied.action, denied.resident_id) == ("ledger.trail.view", other_resident.pk)


@pytest.mark.parametrize(
    "who", ["caseworker", "clinician", "supervisor", "program_director", "contractor", "sysadmin"]
)
def test_those_the_trail_watches_are_refused(resident, staff, fhir_get, who):
    read = Entry.objects.filter(resident=resident).latest("seq")
    for path, query in (("AuditEvent", {"patient": resident.pk}), (f"AuditEvent/{read.seq}", {})):
        before = Entry.objects.order_by("-seq").values_list("seq", flat=True).first()
        assert fhir_get(staff[who], path, **query).status_code == 403, path
        denied = Entry.objects.filter(seq__gt=before, actor=staff[who], outcome="denied")
        assert [(d.action, d.resident_id) for d in denied] == [("ledger.trail.view", resident.pk)]


def test_everything_leaves_the_trail_out_for_the_care_team(resident, staff, fhir_get):
    bundle = bundle_of(fhir_get(staff["caseworker"], f"Patient/{resident.pk}/$everything"))
    assert not [e for e in matches(bundle) if e["resourceType"] == "AuditEvent"]
    # Left out unasked: a $everything is not a refused attempt on the trail.
    assert not Entry.objects.filter(actor=staff["caseworker"], outcome="denied").exists()


def test_search_by_date(resident, staff, fhir_get):
    today = timezone.localdate()
    cases = {
        today.isoformat(): True,
        f"lt{today - dt.timedelta(days=1)}": False,
        f"ge{today - dt.timedelta(days=1)}": True,
    }
    for date, found in cases.items():
        bundle = bundle_of(
            fhir_get(staff["oversight"], "AuditEvent", patient=resident.pk, date=date)
        )
        assert (bundle["total"] > 0) == found, date
    later = bundle_of(
        fhir_get(
            staff["oversight"],
            "AuditEvent",
            patient=resident.pk,
            _lastUpdated=f"gt{today + dt.timedelta(days=1)}",
        )
    )
    assert later["total"] == 0
