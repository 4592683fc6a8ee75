"""The follow-up schedule: made at discharge, one contact per day of the program's schedule.

Called by the discharge service inside its transaction (the policy was checked there), so a
discharge never exists without its schedule, nor a schedule without its discharge."""

import datetime as dt

from homecoming.discharge.models import Disposition
from homecoming.ledger import services as ledger
from homecoming.residents.models import TeamRole

from .models import DEFAULT_DAYS, Contact, ProgramSchedule


def days_for(program) -> list[int]:
    """The program's follow-up days, or the default 7, 30, 90, 180 and 365."""
    if program is not None:
        schedule = ProgramSchedule.objects.filter(program=program).first()
        if schedule is not None:
            return sorted(schedule.days)
    return list(DEFAULT_DAYS)


def check_days(days) -> list[int]:
    """Whole days after discharge, each once, from 1 to 730: the schedule a plan or a program
    may set. ValueError naming what is wrong."""
    try:
        days = sorted({int(d) for d in days})
    except (TypeError, ValueError):
        raise ValueError("Follow-up days are whole numbers of days after discharge.") from None
    if not days:
        raise ValueError("Give at least one follow-up day.")
    if days[0] < 1 or days[-1] > 730:
        raise ValueError("Follow-up days fall between 1 and 730 days after discharge.")
    return days


def owner_of(resident, actor):
    """Who makes the contacts: the primary caseworker at discharge (else whoever discharges)."""
    place = resident.care_team.filter(
        team_role=TeamRole.PRIMARY_CASEWORKER, ended_at__isnull=True
    ).first()
    return place.user if place else actor


def start(plan, *, actor, purpose, discharged_on: dt.date) -> list[Contact]:
    """One due contact per day of the plan's schedule (the program's when the plan sets none),
    each with its version and ledger entry, owned by the resident's primary caseworker. None
    after a death: nobody is called, and the timers would otherwise mark the dead "lost to
    follow-up" and alert the oversight body that a former resident vanished."""
    if plan.disposition == Disposition.DECEASED:
        return []
    days = plan.follow_up_days or days_for(plan.stay.program)
    owner = owner_of(plan.resident, actor)
    contacts = []
    for day in days:
        contact = Contact.objects.create(
            discharge=plan,
            resident=plan.resident,
            interval_days=day,
            due_on=discharged_on + dt.timedelta(days=day),
            owner=owner,
        )
        ledger.record_write(
            actor, "followup.schedule", contact, resident_id=plan.resident_id, purpose=purpose
        )
        contacts.append(contact)
    return contacts
