"""The timeline and the "as of" view: rebuilt from the ledger's versions, paged, filtered,
denied to whoever may not see a record's history, and recorded when read."""

import datetime as dt

import pytest
from django.utils import timezone

from homecoming.access.policy import AccessDenied
from homecoming.accounts.models import Role
from homecoming.core import dates
from homecoming.ledger.models import Entry
from homecoming.residents import services
from homecoming.residents.models import Resident
from homecoming.timeline import selectors


def _correct_name(staff, resident, n):
    for i in range(n):
        services.update_intake(staff["caseworker"], resident, {"preferred_name": f"Walt {i}"})


def test_the_timeline_lists_each_change_once_with_its_words(resident, staff):
    services.update_intake(staff["caseworker"], resident, {"preferred_name": "Walt"})
    page = selectors.timeline(staff["caseworker"], resident.pk)
    summaries = [e.summary for e in page.events]
    assert summaries[0] == "Corrected the intake record: intake record"
    assert "Registered the resident at intake: intake record" in summaries
    assert any(s.startswith("Changed the bed: bed N101") for s in summaries)
    assert any("primary caseworker: Caseworker" in s for s in summaries)
    # Reads (the chart views, the listing) are not changes: none appears.
    assert {e.action for e in page.events} <= {
        "resident.register",
        "resident.edit",
        "careteam.assign",
        "stay.open",
        "bed.assign",
    }
    newest = page.events[0]
    assert ("Preferred name", "Walt") in selectors.change(
        staff["caseworker"], resident.pk, newest.seq
    ).fields
    entry = Entry.objects.get(seq=newest.seq)
    assert newest.version_sha256 == entry.version_sha256 and entry.resident_id == resident.pk


def test_pages_follow_on_without_gaps_or_repeats(resident, staff):
    _correct_name(staff, resident, 12)
    seen, cursor = [], None
    while True:
        page = selectors.timeline(staff["supervisor"], resident.pk, cursor=cursor, limit=5)
        seen += [e.seq for e in page.events]
        if not page.more:
            break
        cursor = page.cursor
    writes = selectors._writes(resident.pk).order_by("-seq").values_list("seq", flat=True)
    assert seen == list(writes) and len(seen) >= 17
    oldest = selectors.timeline(staff["supervisor"], resident.pk, oldest_first=True, limit=3)
    assert [e.seq for e in oldest.events] == sorted(seen)[:3]


def test_filters_keep_only_the_chosen_kinds(resident, staff):
    page = selectors.timeline(staff["caseworker"], resident.pk, kinds=["intake"])
    assert page.events and all(e.kind.code == "intake" for e in page.events)
    assert selectors.timeline(staff["caseworker"], resident.pk, kinds=["notes"]).events == []


def test_a_page_costs_the_same_queries_however_long_the_record(
    resident, staff, django_assert_max_num_queries
):
    _correct_name(staff, resident, 60)
    with django_assert_max_num_queries(14):
        page = selectors.timeline(staff["caseworker"], resident.pk)
    assert len(page.events) == selectors.PAGE and page.more


def test_as_of_rebuilds_the_record_as_it_stood(resident, staff):
    before = timezone.now()
    services.update_intake(staff["caseworker"], resident, {"preferred_name": "Walt"})
    then = selectors.as_of(staff["caseworker"], resident.pk, before)
    now = selectors.as_of(staff["caseworker"], resident.pk, timezone.now())
    intake_then = next(s for s in then.sections if s.kind.code == "intake").rows[0]
    intake_now = next(s for s in now.sections if s.kind.code == "intake").rows[0]
    assert ("Preferred name", "—") in intake_then.fields
    assert ("Preferred name", "Walt") in intake_now.fields
    assert now.last_seq > then.last_seq
    # Before registration there was nothing.
    empty = selectors.as_of(staff["caseworker"], resident.pk, before - dt.timedelta(days=1))
    assert empty.sections == [] and empty.last_seq is None


@pytest.mark.parametrize(
    "who", ["caseworker_other", "clinician_other", "contractor", "oversight", "sysadmin"]
)
def test_history_is_denied_outside_the_care_team_and_recorded(resident, staff, who):
    seq = Entry.objects.filter(resident=resident).latest("seq").seq
    for read in (
        lambda: selectors.timeline(staff[who], resident.pk),
        lambda: selectors.as_of(staff[who], resident.pk, timezone.now()),
        lambda: selectors.change(staff[who], resident.pk, seq),
    ):
        with pytest.raises(AccessDenied):
            read()
    denied = Entry.objects.filter(actor=staff[who], outcome="denied")
    assert denied.count() == 3
    assert set(denied.values_list("action", "resident_id")) == {
        ("resident.view_history", resident.pk)
    }


def test_residents_do_not_get_the_staff_history(resident, make_user):
    # Their own record, drafts and withheld notes included, is staff-only; they have the portal.
    user = make_user(Role.RESIDENT)
    Resident.objects.filter(pk=resident.pk).update(user=user)
    with pytest.raises(AccessDenied):
        selectors.timeline(user, resident.pk)


def test_reading_the_history_is_itself_recorded(resident, staff):
    selectors.as_of(staff["clinician"], resident.pk, timezone.now())
    read = Entry.objects.filter(actor=staff["clinician"]).latest("seq")
    assert (read.action, read.resident_id, read.purpose) == (
        "resident.view_history",
        resident.pk,
        "care",
    )


def test_pages(resident, staff, client_for):
    client = client_for(staff["caseworker"])
    services.update_intake(staff["caseworker"], resident, {"preferred_name": "Walt"})
    page = client.get(f"/residents/{resident.pk}/timeline/?kind=intake")
    assert page.status_code == 200 and b"Corrected the intake record" in page.content
    # Each change's moment: the weekday, then DATETIME_FORMAT ("Sun Dec 6, 2026 14:05").
    newest = selectors.timeline(staff["caseworker"], resident.pk).events[0].time
    assert f"<td>{dates.weekday(newest)} {dates.moment(newest)}</td>" in page.content.decode()
    at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    assert b"Walt" in client.get(f"/residents/{resident.pk}/as-of/?at={at}").content
    assert client.get(f"/residents/{resident.pk}/as-of/?at=tomorrow").status_code == 400
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.get(f"/residents/{resident.pk}/as-of/?at={future}").status_code == 400
    assert client.get("/residents/999999/timeline/").status_code == 404
    seq = selectors.timeline(staff["caseworker"], resident.pk).events[0].seq
    detail = client.get(f"/residents/{resident.pk}/timeline/{seq}/", HTTP_HX_REQUEST="true")
    assert b"Walt" in detail.content and b"<html" not in detail.content
    assert b"<html" in client.get(f"/residents/{resident.pk}/timeline/{seq}/").content
    # A read entry is not a change; nor is another resident's change.
    read = Entry.objects.filter(resident=resident, action="resident.view_history").latest("seq").seq
    assert client.get(f"/residents/{resident.pk}/timeline/{read}/").status_code == 404
    other = client_for(staff["caseworker_other"])
    assert other.get(f"/residents/{resident.pk}/timeline/").status_code == 403
