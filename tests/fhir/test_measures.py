"""Questionnaires and vital signs as FHIR (fhir/map_measures.py): the instruments' definitions as
Questionnaires, each completed questionnaire as a QuestionnaireResponse and its total as a
"survey" Observation, each set of vital signs as a vital-signs panel Observation; searches by
date, code and status; a resident reads their own; refusals on the ledger."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from homecoming.ledger.models import Entry
from homecoming.measures import services as measures
from homecoming.vitals import services as vitals
from homecoming.vitals.services import Reading
from tests.measures.answers import pcl5, phq9

from .conftest import bundle_of, fhir_json, matches, outcome, valid

LOINC = "http://loinc.org"


def _codes(concept: dict) -> set[str]:
    return {c["code"] for c in concept.get("coding", [])}


def _denied(actor, resident) -> int:
    return Entry.objects.filter(actor=actor, resident=resident, outcome="denied").count()


@pytest.fixture
def answered(resident, staff, portal_user):
    """A PHQ-9 the caseworker administered (closing question answered), a GAD-7 the resident
    filled in themself, a PCL-5 at 45."""
    return {
        "phq9": measures.record(staff["caseworker"], resident, "phq9", phq9(rest=2), difficulty=1),
        "gad7": measures.record(portal_user, resident, "gad7", [1] * 7),
        "pcl5": measures.record(staff["clinician"], resident, "pcl5", pcl5(45)),
    }


@pytest.fixture
def sets(resident, staff):
    """A full set taken two hours ago, a set with a pulse alone, and a wrong one marked."""
    taken = timezone.now() - dt.timedelta(hours=2)
    full = vitals.record(
        staff["clinician"],
        resident,
        Reading(
            taken_at=taken,
            systolic=128,
            diastolic=82,
            pulse=76,
            temperature="38.4",
            respiratory_rate=16,
            spo2=97,
            weight="81.5",
            pain=3,
            note="After the walk.",
        ),
    )
    pulse = vitals.record(staff["clinician"], resident, Reading(pulse=64))
    wrong = vitals.record(staff["clinician"], resident, Reading(pulse=140))
    vitals.mark_entered_in_error(staff["clinician"], wrong, "Another resident's reading.")
    return {"full": full, "pulse": pulse, "wrong": wrong}


# --- Questionnaire ---


def test_each_instrument_is_a_questionnaire_word_for_word(staff, fhir_get):
    bundle = bundle_of(fhir_get(staff["clinician"], "Questionnaire"))
    assert {q["id"] for q in matches(bundle)} == {"pcl-5", "phq-9", "gad-7"}
    form = valid(fhir_json(fhir_get(staff["clinician"], "Questionnaire/phq-9")))
    assert form["url"] == "urn:homecoming:questionnaire:phq-9" and form["status"] == "active"
    assert form["code"] == [{"system": LOINC, "code": "44249-1"}]
    links = [i["linkId"] for i in form["item"]]
    assert links == ["stem", *[str(n) for n in range(1, 10)], "difficulty"]
    ninth = form["item"][9]
    assert ninth["text"].startswith("Thoughts that you would be better off dead")
    assert ninth["required"] is True
    assert [o["valueCoding"]["display"] for o in ninth["answerOption"]] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    assert form["item"][-1]["required"] is False  # the closing question is not scored
    gad7 = valid(fhir_json(fhir_get(staff["clinician"], "Questionnaire/gad-7")))
    assert gad7["code"] == [{"system": LOINC, "code": "69737-5"}]
    pcl = valid(fhir_json(fhir_get(staff["clinician"], "Questionnaire/pcl-5")))
    assert "code" not in pcl  # no LOINC panel code we are sure of
    assert len([i for i in pcl["item"] if i["type"] == "choice"]) == 20
    assert pcl["item"][1]["answerOption"][4]["valueCoding"]["display"] == "Extremely"
    outcome(fhir_get(staff["clinician"], "Questionnaire/beck"), 404, "not-found")


def test_the_forms_are_read_by_anyone_logged_in_and_nobody_else(staff, portal_user, fhir_get):
    # A form holds nothing private: the portal shows it to the resident filling it in.
    for reader in (staff["caseworker"], staff["supervisor"], staff["contractor"], portal_user):
        assert fhir_json(fhir_get(reader, "Questionnaire/gad-7"))["id"] == "gad-7"
    outcome(Client().get("/fhir/R4/Questionnaire/phq-9"), 401, "login")


# --- QuestionnaireResponse ---


def test_a_completed_questionnaire_is_a_response_to_its_form(resident, staff, answered, fhir_get):
    row = answered["phq9"]
    response = valid(fhir_json(fhir_get(staff["caseworker"], f"QuestionnaireResponse/{row.pk}")))
    assert response["questionnaire"] == "urn:homecoming:questionnaire:phq-9"
    assert response["status"] == "completed"
    assert response["subject"] == {"reference": f"Patient/{resident.pk}"}
    assert response["author"]["reference"] == f"Practitioner/{staff['caseworker'].pk}"
    assert response["authored"].endswith("Z")
    form = fhir_json(fhir_get(staff["caseworker"], "Questionnaire/phq-9"))
    asked = {i["linkId"] for i in form["item"] if i["type"] == "choice"}
    assert {i["linkId"] for i in response["item"]} == asked
    first = response["item"][0]["answer"][0]["valueCoding"]
    assert (first["code"], first["display"]) == ("2", "More than half the days")
    assert response["item"][-1]["answer"][0]["valueCoding"]["display"] == "Somewhat difficult"
    self_done = fhir_json(
        fhir_get(staff["caseworker"], f"QuestionnaireResponse/{answered['gad7'].pk}")
    )
    assert self_done["author"] == {"reference": f"Patient/{resident.pk}"}


def test_responses_are_searched_by_date_and_status(resident, staff, answered, fhir_get):
    day = timezone.localdate(answered["phq9"].completed_at)
    cases = {
        (): 3,
        (("date", day.isoformat()),): 3,
        (("date", f"gt{day.isoformat()}"),): 0,
        (("status", "completed"),): 3,
        (("status", "in-progress"),): 0,
    }
    for asked, total in cases.items():
        bundle = bundle_of(
            fhir_get(
                staff["caseworker"], "QuestionnaireResponse", patient=resident.pk, **dict(asked)
            )
        )
        assert bundle["total"] == total, asked


def test_reading_responses_is_one_look_naming_the_questionnaires(
    resident, staff, answered, fhir_get
):
    before = Entry.objects.count()
    bundle_of(fhir_get(staff["clinician"], "QuestionnaireResponse", patient=resident.pk))
    (look,) = Entry.objects.filter(seq__gt=before).exclude(action__startswith="token.")
    assert look.resident_id == resident.pk and look.action == "resident.view"
    assert "questionnaires" in look.details["sections"]


# --- Observation: a questionnaire's total ---


def test_a_total_is_a_survey_observation_derived_from_the_response(
    resident, staff, answered, fhir_get
):
    row = answered["phq9"]
    total = valid(fhir_json(fhir_get(staff["caseworker"], f"Observation/score-{row.pk}")))
    assert total["status"] == "final"
    assert _codes(total["category"][0]) == {"survey"}
    assert total["code"]["coding"] == [{"system": LOINC, "code": "44261-6"}]
    assert total["valueInteger"] == 16  # eight items at 2, item 9 at 0
    assert total["interpretation"] == [{"text": "moderately severe"}]
    assert total["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{row.pk}"}]
    assert (
        total["effectiveDateTime"]
        == fhir_json(fhir_get(staff["caseworker"], f"QuestionnaireResponse/{row.pk}"))["authored"]
    )
    gad7 = fhir_json(fhir_get(staff["caseworker"], f"Observation/score-{answered['gad7'].pk}"))
    assert _codes(gad7["code"]) == {"70274-6"}
    assert gad7["performer"] == [{"reference": f"Patient/{resident.pk}"}]
    pcl = fhir_json(fhir_get(staff["caseworker"], f"Observation/score-{answered['pcl5'].pk}"))
    assert pcl["code"]["coding"] == [{"system": "urn:homecoming:instrument", "code": "pcl-5-total"}]
    assert pcl["valueInteger"] == 45


def test_totals_are_searched_by_code_date_and_status(resident, staff, answered, fhir_get):
    day = timezone.localdate(answered["phq9"].completed_at)
    cases = {
        (("code", "44261-6"),): {"phq9"},
        (("code", f"{LOINC}|44261-6"),): {"phq9"},
        (("code", "70274-6,pcl-5-total"),): {"gad7", "pcl5"},
        (("code", "urn:homecoming:instrument|pcl-5-total"),): {"pcl5"},
        (("code", "http://snomed.info/sct|44261-6"),): set(),
        (("code", "44261-6"), ("date", day.isoformat())): {"phq9"},
        (("code", "44261-6"), ("date", f"lt{day.isoformat()}")): set(),
        (("code", "44261-6"), ("status", "final")): {"phq9"},
        (("code", "44261-6"), ("status", "amended")): set(),
    }
    for asked, names in cases.items():
        bundle = bundle_of(
            fhir_get(staff["caseworker"], "Observation", patient=resident.pk, **dict(asked))
        )
        assert {r["id"] for r in matches(bundle)} == {f"score-{answered[n].pk}" for n in names}, (
            asked
        )


def test_an_observation_search_pages_across_totals_and_vital_signs(
    resident, staff, answered, sets, fhir_get
):
    found = matches(bundle_of(fhir_get(staff["clinician"], "Observation", patient=resident.pk)))
    assert [r["id"].split("-")[0] for r in found] == ["score"] * 3 + ["vitals"] * 3
    before = Entry.objects.count()
    bundle_of(fhir_get(staff["clinician"], "Observation", patient=resident.pk, status="final"))
    (look,) = Entry.objects.filter(seq__gt=before).exclude(action__startswith="token.")
    assert {"questionnaires", "vital signs"} <= set(look.details["sections"])


# --- Observation: a set of vital signs ---


def test_a_set_of_vital_signs_is_the_panel_with_a_component_per_measure(
    resident, staff, sets, fhir_get
):
    row = sets["full"]
    panel = valid(fhir_json(fhir_get(staff["clinician"], f"Observation/vitals-{row.pk}")))
    assert panel["status"] == "final"
    assert _codes(panel["category"][0]) == {"vital-signs"}
    assert panel["code"]["coding"] == [{"system": LOINC, "code": "85353-1"}]
    assert panel["subject"] == {"reference": f"Patient/{resident.pk}"}
    assert panel["performer"][0]["reference"] == f"Practitioner/{staff['clinician'].pk}"
    assert panel["note"] == [{"text": "After the walk."}]
    measured = {
        c["code"]["coding"][0]["code"]: (c["valueQuantity"]["value"], c["valueQuantity"]["code"])
        for c in panel["component"]
    }
    assert measured == {
        "8480-6": (128, "mm[Hg]"),
        "8462-4": (82, "mm[Hg]"),
        "8867-4": (76, "/min"),
        "8310-5": (38.4, "Cel"),
        "9279-1": (16, "/min"),
        "59408-5": (97, "%"),
        "29463-7": (81.5, "kg"),
        "72514-3": (3, "{score}"),
    }
    assert all(
        c["valueQuantity"]["system"] == "http://unitsofmeasure.org" for c in panel["component"]
    )
    (temperature,) = [c for c in panel["component"] if "interpretation" in c]
    assert _codes(temperature["interpretation"][0]) == {"H"}  # 38.4 °C: flagged high
    alone = fhir_json(fhir_get(staff["clinician"], f"Observation/vitals-{sets['pulse'].pk}"))
    assert [_codes(c["code"]) for c in alone["component"]] == [{"8867-4"}]


def test_a_set_entered_in_error_says_so_and_why(staff, sets, fhir_get):
    wrong = valid(fhir_json(fhir_get(staff["clinician"], f"Observation/vitals-{sets['wrong'].pk}")))
    assert wrong["status"] == "entered-in-error"
    assert wrong["note"][-1]["text"] == "Entered in error: Another resident's reading."


def test_sets_are_searched_by_code_date_and_status(resident, staff, sets, fhir_get):
    day = timezone.localdate(sets["full"].taken_at)
    cases = {
        (("code", "85353-1"),): {"full", "pulse", "wrong"},
        (("code", f"{LOINC}|85353-1"),): {"full", "pulse", "wrong"},
        (("code", "8480-6"),): {"full"},  # only the full set has a blood pressure
        (("code", f"{LOINC}|8867-4"),): {"full", "pulse", "wrong"},
        (("code", "85353-1"), ("status", "final")): {"full", "pulse"},
        (("code", "85353-1"), ("status", "entered-in-error")): {"wrong"},
        (("code", "85353-1"), ("date", f"ge{day.isoformat()}")): {"full", "pulse", "wrong"},
        (("code", "85353-1"), ("date", f"lt{day.isoformat()}")): set(),
    }
    for asked, names in cases.items():
        bundle = bundle_of(
            fhir_get(staff["clinician"], "Observation", patient=resident.pk, **dict(asked))
        )
        assert {r["id"] for r in matches(bundle)} == {f"vitals-{sets[n].pk}" for n in names}, asked


# --- who reads ---


@pytest.mark.parametrize(
    "query",
    [
        {"type_name": "QuestionnaireResponse"},
        {"type_name": "Observation"},
        {"type_name": "Observation", "code": "85353-1"},
    ],
)
def test_a_caseworker_off_the_team_is_refused_and_it_is_on_the_ledger(
    resident, staff, answered, sets, fhir_get, query
):
    other = staff["caseworker_other"]
    query = dict(query)
    type_name = query.pop("type_name")
    outcome(fhir_get(other, type_name, patient=resident.pk, **query), 403, "forbidden")
    assert _denied(other, resident) >= 1


def test_reads_by_id_are_refused_off_the_team_and_to_the_contractor(
    resident, staff, answered, sets, fhir_get
):
    paths = [
        f"QuestionnaireResponse/{answered['phq9'].pk}",
        f"Observation/score-{answered['phq9'].pk}",
        f"Observation/vitals-{sets['full'].pk}",
    ]
    for who in ("caseworker_other", "contractor"):
        for path in paths:
            outcome(fhir_get(staff[who], path), 403, "forbidden")
        outcome(fhir_get(staff[who], "Observation", patient=resident.pk), 403, "forbidden")
    # A refusal for each read, and for the search one under each source's action.
    refused = Entry.objects.filter(
        actor=staff["caseworker_other"], resident=resident, outcome="denied"
    )
    assert sorted(refused.values_list("action", flat=True)) == sorted(
        ["resident.view", "resident.view", "vitals.view", "resident.view", "vitals.view"]
    )


def test_a_resident_reads_their_own_as_the_portal_shows_them(
    resident, other_resident, staff, portal_user, answered, sets, fhir_get
):
    # The portal shows a resident every questionnaire, with answers, total and band (never the
    # clinical flags, which no resource carries) and every set, those in error struck through.
    responses = matches(bundle_of(fhir_get(portal_user, "QuestionnaireResponse")))
    assert len(responses) == 3
    observations = matches(bundle_of(fhir_get(portal_user, "Observation")))
    assert len(observations) == 6
    assert "entered-in-error" in {o["status"] for o in observations}
    assert fhir_json(fhir_get(portal_user, f"Observation/score-{answered['pcl5'].pk}"))
    theirs = measures.record(staff["caseworker_other"], other_resident, "gad7", [0] * 7)
    outcome(fhir_get(portal_user, f"QuestionnaireResponse/{theirs.pk}"), 403, "forbidden")
    outcome(fhir_get(portal_user, f"Observation/score-{theirs.pk}"), 403, "forbidden")
    outcome(fhir_get(portal_user, "Observation", patient=other_resident.pk), 403, "forbidden")


def test_everything_holds_the_questionnaires_and_vital_signs(
    resident, staff, answered, sets, fhir_get
):
    bundle = bundle_of(
        fhir_get(
            staff["clinician"],
            f"Patient/{resident.pk}/$everything",
            _type="Observation,QuestionnaireResponse",
        )
    )
    found = [r["resourceType"] for r in matches(bundle)]
    assert found.count("Observation") == 6 and found.count("QuestionnaireResponse") == 3
