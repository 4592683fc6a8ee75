"""One action decided for many residents at once (the round, the worklist) answers exactly as
`decide` does resident by resident, and asks the database a bounded number of times."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from homecoming.access import policy
from homecoming.access import services as access_services
from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.oversight import complaints, investigations
from homecoming.residents import services as resident_services
from homecoming.residents.models import Stay, StayStatus
from tests.oversight.conftest import filing


@pytest.fixture
def mixed(staff, admit, beds, make_user):
    """Residents in every situation a rule looks at: on the team or not, in residence, expected,
    former (discharged); one broken into by break-glass, one under an investigator's grant, one
    with a portal log-in."""
    ours = admit(bed=beds[0], given_name="Ours")
    theirs = admit(
        bed=beds[1],
        given_name="Theirs",
        caseworker=staff["caseworker_other"],
        clinician=staff["clinician_other"],
    )
    expected = admit(given_name="Expected")
    former = admit(given_name="Former")
    Stay.objects.filter(resident=expected).update(status=StayStatus.EXPECTED)
    Stay.objects.filter(resident=former).update(status=StayStatus.DISCHARGED)
    resident_user = resident_services.grant_portal_access(
        staff["caseworker"], ours, "ours", "a long enough passphrase", False
    )
    access_services.open_break_glass(staff["clinician_other"], ours, "Collapsed at breakfast")
    complaint = complaints.file_own(resident_user, filing(named_staff=[staff["supervisor"]]))
    investigation = investigations.open_investigation(
        staff["oversight"], "Record steering", complaint=complaint
    )
    investigations.grant_access(
        staff["oversight"],
        investigation,
        investigator=staff["investigator"],
        residents=[theirs],
        staff=[],
        expires_at=timezone.now() + dt.timedelta(days=30),
        reason="Read what was written about him.",
    )
    lead = make_user(Role.CLINICIAN, username="lead", is_prescriber=True, is_medical_lead=True)
    users = [*staff.values(), resident_user, lead]
    return users, [ours, theirs, expected, former]


def test_the_same_answers_as_decide_for_every_role_action_and_resident(mixed):
    users, residents = mixed
    answers = set()
    for user in users:
        for action in Action:
            expected = {r.pk: policy.decide(user, action, r) for r in residents}
            assert policy.decide_for_residents(user, action, residents) == expected, (
                user.username,
                action,
            )
            answers.update(d.allowed for d in expected.values())
    # The fixture exercises both answers (a table of denials only would prove little).
    assert answers == {True, False}


def test_a_round_of_many_residents_is_decided_in_a_few_queries(mixed, admit, staff):
    users, residents = mixed
    residents += [admit(given_name=f"Extra{n}") for n in range(12)]
    nurse = staff["clinician_other"]
    with CaptureQueriesContext(connection) as queries:
        decisions = policy.decide_for_residents(nurse, Action.VIEW_MEDICATIONS, residents)
    assert len(queries) <= 3
    # The nurse's own resident by care, the others in residence by the round, the expected and
    # the former ones refused.
    assert decisions[residents[1].pk].purpose == policy.Purpose.CARE
    assert decisions[residents[0].pk].purpose == policy.Purpose.MEDICATION_ROUND
    assert not decisions[residents[2].pk].allowed
    assert not decisions[residents[3].pk].allowed
