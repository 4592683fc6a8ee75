"""What every FHIR type shares (reads.py, params.py), shown on stays as EpisodeOfCare: search by
patient, date, status and _lastUpdated, paging with next links, one look per request on the
ledger, every bad parameter named at once, the policy's refusals, Patient/$everything."""

import datetime as dt

from django.utils import timezone

from homecoming.ledger.models import Entry

from .conftest import bundle_of, fhir_json, matches, outcome, valid


def _looks(actor, resident):
    return list(Entry.objects.filter(actor=actor, resident=resident, outcome="allowed"))


def test_a_residents_stays_are_episodes_of_care(resident, staff, fhir_get):
    before = Entry.objects.count()
    bundle = bundle_of(fhir_get(staff["caseworker"], "EpisodeOfCare", patient=resident.pk))
    (episode,) = matches(bundle)
    assert episode["status"] == "active"
    assert episode["patient"] == {"reference": f"Patient/{resident.pk}"}
    assert episode["period"]["start"] == resident.stays.get().admitted_on.isoformat()
    assert episode["meta"]["lastUpdated"].endswith("Z")  # the stay's newest version
    # One look at the resident, naming the section, and nothing else.
    (look,) = Entry.objects.filter(seq__gt=before).exclude(action__startswith="token.")
    assert look.resident_id == resident.pk and look.action == "resident.view"
    assert "stays" in look.details["sections"]


def test_status_date_and_last_updated_narrow_the_search(resident, staff, fhir_get):
    admitted = resident.stays.get().admitted_on
    cases = {
        (("status", "active"),): 1,
        (("status", "finished,cancelled"),): 0,
        (("date", admitted.isoformat()),): 1,
        (("date", f"gt{admitted.isoformat()}"),): 0,
        (("date", f"le{admitted:%Y-%m}"),): 1,
        (("date", f"ge{admitted.year + 1}"),): 0,
        (("_lastUpdated", f"ge{timezone.localdate() - dt.timedelta(days=1)}"),): 1,
        (("_lastUpdated", f"lt{timezone.localdate() - dt.timedelta(days=1)}"),): 0,
    }
    for asked, total in cases.items():
        bundle = bundle_of(
            fhir_get(staff["caseworker"], "EpisodeOfCare", patient=resident.pk, **dict(asked))
        )
        assert bundle["total"] == total, asked


def test_pages_follow_next_links(resident, staff, api_for):
    client = api_for(staff["supervisor"])
    for _ in range(2):  # two admissions cancelled long ago: rows enough to page through
        resident.stays.create(
            admitted_on=dt.date(2024, 1, 1),
            expected_length_days=10,
            status="cancelled",
            opened_at=timezone.now(),
        )
    first = bundle_of(client.get("/fhir/R4/EpisodeOfCare", {"patient": resident.pk, "_count": 2}))
    assert first["total"] == 3 and len(matches(first)) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    second = bundle_of(client.get(links["next"]))
    assert len(matches(second)) == 1
    assert "next" not in {link["relation"] for link in second["link"]}
    seen = {e["id"] for e in matches(first)} | {e["id"] for e in matches(second)}
    assert len(seen) == 3


def test_every_bad_parameter_is_named_at_once(resident, staff, fhir_get):
    response = fhir_get(
        staff["caseworker"],
        "EpisodeOfCare",
        patient="Walter",
        date="last week",
        _count="0",
        colour="red",
    )
    body = fhir_json(response, 400)
    named = {issue["expression"][0] for issue in body["issue"]}
    assert named == {"patient", "date", "_count", "colour"}


def test_a_search_about_residents_names_one(resident, staff, fhir_get):
    outcome(fhir_get(staff["supervisor"], "EpisodeOfCare"), 400, "required", "patient")


def test_an_unknown_type_is_not_served(staff, fhir_get):
    issue = outcome(fhir_get(staff["supervisor"], "Spaceship"), 404, "not-supported")
    assert "EpisodeOfCare" in issue["diagnostics"]


def test_a_caseworker_off_the_team_is_refused_and_it_is_on_the_ledger(resident, staff, fhir_get):
    other = staff["caseworker_other"]
    outcome(fhir_get(other, "EpisodeOfCare", patient=resident.pk), 403, "forbidden")
    stay = resident.stays.get()
    outcome(fhir_get(other, f"EpisodeOfCare/{stay.pk}"), 403, "forbidden")
    assert Entry.objects.filter(actor=other, resident=resident, outcome="denied").count() == 2
    assert not _looks(other, resident)


def test_the_contractor_and_the_sysadmin_read_no_stays(resident, staff, fhir_get):
    for role in ("contractor", "sysadmin"):
        outcome(fhir_get(staff[role], "EpisodeOfCare", patient=resident.pk), 403, "forbidden")


def test_a_resident_reads_only_their_own(resident, other_resident, portal_user, fhir_get):
    own = bundle_of(fhir_get(portal_user, "EpisodeOfCare"))  # no patient: themself
    assert [e["patient"]["reference"] for e in matches(own)] == [f"Patient/{resident.pk}"]
    outcome(fhir_get(portal_user, "EpisodeOfCare", patient=other_resident.pk), 403, "forbidden")
    theirs = other_resident.stays.get()
    outcome(fhir_get(portal_user, f"EpisodeOfCare/{theirs.pk}"), 403, "forbidden")


def test_a_read_by_id_and_a_probe_for_none(resident, staff, fhir_get):
    stay = resident.stays.get()
    episode = valid(fhir_json(fhir_get(staff["caseworker"], f"EpisodeOfCare/{stay.pk}")))
    assert episode["id"] == str(stay.pk)
    outcome(fhir_get(staff["caseworker"], "EpisodeOfCare/999999"), 404, "not-found")
    outcome(fhir_get(staff["caseworker"], "EpisodeOfCare/vitals-1"), 404, "not-found")


def test_everything_is_the_patient_then_the_record_in_one_look(resident, staff, fhir_get):
    before = Entry.objects.count()
    bundle = bundle_of(fhir_get(staff["caseworker"], f"Patient/{resident.pk}/$everything"))
    found = matches(bundle)
    assert found[0]["resourceType"] == "Patient" and found[0]["id"] == str(resident.pk)
    assert "EpisodeOfCare" in {r["resourceType"] for r in found}
    assert bundle["total"] == len(found)
    (look,) = Entry.objects.filter(seq__gt=before).exclude(action__startswith="token.")
    assert look.resident_id == resident.pk and "stays" in look.details["sections"]


def test_everything_pages_and_narrows_by_type(resident, staff, fhir_get):
    path = f"Patient/{resident.pk}/$everything"
    first = bundle_of(fhir_get(staff["caseworker"], path, _count=1))
    assert [r["resourceType"] for r in matches(first)] == ["Patient"]
    rest = bundle_of(fhir_get(staff["caseworker"], path, _count=1, _offset=1))
    assert matches(rest)[0]["resourceType"] != "Patient"
    assert first["total"] == rest["total"] >= 2
    only = bundle_of(fhir_get(staff["caseworker"], path, _type="EpisodeOfCare"))
    assert {r["resourceType"] for r in matches(only)} == {"EpisodeOfCare"}
    outcome(fhir_get(staff["caseworker"], path, _type="Spaceship"), 400, "not-supported", "_type")


def test_everything_is_refused_to_those_off_the_team(resident, staff, fhir_get):
    path = f"Patient/{resident.pk}/$everything"
    outcome(fhir_get(staff["caseworker_other"], path), 403, "forbidden")
    outcome(fhir_get(staff["contractor"], path), 403, "forbidden")
