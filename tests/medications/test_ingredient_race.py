"""Two orders of one ingredient written at the same moment (two tabs, or two prescribers): the
second sees the first, so together they cannot pass the ingredient's ceiling. Each is a process
with its own connection; the ingredient check is slowed down in the workers, so without the lock
on the resident both would pass it before either commits. The new rows are on the ledger:
`ledger verify --database` holds."""

import json

import pytest

from tests.support.databases import both_databases, isolated_env
from tests.support.races import STARTING_LINE, homecoming, race, run_script

from .test_concurrency import PRELUDE

SETUP = (
    PRELUDE
    + """
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
ids = []
for strength in ("400", "200"):
    ids.append(formulary.add_protocol(lead, {
        "drug": "Ibuprofen", "form": "tablet", "strength_amount": strength,
        "strength_unit": "mg", "limit_unit": "mg", "max_single_dose": "800",
        "max_daily_dose": "2400", "min_interval_minutes": "240",
        "consent_code": "medication-ibuprofen",
    }).pk)
consents.sign(supervisor, resident, document, witness=director,
              witness_secret="the director's own password")
print(json.dumps({"lead": lead.pk, "resident": resident.pk, "protocols": ids}))
"""
)

# argv: prescriber id, resident id, protocol id, folder for the start signal, name
WORKER = (
    PRELUDE
    + """
from django.core.exceptions import ValidationError
from homecoming.medications import ingredient_limits, orders
from homecoming.medications.models import Protocol
from homecoming.residents.models import Resident
lead, resident, protocol, folder, name = sys.argv[1:6]
checked = ingredient_limits.check_order

def slow_check(*args, **kwargs):
    found = checked(*args, **kwargs)
    time.sleep(0.5)  # widen the gap between reading the other orders and writing this one
    return found

ingredient_limits.check_order = slow_check
lead, resident = User.objects.get(pk=lead), Resident.objects.get(pk=resident)
protocol = Protocol.objects.get(pk=protocol)
"""
    + STARTING_LINE
    + """
try:
    orders.prescribe(lead, resident, orders.Prescription(
        protocol=protocol, dose_amount="400", dose_unit="mg", route="oral",
        frequency="as_needed", acknowledge_duplicates=True))
    print("ordered")
except ValidationError as exc:
    print("refused: " + " ".join(sorted(exc.message_dict)))
"""
)


@pytest.mark.parametrize("database", both_databases())
def test_two_orders_of_one_ingredient_at_once_cannot_both_pass_the_ceiling(tmp_path, database):
    env, drop = isolated_env(tmp_path, database=database, migrated=True)
    try:
        run = homecoming(env)
        assert run("ledger", "keygen", "--name", "order-race/ledger").returncode == 0
        ids = json.loads(run_script(env, SETUP).splitlines()[-1])
        args = [(ids["lead"], ids["resident"], p) for p in ids["protocols"]]
        results = race(env, tmp_path, WORKER, args)
        assert sorted(results) == ["ordered", "refused: frequency"], results
        assert run("ledger", "checkpoint").returncode == 0
        check = run("ledger", "verify", "--database")
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        drop()
