"""`ledger verify --database`: rows edited behind the application's back are found and named."""

from django.db import connection

from homecoming.ledger import dbcheck
from homecoming.ledger.checkpoints import make_checkpoint
from homecoming.residents import selectors, services


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_intact_database_passes(resident, staff, ledger_key):
    services.update_intake(staff["caseworker"], resident, {"pronouns": "they/them"})
    make_checkpoint()
    report = dbcheck.check()
    assert report.ok, report.problems
    assert report.entries > 0 and report.checkpoints == 1 and report.rows > 0


def test_a_record_row_edited_in_sql_is_named(resident, staff, ledger_key):
    make_checkpoint()
    sql(
        "UPDATE residents_resident SET date_of_birth = %s WHERE id = %s",
        ["1980-01-01", resident.pk],
    )
    report = dbcheck.check()
    assert len(report.problems) == 1
    assert report.problems[0].startswith(
        f"residents.resident #{resident.pk} differs from its latest recorded version"
    )
    assert report.problems[0].endswith("it was changed outside the application")


def test_a_row_inserted_in_sql_is_named(resident, staff, ledger_key):
    stay = resident.stays.get()
    sql(
        "INSERT INTO residents_deployment (resident_id, location, started_on) "
        "VALUES (%s, 'Nowhere', '2020-01-01')",
        [resident.pk],
    )
    report = dbcheck.check()
    assert any(
        "residents.deployment" in p and "no recorded version" in p for p in report.problems
    ), report.problems
    assert stay  # the stay itself is untouched


def test_a_ledger_entry_edited_with_its_trigger_dropped_is_named(resident, staff, ledger_key):
    selectors.chart(staff["caseworker"], resident.pk)
    make_checkpoint()
    trigger = (
        "ledger_entry_no_update"
        if connection.vendor == "sqlite"
        else ("ledger_entry_no_change ON ledger_entry")
    )
    sql(f"DROP TRIGGER {trigger}")  # a database superuser can; the ledger still tells
    sql("UPDATE ledger_entry SET purpose = 'care' WHERE seq = 2")
    report = dbcheck.check()
    assert report.problems[0].startswith("entry #2 was changed after it was written")


def test_a_rewritten_entry_with_a_matching_leaf_hash_breaks_the_signed_root(
    resident, staff, ledger_key
):
    from homecoming.ledger.canonical import canonical_json
    from homecoming.ledger.models import Entry
    from homecoming.ledger.verify import leaf_hash

    selectors.chart(staff["caseworker"], resident.pk)
    make_checkpoint()
    trigger = (
        "ledger_entry_no_update"
        if connection.vendor == "sqlite"
        else ("ledger_entry_no_change ON ledger_entry")
    )
    sql(f"DROP TRIGGER {trigger}")
    entry = Entry.objects.get(seq=1)
    entry.purpose = "supervision"
    forged = leaf_hash(canonical_json(entry.leaf()))
    Entry.objects.filter(seq=1).update(purpose="supervision", leaf_hash=forged)
    report = dbcheck.check()
    assert any("history was rewritten" in p for p in report.problems), report.problems
