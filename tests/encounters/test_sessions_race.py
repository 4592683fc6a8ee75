"""Two bookings at the same moment that would overlap: exactly one wins, the other is refused.

Each booking runs in a process of its own against a real database (PostgreSQL when
DATABASE_URL names one, where the row locks do the work; and SQLite, whose IMMEDIATE
transactions let one writer in at a time). The clash check is slowed down in the workers, so
without the locks both bookings would pass it before either commits."""

import json
import textwrap

import pytest

from tests.support.databases import both_databases, isolated_env
from tests.support.races import STARTING_LINE, homecoming, race, run_script
from tests.support.sessions import at

DATABASES = both_databases()

PRELUDE = textwrap.dedent("""
    import datetime as dt, json, os, sys, time
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "homecoming.settings"
    django.setup()
    from django.utils import timezone
    from homecoming.accounts.models import User
    from homecoming.encounters import scheduling
    from homecoming.ledger import services as ledger
    from homecoming.residents import services
    from homecoming.residents.models import Resident
""")

SETUP = PRELUDE + textwrap.dedent("""
    def user(name, role):
        u = User.objects.create(username=name, full_name=name, role=role)
        ledger.record_write(None, "account.create", u, resident_id=None, purpose="operations")
        return u

    supervisor = user("sup", "supervisor")
    first, second = user("cw1", "caseworker"), user("cw2", "caseworker")
    people = {}
    for given, caseworker in (("Ann", first), ("Bea", first), ("Cal", second)):
        people[given] = services.admit(supervisor, services.Admission(
            intake={
                "given_name": given, "family_name": "Doe", "preferred_name": "",
                "pronouns": "", "date_of_birth": dt.date(1990, 1, 1),
                "service_branch": "army", "service_start": dt.date(2010, 1, 1),
                "service_end": None, "emergency_contact_name": "Kin",
                "emergency_contact_relationship": "kin", "emergency_contact_phone": "555",
            },
            admitted_on=timezone.localdate() - dt.timedelta(days=1),
            expected_length_days=30,
            primary_caseworker=caseworker,
        )).pk
    print(json.dumps({"supervisor": supervisor.pk, "cw1": first.pk, "cw2": second.pk, **people}))
""")

# argv: actor id, caseworker id, resident id, start (ISO), folder for the start signal, name
WORKER = (
    PRELUDE
    + textwrap.dedent("""
    from django.core.exceptions import ValidationError
    actor, caseworker, resident, start, folder, name = sys.argv[1:7]
    checked = scheduling._check_clashes

    def slow_check(*args, **kwargs):
        checked(*args, **kwargs)
        time.sleep(0.5)  # widen the gap between looking for a clash and booking

    scheduling._check_clashes = slow_check
    actor, caseworker = User.objects.get(pk=actor), User.objects.get(pk=caseworker)
    resident = Resident.objects.get(pk=resident)
    starts_at = dt.datetime.fromisoformat(start)
""")
    + STARTING_LINE
    + textwrap.dedent("""
    try:
        scheduling.schedule(actor, caseworker=caseworker, residents=[resident],
                            kind="individual", starts_at=starts_at,
                            ends_at=starts_at + dt.timedelta(hours=1))
        print("booked")
    except ValidationError as exc:
        print("refused: " + " ".join(exc.messages))
""")
)


def _race(env, folder, bookings):
    return race(env, folder, WORKER, bookings)


@pytest.mark.parametrize("database", DATABASES)
def test_overlapping_bookings_at_the_same_moment_let_exactly_one_through(tmp_path, database):
    env, drop = isolated_env(tmp_path, database=database, migrated=True)
    try:
        run = homecoming(env)
        assert run("ledger", "keygen", "--name", "sessions-race/ledger").returncode == 0
        ids = json.loads(run_script(env, SETUP).splitlines()[-1])
        ten, half_past, next_day = (t.isoformat() for t in (at(2, 10), at(2, 10, 30), at(3, 10)))

        # One caseworker, two of her residents, overlapping times: her calendar is the clash.
        calendar = _race(
            env,
            tmp_path,
            [
                (ids["cw1"], ids["cw1"], ids["Ann"], ten),
                (ids["cw1"], ids["cw1"], ids["Bea"], half_past),
            ],
        )
        assert sorted(r.split(":")[0] for r in calendar) == ["booked", "refused"], calendar
        assert "cw1 already has a session" in next(r for r in calendar if r != "booked")

        # Two caseworkers, one resident (booked by the supervisor): the resident is the clash.
        resident = _race(
            env,
            tmp_path,
            [
                (ids["supervisor"], ids["cw1"], ids["Cal"], next_day),
                (ids["supervisor"], ids["cw2"], ids["Cal"], next_day),
            ],
        )
        assert sorted(r.split(":")[0] for r in resident) == ["booked", "refused"], resident
        assert "Cal Doe already has a session" in next(r for r in resident if r != "booked")

        assert run("ledger", "checkpoint").returncode == 0
        check = run("ledger", "verify", "--database")
        assert check.returncode == 0, check.stdout + check.stderr
        count = run(
            "manage",
            "shell",
            "-c",
            "from homecoming.encounters.models import Session, SessionAttendee;"
            "print(Session.objects.count(), SessionAttendee.objects.count())",
        )
        assert count.stdout.split()[-2:] == ["2", "2"]
    finally:
        drop()
