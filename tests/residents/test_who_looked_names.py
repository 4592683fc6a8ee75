"""Issue 13, part 8: "who looked at my record" names staff with their roles, never another
resident.

Replay: a resident with a portal log-in types another resident's chart address. The refusal is
an entry about the other resident, in the first one's name; on main the other resident's list
showed it with the first resident's full name."""

import pytest

from homecoming.ledger import services as ledger
from tests.consents.helpers import portal_login


@pytest.fixture
def walter(resident, make_user):
    return portal_login(make_user, resident)


@pytest.fixture
def nadia(admit, beds, make_user):
    other = admit(bed=beds[1], given_name="Nadia", family_name="Okafor")
    return portal_login(make_user, other)


def who_looked(client) -> str:
    page = client.get("/my-record/").content.decode()
    return page[page.index('id="who-looked"') :]


def test_another_residents_name_never_shows_in_who_looked(walter, nadia, staff, client_for):
    nadia_client = client_for(nadia.user)
    assert nadia_client.get(f"/residents/{walter.pk}/").status_code == 403
    # A log-in left open at a shared computer: whatever Nadia's session does about Walter.
    ledger.record_resident_read(nadia.user, "view", walter, purpose="care")
    # Staff are named, with their roles.
    assert client_for(staff["caseworker"]).get(f"/residents/{walter.pk}/").status_code == 200

    listed = who_looked(client_for(walter.user))
    assert nadia.user.full_name not in listed and "Okafor" not in listed
    assert listed.count("Another resident") == 2
    assert f"{staff['caseworker'].full_name}, caseworker, opened your chart" in listed
