"""The record's signed and safety parts as FHIR: Consent, AdverseEvent, Flag, DocumentReference
(signed notes, discharge summaries) and Provenance (signatures, co-signatures, addenda). Each
under the action its pages use, refused to a caseworker off the team and the contractor, and
narrowed for the resident as the portal is: no risk flag, no note withheld from them nor a
trainee's note awaiting co-signature, nor the signatures and addenda of such a note."""

import base64

import pytest
from django.utils import timezone

from homecoming.consents import services as consents
from homecoming.discharge import services as discharge
from homecoming.encounters import notes
from homecoming.encounters.models import WithholdingReason
from homecoming.ledger.models import Entry
from homecoming.measures import services as measures
from homecoming.medications import administering
from homecoming.medications.administering import Witness
from homecoming.safetyplans import services as safetyplans
from homecoming.safetyplans.models import RiskFlag
from tests.conftest import PASSWORD
from tests.consents.helpers import (
    lapsed_research_document,
    publish,
    publish_research,
    signed_long_ago,
    witnessed_by,
)
from tests.discharge.conftest import plan_fields
from tests.measures.answers import phq9
from tests.medications.conftest import (  # noqa: F401 (fixtures)
    add_protocol,
    consent_to,
    medical_lead,
    prescribe,
    prescriber,
)
from tests.safety.conftest import report_for
from tests.support.notes import make_trainee, session_for, signed

from .conftest import bundle_of, fhir_json, matches, outcome, valid

pytestmark = pytest.mark.django_db


def _search(fhir_get, actor, type_name, **query):
    return matches(bundle_of(fhir_get(actor, type_name, **query)))


def _ids(found) -> set[str]:
    return {r["id"] for r in found}


def _refused_off_the_team(fhir_get, staff, resident, path, type_name):
    """A caseworker off the team: 403 on the search and the read, each a denied entry; the
    contractor: 403."""
    other = staff["caseworker_other"]
    before = Entry.objects.filter(actor=other, resident=resident, outcome="denied").count()
    outcome(fhir_get(other, type_name, patient=resident.pk), 403, "forbidden")
    outcome(fhir_get(other, path), 403, "forbidden")
    denied = Entry.objects.filter(actor=other, resident=resident, outcome="denied").count()
    assert denied == before + 2
    assert not Entry.objects.filter(actor=other, resident=resident, outcome="allowed").exists()
    outcome(fhir_get(staff["contractor"], type_name, patient=resident.pk), 403, "forbidden")
    outcome(fhir_get(staff["contractor"], path), 403, "forbidden")


def _text_of(attachment) -> str:
    return base64.b64decode(attachment["data"]).decode()


# --- Consent ----------------------------------------------------------------------------------


@pytest.fixture
def consents_signed(resident, staff):
    """In force (witnessed), waiting (no witness yet), and withdrawn."""
    recording = publish(staff["program_director"])
    study = publish_research(staff["program_director"])
    treatment = publish(
        staff["program_director"], purpose="treatment", code="program", title="The program"
    )
    active = consents.sign(
        staff["caseworker"], resident, recording, **witnessed_by(staff["supervisor"])
    )
    waiting = consents.sign(staff["caseworker"], resident, study)
    ended = consents.sign(
        staff["caseworker"], resident, treatment, **witnessed_by(staff["supervisor"])
    )
    ended = consents.revoke(staff["caseworker"], ended, "Changed his mind.")
    return active, waiting, ended


def test_consents_say_where_each_stands(resident, staff, fhir_get, consents_signed):
    active, waiting, ended = consents_signed
    found = {
        r["id"]: r for r in _search(fhir_get, staff["caseworker"], "Consent", patient=resident.pk)
    }
    shown = found[str(active.pk)]
    assert shown["status"] == "active"
    assert shown["scope"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/consentscope",
        "code": "patient-privacy",
        "display": "Privacy Consent",
    }
    assert shown["category"][0]["coding"][0] == {"system": "http://loinc.org", "code": "59284-0"}
    assert shown["patient"] == {"reference": f"Patient/{resident.pk}"}
    assert shown["sourceAttachment"]["title"] == "Audio recording of my sessions (version 1)"
    assert "recorded" in _text_of(shown["sourceAttachment"])
    assert shown["provision"]["purpose"][0]["display"] == "Audio recording of sessions"
    assert shown["provision"]["period"]["start"] == shown["dateTime"]
    assert found[str(waiting.pk)]["status"] == "proposed"
    assert found[str(waiting.pk)]["scope"]["coding"][0]["code"] == "research"
    withdrawn = found[str(ended.pk)]
    assert withdrawn["status"] == "inactive"
    assert withdrawn["scope"]["coding"][0]["code"] == "treatment"
    assert "end" in withdrawn["provision"]["period"]
    assert "Changed his mind." in withdrawn["text"]["div"]


