"""`homecoming init` and `homecoming center load`: the operator's first day, by command."""

import io
from pathlib import Path

import pytest

from homecoming import cli
from homecoming.accounts.models import Role, User
from homecoming.ledger import dbcheck
from homecoming.ledger.models import Entry
from homecoming.residents import loader, setup
from homecoming.residents.models import Bed, Center, Program, Room

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "center.yaml"
INIT = [
    "init",
    "--name",
    "Riverside Homecoming Center",
    "--time-zone",
    "America/Chicago",
    "--director-username",
    "dreyes",
    "--director-name",
    "Dana Reyes",
    "--director-email",
    "dana@riverside.example",
]


@pytest.fixture
def key_path(settings, tmp_path):
    settings.HOMECOMING_LEDGER_KEY = str(tmp_path / "ledger.key")
    settings.HOMECOMING_WITNESSES = []
    return tmp_path / "ledger.key"


def run(argv, monkeypatch, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(argv)


def test_init_makes_the_center_the_director_and_the_ledger_key(db, key_path, monkeypatch, capsys):
    assert run(INIT, monkeypatch) == 0
    out = capsys.readouterr().out
    center = Center.objects.get()
    assert (center.name, center.time_zone) == ("Riverside Homecoming Center", "America/Chicago")
    director = User.objects.get(username="dreyes")
    assert director.role == Role.PROGRAM_DIRECTOR and director.must_change_password
    assert director.email == "dana@riverside.example"
    password = out.split("One-time password for dreyes: ")[1].split()[0]
    assert director.check_password(password)
    assert not director.totpdevice_set.exists()  # enrols the second factor at first log-in
    assert key_path.exists() and "Next steps" in out and "center load" in out
    assert dbcheck.check().ok


def test_init_with_the_password_on_stdin(db, key_path, monkeypatch, capsys):
    assert run([*INIT, "--password-stdin"], monkeypatch, "a long enough passphrase\n") == 0
    assert "One-time password" not in capsys.readouterr().out
    assert User.objects.get(username="dreyes").check_password("a long enough passphrase")


def test_init_refuses_a_database_that_has_a_center(db, key_path, monkeypatch, capsys):
    setup.create_center(None, name="Old", time_zone="UTC", check_policy=False)
    before = Entry.objects.count()
    assert run(INIT, monkeypatch) == 2
    assert "already holds a center (Old)" in capsys.readouterr().err
    assert Entry.objects.count() == before and not User.objects.filter(username="dreyes").exists()


def test_init_names_every_mistake_and_writes_nothing(db, key_path, monkeypatch, capsys):
    argv = [*INIT]
    argv[argv.index("America/Chicago")] = "Mars/Olympus"
    argv[argv.index("dreyes")] = "d reyes!"
    assert run(argv, monkeypatch) == 2
    err = capsys.readouterr().err
    assert "not a time zone" in err and "director username" in err
    assert not Center.objects.exists() and not User.objects.exists()
    assert not key_path.exists()


def test_init_without_a_terminal_names_the_missing_flags(db, key_path, monkeypatch, capsys):
    assert run(["init", "--name", "X"], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "--time-zone" in err and "--director-username" in err and "--director-name" in err


def test_loading_the_example_twice_changes_nothing_the_second_time(
    db, key_path, monkeypatch, capsys
):
    assert run(["center", "load", str(EXAMPLE)], monkeypatch) == 0
    out = capsys.readouterr().out
    assert (Program.objects.count(), Room.objects.count(), Bed.objects.count()) == (2, 3, 8)
    assert User.objects.count() == 6
    assert all(u.must_change_password for u in User.objects.all())
    hlind = User.objects.get(username="hlind")
    password = out.split("hlind: ")[1].split()[0]
    assert hlind.check_password(password) and hlind.email == "heidi.lind@riverside.example"
    assert User.objects.get(username="svaldez").is_medical_lead
    assert not User.objects.get(username="jpark").takes_new_residents
    assert Bed.objects.get(room__name="S201", label="B").out_of_service_reason

    size = Entry.objects.count()
    assert run(["center", "load", str(EXAMPLE)], monkeypatch) == 0
    assert "Nothing changed" in capsys.readouterr().out
    assert Entry.objects.count() == size
    assert dbcheck.check().ok


CHANGED = """\
center:
  name: Riverside Center
  time_zone: America/Chicago
programs:
  - name: Residential readjustment (6-8 weeks)
    was: Residential readjustment
  - name: Sleep and recovery
    active: false
rooms:
  - name: N101
    wing: North
    beds: [A, B, C, D]
  - name: N103
    was: N102
    wing: North
    beds: [A, B, C]
  - name: S201
    wing: South
    beds:
      - A
      - label: B
        out_of_service: false
staff:
  - username: hlind
    full_name: Heidi Lind-Berg
    role: caseworker
"""


def test_a_changed_file_applies_the_differences_and_deletes_nothing(db, key_path, tmp_path):
    loader.load(EXAMPLE.read_text())
    report = loader.load(CHANGED)
    text = report.text()
    assert Center.objects.get().name == "Riverside Center"
    assert Program.objects.filter(name="Residential readjustment (6-8 weeks)").exists()
    assert not Program.objects.get(name="Sleep and recovery").active
    assert Room.objects.filter(name="N103").exists() and not Room.objects.filter(name="N102")
    assert Bed.objects.filter(room__name="N101").count() == 4
    assert Bed.objects.get(room__name="S201", label="B").in_service
    assert User.objects.get(username="hlind").full_name == "Heidi Lind-Berg"
    assert User.objects.count() == 6  # the others are kept, and named as kept
    assert "account tnguyen" in text and "Kept" in text
    assert loader.load(CHANGED).changes == []  # and the changed file, twice, is idempotent


BAD = """\
center:
  name: Riverside
  time_zone: Mars/Olympus
programs:
  - name: Sleep
  - name: sleep
rooms:
  - name: N101
    beds: [A, A]
staff:
  - username: x1
    full_name: X One
    role: wizard
  - username: x2
    full_name: X Two
    role: caseworker
    prescriber: true
    email: not-an-address
"""


def test_a_bad_file_is_refused_whole_with_every_error_by_line(db, key_path, monkeypatch, capsys):
    path = key_path.parent / "bad.yaml"
    path.write_text(BAD)
    before = Entry.objects.count()
    assert run(["center", "load", str(path)], monkeypatch) == 2
    err = capsys.readouterr().err
    for expected in (
        "line 3: 'Mars/Olympus' is not a time zone",
        "line 6: the program 'sleep' is already given at line 5",
        "line 8: A room needs 'wing'",
        "line 9: in room N101, the bed 'A' is already given at line 9",
        "line 13: unknown role 'wizard'",
        "line 17: only a clinician can be prescriber",
        "line 18: 'not-an-address' is not an e-mail address",
        "nothing was written",
    ):
        assert expected in err, expected
    assert Entry.objects.count() == before
    assert not Center.objects.exists() and not Program.objects.exists()


def test_a_refusal_while_applying_rolls_back_everything(db, key_path, make_user):
    """The shape is right but the database says no (a username of a resident's log-in, a
    second medical lead): earlier changes of the same file go too."""
    text = EXAMPLE.read_text().replace("username: tnguyen", "username: resident")
    make_user(Role.RESIDENT, username="resident")
    make_user(Role.CLINICIAN, username="lead", is_medical_lead=True)
    before = Entry.objects.count()
    with pytest.raises(loader.LoadError) as exc:
        loader.load(text)
    problems = "\n".join(exc.value.problems)
    assert "'resident' is a resident's log-in" in problems
    assert "already a medical lead" in problems
    assert problems.count("line ") == 2
    assert Entry.objects.count() == before and not Room.objects.exists()


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "line 1: the file is empty"),
        ("center: [unclosed\n", "not valid YAML"),
        ("- just a list\n", "The file should be a mapping"),
        ("programs:\n  - name: A\n", "there is no center yet"),
    ],
)
def test_files_that_are_not_a_center(db, text, message):
    with pytest.raises(loader.LoadError) as exc:
        loader.load(text)
    assert message in "\n".join(exc.value.problems)


