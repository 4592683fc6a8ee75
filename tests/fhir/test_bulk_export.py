"""FHIR Bulk Data $export (issue 17): kick-off with Prefer: respond-async (202 and a status
address), polling (202 with X-Progress, then the manifest), one NDJSON file per type whose every
line validates, _type and _since, cancellation by DELETE; the program director only; each export
one ledger entry naming every resident in it, and the oversight body told."""

import json

import pytest
from django.test import Client

from homecoming.alerts.models import Alert
from homecoming.fhir import exports
from homecoming.fhir.models import Export, ExportStatus
from homecoming.ledger.models import Entry, Mention

from .conftest import fhir_json, outcome, valid

ASYNC = {"HTTP_PREFER": "respond-async"}


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def director(staff):
    return staff["program_director"]


def kick_off(client, path="$export", **query):
    return client.get(f"/fhir/R4/{path}", query, **ASYNC)


def status_path(response) -> str:
    assert response.status_code == 202, response.content
    return response["Content-Location"].removeprefix("http://testserver")


def lines(client, url) -> list[dict]:
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    text = b"".join(response.streaming_content).decode()
    return [valid(json.loads(line)) for line in text.splitlines()]


def finished(client, response) -> dict:
    """Run the worker's turn, then read the manifest."""
    path = status_path(response)
    waiting = client.get(path)
    assert waiting.status_code == 202 and waiting["X-Progress"]
    exports.run_waiting()
    manifest = client.get(path)
    assert manifest.status_code == 200, manifest.content
    return manifest.json()


def test_the_director_exports_every_record_and_it_is_one_entry_oversight_hears_of(
    resident, admit, staff, director, api_for
):
    other = admit(caseworker=staff["caseworker_other"], given_name="Rosa", family_name="Diaz")
    client = api_for(director)
    manifest = finished(client, kick_off(client))
    assert manifest["requiresAccessToken"] is True
    files = {o["type"]: o for o in manifest["output"]}
    assert {"Patient", "EpisodeOfCare", "CareTeam", "Location", "Questionnaire"} <= set(files)
    patients = lines(client, files["Patient"]["url"])
    assert {p["id"] for p in patients} == {str(resident.pk), str(other.pk)}
    assert files["Patient"]["count"] == 2
    for output in manifest["output"]:
        assert len(lines(client, output["url"])) == output["count"]
    # One entry, naming both residents (so each one's "who looked" lists it), and the alert.
    (entry,) = Entry.objects.filter(action="record.export")
    assert entry.actor == director and entry.details["residents"] == sorted([resident.pk, other.pk])
    assert set(Mention.objects.filter(seq=entry.seq).values_list("resident_id", flat=True)) == {
        resident.pk,
        other.pk,
    }
    (alert,) = Alert.objects.filter(recipient=staff["oversight"], kind="records_exported")
    assert "2 resident(s)" in alert.message


def test_type_and_since_narrow_the_files(resident, director, api_for):
    client = api_for(director)
    manifest = finished(client, kick_off(client, "Patient/$export", _type="Patient,EpisodeOfCare"))
    assert {o["type"] for o in manifest["output"]} == {"Patient", "EpisodeOfCare"}
    later = finished(client, kick_off(client, "Patient/$export", _since="2999-01-01T00:00:00Z"))
    assert later["output"] == []


def test_a_patient_level_export_holds_no_reference_data(resident, director, api_for):
    client = api_for(director)
    manifest = finished(client, kick_off(client, "Patient/$export"))
    written = {o["type"] for o in manifest["output"]}
    assert not {"Location", "Practitioner", "Questionnaire"} & written


def test_every_bad_kick_off_parameter_is_named_at_once(director, api_for):
    response = api_for(director).get(
        "/fhir/R4/$export",
        {"_type": "Spaceship", "_since": "yesterday", "_outputFormat": "csv", "_elements": "id"},
    )
    body = fhir_json(response, 400)
    named = {i.get("expression", [None])[0] for i in body["issue"]}
    assert named == {None, "_type", "_since", "_outputFormat", "_elements"}  # None: Prefer
    assert not Export.objects.exists()


REFUSED = ["supervisor", "caseworker", "clinician", "contractor", "sysadmin", "oversight"]


@pytest.mark.parametrize("role", REFUSED)
def test_only_the_program_director_may_export(resident, staff, api_for, role):
    outcome(kick_off(api_for(staff[role])), 403, "forbidden")
    denied = Entry.objects.get(action="record.export")
    assert (denied.actor, denied.outcome) == (staff[role], "denied")
    assert not Export.objects.exists()


def test_a_resident_may_not_export(resident, portal_user, api_for):
    outcome(kick_off(api_for(portal_user), "Patient/$export"), 403, "forbidden")


