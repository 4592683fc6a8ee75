"""A small known program, its rows made directly (the discharge and follow-up services are
built elsewhere): the figures each aggregate must give are worked out by hand in the tests."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from homecoming.discharge.models import DischargePlan, PlanStatus
from homecoming.followup.models import Contact, ContactStatus, Lost
from homecoming.measures.models import Instrument, Mode, Questionnaire
from homecoming.oversight.models import Complaint, ComplaintEvent, EventKind, FiledVia
from homecoming.residents.models import Program, Resident, Stay, StayStatus
from homecoming.safety.models import AdverseEvent, ReportedVia, Signal, SignalStatus
from tests.conftest import intake

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: dt.date, hour=12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


class Builder:
    def __init__(self, staff):
        self.staff = staff
        self.n = 0

    def resident(self):
        self.n += 1
        return Resident.objects.create(
            **intake(given_name=f"Person{self.n}", family_name=f"Family{self.n}"),
            registered_at=timezone.now(),
        )

    def stay(self, admitted_on, *, discharged_on=None, program=None, status=None, resident=None):
        resident = resident or self.resident()
        status = status or (StayStatus.DISCHARGED if discharged_on else StayStatus.IN_RESIDENCE)
        return Stay.objects.create(
            resident=resident,
            admitted_on=admitted_on,
            expected_length_days=42,
            status=status,
            program=program,
            discharged_on=discharged_on,
            opened_at=at(admitted_on),
        )

    def discharge(self, stay, disposition="home", status=PlanStatus.DISCHARGED):
        return DischargePlan.objects.create(
            stay=stay,
            resident=stay.resident,
            status=status,
            disposition=disposition,
            disposition_other="elsewhere" if disposition == "other" else "",
            planned_on=stay.discharged_on,
            plan="Home to family; aftercare arranged.",
            written_by=self.staff["caseworker"],
            written_at=at(stay.discharged_on, 9),
            discharged_at=at(stay.discharged_on) if status == PlanStatus.DISCHARGED else None,
        )

    def contact(self, plan, days, status=ContactStatus.DUE):
        due = plan.discharged_at.date() + dt.timedelta(days=days)
        return Contact.objects.create(
            discharge=plan,
            resident=plan.resident,
            interval_days=days,
            due_on=due,
            owner=self.staff["caseworker"],
            status=status,
            made_at=at(due) if status == ContactStatus.MADE else None,
            closed_reason="no longer needed" if status == ContactStatus.CLOSED else "",
        )

    def lost(self, plan, closed=False):
        return Lost.objects.create(
            discharge=plan,
            resident=plan.resident,
            because="three failed attempts in a row",
            marked_at=timezone.now(),
            closed_at=timezone.now() if closed else None,
            closed_by=self.staff["supervisor"] if closed else None,
            closed_reason="reached through family" if closed else "",
        )

    def pcl5(self, resident, total, day):
        return Questionnaire.objects.create(
            resident=resident,
            instrument=Instrument.PCL5,
            answers=[0] * 20,
            total=total,
            mode=Mode.STAFF,
            completed_by=self.staff["clinician"],
            completed_at=at(day),
        )

    def event(self, resident, onset, seriousness="not_serious"):
        return AdverseEvent.objects.create(
            resident=resident,
            term="insomnia",
            onset=onset,
            seriousness=seriousness,
            outcome="recovering",
            reported_by=self.staff["clinician"],
            reported_via=ReportedVia.STAFF,
            reported_at=at(onset),
        )

    def signal(self, drug, status, day=TODAY):
        return Signal.objects.create(
            drug=drug,
            term="insomnia",
            rules=["prr"],
            detected_at=at(day),
            measures={},
            latest={},
            latest_at=at(day),
            status=status,
        )

    def complaint(self, received, closed_after_days=None):
        self.n += 1
        closed = closed_after_days is not None
        c = Complaint.objects.create(
            reference=f"C-{self.n}",
            filed_via=FiledVia.STAFF,
            filed_by=self.staff["caseworker"],
            subject="Noise",
            body="The night shift is loud.",
            status="closed" if closed else "received",
            received_at=at(received),
            touched_at=at(received),
            outcome="Quiet hours agreed." if closed else "",
        )
        if closed:
            ComplaintEvent.objects.create(
                complaint=c,
                kind=EventKind.STATUS,
                at=at(received) + dt.timedelta(days=closed_after_days),
                status="closed",
            )
        return c


@pytest.fixture
def build(staff):
    return Builder(staff)


@pytest.fixture
def program(db):
    return Program.objects.create(name="Residential")


D = dt.date


@pytest.fixture
def known(build, program):
    a = build.stay(D(2026, 1, 10), discharged_on=D(2026, 3, 1), program=program)
    b = build.stay(D(2026, 2, 5), discharged_on=D(2026, 4, 6))
    c = build.stay(D(2026, 11, 2))
    d = build.stay(D(2025, 6, 1), discharged_on=D(2025, 7, 11))
    build.stay(D(2026, 12, 1), status=StayStatus.EXPECTED)  # not admitted yet: not counted
    pa = build.discharge(a, "return_to_duty")
    pb = build.discharge(b, "home")
    pd = build.discharge(d, "home")
    # PCL-5: a 50 -> 30 (better by 20), b 40 -> 35 (5), d once only, c not discharged.
    build.pcl5(a.resident, 50, D(2026, 1, 12))
    build.pcl5(a.resident, 41, D(2026, 2, 1))
    build.pcl5(a.resident, 30, D(2026, 2, 27))
    build.pcl5(b.resident, 40, D(2026, 2, 6))
    build.pcl5(b.resident, 35, D(2026, 4, 1))
    build.pcl5(d.resident, 60, D(2025, 6, 2))
    build.pcl5(c.resident, 70, D(2026, 11, 3))
    build.pcl5(c.resident, 20, D(2026, 11, 19))
    # Follow-up (today 2026-11-20): a's day 180 (Aug 28) is due and not made, day 365 not due.
    build.contact(pa, 7, ContactStatus.MADE)
    build.contact(pa, 30, ContactStatus.MISSED)
    build.contact(pa, 90, ContactStatus.MADE)
    build.contact(pa, 180)
    build.contact(pa, 365)
    build.contact(pb, 7, ContactStatus.MADE)
    build.contact(pb, 30, ContactStatus.CLOSED)
    build.contact(pb, 365, ContactStatus.MADE)  # made early: counts as due and made
    build.lost(pa)
    build.lost(pd, closed=True)
    build.event(a.resident, D(2026, 2, 10), "hospitalisation")
    build.event(c.resident, D(2026, 11, 10))
    build.signal("sertraline", SignalStatus.OPEN)
    build.signal("prazosin", SignalStatus.CLOSED)
    build.signal("quetiapine", SignalStatus.CLOSED)
    build.complaint(D(2026, 3, 1), closed_after_days=4)
    build.complaint(D(2026, 5, 1), closed_after_days=10)
    build.complaint(D(2026, 6, 1))
    return {"a": a, "b": b, "c": c, "d": d}
