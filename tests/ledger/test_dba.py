"""Issue 13, part 1: what a database administrator tries behind the application is refused by the
database or named by the ledger, offline and in the scheduled database check.

Every replay is raw SQL through `connection.cursor()`, as a DBA at a SQL console would type it;
run this file on SQLite and on PostgreSQL (DATABASE_URL)."""

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from homecoming.alerts import services as alerts
from homecoming.alerts.models import Alert, Preference
from homecoming.core import worker
from homecoming.core.dbguards import refuse
from homecoming.encounters import notes_selectors
from homecoming.ledger import dbcheck, dbwatch, looks
from homecoming.ledger import selectors as ledger_selectors
from homecoming.ledger import verify as v
from homecoming.ledger.canonical import canonical_json, sha256_hex, snapshot
from homecoming.ledger.checkpoints import make_checkpoint
from homecoming.ledger.export import evidence, export
from homecoming.ledger.models import Entry, Head, Mention, Version
from homecoming.residents import selectors
from tests.support.notes import signed

PLANTED_SEQ = 10**9


def sql(statement, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def drop_trigger(table, name):
    on = f" ON {table}" if connection.vendor == "postgresql" else ""
    sql(f"DROP TRIGGER {name}{on}")


def recreate(rule):
    for statement in rule[connection.vendor]:
        sql(statement)


def refused(statement, params=None) -> bool:
    try:
        with transaction.atomic():
            sql(statement, params)
    except DatabaseError:
        return True
    return False


def plant_version(row, seq=PLANTED_SEQ):
    """The DBA's cover: a version of the row as it now is, numbered as they please."""
    row.refresh_from_db()
    content = canonical_json(snapshot(row, exclude=getattr(row, "ledger_exclude", ())))
    sql(
        "INSERT INTO ledger_version (object_type, object_id, seq, time, actor_id, content, sha256)"
        " VALUES (%s, %s, %s, %s, NULL, %s, %s)",
        [
            row._meta.label_lower,
            str(row.pk),
            seq,
            timezone.now(),
            content.decode("utf-8"),
            sha256_hex(content),
        ],
    )


def rewrite_signed_note(note, seq=PLANTED_SEQ):
    """The issue's replay: drop the notes' update trigger, change a signed note's text, insert a
    matching version, re-create the trigger."""
    drop_trigger("encounters_note", "encounters_note_refuse_update")
    sections = dict(note.sections, plan="Discharge early; no follow-up needed.")
    sql("UPDATE encounters_note SET sections = %s WHERE id = %s", [json.dumps(sections), note.pk])
    plant_version(note, seq)
    recreate(
        refuse(
            "encounters_note",
            "UPDATE",
            "a signed note is final: add an addendum",
            when="OLD.signed_at IS NOT NULL",
        )
    )
    assert refused("UPDATE encounters_note SET sections = '{}' WHERE id = %s", [note.pk])


@pytest.fixture
def rewritten(resident, staff, ledger_key):
    """A signed note rewritten behind the application, then read by its author (so the read's
    entry commits to the planted version), then a checkpoint."""
    note = signed(staff["caseworker"], resident)
    make_checkpoint()
    rewrite_signed_note(note)
    shown = notes_selectors.note_detail(staff["caseworker"], note.pk)
    assert "Discharge early" in json.dumps(shown.note.sections)  # the lie is what staff read
    make_checkpoint()
    return note


def test_a_planted_version_covering_a_rewritten_signed_note_is_named_by_the_database_check(
    rewritten,
):
    report = dbcheck.check()
    label = f"encounters.note #{rewritten.pk}"
    assert not report.ok
    assert any(
        p.startswith(f"{label} has a version numbered #{PLANTED_SEQ} (beyond the ledger's last")
        and "planted" in p
        for p in report.problems
    ), report.problems
    assert any(
        p.startswith(f"{label} differs from its latest recorded version") for p in report.problems
    ), report.problems


def test_the_database_check_command_fails_naming_the_table_and_row(rewritten, capsys):
    from homecoming.cli import main

    with pytest.raises(SystemExit) as exit:
        main(["ledger", "verify", "--database"])
    assert exit.value.code == 1
    said = capsys.readouterr().err
    assert f"FAILED: encounters.note #{rewritten.pk} has a version numbered #{PLANTED_SEQ}" in said


def _verify_fails(bundle, capsys, label):
    assert v.main([str(bundle)]) == 1
    said = capsys.readouterr().err
    assert f"version {label}" in said and "planted" in said, said


def test_every_bundle_refuses_the_planted_version(rewritten, resident, tmp_path, capsys):
    label = f"encounters.note#{rewritten.pk}"
    export(tmp_path / "full")
    _verify_fails(tmp_path / "full", capsys, label)
    export(tmp_path / "mine", resident_id=resident.pk)
    _verify_fails(tmp_path / "mine", capsys, label)
    archive, _ = evidence([resident.pk], [])
    (tmp_path / "evidence.zip").write_bytes(archive)
    _verify_fails(tmp_path / "evidence.zip", capsys, label)
    with pytest.raises(v.BundleError, match="beyond the signed tree"):
        v.verify_bundle(tmp_path / "full")


def test_a_version_planted_under_another_entrys_number_is_named(
    resident, admit, staff, beds, ledger_key, tmp_path
):
    """The DBA picks a number inside the tree: an entry that wrote no version (a read of another
    resident). The database check and an evidence bundle scoped to the note's resident (whose
    scope does not include that entry) both refuse it."""
    note = signed(staff["caseworker"], resident)
    other = admit(given_name="Jo", family_name="Other", bed=beds[1])
    selectors.chart(staff["caseworker"], other.pk)
    free = (
        Entry.objects.filter(resident=other)
        .exclude(seq__in=Version.objects.values("seq"))
        .latest("seq")
    )
    rewrite_signed_note(note, seq=free.seq)
    notes_selectors.note_detail(staff["caseworker"], note.pk)
    make_checkpoint()
    report = dbcheck.check()
    assert any(
        p.startswith(f"encounters.note #{note.pk} has a version numbered #{free.seq} that entry")
        for p in report.problems
    ), report.problems
    archive, _ = evidence([resident.pk], [])
    (tmp_path / "evidence.zip").write_bytes(archive)
    assert v.main([str(tmp_path / "evidence.zip")]) == 1
    export(tmp_path / "full")
    # Reads commit to the resident's record, not to the note (a look is one entry): nothing
    # commits to the planted version, and if a read did, it would not be its writer's.
    with pytest.raises(
        v.BundleError,
        match=f"version encounters.note#{note.pk} .*(committed to by no entry|not the one that)",
    ):
        v.verify_bundle(tmp_path / "full")


def test_a_versions_content_altered_behind_the_ledger_is_named(resident, staff, ledger_key):
    drop_trigger("ledger_version", "ledger_version_no_update" if connection.vendor == "sqlite"
                 else "ledger_version_no_change")  # fmt: skip
    sql(
        "UPDATE ledger_version SET content = REPLACE(content, 'Cruz', 'Crux') "
        "WHERE object_type = 'residents.resident' AND object_id = %s",
        [str(resident.pk)],
    )
    report = dbcheck.check()
    assert any(
        p.startswith(f"residents.resident #{resident.pk} has a version written by entry")
        and "content was altered" in p
        for p in report.problems
    ), report.problems


# --- Rows deleted behind the application ---


@pytest.mark.parametrize("table", ["residents_careteammember", "residents_deployment"])
def test_the_database_refuses_to_delete_care_team_places_and_deployments(
    resident, staff, ledger_key, table
):
    add_deployment(resident)
    assert refused(f"DELETE FROM {table} WHERE resident_id = %s", [resident.pk])
    assert dbcheck.check().ok


def add_deployment(resident):
    from homecoming.ledger import services as ledger
    from homecoming.residents.models import Deployment

    row = Deployment.objects.create(
        resident=resident, location="Kandahar", started_on=dt.date(2012, 3, 1)
    )
    ledger.record_write(None, "resident.update", row, resident_id=resident.pk, purpose="care")
    return row


def test_care_team_places_and_deployments_deleted_with_the_trigger_dropped_are_named(
    resident, staff, ledger_key
):
    deployment = add_deployment(resident)
    members = list(resident.care_team.values_list("pk", flat=True))
    assert members
    drop_trigger("residents_careteammember", "residents_careteammember_refuse_delete")
    drop_trigger("residents_deployment", "residents_deployment_refuse_delete")
    sql("DELETE FROM residents_careteammember WHERE resident_id = %s", [resident.pk])
    sql("DELETE FROM residents_deployment WHERE id = %s", [deployment.pk])
    problems = dbcheck.check().problems
    for pk in members:
        assert any(
            p.startswith(f"residents.careteammember #{pk} was deleted outside the application")
            for p in problems
        ), problems
    assert any(
        p.startswith(f"residents.deployment #{deployment.pk} was deleted outside the application")
        for p in problems
    ), problems


def ledgered_models():
    """Every model whose rows the ledger holds versions of: fully versioned ones, and the alerts
    and alert preferences, versioned when acknowledged, escalated or chosen."""
    full = [m for m in apps.get_models() if getattr(m, "ledger_versioned", False)]
    return [*full, Alert, Preference]


def triggers_on(table) -> str:
    """The SQL of every trigger on `table`, as the database holds it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
        else:
            cursor.execute(
                "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname = %s AND NOT t.tgisinternal",
                [table],
            )
        return "\n".join(row[0] for row in cursor.fetchall()).upper().replace("PUBLIC.", "")


@pytest.mark.parametrize("model", ledgered_models(), ids=lambda m: m._meta.label_lower)
def test_every_ledgered_table_refuses_delete_in_the_database(db, model):
    table = model._meta.db_table
    defined = triggers_on(table)
    assert f"BEFORE DELETE ON {table.upper()}" in defined.replace(" OR UPDATE", ""), (
        f"{table} has no trigger refusing DELETE"
    )


# --- Lists: the residents they named, indexed in ledger_mention ---

MENTION_DELETE = refuse("ledger_mention", "DELETE", "the ledger is append-only")


@pytest.fixture
def other(admit, beds):
    return admit(given_name="Jo", family_name="Other", bed=beds[1])


@pytest.fixture
def listing(resident, other, staff):
    """A caseload list naming both residents: one entry, two mentions."""
    looks.listed(staff["caseworker"], [resident.pk, other.pk], purpose="care")
    entry = Entry.objects.filter(action="resident.list").latest("seq")
    assert entry.residents_named == sorted([resident.pk, other.pk])
    return entry


def looked_at_by_lists(resident) -> set[int]:
    """The list entries in the resident's "who looked"."""
    shown = ledger_selectors.disclosures(resident).entries
    return {e.seq for e in shown if e.residents_named}


def test_a_ledger_with_lists_passes_the_database_check(listing, resident, staff, ledger_key):
    looks.listed(staff["caseworker"], [resident.pk], purpose="care", action="resident.search")
    looks.listed(staff["caseworker"], [], purpose="care", action="resident.search")  # none found
    make_checkpoint()
    report = dbcheck.check()
    assert report.ok, report.problems


def test_the_database_refuses_to_change_or_remove_the_residents_a_list_named(
    listing, resident, other
):
    mention = f"seq = {listing.seq} AND resident_id = {resident.pk}"
    assert refused(f"DELETE FROM ledger_mention WHERE {mention}")
    assert refused(f"UPDATE ledger_mention SET resident_id = {other.pk} WHERE {mention}")
    assert refused(f"UPDATE ledger_mention SET seq = seq + 1 WHERE {mention}")
    assert refused("DELETE FROM ledger_mention")
    if connection.vendor == "postgresql":
        # The list's foreign-key checks are deferred to the test's commit, and PostgreSQL
        # refuses any TRUNCATE with checks pending: run them now, so the refusal is the trigger's.
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        refusal = "ledger_mention is append-only: TRUNCATE refused"
        with pytest.raises(DatabaseError, match=refusal), transaction.atomic():
            sql("TRUNCATE ledger_mention")
    assert Mention.objects.filter(seq=listing.seq).count() == 2


def test_a_mention_deleted_with_its_trigger_dropped_is_named(listing, resident, ledger_key):
    assert listing.seq in looked_at_by_lists(resident)
    drop_trigger("ledger_mention", "ledger_mention_refuse_delete")
    sql(
        "DELETE FROM ledger_mention WHERE seq = %s AND resident_id = %s",
        [listing.seq, resident.pk],
    )
    recreate(MENTION_DELETE)
    assert refused("DELETE FROM ledger_mention")
    assert listing.seq not in looked_at_by_lists(resident)  # what the DBA was after
    report = dbcheck.check()
    assert report.problems == [
        f"entry #{listing.seq} names resident #{resident.pk} in a list but their mention of it "
        "is missing: it was deleted outside the application, hiding the list from them"
    ]


def test_a_list_reworded_to_hide_its_names_from_a_text_search_is_still_held_to_them(
    resident, staff, ledger_key
):
    """The list named one resident; the DBA deletes the mention and rewrites the entry's detail
    as other JSON with the same meaning, so the leaf still hashes as signed."""
    looks.listed(staff["caseworker"], [resident.pk], purpose="care")
    listing = Entry.objects.filter(action="resident.list").latest("seq")
    make_checkpoint()
    drop_trigger("ledger_mention", "ledger_mention_refuse_delete")
    drop_trigger("ledger_entry", "ledger_entry_no_update" if connection.vendor == "sqlite"
                 else "ledger_entry_no_change")  # fmt: skip
    sql("DELETE FROM ledger_mention WHERE seq = %s", [listing.seq])
    sql(
        "UPDATE ledger_entry SET detail = %s WHERE seq = %s",
        [f'{{ "\\u0072esidents": [{resident.pk}] }}', listing.seq],
    )
    assert Entry.objects.get(seq=listing.seq).residents_named == [resident.pk]
    problems = dbcheck.check().problems
    assert problems == [
        f"entry #{listing.seq} names resident #{resident.pk} in a list but their mention of it "
        "is missing: it was deleted outside the application, hiding the list from them"
    ]


def test_a_mention_inserted_naming_a_resident_the_entry_did_not_is_named(
    resident, other, staff, ledger_key
):
    looks.listed(staff["caseworker"], [other.pk], purpose="care")
    listing = Entry.objects.filter(action="resident.list").latest("seq")
    selectors.chart(staff["caseworker"], other.pk)
    chart = Entry.objects.filter(resident=other).latest("seq")  # a look, naming nobody
    make_checkpoint()
    planted = (listing.seq, chart.seq, Head.objects.get().size + 5)  # a list, a look, no entry
    for seq in planted:
        sql("INSERT INTO ledger_mention (seq, resident_id) VALUES (%s, %s)", [seq, resident.pk])
    assert listing.seq in looked_at_by_lists(resident)  # a look that never was
    problems = dbcheck.check().problems
    for seq in planted:
        assert (
            f"resident #{resident.pk} has a mention of entry #{seq}, which does not name them: "
            "it was inserted outside the application"
        ) in problems, problems
    assert not any(f"resident #{other.pk}" in p for p in problems), problems


# --- Alerts: append-only but for their acknowledgement ---


@pytest.fixture
def alert(resident, staff):
    return alerts.notify(
        [staff["supervisor"]], kind="break_glass", message="Opened out of team.", resident=resident
    )[0]


@pytest.mark.parametrize(
    "change",
    [
        "message = 'nothing happened'",
        "kind = 'complaint'",
        "urgency = 'normal'",
        "level = 2",
        "resident_id = NULL",
        "recipient_id = recipient_id + 1",
        "about_type = 'x'",
    ],
)
def test_what_an_alert_said_cannot_be_changed(alert, change):
    assert refused(f"UPDATE alerts_alert SET {change} WHERE id = %s", [alert.pk])


def test_an_alert_cannot_be_deleted(alert):
    assert refused("DELETE FROM alerts_alert WHERE id = %s", [alert.pk])


def test_acknowledging_and_e_mailing_are_the_changes_allowed_and_an_acknowledgement_is_final(
    alert, staff
):
    assert not refused(
        "UPDATE alerts_alert SET emailed_at = %s WHERE id = %s", [timezone.now(), alert.pk]
    )
    alerts.acknowledge(staff["supervisor"], [alert.pk])  # the service's own UPDATE passes
    alert.refresh_from_db()
    assert alert.read_at is not None
    assert refused("UPDATE alerts_alert SET read_at = NULL WHERE id = %s", [alert.pk])
    assert refused(
        "UPDATE alerts_alert SET acknowledged_by_id = %s WHERE id = %s",
        [staff["program_director"].pk, alert.pk],
    )
    assert refused("UPDATE alerts_alert SET closed_because = 'x' WHERE id = %s", [alert.pk])
    assert not refused("UPDATE alerts_alert SET emailed_at = NULL WHERE id = %s", [alert.pk])


def test_an_acknowledged_alert_changed_or_deleted_with_the_triggers_dropped_is_named(
    alert, resident, staff, ledger_key
):
    second = alerts.notify([staff["supervisor"]], kind="safety", message="Item 9.")[0]
    alerts.acknowledge(staff["supervisor"], [alert.pk, second.pk])
    sql("UPDATE alerts_alert SET emailed_at = %s", [timezone.now()])  # bookkeeping: not reported
    assert dbcheck.check().ok, dbcheck.check().problems
    drop_trigger("alerts_alert", "alerts_alert_refuse_update")
    drop_trigger("alerts_alert", "alerts_alert_refuse_delete")
    sql("UPDATE alerts_alert SET message = 'Routine.' WHERE id = %s", [alert.pk])
    sql("DELETE FROM alerts_alert WHERE id = %s", [second.pk])
    problems = dbcheck.check().problems
    assert any(
        p.startswith(f"alerts.alert #{alert.pk} differs from its latest recorded version")
        for p in problems
    ), problems
    assert any(
        p.startswith(f"alerts.alert #{second.pk} was deleted outside the application")
        for p in problems
    ), problems


# --- The check runs by itself ---


@pytest.fixture
def reachable(staff):
    """The oversight body and the director with e-mail addresses, set as they would set them."""
    for role in ("oversight", "program_director"):
        alerts.set_preferences(staff[role], delivery="immediate", email=f"{role}@center.example")
    return staff


def _database_job():
    return next(j for j in worker.jobs() if j.name == "database")


def test_the_worker_checks_the_database_at_start_then_hourly_by_default(db, settings):
    job = _database_job()
    assert job.due(0.0)  # never run: due at the worker's first round, so when `serve` starts
    assert job.every() == 3600
    job.last = 0.0
    assert not job.due(3599.0) and job.due(3600.0)
    settings.HOMECOMING_DATABASE_CHECK_HOURS = 0.25
    assert job.every() == 900


def test_a_mismatch_found_by_the_worker_alerts_oversight_and_the_director_by_e_mail_once(
    rewritten,
    reachable,
    capsys,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        worker.one_round([_database_job()], once=True, warned=set())
    out = capsys.readouterr().out
    assert "worker: database: database check:" in out and "new, alerted" in out
    raised = Alert.objects.filter(kind=dbwatch.KIND)
    assert {a.recipient.role for a in raised} == {"oversight", "program_director"}
    assert all(a.is_critical for a in raised)
    assert f"encounters.note #{rewritten.pk}" in raised[0].message
    assert sorted(m.to[0] for m in mailoutbox) == [
        "oversight@center.example",
        "program_director@center.example",
    ]
    told = Entry.objects.filter(action=dbwatch.ACTION).count()
    assert told >= 2  # one per problem, in the signed ledger

    # An hour later, the same unchanged mismatch: no second alert.
    with django_capture_on_commit_callbacks(execute=True):
        worker.one_round([_database_job()], once=True, warned=set())
    assert "alerted before" in capsys.readouterr().out
    assert Alert.objects.filter(kind=dbwatch.KIND).count() == 2

    # A new mismatch is alerted, and only it is named.
    sql("UPDATE residents_resident SET pronouns = 'x' WHERE id = %s", [rewritten.resident_id])
    with django_capture_on_commit_callbacks(execute=True):
        worker.one_round([_database_job()], once=True, warned=set())
    latest = Alert.objects.filter(kind=dbwatch.KIND).order_by("-id")[:2]
    assert len(Alert.objects.filter(kind=dbwatch.KIND)) == 4
    assert all(f"residents.resident #{rewritten.resident_id}" in a.message for a in latest)
    assert all("encounters.note" not in a.message for a in latest)
    assert len(mailoutbox) == 4


def test_an_intact_database_raises_nothing(resident, staff, ledger_key, capsys):
    make_checkpoint()
    worker.one_round([_database_job()], once=True, warned=set())
    assert "worker: database: database check: OK" in capsys.readouterr().out
    assert not Alert.objects.filter(kind=dbwatch.KIND).exists()
    assert not Entry.objects.filter(action=dbwatch.ACTION).exists()
    assert Head.objects.get().size == Entry.objects.count()


def test_the_check_cannot_be_turned_off(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "homecoming.cli", "alerts", "status"],
        env={"HOMECOMING_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin",
             "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
             "HOMECOMING_DATABASE_CHECK_HOURS": "0"},
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 2
    assert "HOMECOMING_DATABASE_CHECK_HOURS is a number of hours above 0" in result.stderr