def test_consents_by_status_and_date(resident, staff, fhir_get, consents_signed):
    active, waiting, ended = consents_signed
    today = timezone.localdate().isoformat()
    cases = {
        (("status", "active"),): {str(active.pk)},
        (("status", "proposed"),): {str(waiting.pk)},
        (("status", "inactive"),): {str(ended.pk)},
        (("date", f"ge{today}"),): {str(c.pk) for c in consents_signed},
        (("date", f"lt{today}"),): set(),
    }
    for asked, expected in cases.items():
        found = _search(fhir_get, staff["clinician"], "Consent", patient=resident.pk, **dict(asked))
        assert _ids(found) == expected, asked
    read = valid(fhir_json(fhir_get(staff["caseworker"], f"Consent/{active.pk}")))
    assert read["id"] == str(active.pk)


def test_a_consent_whose_ethics_approval_ran_out_no_longer_counts(resident, staff, fhir_get):
    document = lapsed_research_document(staff["program_director"])
    lapsed = signed_long_ago(staff["caseworker"], resident, document)
    shown = valid(fhir_json(fhir_get(staff["caseworker"], f"Consent/{lapsed.pk}")))
    assert shown["status"] == "inactive"
    assert shown["provision"]["period"]["end"] == document.ethics_approval_expires.isoformat()
    for status, expected in (("inactive", {str(lapsed.pk)}), ("active", set())):
        found = _search(
            fhir_get, staff["caseworker"], "Consent", patient=resident.pk, status=status
        )
        assert _ids(found) == expected, status


def test_consents_are_refused_off_the_team(resident, staff, fhir_get, consents_signed):
    _refused_off_the_team(fhir_get, staff, resident, f"Consent/{consents_signed[0].pk}", "Consent")


def test_a_resident_reads_their_consents(resident, portal_user, fhir_get, consents_signed):
    assert _ids(_search(fhir_get, portal_user, "Consent")) == {str(c.pk) for c in consents_signed}


# --- AdverseEvent -----------------------------------------------------------------------------


@pytest.fixture
def reported(resident, staff, add_protocol, consent_to, prescribe):  # noqa: F811
    """A serious report suspecting a medicine the resident was given."""
    protocol = add_protocol()
    consent_to(resident, protocol)
    order = prescribe(resident, protocol, frequency="as_needed")
    witness = Witness(staff["caseworker"], PASSWORD) if protocol.needs_witness else None
    administering.give(
        staff["clinician_other"], order, dose_amount="50", dose_unit="mg", witness=witness
    )
    event = report_for(
        staff["caseworker"],
        resident,
        "dizziness",
        orders=[order],
        seriousness="hospitalisation",
        outcome="recovering",
        description="Fell in the shower.",
    )
    return event, protocol


def test_an_adverse_event_with_its_suspect(resident, staff, fhir_get, reported):
    event, protocol = reported
    (shown,) = _search(fhir_get, staff["caseworker"], "AdverseEvent", patient=resident.pk)
    assert shown["id"] == str(event.pk) and shown["actuality"] == "actual"
    assert shown["event"]["text"] == "Dizziness"
    assert shown["event"]["coding"][0] == {
        "system": "urn:homecoming:adverse-event-term",
        "code": "dizziness",
    }
    assert shown["seriousness"]["coding"][0]["code"] == "serious"
    assert shown["outcome"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
        "code": "recovering",
        "display": "Recovering",
    }
    assert shown["suspectEntity"] == [
        {"instance": {"reference": f"Medication/{protocol.pk}", "display": protocol.drug}}
    ]
    assert shown["recorder"]["reference"] == f"Practitioner/{staff['caseworker'].pk}"
    assert shown["date"] == event.onset.isoformat()
    assert "Fell in the shower." in shown["text"]["div"]
    onset = event.onset
    assert (
        len(
            _search(
                fhir_get,
                staff["supervisor"],
                "AdverseEvent",
                patient=resident.pk,
                date=onset.isoformat(),
            )
        )
        == 1
    )
    assert not _search(
        fhir_get,
        staff["supervisor"],
        "AdverseEvent",
        patient=resident.pk,
        date=f"gt{onset.isoformat()}",
    )
    valid(fhir_json(fhir_get(staff["caseworker"], f"AdverseEvent/{event.pk}")))