def test_an_export_is_its_requesters_alone(resident, director, make_user, api_for):
    client = api_for(director)
    path = status_path(kick_off(client))
    exports.run_waiting()
    manifest = client.get(path).json()
    second_director = make_user("program_director")
    other = api_for(second_director)
    outcome(other.get(path), 403, "forbidden")
    file_path = manifest["output"][0]["url"].removeprefix("http://testserver")
    outcome(other.get(file_path), 403, "forbidden")
    outcome(other.delete(path), 403, "forbidden")
    assert Entry.objects.filter(actor=second_director, outcome="denied").count() == 3
    outcome(Client().get(path), 401, "login")
    outcome(client.get(path.replace(path[-6:], "xxxxxx")), 404, "not-found")


def test_cancelled_before_it_is_written_nothing_leaves(resident, director, api_for):
    client = api_for(director)
    path = status_path(kick_off(client))
    assert client.delete(path).status_code == 202
    exports.run_waiting()
    outcome(client.get(path), 404, "not-found")
    assert not Entry.objects.filter(action="record.export", outcome="allowed").exists()
    assert Export.objects.get().status == ExportStatus.CANCELLED


def test_deleting_a_finished_export_removes_its_files(resident, director, api_for):
    client = api_for(director)
    path = status_path(kick_off(client))
    exports.run_waiting()
    export = Export.objects.get()
    assert (exports.folder(export) / "Patient.ndjson").exists()
    assert client.delete(path).status_code == 202
    assert not exports.folder(export).exists()
    outcome(client.get(path), 404, "not-found")


def test_the_writer_holds_only_the_residents_the_exporter_may_read(
    resident, admit, staff, settings
):
    # bulk.write asks the policy per batch: had the action been granted more widely, a
    # caseworker would still write only their own caseload's records.
    from homecoming.fhir import bulk

    theirs = admit(caseworker=staff["caseworker_other"], given_name="Rosa", family_name="Diaz")
    written = bulk.write(staff["caseworker"], bulk.Request(system=False), settings.DATA_DIR)
    assert written.residents == {resident.pk}
    assert theirs.pk not in written.residents


def test_the_worker_writes_exports_and_resumes_one_it_was_writing_when_it_stopped(
    resident, director, api_for
):
    from homecoming.core import worker

    assert "FHIR exports" in [job.name for job in worker.jobs()]
    client = api_for(director)
    path = status_path(kick_off(client))
    Export.objects.update(status=ExportStatus.RUNNING)  # the worker stopped while writing it
    assert exports.run_waiting() is None  # not taken twice while "running"
    assert exports.resume_interrupted() == 1
    exports.run_waiting()
    assert client.get(path).status_code == 200


def test_a_failed_export_offers_nothing_and_says_why(resident, director, api_for, monkeypatch):
    from homecoming.fhir import bulk

    client = api_for(director)
    path = status_path(kick_off(client))

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(bulk, "write", broken)
    with pytest.raises(OSError):
        exports.run_waiting()
    issue = outcome(client.get(path), 500, "exception")
    assert "No space left on device" in issue["diagnostics"]
    assert not exports.folder(Export.objects.get()).exists()
    assert not Entry.objects.filter(action="record.export", outcome="allowed").exists()


def test_inside_a_transaction_the_export_stays_in_one_process(resident, admit, staff, settings):
    # Another process would not see this test's rows (nor a request's uncommitted ones): the
    # export is written here, whatever the setting asks, and holds them.
    from homecoming.fhir import bulk

    admit(caseworker=staff["caseworker_other"], given_name="Rosa", family_name="Diaz")
    settings.HOMECOMING_EXPORT_PROCESSES = 2
    assert bulk._processes(None, 2) == 1
    written = bulk.write(None, bulk.Request(system=False), settings.DATA_DIR, batch=1)
    assert len(written.residents) == 2 and written.counts["Patient"] == 2
    assert [p.name for p in settings.DATA_DIR.iterdir() if p.name.startswith(".part")] == []


def test_the_number_of_export_processes_is_checked_when_the_center_starts(tmp_path):
    import os
    import subprocess
    import sys

    for wrong in ("0", "two", "65"):
        result = subprocess.run(
            [sys.executable, "-m", "homecoming.cli", "alerts", "status"],
            env={"HOMECOMING_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin",
                 "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
                 "HOMECOMING_EXPORT_PROCESSES": wrong},
            capture_output=True,
            text=True,
        )  # fmt: skip
        assert result.returncode == 2
        assert f"HOMECOMING_EXPORT_PROCESSES is a whole number from 1 to 64 (got '{wrong}')" in (
            result.stderr
        )
