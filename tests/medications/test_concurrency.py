"""Two nurses record the same dose at the same moment: exactly one is given, the other stopped.

Each nurse is a process with its own database connection (PostgreSQL when DATABASE_URL names one,
where the row lock on the resident does the work; and SQLite, whose IMMEDIATE transactions let
one writer in at a time). The dose checks are slowed down in the workers, so without the lock
both would pass them before either commits."""

import json

import pytest

from tests.support.databases import both_databases, isolated_env
from tests.support.races import STARTING_LINE, homecoming, race, run_script

PRELUDE = """
import datetime as dt, json, os, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "homecoming.settings"
django.setup()
from django.utils import timezone
from homecoming.accounts.models import User
from homecoming.ledger import services as ledger
from homecoming.medications import administering
from homecoming.medications.models import Order
"""

SETUP = (
    PRELUDE
    + """
from unittest import mock
from homecoming.consents import services as consents
from homecoming.medications import formulary, orders
from homecoming.residents import services

def user(name, role, **flags):
    u = User.objects.create(username=name, full_name=name, role=role, **flags)
    ledger.record_write(None, "account.create", u, resident_id=None, purpose="operations")
    return u

from django.contrib.auth.hashers import make_password
supervisor = user("sup", "supervisor")
director = user("pd", "program_director", password=make_password("the director's own password"))
lead = user("lead", "clinician", is_prescriber=True, is_medical_lead=True)
nurses = [user("nurse1", "clinician"), user("nurse2", "clinician")]
resident = services.admit(supervisor, services.Admission(
    intake={
        "given_name": "Ann", "family_name": "Doe", "preferred_name": "", "pronouns": "",
        "date_of_birth": dt.date(1990, 1, 1), "service_branch": "army",
        "service_start": dt.date(2010, 1, 1), "service_end": None,
        "emergency_contact_name": "Kin", "emergency_contact_relationship": "kin",
        "emergency_contact_phone": "555",
    },
    admitted_on=timezone.localdate() - dt.timedelta(days=1),
    expected_length_days=30,
    primary_caseworker=user("cw", "caseworker"),
    clinician=lead,
))
document = consents.publish(director, purpose="medication", code="medication-ibuprofen",
                            title="Ibuprofen", body="For pain.")
protocol = formulary.add_protocol(lead, {
    "drug": "Ibuprofen", "form": "tablet", "strength_amount": "200", "strength_unit": "mg",
    "limit_unit": "mg", "max_single_dose": "800", "max_daily_dose": "2400",
    "min_interval_minutes": "360", "consent_code": "medication-ibuprofen",
})
consents.sign(supervisor, resident, document, witness=director,
              witness_secret="the director's own password")
order = orders.prescribe(lead, resident, orders.Prescription(
    protocol=protocol, dose_amount="400", dose_unit="mg", route="oral", frequency="as_needed"))
print(json.dumps({"nurses": [n.pk for n in nurses], "order": order.pk}))
"""
)

# argv: nurse id, order id, folder for the start signal, name
WORKER = (
    PRELUDE
    + """
from django.core.exceptions import ValidationError
nurse, order, folder, name = sys.argv[1:5]
checked = administering._dose_stops

def slow_check(*args, **kwargs):
    stops = checked(*args, **kwargs)
    time.sleep(0.5)  # widen the gap between checking the doses given and recording this one
    return stops

administering._dose_stops = slow_check
nurse, order = User.objects.get(pk=nurse), Order.objects.get(pk=order)
"""
    + STARTING_LINE
    + """
try:
    administering.give(nurse, order, dose_amount="400", dose_unit="mg")
    print("given")
except administering.DoseStopped as exc:
    print("stopped: " + " ".join(s.rule for s in exc.stops))
"""
)


@pytest.mark.parametrize("database", both_databases())
def test_two_nurses_giving_the_same_dose_at_once_cannot_both_succeed(tmp_path, database):
    env, drop = isolated_env(tmp_path, database=database, migrated=True)
    try:
        run = homecoming(env)
        assert run("ledger", "keygen", "--name", "dose-race/ledger").returncode == 0
        ids = json.loads(run_script(env, SETUP).splitlines()[-1])
        results = race(env, tmp_path, WORKER, [(n, ids["order"]) for n in ids["nurses"]])
        assert sorted(results) == ["given", "stopped: interval"], results
        count = run(
            "manage",
            "shell",
            "-c",
            "from homecoming.medications.models import Administration, DoseStop;"
            "print(Administration.objects.count(), DoseStop.objects.count())",
        )
        assert count.stdout.split()[-2:] == ["1", "1"]
        assert run("ledger", "checkpoint").returncode == 0
        check = run("ledger", "verify", "--database")
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        drop()