def test_a_non_serious_event_and_its_outcome(resident, staff, fhir_get):
    event = report_for(staff["caseworker"], resident, "headache", outcome="sequelae")
    shown = valid(fhir_json(fhir_get(staff["clinician"], f"AdverseEvent/{event.pk}")))
    assert shown["seriousness"]["coding"][0]["code"] == "non-serious"
    assert shown["outcome"]["coding"][0]["code"] == "resolvedWithSequelae"
    assert "suspectEntity" not in shown


def test_adverse_events_are_refused_off_the_team(resident, staff, fhir_get):
    event = report_for(staff["caseworker"], resident, "headache")
    _refused_off_the_team(fhir_get, staff, resident, f"AdverseEvent/{event.pk}", "AdverseEvent")


def test_a_resident_reads_their_adverse_events(
    resident, portal_user, other_resident, staff, fhir_get
):
    event = report_for(staff["caseworker"], resident, "headache")
    assert _ids(_search(fhir_get, portal_user, "AdverseEvent")) == {str(event.pk)}
    theirs = report_for(staff["caseworker_other"], other_resident, "nausea")
    outcome(fhir_get(portal_user, f"AdverseEvent/{theirs.pk}"), 403, "forbidden")


# --- Flag -------------------------------------------------------------------------------------


@pytest.fixture
def flags(resident, staff):
    """A flag raised and cleared, then one raised again and active."""
    measures.record(staff["caseworker"], resident, "phq9", phq9(item9=1))
    cleared = safetyplans.clear(
        staff["clinician"], RiskFlag.objects.get(resident=resident), "Safety plan signed."
    )
    measures.record(staff["caseworker"], resident, "phq9", phq9(item9=2))
    return cleared, RiskFlag.objects.get(resident=resident, cleared_at__isnull=True)


def test_risk_flags_active_and_cleared(resident, staff, fhir_get, flags):
    cleared, active = flags
    found = {
        r["id"]: r for r in _search(fhir_get, staff["caseworker"], "Flag", patient=resident.pk)
    }
    now = found[str(active.pk)]
    assert now["status"] == "active" and "end" not in now["period"]
    assert now["category"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/flag-category",
        "code": "clinical",
        "display": "Clinical",
    }
    assert now["code"]["text"] == active.reason
    assert now["author"]["reference"] == f"Practitioner/{staff['caseworker'].pk}"
    before = found[str(cleared.pk)]
    assert before["status"] == "inactive" and before["period"]["end"]
    assert "Safety plan signed." in before["text"]["div"]
    for status, flag in (("active", active), ("inactive", cleared)):
        found = _search(fhir_get, staff["clinician"], "Flag", patient=resident.pk, status=status)
        assert _ids(found) == {str(flag.pk)}
    today = timezone.localdate()
    assert (
        len(
            _search(
                fhir_get, staff["clinician"], "Flag", patient=resident.pk, date=today.isoformat()
            )
        )
        == 2
    )
    assert not _search(fhir_get, staff["clinician"], "Flag", patient=resident.pk, date=f"gt{today}")
    valid(fhir_json(fhir_get(staff["supervisor"], f"Flag/{active.pk}")))


def test_risk_flags_are_refused_off_the_team(resident, staff, fhir_get, flags):
    _refused_off_the_team(fhir_get, staff, resident, f"Flag/{flags[1].pk}", "Flag")


def test_a_resident_sees_no_risk_flag_as_in_the_portal(resident, portal_user, fhir_get, flags):
    bundle = bundle_of(fhir_get(portal_user, "Flag"))
    assert bundle["total"] == 0 and not matches(bundle)
    outcome(fhir_get(portal_user, f"Flag/{flags[1].pk}"), 404, "not-found")


# --- DocumentReference and Provenance: notes --------------------------------------------------


@pytest.fixture
def written(resident, staff):
    """A released note (co-signed, with an addendum, about a session), a note withheld from the
    resident, a trainee's note awaiting co-signature, and a draft."""
    make_trainee(staff["caseworker"])
    session = session_for(staff["caseworker"], resident)
    shown = signed(staff["caseworker"], resident, session=session)
    cosignature = notes.cosign(staff["supervisor"], shown, PASSWORD)
    addendum = notes.add_addendum(
        staff["caseworker"], shown, "Date corrected", "The nightmares were last week.", PASSWORD
    )
    withheld = signed(staff["clinician"], resident)
    notes.withhold(staff["supervisor"], withheld, WithholdingReason.THIRD_PARTY, "Names his wife.")
    awaiting = signed(staff["caseworker"], resident)
    draft = notes.start(staff["caseworker"], resident, "soap")
    return type(
        "Written",
        (),
        {
            "shown": shown,
            "cosignature": cosignature,
            "addendum": addendum,
            "withheld": withheld,
            "awaiting": awaiting,
            "draft": draft,
            "session": session,
        },
    )


