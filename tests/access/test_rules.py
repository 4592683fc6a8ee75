"""The facts the policy asks of other apps (access/rules.py): registered at start-up, and a
fact nobody registered refuses, never allows."""

import pytest

from homecoming.access import policy, rules
from homecoming.access.policy import AccessDenied, Action, Purpose
from homecoming.ledger.models import Entry


@pytest.fixture
def without():
    """Take facts out of the registry for one test; they are put back after it."""
    taken = {}

    def take(*facts):
        taken.update(rules.unregister(*facts))

    yield take
    rules.restore(taken)


def test_the_apps_register_every_fact_at_start_up():
    for fact in rules.CARE_TEAM_FACTS | rules.GRANT_FACTS:
        assert fact in rules._registered, fact


def test_without_the_care_team_fact_the_care_team_is_refused(staff, resident, without):
    caseworker = staff["caseworker"]
    assert policy.decide(caseworker, Action.VIEW, resident).allowed
    assert list(policy.visible_residents(caseworker)) == [resident]
    without("on_care_team", "care_teams_of")
    decision = policy.decide(caseworker, Action.VIEW, resident)
    assert not decision.allowed
    assert decision.reason == policy.UNREGISTERED
    assert not any(
        d.allowed for d in policy.decide_many(caseworker, [Action.VIEW], resident).values()
    )
    assert list(policy.visible_residents(caseworker)) == []
    with pytest.raises(AccessDenied):
        policy.require(caseworker, Action.EDIT, resident)
    denied = Entry.objects.filter(actor=caseworker, outcome="denied").get()
    assert (denied.action, denied.resident_id, denied.purpose) == (
        "resident.edit",
        resident.pk,
        Purpose.NONE,
    )


def test_without_the_stay_facts_follow_up_and_the_round_are_refused(staff, resident, without):
    nurse = staff["clinician_other"]  # not on the care team: reads by the medication round
    assert (
        policy.decide(nurse, Action.VIEW_MEDICATIONS, resident).purpose == Purpose.MEDICATION_ROUND
    )
    without("in_residence", "former_resident")
    assert not policy.decide(nurse, Action.VIEW_MEDICATIONS, resident).allowed
    # Whether the resident has left decides what their care team may do: unknown, refused.
    assert not policy.decide(staff["caseworker"], Action.VIEW, resident).allowed
    # The whole center's roles need no fact of another app.
    assert policy.decide(staff["supervisor"], Action.VIEW, resident).allowed


def test_without_the_grant_facts_an_investigator_reads_nothing(make_user, resident, without):
    investigator = make_user("investigator")
    without("investigation_covers", "covered_residents", "covers_entry")
    assert not policy.decide(investigator, Action.VIEW, resident).allowed
    assert list(policy.visible_residents(investigator)) == []
    assert not policy.may_read_leaf(investigator, Entry.objects.first())


def test_a_registration_must_name_every_fact_and_no_other():
    with pytest.raises(TypeError, match="missing"):
        rules.register_grants(investigation_covers=lambda user, resident: True)
    assert rules._registered["investigation_covers"].__name__ == "covers"
