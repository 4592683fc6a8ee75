"""Discharged residents for the follow-up tests, made directly (the discharge service is built
elsewhere): the stay ends, the bed is freed, a discharged plan is written and the follow-up
schedule starts, as the discharge service does in its transaction."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from homecoming.discharge.models import DischargePlan
from homecoming.followup import schedule
from homecoming.ledger import services as ledger
from homecoming.residents import services as residents
from homecoming.residents.models import StayStatus
from tests.conftest import PASSWORD


def discharge(resident, actor, *, days=None, discharged_on=None):
    """End the resident's open stay today (or on `discharged_on`) and start the follow-ups."""
    discharged_on = discharged_on or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        stay = resident.stays.get(status=StayStatus.IN_RESIDENCE)
        for assignment in stay.bed_assignments.filter(released_at__isnull=True):
            assignment.released_at = now
            assignment.save(update_fields=["released_at"])
        stay.status = StayStatus.DISCHARGED
        stay.discharged_on = discharged_on
        stay.save(update_fields=["status", "discharged_on"])
        ledger.record_write(actor, "stay.discharge", stay, resident_id=resident.pk, purpose="care")
        plan = DischargePlan.objects.create(
            stay=stay,
            resident=resident,
            status="discharged",
            disposition="home",
            planned_on=discharged_on,
            plan="Home to his sister's; aftercare at the VA clinic.",
            follow_up_days=days or [],
            written_by=actor,
            written_at=now,
            discharged_at=now,
            discharged_by=actor,
        )
        ledger.record_write(
            actor, "discharge.carry_out", plan, resident_id=resident.pk, purpose="care"
        )
        schedule.start(plan, actor=actor, purpose="follow_up", discharged_on=discharged_on)
    return plan


def give_portal(resident, actor, email="walter@example.org"):
    account = residents.grant_portal_access(
        actor, resident, f"walter{resident.pk}", PASSWORD, must_change_password=False
    )
    account.email = email
    account.save(update_fields=["email"])
    resident.refresh_from_db()
    return account


@pytest.fixture
def discharged(resident, staff):
    """Walter, with a portal account, discharged today; his contacts owned by the caseworker."""
    give_portal(resident, staff["supervisor"])
    discharge(resident, staff["supervisor"])
    resident.refresh_from_db()
    return resident


@pytest.fixture
def first_contact(discharged):
    return discharged.follow_ups.order_by("due_on").first()


def days_after(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)
