"""Two administrators deactivate the last two oversight officers at the same moment: one is
deactivated, the other refused, and the center keeps an overseer. Each administrator is a process
with its own connection (PostgreSQL when DATABASE_URL names one; SQLite too). The check is slowed
in the workers, so without the row locks both would pass it before either commits."""

import json

import pytest

from tests.support.databases import both_databases, isolated_env
from tests.support.races import STARTING_LINE, homecoming, race, run_script

PRELUDE = """
import json, os, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "homecoming.settings"
django.setup()
from homecoming.accounts import overseers, services
from homecoming.accounts.models import User
from homecoming.ledger import services as ledger
"""

SETUP = (
    PRELUDE
    + """
def user(name, role):
    u = User.objects.create(username=name, full_name=name, role=role)
    ledger.record_write(None, "account.create", u, resident_id=None, purpose="operations")
    return u

admins = [user("admin1", "sysadmin"), user("admin2", "sysadmin")]
user("pd", "program_director")
officers = [user("ov1", "oversight"), user("ov2", "oversight")]
print(json.dumps({"pairs": [[a.pk, o.pk] for a, o in zip(admins, officers)]}))
"""
)

# argv: admin id, officer id, folder for the start signal, name
WORKER = (
    PRELUDE
    + """
from django.core.exceptions import ValidationError
admin, officer, folder, name = sys.argv[1:5]
checked = overseers.keeps_one

def slow_check(*args, **kwargs):
    found = checked(*args, **kwargs)
    time.sleep(0.5)  # widen the gap between counting the others and deactivating this one
    return found

overseers.keeps_one = slow_check
admin, officer = User.objects.get(pk=admin), User.objects.get(pk=officer)
"""
    + STARTING_LINE
    + """
try:
    services.set_active(admin, officer, False)
    print("deactivated")
except ValidationError as exc:
    print("refused: " + " ".join(exc.messages))
"""
)


@pytest.mark.parametrize("database", both_databases())
def test_two_admins_cannot_deactivate_the_last_two_overseers_at_once(tmp_path, database):
    env, drop = isolated_env(tmp_path, database=database, migrated=True)
    try:
        run = homecoming(env)
        ids = json.loads(run_script(env, SETUP).splitlines()[-1])
        results = sorted(race(env, tmp_path, WORKER, ids["pairs"]))
        assert results[0] == "deactivated", results
        assert results[1].startswith("refused: ") and "last active" in results[1], results
        active = run(
            "manage",
            "shell",
            "-c",
            "from homecoming.accounts.models import User;"
            "print(User.objects.filter(role='oversight', is_active=True).count())",
        )
        assert active.stdout.split()[-1] == "1"
    finally:
        drop()