def _note_ids(*written_notes) -> set[str]:
    return {f"note-{n.pk}" for n in written_notes}


def test_a_signed_note_as_a_document(resident, staff, fhir_get, written):
    found = _search(fhir_get, staff["caseworker"], "DocumentReference", patient=resident.pk)
    assert _ids(found) == _note_ids(written.shown, written.withheld, written.awaiting)  # no draft
    (note,) = [r for r in found if r["id"] == f"note-{written.shown.pk}"]
    assert note["status"] == "current" and note["docStatus"] == "amended"
    assert note["type"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "11506-3",
        "display": "Progress note",
    }
    assert note["type"]["text"].startswith("Progress note, DAP")
    assert note["author"] == [
        {
            "reference": f"Practitioner/{staff['caseworker'].pk}",
            "display": staff["caseworker"].full_name,
        }
    ]
    assert note["authenticator"]["reference"] == f"Practitioner/{staff['supervisor'].pk}"
    body, extra = note["content"]
    assert body["attachment"]["contentType"].startswith("text/plain")
    assert "Data\nSlept five hours." in _text_of(body["attachment"])
    assert _text_of(extra["attachment"]) == "The nightmares were last week."
    assert "Date corrected" in extra["attachment"]["title"]
    attended = written.session.attendees.get(resident=resident)
    assert note["context"]["encounter"][0]["reference"] == f"Encounter/{attended.pk}"
    plain = valid(
        fhir_json(fhir_get(staff["clinician"], f"DocumentReference/note-{written.withheld.pk}"))
    )
    assert plain["docStatus"] == "final" and "authenticator" not in plain
    outcome(
        fhir_get(staff["caseworker"], f"DocumentReference/note-{written.draft.pk}"),
        404,
        "not-found",
    )


def test_documents_by_date_and_status(resident, staff, fhir_get, written):
    today = timezone.localdate()
    every = _note_ids(written.shown, written.withheld, written.awaiting)
    cases = {
        (("status", "current"),): every,
        (("status", "superseded"),): set(),
        (("date", today.isoformat()),): every,
        (("date", f"lt{today}"),): set(),
    }
    for asked, expected in cases.items():
        found = _search(
            fhir_get, staff["supervisor"], "DocumentReference", patient=resident.pk, **dict(asked)
        )
        assert _ids(found) == expected, asked


def test_signatures_cosignatures_and_addenda_as_provenance(resident, staff, fhir_get, written):
    found = {
        r["id"]: r
        for r in _search(fhir_get, staff["caseworker"], "Provenance", patient=resident.pk)
    }
    target = [{"reference": f"DocumentReference/note-{written.shown.pk}"}]
    signed_ = found[f"signed-{written.shown.pk}"]
    assert signed_["target"] == target and signed_["activity"]["text"] == "signed"
    assert signed_["recorded"].endswith("Z")
    assert signed_["agent"][0]["who"]["reference"] == f"Practitioner/{staff['caseworker'].pk}"
    assert signed_["agent"][0]["type"]["coding"][0]["code"] == "author"
    cosigned = found[f"cosigned-{written.cosignature.pk}"]
    assert cosigned["target"] == target
    assert cosigned["agent"][0]["who"]["reference"] == f"Practitioner/{staff['supervisor'].pk}"
    assert cosigned["agent"][0]["type"]["coding"][0]["code"] == "verifier"
    added = found[f"addendum-{written.addendum.pk}"]
    assert added["target"] == target and added["reason"] == [{"text": "Date corrected"}]
    assert added["activity"]["text"] == "addendum"
    assert set(found) == {
        f"signed-{written.shown.pk}",
        f"signed-{written.withheld.pk}",
        f"signed-{written.awaiting.pk}",
        f"cosigned-{written.cosignature.pk}",
        f"addendum-{written.addendum.pk}",
    }
    valid(fhir_json(fhir_get(staff["clinician"], f"Provenance/addendum-{written.addendum.pk}")))
    outcome(fhir_get(staff["clinician"], f"Provenance/signed-{written.draft.pk}"), 404, "not-found")


def test_notes_and_their_provenance_are_refused_off_the_team(resident, staff, fhir_get, written):
    path = f"DocumentReference/note-{written.shown.pk}"
    _refused_off_the_team(fhir_get, staff, resident, path, "DocumentReference")
    path = f"Provenance/signed-{written.shown.pk}"
    _refused_off_the_team(fhir_get, staff, resident, path, "Provenance")


