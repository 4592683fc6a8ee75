"""Shared fixtures: one user per role, a few beds, and residents admitted through the services.

No test uses pytest-django's transactional_db: its teardown empties tables with DELETE/TRUNCATE,
which the ledger's append-only triggers refuse (by design). Tests run inside a transaction that is
rolled back; the browser tests run a real server against a database of their own."""

import datetime as dt
import functools
import os

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from homecoming.accounts import tokens
from homecoming.accounts.models import Role, User
from homecoming.ledger import services as ledger
from homecoming.residents import services, setup
from homecoming.residents.models import ServiceBranch

# Property tests run the same examples on every run ("ci", the default): a stop whose CI fails lands
# nothing, so a rare example must not decide that by chance. HYPOTHESIS_PROFILE=explore draws fresh,
# more numerous examples each run; use it while working on the ledger, the dose guard or scoring.
# No deadline and no "too slow" check: these machines are shared, and an example that took long
# because another process had the core says nothing about the property (speed lives in bench/).
_UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True, **_UNTIMED)
hypothesis_settings.register_profile("explore", max_examples=500, print_blob=True, **_UNTIMED)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PASSWORD = "correct horse battery staple"

# `make test` and CI spread the suite over the machine's cores (pytest-xdist, --dist loadgroup).
# Tests sharing a fixture wider than one test run on one worker, so it is built once: the served
# demo center of the browser tests (a session fixture), and the modules whose module fixtures
# build a checkout or a center (the docs' commands, the backups).
SHARED_FIXTURES = {
    "tests/browser/": "browser",
    "tests/test_docs_commands.py": "docs-commands",
    # The docs run `make messages`, which rewrites the catalog this module reads.
    "tests/core/test_translatable.py": "docs-commands",
    "tests/test_backup.py": "backup",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        group = next((g for prefix, g in SHARED_FIXTURES.items() if path.startswith(prefix)), None)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@functools.cache
def password_hash() -> str:
    return make_password(PASSWORD)  # Argon2, once per run: it is slow on purpose


@pytest.fixture(scope="session", autouse=True)
def _own_rate_limit_cache(tmp_path_factory):
    """The rate limits count in a cache shared by processes (files under the data folder): a
    test run gets a folder of its own, so two runs at once never count in each other's."""
    from django.test import override_settings

    location = tmp_path_factory.mktemp("cache")
    backend = {"BACKEND": "homecoming.core.sharedcache.LockedFileCache", "LOCATION": str(location)}
    with override_settings(CACHES={"default": backend}):
        yield


@pytest.fixture(scope="session", autouse=True)
def _migrated_templates():
    """The migrated databases tests/support/databases.isolated_env(migrated=True) copies are
    made when first asked for (none, when no test asks); dropped when the session ends."""
    from tests.support import databases

    yield
    databases.drop_templates()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(_own_rate_limit_cache):
    """Each test starts with no rate limit spent, whatever ran before it."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(role, username=None, enrolled=True, **fields):
        n = next(counter)
        user = User.objects.create(
            username=username or f"{role}{n}",
            full_name=fields.pop("full_name", f"{Role(role).label} {n}"),
            role=role,
            password=password_hash(),
            **fields,
        )
        if enrolled and role != Role.RESIDENT:
            TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        # As accounts.services.create_user does: the account's first version, on the ledger.
        ledger.record_write(None, "account.create", user, resident_id=None, purpose="operations")
        return user

    return make


@pytest.fixture
def staff(make_user):
    """One account per staff role, plus a second caseworker and clinician (other caseloads)."""
    people = {role: make_user(role, username=role) for role in Role.values if role != "resident"}
    people["caseworker_other"] = make_user(Role.CASEWORKER, username="caseworker_other")
    people["clinician_other"] = make_user(Role.CLINICIAN, username="clinician_other")
    return people


@pytest.fixture
def beds(db):
    # Through the set-up service, as the operator makes them: each with its version on the ledger.
    rooms = [setup.add_room(None, n, "North", "AB", check_policy=False) for n in ("N101", "N102")]
    return [bed for room in rooms for bed in room.beds.order_by("label")]


def intake(**overrides):
    data = {
        "given_name": "Walter",
        "family_name": "Cruz",
        "preferred_name": "",
        "pronouns": "he/him",
        "date_of_birth": dt.date(1991, 3, 14),
        "service_branch": ServiceBranch.ARMY,
        "service_start": dt.date(2010, 6, 1),
        "service_end": None,
        "service_number": "",
        "emergency_contact_name": "Ana Cruz",
        "emergency_contact_relationship": "sister",
        "emergency_contact_phone": "(312) 555-0147",
    }
    return data | overrides


@pytest.fixture
def admit(staff, beds):
    """Admit a resident (by the supervisor) onto the caseload of staff['caseworker']."""

    def do(actor=None, bed=None, caseworker=None, clinician="default", **fields):
        admission = services.Admission(
            intake=intake(**fields),
            admitted_on=dt.date.today() - dt.timedelta(days=3),
            expected_length_days=42,
            bed=bed,
            primary_caseworker=caseworker or staff["caseworker"],
            clinician=staff["clinician"] if clinician == "default" else clinician,
        )
        return services.admit(actor or staff["supervisor"], admission)

    return do


@pytest.fixture
def resident(admit, beds):
    return admit(bed=beds[0])


def logged_in(user) -> Client:
    """A client with a full log-in: password and (for staff) a verified second factor."""
    client = Client()
    client.force_login(user)
    if user.needs_second_factor:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for():
    return logged_in


@pytest.fixture
def ledger_key(settings, tmp_path):
    """A fresh signing key for the ledger, as `homecoming ledger keygen` makes it."""
    from homecoming.ledger import signing

    settings.HOMECOMING_LEDGER_KEY = str(tmp_path / "ledger.key")
    settings.HOMECOMING_WITNESSES = []
    return signing.generate("test.homecoming/ledger")


@pytest.fixture
def api_for(staff):
    """An API client per user: a bearer token issued as `homecoming token create` issues it."""

    def make(user):
        _, clear = tokens.issue(user, "test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {clear}")

    return make
