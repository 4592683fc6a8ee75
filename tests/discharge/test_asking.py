"""A plan waiting for a signature says so to whoever can give it, and stops saying so when it is
signed or cancelled; the alerts of a return to duty are not touched by that."""

from homecoming.alerts.models import Alert
from homecoming.discharge import asking, services
from tests.conftest import PASSWORD

from .conftest import plan_fields


def waiting(user):
    return Alert.objects.filter(kind=asking.KIND, recipient=user, read_at__isnull=True)


def test_writing_a_plan_asks_the_clinician_not_the_writer(clinician, caseworker, plan):
    assert waiting(clinician).count() == 1
    assert "waits for your signature" in waiting(clinician).get().message
    assert not waiting(caseworker).exists()


def test_the_first_signature_asks_nobody_twice_and_the_second_closes_the_request(
    clinician, caseworker, plan
):
    services.sign(caseworker, plan, PASSWORD)
    assert waiting(clinician).count() == 1  # asked once, at writing
    services.sign(clinician, plan, PASSWORD)
    assert not Alert.objects.filter(kind=asking.KIND, read_at__isnull=True).exists()
    closed = Alert.objects.get(kind=asking.KIND, recipient=clinician)
    assert closed.acknowledged_by == clinician and "signed" in closed.closed_because


def test_a_plan_written_by_the_clinician_asks_the_caseworker(resident, caseworker, clinician):
    services.write_plan(clinician, resident.stays.get(), **plan_fields())
    assert waiting(caseworker).count() == 1
    assert not waiting(clinician).exists()


def test_cancelling_closes_the_request(clinician, caseworker, plan):
    services.cancel(caseworker, plan, "The resident stays two more weeks.")
    assert not waiting(clinician).exists()


def test_left_against_advice_asks_for_both_signatures_afterwards(resident, caseworker, clinician):
    services.record_against_advice(
        clinician, resident.stays.get(), plan="Left after a phone call.", contacts=""
    )
    assert waiting(caseworker).count() == 1 and not waiting(clinician).exists()
