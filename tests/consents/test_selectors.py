"""Reading consents: the whole history, one ledger entry per consent shown, denials recorded,
and the documents a resident can still sign."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from homecoming.access.policy import AccessDenied
from homecoming.consents import selectors, services
from homecoming.consents.models import ConsentPurpose
from homecoming.ledger.models import Entry
from homecoming.residents.models import Resident

from .helpers import (
    lapsed_research_document,
    portal_login,
    publish,
    publish_research,
    signed_long_ago,
    witnessed_by,
)


def test_the_history_keeps_revoked_consents_and_each_read_is_recorded(resident, staff):
    director = staff["program_director"]
    first = services.sign(
        staff["caseworker"], resident, publish(director), **witnessed_by(staff["supervisor"])
    )
    services.revoke(staff["caseworker"], first, "The resident told me to stop recording.")
    second = services.sign(
        staff["caseworker"],
        resident,
        publish(director, body="Version 2."),
        **witnessed_by(staff["supervisor"]),
    )
    before = Entry.objects.count()

    record = selectors.consents_of(staff["clinician"], resident.pk)

    assert [line.consent for line in record.lines] == [second, first]
    assert [line.consent for line in record.active] == [second]
    assert record.lines[1].revoked and not record.lines[1].counts
    # One look at the resident listing what it showed, committing to the record's version.
    [read] = Entry.objects.filter(seq__gte=before)
    assert (read.object_type, read.object_id, read.action, read.purpose) == (
        "residents.resident",
        str(resident.pk),
        "resident.view",
        "care",
    )
    assert read.sections == ["consents"] and read.version_sha256


def test_an_empty_history_is_still_a_recorded_read(resident, staff):
    before = Entry.objects.count()
    record = selectors.consents_of(staff["caseworker"], resident.pk)
    assert record.lines == []
    read = Entry.objects.get(seq__gte=before)
    assert (read.object_type, read.resident_id) == ("residents.resident", resident.pk)


def test_a_lapsed_research_consent_is_shown_as_not_counting(resident, staff):
    document = lapsed_research_document(staff["program_director"])
    signed_long_ago(staff["caseworker"], resident, document, days_ago=60)
    (line,) = selectors.consents_of(staff["caseworker"], resident.pk).lines
    assert not line.counts and line.approval_expired_on == document.ethics_approval_expires


def test_reading_is_constant_in_queries(resident, staff):
    director = staff["program_director"]
    services.sign(
        staff["caseworker"], resident, publish(director), **witnessed_by(staff["supervisor"])
    )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            selectors.consents_of(staff["caseworker"], resident.pk)
        return len(captured)

    one = queries()
    for code in ("treatment-program", "sponsor-data"):
        document = publish(director, purpose=ConsentPurpose.TREATMENT, code=code)
        services.sign(staff["caseworker"], resident, document, **witnessed_by(staff["supervisor"]))
    assert queries() == one


@pytest.mark.parametrize("who", ["caseworker_other", "contractor", "oversight", "sysadmin"])
def test_the_history_is_denied_to_those_without_access(resident, staff, who):
    services.sign(
        staff["caseworker"],
        resident,
        publish(staff["program_director"]),
        **witnessed_by(staff["supervisor"]),
    )
    with pytest.raises(AccessDenied):
        selectors.consents_of(staff[who], resident.pk)
    entry = Entry.objects.get(actor=staff[who])
    assert (entry.action, entry.outcome, entry.resident_id) == (
        "resident.view",
        "denied",
        resident.pk,
    )


def test_a_resident_reads_only_their_own(resident, admit, make_user):
    walter = portal_login(make_user, resident)
    other = admit(given_name="Dana", family_name="Reyes")
    assert selectors.consents_of(walter.user, walter.pk).purpose == "self"
    with pytest.raises(AccessDenied):
        selectors.consents_of(walter.user, other.pk)
    assert Entry.objects.filter(actor=walter.user, outcome="denied", resident=other).exists()


def test_asking_for_an_unknown_resident_is_recorded(staff, db):
    with pytest.raises(Resident.DoesNotExist):
        selectors.consents_of(staff["supervisor"], 999_999)
    entry = Entry.objects.get(actor=staff["supervisor"])
    assert (entry.outcome, entry.object_id) == ("denied", "999999")


def test_documents_available_are_the_latest_unsigned_and_unexpired(resident, staff):
    director = staff["program_director"]
    publish(director)
    recording_v2 = publish(director, body="Version 2.")
    treatment = publish(director, purpose=ConsentPurpose.TREATMENT, code="treatment-program")
    study = publish_research(director)
    lapsed_research_document(director)
    assert set(selectors.documents_available(resident)) == {recording_v2, treatment, study}
    services.sign(staff["caseworker"], resident, treatment, **witnessed_by(staff["supervisor"]))
    assert set(selectors.documents_available(resident)) == {recording_v2, study}


def test_documents_are_listed_to_the_program_director_only(staff):
    director = staff["program_director"]
    publish(director)
    publish(director, body="Version 2.")
    (series,) = selectors.documents(director)
    assert [d.version for d in series.versions] == [2, 1] and series.latest.version == 2
    with pytest.raises(AccessDenied):
        selectors.documents(staff["supervisor"])
    assert Entry.objects.filter(actor=staff["supervisor"], outcome="denied").exists()
