"""The outcomes page, its CSV, the API and the CLI: who may, what the contractor sees, and the
ledger entry each view and export leaves (about no resident)."""

import csv
import io
import re

import pytest

from homecoming import cli
from homecoming.accounts.models import Role
from homecoming.ledger.models import Entry
from tests.access.walk import last_seq
from tests.conftest import logged_in

READERS = ["program_director", "oversight", "contractor"]
REFUSED = ["caseworker", "clinician", "supervisor", "investigator", "sysadmin"]
NUMBER_CELL = re.compile(r">(\d+)</(?:td|text)>")


def _entries(before):
    return list(
        Entry.objects.filter(seq__gt=before).values_list(
            "actor_role", "action", "resident_id", "object_id", "outcome"
        )
    )


@pytest.mark.parametrize("role", READERS)
def test_readers_see_the_page_and_it_is_one_entry_about_no_resident(staff, known, role):
    before = last_seq()
    page = logged_in(staff[role]).get("/outcomes/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text and "<title" in text and 'role="img"' in text
    assert "Admissions per month" in text and "Follow-up reach" in text
    view = "suppressed" if role == "contractor" else "full"
    assert _entries(before) == [(role, "outcomes.view", None, view, "allowed")]
    assert ("Suppressed view" in text) == (role == "contractor")


@pytest.mark.parametrize("role", REFUSED)
def test_others_are_refused_the_page_the_csv_and_the_api(staff, known, role):
    client = logged_in(staff[role])
    before = last_seq()
    assert client.get("/outcomes/").status_code == 403
    assert client.get("/outcomes.csv").status_code == 403
    assert client.get("/api/v1/outcomes").status_code == 403
    assert [e[1:] for e in _entries(before)] == [("center.outcomes", None, "", "denied")] * 3


def test_a_resident_is_refused(make_user, known):
    client = logged_in(make_user(Role.RESIDENT))
    assert client.get("/outcomes/").status_code == 403
    assert client.get("/outcomes.csv").status_code == 403
    assert client.get("/api/v1/outcomes").status_code == 403


def test_nobody_logged_in_is_sent_to_log_in(db):
    from django.test import Client

    assert Client().get("/outcomes/").status_code == 302
    assert Client().get("/api/v1/outcomes").status_code == 401


def _small_numbers(rows):
    return [
        (row[0], v)
        for row in rows
        if row[0] not in ("Beds in service", "Resident-days")
        for v in row[1:]
        if isinstance(v, int) and 0 < v < 11
    ]


def test_the_contractor_sees_no_count_under_11_anywhere(staff, known):
    client = logged_in(staff["contractor"])
    page = client.get("/outcomes/").content.decode()
    assert "&lt;11" in page
    assert [n for n in NUMBER_CELL.findall(page) if 0 < int(n) < 11] == []
    data = client.get("/api/v1/outcomes").json()
    assert data["suppressed"] is True
    assert all(_small_numbers(t["rows"]) == [] for t in data["tables"])
    rows = list(csv.reader(io.StringIO(client.get("/outcomes.csv").content.decode())))
    assert [c for row in rows for c in row[1:] if c.isdigit() and 0 < int(c) < 11] == []
    # Asking for the full figures changes nothing for the contractor.
    assert client.get("/api/v1/outcomes?for=").json()["suppressed"] is True
    assert "&lt;11" in client.get("/outcomes/?for=director&suppressed=0").content.decode()
    assert "<11" in client.get("/outcomes.csv?for=director").content.decode()


def test_the_director_sees_the_figures_and_may_export_for_the_sponsor(staff, known):
    client = logged_in(staff["program_director"])
    data = client.get("/api/v1/outcomes").json()
    assert data["suppressed"] is False
    dispositions = next(t for t in data["tables"] if t["key"] == "dispositions")
    assert dispositions["rows"][0] == ["Return to duty", 1]
    before = last_seq()
    response = client.get("/outcomes.csv?for=sponsor")
    assert response["Content-Type"].startswith("text/csv")
    assert "sponsor" in response["Content-Disposition"]
    body = response.content.decode()
    assert "for the sponsor" in body and "<11" in body
    assert _entries(before) == [("program_director", "outcomes.export", None, "sponsor", "allowed")]
    assert client.get("/api/v1/outcomes?for=sponsor").json()["suppressed"] is True


def test_filters_on_the_page_csv_and_api(staff, known, program):
    client = logged_in(staff["oversight"])
    q = f"from=2026-01-01&to=2026-03-31&program={program.pk}"
    assert "Residential" in client.get(f"/outcomes/?{q}").content.decode()
    data = client.get(
        f"/api/v1/outcomes?period_from=2026-01-01&period_to=2026-03-31&program={program.pk}"
    ).json()
    admissions = next(t for t in data["tables"] if t["key"] == "admissions")
    assert admissions["rows"][-1] == ["Total", 1]
    assert "Residential" in client.get(f"/outcomes.csv?{q}").content.decode()


def test_bad_filters_are_named(staff, known):
    client = logged_in(staff["program_director"])
    page = client.get("/outcomes/?from=someday&to=2026-01-01")
    assert page.status_code == 400 and "is not a date" in page.content.decode()
    assert client.get("/outcomes.csv?from=someday").status_code == 400
    answer = client.get("/api/v1/outcomes?period_from=2026-05-01&period_to=2026-04-01")
    assert answer.status_code == 400 and "to" in answer.json()["errors"]
    assert client.get("/api/v1/outcomes?for=everyone").status_code == 400


@pytest.mark.parametrize("role", READERS)
def test_the_page_is_linked_from_the_navigation(staff, role):
    assert 'href="/outcomes/"' in logged_in(staff[role]).get("/").content.decode()


def test_cli_export_writes_the_csv_and_its_ledger_entries(known, tmp_path, capsys):
    out = tmp_path / "outcomes.csv"
    before = last_seq()
    assert cli.main(["outcomes", "export", "-o", str(out)]) == 0
    assert "unsuppressed" in capsys.readouterr().out
    rows = list(csv.reader(out.open()))
    assert rows[0][0] == "Homecoming program outcomes" and ["Return to duty", "1"] in rows
    actions = [(e[0], e[1], e[2]) for e in _entries(before)]
    assert actions == [
        ("system", "operator.command", None),
        ("system", "outcomes.export", None),
    ]


def test_cli_export_for_the_sponsor_is_suppressed(known, tmp_path, capsys):
    out = tmp_path / "sponsor.csv"
    code = cli.main(
        [
            "outcomes",
            "export",
            "-o",
            str(out),
            "--sponsor",
            "--from",
            "2026-01-01",
            "--to",
            "2026-11-20",
        ]
    )
    assert code == 0
    rows = list(csv.reader(out.open()))
    assert "for the sponsor" in rows[0][-1] and ["Return to duty", "<11"] in rows
    assert [c for row in rows for c in row[1:] if c.isdigit() and 0 < int(c) < 11] == []


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--from", "2026-02-30"], "is not a date"),
        (["--from", "2026-05-01", "--to", "2026-04-01"], "ends before it starts"),
        (["--program", "Nonesuch"], "No program"),
    ],
)
def test_cli_bad_arguments_are_named_with_a_non_zero_exit(db, tmp_path, capsys, argv, message):
    before = last_seq()
    assert cli.main(["outcomes", "export", "-o", str(tmp_path / "x.csv"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists() and last_seq() == before


def test_cli_refuses_a_folder_or_a_missing_one(db, tmp_path, capsys):
    assert cli.main(["outcomes", "export", "-o", str(tmp_path)]) == 2
    assert cli.main(["outcomes", "export", "-o", str(tmp_path / "no" / "x.csv")]) == 2
    assert "folder" in capsys.readouterr().err


def test_cli_without_output_is_a_usage_error(db):
    with pytest.raises(SystemExit) as exc:
        cli.main(["outcomes", "export"])
    assert exc.value.code == 2


def test_the_contractors_home_page_suppresses_occupancy_too(staff, resident):
    page = logged_in(staff["contractor"]).get("/").content.decode()
    assert '<div class="stat">&lt;11</div>residents in residence' in page
    page = logged_in(staff["supervisor"]).get("/").content.decode()
    assert '<div class="stat">1</div>residents in residence' in page
