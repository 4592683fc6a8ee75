"""Messages between a resident and their care team: kept as sent, every write and read on the
ledger, read receipts per person, and every rule's refusal recorded."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from homecoming.access.policy import AccessDenied
from homecoming.conversations import selectors, services
from homecoming.conversations.models import Message, Receipt, Thread
from homecoming.followup.models import Contact, ContactStatus
from homecoming.ledger.models import Entry, Outcome, Version
from tests.followup.conftest import discharge

pytestmark = pytest.mark.django_db


def write(portal_user, resident, subject="Night passes", body="Can I sign out Saturday?"):
    return services.start(portal_user, resident, subject, body)


def test_a_resident_writes_to_the_team_and_a_caseworker_answers(resident, staff, portal_user):
    thread = write(portal_user, resident)
    first = thread.messages.get()
    assert first.from_resident and first.author == portal_user
    answer = services.reply(staff["caseworker"], thread, "Yes, sign the book at the desk.")
    assert not answer.from_resident and answer.author == staff["caseworker"]
    # Each write a version and an entry.
    for row, action in ((thread, services.START), (first, services.SEND), (answer, services.SEND)):
        entry = Entry.objects.get(
            action=action, object_id=str(row.pk), object_type=row._meta.label_lower
        )
        assert entry.resident_id == resident.pk
        assert Version.objects.filter(
            object_type=row._meta.label_lower, object_id=str(row.pk)
        ).exists()


def test_a_member_of_staff_never_writes_as_the_resident(resident, staff, portal_user):
    thread = services.start(staff["caseworker"], resident, "Your pass", "Your pass is approved.")
    message = thread.messages.get()
    assert not message.from_resident and message.author == staff["caseworker"]
    # Nothing a form or a payload says makes a message the resident's (the API has no author).
    from homecoming.conversations.api import StartIn

    payload = StartIn(subject="x", body="y", author_id=portal_user.pk, from_resident=True)
    assert not hasattr(payload, "author_id") and not hasattr(payload, "from_resident")


def test_a_sent_message_is_never_edited_nor_deleted(resident, portal_user):
    thread = write(portal_user, resident)
    message = thread.messages.get()
    for sql in (
        "UPDATE conversations_message SET body = 'changed' WHERE id = %s",
        "DELETE FROM conversations_message WHERE id = %s",
        "UPDATE conversations_thread SET subject = 'changed' WHERE id = %s",
        "DELETE FROM conversations_thread WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [message.pk if "message" in sql else thread.pk])
    message.refresh_from_db()
    assert message.body == "Can I sign out Saturday?"


def test_every_problem_is_named_at_once(resident, portal_user):
    with pytest.raises(ValidationError) as caught:
        services.start(portal_user, resident, "  ", "x" * (services.LONGEST + 1))
    assert set(caught.value.error_dict) == {"subject", "body"}
    assert "5000" in str(caught.value.error_dict["body"])
    with pytest.raises(ValidationError) as caught:
        services.start(portal_user, resident, "a" * 201, "")
    assert set(caught.value.error_dict) == {"subject", "body"}
    assert not Thread.objects.exists()


def test_reading_a_thread_is_a_look_and_leaves_a_receipt_per_person(resident, staff, portal_user):
    thread = write(portal_user, resident)
    conversation = selectors.read(staff["caseworker"], thread)
    assert conversation.may_write
    look = Entry.objects.filter(actor=staff["caseworker"], action="message.view").get()
    assert look.resident_id == resident.pk and look.purpose == "care"
    receipt = Receipt.objects.get()
    assert receipt.reader == staff["caseworker"]
    assert Entry.objects.filter(action=services.READ, object_id=str(receipt.pk)).exists()
    # A second read is a second look, but no second receipt; the clinician leaves their own.
    selectors.read(staff["caseworker"], thread)
    selectors.read(staff["clinician"], thread)
    assert Entry.objects.filter(action="message.view").count() == 3
    assert sorted(Receipt.objects.values_list("reader__username", flat=True)) == sorted(
        [staff["caseworker"].username, staff["clinician"].username]
    )
    # The author's own message gets no receipt from them.
    selectors.read(portal_user, thread)
    assert not Receipt.objects.filter(reader=portal_user).exists()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM conversations_receipt WHERE id = %s", [receipt.pk])


@pytest.mark.parametrize(
    "who", ["caseworker_other", "clinician_other", "investigator", "contractor"]
)
def test_staff_outside_the_care_team_are_refused_and_it_is_recorded(
    resident, staff, portal_user, who
):
    thread = write(portal_user, resident)
    outsider = staff[who]
    with pytest.raises(AccessDenied):
        selectors.thread_for(outsider, thread.pk)
    with pytest.raises(AccessDenied):
        services.reply(outsider, thread, "Hello")
    with pytest.raises(AccessDenied):
        selectors.threads_of(outsider, resident)
    denied = Entry.objects.filter(actor=outsider, outcome=Outcome.DENIED, resident_id=resident.pk)
    assert set(denied.values_list("action", flat=True)) == {"message.view", "message.send"}
    assert Message.objects.count() == 1
    assert selectors.inbox(outsider) == [] and selectors.waiting(outsider) == []


def test_a_resident_may_not_read_nor_write_in_anothers_thread(
    resident, staff, portal_user, other_resident
):
    rosa = other_resident.user
    thread = write(portal_user, resident)
    with pytest.raises(AccessDenied):
        selectors.thread_for(rosa, thread.pk)
    with pytest.raises(AccessDenied):
        services.reply(rosa, thread, "Hi Walter")
    with pytest.raises(AccessDenied):
        services.start(rosa, resident, "As Walter", "Let me out")
    assert Entry.objects.filter(actor=rosa, outcome=Outcome.DENIED).count() == 3


def test_a_thread_that_does_not_exist_is_a_recorded_refusal(staff):
    with pytest.raises(Thread.DoesNotExist):
        selectors.thread_for(staff["caseworker"], 999999)
    assert Entry.objects.filter(
        actor=staff["caseworker"], object_type="conversations.thread", outcome=Outcome.DENIED
    ).exists()


def test_after_discharge_the_resident_writes_through_the_year_of_follow_up(
    resident, staff, portal_user
):
    thread = write(portal_user, resident)
    discharge(resident, staff["supervisor"])
    resident.refresh_from_db()
    # In follow-up: still writing, and the care team answers under "follow-up".
    services.reply(portal_user, thread, "Home now. Thanks for everything.")
    answer = services.reply(staff["caseworker"], thread, "Glad to hear it.")
    assert Entry.objects.get(object_id=str(answer.pk), action=services.SEND).purpose == "follow_up"
    # The year over (every contact made, missed or closed): read-only for the resident.
    for contact in Contact.objects.filter(resident=resident):
        contact.status = ContactStatus.MADE
        contact.made_at = timezone.now()
        contact.save(update_fields=["status", "made_at"])
    conversation = selectors.read(portal_user, thread)
    assert not conversation.may_write and "follow-up" in conversation.why_not
    with pytest.raises(AccessDenied):
        services.reply(portal_user, thread, "One more thing.")
    with pytest.raises(AccessDenied):
        services.start(portal_user, resident, "New", "Hello?")
    assert (
        Entry.objects.filter(
            actor=portal_user, action="message.send", outcome=Outcome.DENIED
        ).count()
        == 2
    )
    # The care team may still write to them.
    services.reply(staff["caseworker"], thread, "Call us any time on the center's number.")


def test_working_days_skip_the_weekend():
    tz = timezone.get_current_timezone()
    friday = dt.datetime(2026, 12, 4, 15, 0, tzinfo=tz)
    assert services.working_days_after(friday, 2) == dt.datetime(2026, 12, 8, 15, 0, tzinfo=tz)
    saturday = dt.datetime(2026, 12, 5, 10, 0, tzinfo=tz)
    assert services.working_days_after(saturday, 2) == dt.datetime(2026, 12, 9, 0, 0, tzinfo=tz)
    monday = dt.datetime(2026, 12, 7, 9, 30, tzinfo=tz)
    assert services.working_days_after(monday, 2) == dt.datetime(2026, 12, 9, 9, 30, tzinfo=tz)
