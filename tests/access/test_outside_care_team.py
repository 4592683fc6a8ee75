"""A clinician outside a resident's care team, on every page and endpoint that takes an object's
number: each answers 403 or 404 and writes the refusal to the ledger.

The resident (Thaddeus Quillfeather, tests/access/center.py) is in residence, so the medication
round is open to every clinician: its few actions are listed in ROUND below with the reason, and
nothing else opens. Every URL pattern with a number in its path is asked, with every method it
serves (pages: GET and POST; the API: the methods django-ninja declares), so a new one is asked
too; a pattern the walk cannot fill fails by name (tests/access/walk.py).
"""

import json

from homecoming.ledger.models import Entry
from homecoming.safety.models import AdverseEvent
from tests.conftest import logged_in

from .walk import FILL, api_methods, last_seq, quiet_refusals, urls

# The resident's own numbers only (the other resident is on this clinician's team).
OUTSIDE = {**FILL, "resident_id": lambda c: [c.walter.pk]}
# A FHIR search of a type about residents names the resident it reads: Walter's, here. The
# center's reference data (rooms, staff, forms, formulary) holds no resident and is open to
# every clinician by design (docs/fhir.md), so it is not walked as Walter's objects.
ASKED = {"fhir:search": lambda c: [f"patient={c.walter.pk}"]}


def open_by_design(path: str) -> bool:
    """A FHIR read any clinician may make, as on the pages: the center's reference data, and
    the medication record and vital signs the medication round reads (ROUND)."""
    from homecoming.access.policy import Action
    from homecoming.fhir import sources

    if not path.startswith("/fhir/R4/"):
        return False
    type_name, _, resource_id = path.removeprefix("/fhir/R4/").split("?")[0].partition("/")
    of_type = sources.of_type(type_name)
    if resource_id:
        of_type = [s for s in of_type if s.pk_in(resource_id) is not None]
    return bool(of_type) and all(
        s.action in (None, Action.VIEW_MEDICATIONS, Action.VIEW_VITALS) for s in of_type
    )


def withheld_and_recorded(response, refused) -> bool:
    """A FHIR search of a type the round reads in part (Observation: vital signs, not
    questionnaires): what is not the outsider's is withheld, said in the Bundle, and refused
    on the ledger."""
    return (
        response.status_code == 200 and refused.exists() and b'"suppressed"' in (response.content)
    )


# Open to any clinician by design, each for its reason (docs/access.md):
ROUND = {
    # The medication round: the nurse on shift reads the medication record of anyone in
    # residence and gives (or records not giving) their doses, and reports a reaction seen.
    ("medications:record", "GET"): "medication round",
    ("medications:record", "POST"): "medication round",
    ("medications:give", "GET"): "medication round",
    ("medications:give", "POST"): "medication round",
    ("api:get_record", "GET"): "medication round",
    ("api:give_dose", "POST"): "medication round",
    ("api:record_not_given", "POST"): "medication round",
    ("api:list_events", "POST"): "medication round: reporting a reaction seen",
    # The photo on the round's card: the two-identifier check (face, name, date of birth).
    ("residents:photo", "GET"): "medication round: the two-identifier check",
    # Allergies are read before any dose; a reaction seen on the round is recorded there, and
    # the nurse may confirm or rule one out (each alerting as it does for the care team).
    **{
        (name, method): "medication round: allergies at the bedside"
        for name in (
            "medications:allergies",
            "medications:no_known_allergies",
            "medications:verify_allergy",
            "medications:rule_out_allergy",
        )
        for method in ("GET", "POST")
    },
    ("api:get_allergies", "GET"): "medication round: allergies at the bedside",
    ("api:get_allergies", "POST"): "medication round: allergies at the bedside",
    ("api:record_no_known_allergies", "POST"): "medication round: allergies at the bedside",
    ("api:confirm_allergy", "POST"): "medication round: allergies at the bedside",
    ("api:rule_out_allergy", "POST"): "medication round: allergies at the bedside",
    # Vital signs are taken on the round (before a dose that needs them) and read there; a
    # wrong set is marked entered in error by the nurse who can see it.
    **{
        (name, method): "medication round: vital signs at the bedside"
        for name in ("vitals:resident", "vitals:entered_in_error")
        for method in ("GET", "POST")
    },
    ("api:list_vitals", "GET"): "medication round: vital signs at the bedside",
    ("api:list_vitals", "POST"): "medication round: vital signs at the bedside",
    ("api:mark_entered_in_error", "POST"): "medication round: vital signs at the bedside",
    # Break-glass: the form that asks for the reason (opening it alerts every supervisor).
    ("residents:break_glass", "GET"): "break-glass",
    ("residents:break_glass", "POST"): "break-glass",
    # Signals are the center's counts; their cases open only per resident (each a read).
    ("safety:signal", "GET"): "the center's signals",
    ("safety:signal", "POST"): "the center's signals",
    ("api:get_signal", "GET"): "the center's signals",
    ("safety:decide", "GET"): "the center's signals: the medical lead's decisions",
    ("api:list_decisions", "GET"): "the center's signals: the medical lead's decisions",
    # A questionnaire's published items and answers: the form, not anyone's answers to it.
    ("api:get_instrument", "GET"): "the questionnaires' published text",
}