def test_a_resident_reads_only_the_notes_released_to_them(resident, portal_user, fhir_get, written):
    found = _search(fhir_get, portal_user, "DocumentReference")
    assert _ids(found) == _note_ids(written.shown)
    for hidden in (written.withheld, written.awaiting, written.draft):
        outcome(fhir_get(portal_user, f"DocumentReference/note-{hidden.pk}"), 404, "not-found")
    valid(fhir_json(fhir_get(portal_user, f"DocumentReference/note-{written.shown.pk}")))


def test_a_resident_reads_no_provenance_of_a_withheld_note(
    resident, portal_user, staff, fhir_get, written
):
    # The withheld note gets an addendum and (once released) nothing else: its signature and its
    # addendum stay out of the resident's reach while it is withheld.
    later = notes.add_addendum(
        staff["caseworker"], written.withheld, "Typo", "Wife's name removed.", PASSWORD
    )
    found = _search(fhir_get, portal_user, "Provenance")
    assert _ids(found) == {
        f"signed-{written.shown.pk}",
        f"cosigned-{written.cosignature.pk}",
        f"addendum-{written.addendum.pk}",
    }
    for hidden in (
        f"signed-{written.withheld.pk}",
        f"addendum-{later.pk}",
        f"signed-{written.awaiting.pk}",
    ):
        outcome(fhir_get(portal_user, f"Provenance/{hidden}"), 404, "not-found")
    # Released again, the note and its provenance are theirs to read.
    notes.release(staff["supervisor"], written.withheld, "Names removed in the addendum.")
    assert f"note-{written.withheld.pk}" in _ids(
        _search(fhir_get, portal_user, "DocumentReference")
    )
    valid(fhir_json(fhir_get(portal_user, f"Provenance/addendum-{later.pk}")))


# --- DocumentReference: discharge summaries ---------------------------------------------------


@pytest.fixture
def discharged(resident, staff):
    plan = discharge.write_plan(staff["caseworker"], resident.stays.get(), **plan_fields())
    discharge.sign(staff["caseworker"], plan, PASSWORD)
    discharge.sign(staff["clinician"], plan, PASSWORD)
    return discharge.carry_out(staff["caseworker"], plan)


def test_a_discharge_summary_as_a_document(resident, staff, fhir_get, discharged):
    found = _search(fhir_get, staff["caseworker"], "DocumentReference", patient=resident.pk)
    (summary,) = found
    assert summary["id"] == f"discharge-{discharged.pk}"
    assert summary["docStatus"] == "final"
    assert summary["type"]["coding"][0]["code"] == "18842-5"
    assert {a["reference"] for a in summary["author"]} == {
        f"Practitioner/{staff['caseworker'].pk}",
        f"Practitioner/{staff['clinician'].pk}",
    }
    text = _text_of(summary["content"][0]["attachment"])
    assert "Home or community" in text and "outpatient therapy" in text
    stay = resident.stays.get()
    assert summary["context"]["encounter"] == [{"reference": f"EpisodeOfCare/{stay.pk}"}]
    assert summary["context"]["period"]["end"] == stay.discharged_on.isoformat()
    read = valid(
        fhir_json(fhir_get(staff["supervisor"], f"DocumentReference/discharge-{discharged.pk}"))
    )
    assert read == {**summary, "meta": read["meta"]}


def test_a_plan_not_carried_out_is_no_summary(resident, staff, fhir_get):
    plan = discharge.write_plan(staff["caseworker"], resident.stays.get(), **plan_fields())
    assert not _search(fhir_get, staff["caseworker"], "DocumentReference", patient=resident.pk)
    outcome(
        fhir_get(staff["caseworker"], f"DocumentReference/discharge-{plan.pk}"), 404, "not-found"
    )


def test_discharge_summaries_refused_off_the_team_read_by_the_resident(
    resident, staff, portal_user, fhir_get, discharged
):
    path = f"DocumentReference/discharge-{discharged.pk}"
    _refused_off_the_team(fhir_get, staff, resident, path, "DocumentReference")
    assert _ids(_search(fhir_get, portal_user, "DocumentReference")) == {
        f"discharge-{discharged.pk}"
    }


def test_everything_holds_the_record_parts(resident, staff, fhir_get, written, flags):
    bundle = bundle_of(
        fhir_get(staff["caseworker"], f"Patient/{resident.pk}/$everything", _count=100)
    )
    kinds = {r["resourceType"] for r in matches(bundle)}
    assert {"DocumentReference", "Provenance", "Flag"} <= kinds
