"""What a resident's history shows, and in which words: every versioned row is given a kind
(or withheld, or known to be the center's), a medication reads as a nurse would write it, and a
complaint never reaches the history the people it may name can read."""

import datetime as dt

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from homecoming.ledger.models import Entry
from homecoming.medications import administering
from homecoming.oversight import complaints
from homecoming.residents.models import Resident
from homecoming.timeline import present, selectors
from homecoming.timeline.kinds import CENTER_WIDE, KIND_OF_TYPE, WITHHELD
from tests.oversight.conftest import filing


def _about_a_resident(model) -> bool:
    return any(f.is_relation and f.related_model is Resident for f in model._meta.concrete_fields)


# Every row the ledger versions, and every row naming a resident (an alert is written to the
# ledger with the resident it is about, without being `ledger_versioned`), but the ledger's own.
VERSIONED = sorted(
    m._meta.label_lower
    for m in apps.get_models()
    if (getattr(m, "ledger_versioned", False) or _about_a_resident(m))
    and m._meta.app_label != "ledger"
)


@pytest.mark.parametrize("label", VERSIONED)
def test_every_versioned_row_has_a_kind_and_words_or_is_withheld_or_the_centers(label):
    """A new model lands in "Other" under its table's name unless someone decides: in which
    part of the history it belongs and how it reads, or that its readers must not see it."""
    places = [label in KIND_OF_TYPE, label in WITHHELD, label in CENTER_WIDE]
    assert places.count(True) == 1, f"{label}: give it a kind, or withhold it, or say why not"
    if label in KIND_OF_TYPE:
        assert label in present.IDENTIFY, f"{label}: say how it reads in the timeline"


def test_a_complaint_never_reaches_the_history_the_people_it_names_read(own, staff):
    """The insider: a caseworker named in a complaint opens the resident's timeline, the
    "as of" view, or a change by its number, hoping to read what was said about them."""
    complaint = complaints.file_own(own.user, filing(named_staff=[staff["caseworker"]]))
    written = Entry.objects.filter(object_type="oversight.complaint", object_id=complaint.pk)
    seq = written.values_list("seq", flat=True).first()
    assert seq is not None  # the ledger keeps it
    for reader in (staff["caseworker"], staff["supervisor"]):
        page = selectors.timeline(reader, own.pk, limit=200)
        assert not [e for e in page.events if e.seq == seq]
        assert all("complaint" not in e.summary.lower() for e in page.events)
        with pytest.raises(Entry.DoesNotExist):
            selectors.change(reader, own.pk, seq)
        as_of = selectors.as_of(reader, own.pk, Entry.objects.latest("seq").time)
        titles = [row.object_type for s in as_of.sections for row in s.rows]
        assert not set(titles) & WITHHELD


def test_medicines_read_as_a_nurse_writes_them(
    resident, staff, add_protocol, consent_to, prescribe
):
    protocol = add_protocol()
    consent_to(resident, protocol)
    order = prescribe(resident, protocol, frequency="as_needed")
    administering.give(staff["clinician_other"], order, dose_amount="50", dose_unit="mg")
    page = selectors.timeline(staff["supervisor"], resident.pk, kinds=["medications"])
    summaries = [e.summary for e in page.events]
    given = next(s for s in summaries if "given by" in s)
    assert given.endswith(f"Sertraline 50 mg given by {staff['clinician_other']}")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=7)):  # past the interval
        administering.give(staff["clinician_other"], order, dose_amount="25", dose_unit="mg")
    page = selectors.timeline(staff["supervisor"], resident.pk, kinds=["medications"])
    half = page.events[0].summary
    assert half.endswith(f"Sertraline 50 mg: 25 mg given by {staff['clinician_other']}"), half
    ordered = next(s for s in summaries if "prescribed by" in s)
    assert "Sertraline" in ordered and "50 mg" in ordered and "as needed" in ordered.lower()
    for words in summaries:
        assert "#" not in words and "medications." not in words and "_id" not in words