# Not anyone's record: the caller's own-record pages, which a member of staff does not have
# (404); their number is of a published consent document or the code of a questionnaire.
OWN_RECORD_PAGES = {
    "consents:sign_own",
    "consents:confirm_own",
    "measures:self",
    "discharge:acknowledge",
    "conversations:my_thread",
}

# What an API call sends: a well-formed body, so that what answers is the permission check and
# not the payload's validation (a 422 here fails the test: add the body).
PAYLOADS = {
    ("api:list_decisions", "POST"): {"kind": "monitor", "reasons": "Watch the next reports."},
    ("api:get_resident", "PATCH"): {"preferred_name": "Ted"},
    ("api:list_stays", "POST"): {"admitted_on": "2026-01-05", "expected_length_days": 30},
    ("api:assign_bed", "PUT"): {"bed_id": 1},
    ("api:retire_protocol", "POST"): {},
    ("api:prescribe", "POST"): {
        "protocol_id": 1,
        "dose_amount": "50",
        "dose_unit": "mg",
        "route": "oral",
        "frequency": "as_needed",
    },
    ("api:discontinue_order", "POST"): {"reason": "No longer needed: the resident sleeps well."},
    ("api:get_consents", "POST"): {"document_id": 1},
    ("api:revoke_consent", "POST"): {"reason": "The resident changed their mind about it."},
    ("api:export_deidentified", "POST"): {},
    ("api:list_events", "POST"): {
        "term": "insomnia",
        "onset": "2026-01-05",
        "seriousness": "not_serious",
    },
    ("api:record_outcome", "POST"): {"outcome": "recovered"},
    ("api:record_attempt", "POST"): {"method": "phone", "outcome": "reached"},
    ("api:get_plan", "POST"): {"secret": "not the outsider's to give", "coping": "Walk."},
    ("api:clear_flag", "POST"): {"reason": "Seen today: the risk no longer stands."},
    ("api:cancel_planned_admission", "POST"): {"reason": "Recalled to his unit."},
    ("api:list_questionnaires", "POST"): {"instrument": "gad7", "answers": [1] * 7},
    ("api:list_threads", "POST"): {"subject": "Hello", "body": "Not the outsider's to send."},
    ("api:read_thread", "POST"): {"body": "Not the outsider's to send."},
    ("api:list_requests", "POST"): {"kind": "note", "entry_id": 1, "what_is_wrong": "Wrong."},
    ("api:answer_request", "POST"): {
        "outcome": "declined",
        "statement": "Not the outsider's to say.",
    },
    ("api:resident_sessions", "POST"): {
        "starts_at": "2026-01-05T10:00:00",
        "ends_at": "2026-01-05T11:00:00",
    },
    ("api:reschedule_session", "POST"): {
        "starts_at": "2026-01-05T10:00:00",
        "ends_at": "2026-01-05T11:00:00",
        "reason": "Not the outsider's to move.",
    },
    ("api:cancel_session", "POST"): {"reason": "Not the outsider's to cancel."},
    ("api:resident_notes", "POST"): {"template": "dap"},
    ("api:save_draft", "PATCH"): {"sections": {"plan": "Not the outsider's."}, "revision": 0},
    ("api:sign_note", "POST"): {"secret": "not the outsider's to give"},
    ("api:add_addendum", "POST"): {"reason": "Mine", "text": "Not mine.", "secret": "no"},
    ("api:cosign_note", "POST"): {"secret": "not the outsider's to give"},
    ("api:withhold_note", "POST"): {"reason": "third_party", "explanation": "Not mine."},
    ("api:conclude_review", "POST"): {
        "conclusion": "monitor",
        "assessment": "Too few reports to judge; keep watching the pair.",
    },
    ("api:write_on_complaint", "POST"): {"body": "Not the outsider's to write."},
    ("api:assign_complaint", "POST"): {"assignee_id": 1},
    ("api:move_complaint", "POST"): {"status": "acknowledged"},
    ("api:close_investigation", "POST"): {"findings": "Not the outsider's to find, at all."},
    ("api:investigation_grants", "POST"): {
        "investigator_id": 1,
        "resident_ids": [1],
        "expires_at": "2099-01-05T10:00:00",
        "reason": "Not the outsider's to give.",
    },
    ("api:revoke_grant", "POST"): {"reason": "Not the outsider's to end."},
}


