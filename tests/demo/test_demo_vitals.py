"""The demo center's vital signs: the prescriber's caseload has sets over their stays, through the
services on the simulated clock, with Walter's fever flagged beside the value."""

import pytest

from homecoming.demo import builder
from homecoming.ledger import dbcheck
from homecoming.ledger.models import Entry
from homecoming.residents.models import Resident
from homecoming.vitals.models import VitalSigns


@pytest.fixture
def demo(db):
    builder.build(residents=6, progress=False)


def test_the_prescribers_caseload_has_vital_signs_with_walters_fever_flagged(demo):
    walter = Resident.objects.get(family_name="Cruz")
    sets = list(VitalSigns.objects.filter(resident=walter).order_by("taken_at"))
    assert len(sets) >= 2
    fever = next(s for s in sets if s.temperature is not None and s.temperature >= 38)
    assert dict((m.field, f) for m, _, f in fever.readings() if f) == {
        "temperature": "high",
        "pain": "high",
    }
    recorders = {s.recorded_by.username for s in VitalSigns.objects.all()}
    assert recorders == {"prescriber"}
    # Each set was written through the service: its entry on the ledger, at its moment.
    for s in sets:
        entry = Entry.objects.get(action="vitals.record", object_id=str(s.pk))
        assert entry.time == s.recorded_at and s.taken_at <= s.recorded_at
    assert not dbcheck.check().problems
