"""The safety plan: every change a new version signed with the writer's password or code; the
earlier versions readable; the resident reads their own; nothing rewritten or deleted."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from homecoming.access.policy import AccessDenied
from homecoming.ledger.models import Entry, Outcome
from homecoming.safetyplans import selectors, services
from homecoming.safetyplans.models import SafetyPlan

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_each_signature_is_a_new_version_and_the_old_ones_stay(resident, staff, sections):
    first = services.sign(staff["caseworker"], resident, sections, PASSWORD)
    second = services.sign(
        staff["clinician"], resident, sections | {"coping": "Call Ana."}, PASSWORD
    )
    assert (first.number, second.number) == (1, 2)
    plan = selectors.plan_of(staff["caseworker"], resident)
    assert plan.current == second and plan.shown.coping == "Call Ana."
    older = selectors.plan_of(staff["caseworker"], resident, 1)
    assert older.shown.coping == sections["coping"]
    assert Entry.objects.filter(action=services.SIGN, resident_id=resident.pk).count() == 2


def test_a_wrong_secret_is_refused_and_on_the_ledger(resident, staff, sections):
    with pytest.raises(ValidationError) as caught:
        services.sign(staff["caseworker"], resident, sections, "not my password")
    assert "secret" in caught.value.error_dict
    assert not SafetyPlan.objects.exists()
    assert Entry.objects.filter(
        actor=staff["caseworker"], action=services.SIGN, outcome=Outcome.DENIED
    ).exists()


def test_every_missing_section_is_named_at_once(resident, staff, sections):
    with pytest.raises(ValidationError) as caught:
        services.sign(
            staff["caseworker"],
            resident,
            sections | {"coping": "", "environment": " ", "reason_for_living": ""},
            PASSWORD,
        )
    assert set(caught.value.error_dict) == {"coping", "environment"}


@pytest.mark.parametrize("who", ["caseworker_other", "clinician_other", "investigator"])
def test_outsiders_may_not_write(resident, staff, sections, who):
    with pytest.raises(AccessDenied):
        services.sign(staff[who], resident, sections, PASSWORD)


def test_a_resident_may_not_write_their_own(resident, staff, portal_user, sections):
    with pytest.raises(AccessDenied):
        services.sign(portal_user, resident, sections, "a long enough passphrase")


def test_the_resident_reads_their_own_and_not_anothers(
    resident, staff, portal_user, other_resident, sections
):
    services.sign(staff["caseworker"], resident, sections, PASSWORD)
    assert selectors.own_plan(portal_user, resident).number == 1
    with pytest.raises(AccessDenied):
        selectors.own_plan(portal_user, other_resident)
    with pytest.raises(AccessDenied):
        selectors.plan_of(portal_user, other_resident)


def test_a_read_is_on_the_ledger(resident, staff, sections):
    plan = services.sign(staff["caseworker"], resident, sections, PASSWORD)
    selectors.plan_of(staff["clinician"], resident)
    assert Entry.objects.filter(
        actor=staff["clinician"], resident_id=resident.pk, action="resident.view"
    ).exists()
    assert plan.pk


def test_the_database_refuses_to_delete_or_rewrite_a_plan(resident, staff, sections):
    plan = services.sign(staff["caseworker"], resident, sections, PASSWORD)
    for sql in (
        "DELETE FROM safetyplans_safetyplan WHERE id = %s",
        "UPDATE safetyplans_safetyplan SET coping = 'nothing' WHERE id = %s",
    ):
        with pytest.raises(Exception, match="refused"), transaction.atomic():
            connection.cursor().execute(sql, [plan.pk])
    assert SafetyPlan.objects.get(pk=plan.pk).coping == sections["coping"]