def test_a_clinician_outside_the_care_team_is_refused_every_object_and_it_is_recorded(
    center, monkeypatch
):
    quiet_refusals(monkeypatch)
    outsider = center.staff["clinician_other"]
    client = logged_in(outsider)
    found, unknown = urls(center, fill=OUTSIDE, queries=ASKED, with_ids_only=True)
    assert not unknown, "URL patterns the walk cannot fill (add them to FILL):\n" + "\n".join(
        unknown
    )
    methods = api_methods()
    let_through, asked = [], 0
    for name, route, path in found:
        for method in methods.get(route, ["GET", "POST"]):
            if (name, method) in ROUND or name in OWN_RECORD_PAGES or open_by_design(path):
                continue
            before = last_seq()
            if route.startswith("api/"):
                body = json.dumps(PAYLOADS.get((name, method), {}))
                response = client.generic(method, path, body, content_type="application/json")
            else:
                response = client.generic(method, path)
            if response.status_code == 405:
                continue  # the pattern does not serve this method
            asked += 1
            refused = Entry.objects.filter(seq__gt=before, actor=outsider, outcome="denied")
            if withheld_and_recorded(response, refused):
                continue
            if response.status_code not in (403, 404) or not refused.exists():
                let_through.append(
                    f"{method} {path} ({name}) answered {response.status_code}"
                    + ("" if refused.exists() else ", with no refusal in the ledger")
                )
    assert not let_through, "\n".join(let_through)
    assert asked > 40


def test_the_outcome_of_an_adverse_event_is_not_open_to_the_medication_round(center, client_for):
    """The replay: a nurse not on the resident's team posted a new outcome to his adverse event
    report, read it in the answer, and overwrote it."""
    outsider = center.staff["clinician_other"]
    client = client_for(outsider)
    before = last_seq()
    response = client.post(
        f"/api/v1/adverse-events/{center.event.pk}/outcome",
        json.dumps({"outcome": "recovered"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert (
        "Quillfeather" not in response.content.decode()
        and "insomnia" not in response.json()["detail"]
    )
    assert AdverseEvent.objects.get(pk=center.event.pk).outcome == center.event.outcome
    refusal = Entry.objects.get(seq__gt=before, actor=outsider)
    assert (refusal.outcome, refusal.resident_id) == ("denied", center.walter.pk)
    # His care team still follows it up.
    response = client_for(center.staff["clinician"]).post(
        f"/api/v1/adverse-events/{center.event.pk}/outcome",
        json.dumps({"outcome": "recovered"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["outcome"] == "recovered"
