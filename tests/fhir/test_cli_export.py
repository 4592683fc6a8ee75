"""`homecoming export fhir` (issue 17): the center's records as NDJSON files from the server,
each line a valid resource; the run and the export on the ledger, the oversight body and the
program director told; every bad argument named at once, exit 2, nothing written."""

import json

import pytest

from homecoming import cli
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry

from .conftest import valid


def last_seq() -> int:
    last = Entry.objects.order_by("-seq").first()
    return last.seq if last else -1


def test_the_operator_exports_the_center_and_it_is_on_the_ledger(resident, staff, tmp_path, capsys):
    out = tmp_path / "export"
    before = last_seq()
    assert cli.main(["export", "fhir", "-o", str(out), "--type", "Patient,EpisodeOfCare"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["EpisodeOfCare.ndjson", "Patient.ndjson"]
    (patient,) = [valid(json.loads(line)) for line in (out / "Patient.ndjson").open()]
    assert patient["id"] == str(resident.pk)
    assert "Wrote 2 resources about 1 resident(s)" in capsys.readouterr().out
    run, export = Entry.objects.filter(seq__gt=before).order_by("seq")
    assert (run.action, export.action) == ("operator.command", "record.export")
    assert export.actor is None and export.details["residents"] == [resident.pk]
    for role in ("oversight", "program_director"):
        (alert,) = Alert.objects.filter(recipient=staff[role], kind="records_exported")
        assert "(command line)" in alert.message
    assert not list(tmp_path.glob(".*partial"))


def test_since_leaves_out_what_did_not_change(resident, tmp_path):
    out = tmp_path / "later"
    assert cli.main(["export", "fhir", "-o", str(out), "--since", "2999-01-01"]) == 0
    # Only what no change time dates (the questionnaires' forms, defined in the code).
    assert [p.name for p in out.iterdir()] == ["Questionnaire.ndjson"]


def test_every_bad_argument_is_named_and_nothing_is_written(db, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "something").write_text("x")
    before = last_seq()
    argv = ["export", "fhir", "-o", str(taken), "--since", "soon", "--type", "Spaceship"]
    assert cli.main(argv) == 2
    error = capsys.readouterr().err
    for words in ("is not an empty folder", "--since is a day", "not Spaceship"):
        assert words in error
    assert last_seq() == before and (taken / "something").read_text() == "x"


def test_without_a_folder_is_a_usage_error(db):
    with pytest.raises(SystemExit) as exc:
        cli.main(["export", "fhir"])
    assert exc.value.code == 2


def test_the_trail_of_who_looked_goes_only_when_named(resident, tmp_path):
    everything, trail = tmp_path / "all", tmp_path / "trail"
    assert cli.main(["export", "fhir", "-o", str(everything)]) == 0
    assert not (everything / "AuditEvent.ndjson").exists()
    assert (everything / "Observation.ndjson").exists() or (everything / "Patient.ndjson").exists()
    assert cli.main(["export", "fhir", "-o", str(trail), "--type", "AuditEvent"]) == 0
    events = [valid(json.loads(line)) for line in (trail / "AuditEvent.ndjson").open()]
    assert events and all(e["resourceType"] == "AuditEvent" for e in events)