def test_a_dry_run_writes_nothing(db, key_path):
    report = loader.load(EXAMPLE.read_text(), dry_run=True)
    assert len(report.changes) > 5 and not Room.objects.exists() and not Entry.objects.exists()
    assert "Would make" in report.text(dry_run=True)


def test_the_medical_lead_moves_from_one_clinician_to_another(db, key_path):
    loader.load(EXAMPLE.read_text())
    moved = (
        EXAMPLE.read_text()
        .replace("    medical_lead: true\n", "    medical_lead: false\n")
        .replace(
            "  - username: tnguyen\n    full_name: Tam Nguyen\n    role: clinician\n",
            "  - username: tnguyen\n    full_name: Tam Nguyen\n    role: clinician\n"
            "    medical_lead: true\n",
        )
    )
    assert "tnguyen" in "".join(loader.load(moved).changes)
    assert list(User.objects.filter(is_medical_lead=True).values_list("username", flat=True)) == [
        "tnguyen"
    ]


def test_init_at_a_terminal_asks_for_what_the_flags_left_out(db, key_path, monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stdin", Terminal("Riverside\nEurope/Berlin\nboss\nBo Ss\n"))
    assert cli.main(["init"]) == 0
    assert Center.objects.get().time_zone == "Europe/Berlin"
    assert User.objects.get(username="boss").full_name == "Bo Ss"
    assert "Center name: " in capsys.readouterr().out
