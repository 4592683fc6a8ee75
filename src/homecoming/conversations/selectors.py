"""Reading messages: every read checked by the policy and written to the ledger. Opening a
thread is a look at the resident ("messages" in their "who looked at my record"), and leaves a
read receipt on each message the reader had not read yet (services.mark_read)."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident

from . import services
from .models import Message, Receipt, Thread

UNANSWERED_AFTER_DAYS = 2  # working days (services.working_days_after)


def _last(field):
    latest = Message.objects.filter(thread=OuterRef("pk")).order_by("-sent_at", "-id")
    return Subquery(latest.values(field)[:1])


def _summarised(threads):
    """Threads with their last message's time and whether the resident wrote it, and how many
    messages they hold: one query for a whole list."""
    return threads.annotate(
        last_at=_last("sent_at"),
        waiting=_last("from_resident"),
        count=Count("messages", distinct=True),
    ).select_related("resident")


def waiting_threads():
    """Threads whose last message is the resident's: nobody on the team has answered yet."""
    answered_since = Message.objects.filter(
        thread=OuterRef("thread"), from_resident=False, sent_at__gte=OuterRef("sent_at")
    )
    return Thread.objects.filter(
        Exists(
            Message.objects.filter(thread=OuterRef("pk"), from_resident=True).filter(
                ~Exists(answered_since)
            )
        )
    )


def first_unanswered():
    """The resident's messages no one on the team has answered (none sent after them)."""
    answered_since = Message.objects.filter(
        thread=OuterRef("thread"), from_resident=False, sent_at__gte=OuterRef("sent_at")
    )
    return Message.objects.filter(from_resident=True).filter(~Exists(answered_since))


def _record_threads(actor, resident, threads, purpose):
    if threads:
        ledger.record_reads(
            actor,
            str(Action.VIEW_MESSAGES),
            threads,
            resident_of=lambda t: t.resident_id,
            purpose=purpose,
        )
    else:
        ledger.record_resident_read(actor, str(Action.VIEW_MESSAGES), resident, purpose=purpose)


@dataclass
class Threads:
    resident: Resident
    threads: list
    may_write: bool
    why_not: str


def threads_of(actor, resident: Resident) -> Threads:
    """The resident's threads, latest activity first (the resident's own list, or the list on
    their chart for the care team)."""
    decision = policy.require(actor, Action.VIEW_MESSAGES, resident)
    threads = list(
        _summarised(Thread.objects.filter(resident=resident)).order_by("-last_at", "-id")
    )
    _record_threads(actor, resident, threads, decision.purpose)
    writing = services.may_write(actor, resident)
    return Threads(resident, threads, writing.allowed, writing.reason)


def thread_for(actor, thread_id: int, action=Action.VIEW_MESSAGES) -> Thread:
    """One thread, for reading or answering: the policy decides on its resident; asking for one
    that does not exist is recorded like a refused look (Thread.DoesNotExist, a 404)."""
    thread = Thread.objects.select_related("resident").filter(pk=thread_id).first()
    if thread is None:
        error = Thread.DoesNotExist(f"No message thread #{thread_id}.")
        policy.refuse_unknown(actor, action, "conversations.thread", thread_id, error)
    policy.require(actor, action, thread.resident)
    return thread


@dataclass
class Conversation:
    thread: Thread
    messages: list
    may_write: bool
    why_not: str
    purpose: str


def read(actor, thread: Thread) -> Conversation:
    """The thread's messages in order, each with who read it; reading it is a look at the
    resident and a receipt on every message the reader had not read."""
    decision = policy.require(actor, Action.VIEW_MESSAGES, thread.resident)
    receipts = Prefetch(
        "receipts", queryset=Receipt.objects.select_related("reader").order_by("read_at", "id")
    )
    messages = list(
        Message.objects.filter(thread=thread)
        .select_related("author")
        .prefetch_related(receipts)
        .order_by("sent_at", "id")
    )
    ledger.record_reads(
        actor,
        str(Action.VIEW_MESSAGES),
        messages or [thread],
        resident_of=lambda m: m.resident_id,
        purpose=decision.purpose,
    )
    made = {r.message_id: r for r in services.mark_read(actor, messages, decision.purpose)}
    for m in messages:
        # What the page shows includes this reading: the reader's own receipt, just written.
        m.read_list = [*m.receipts.all(), *([made[m.pk]] if m.pk in made else [])]
    writing = services.may_write(actor, thread.resident)
    return Conversation(thread, messages, writing.allowed, writing.reason, decision.purpose)


# --- the care team's worklist -----------------------------------------------------------------


def _shown(actor, threads) -> list[Thread]:
    """The threads whose messages the actor may read (the policy, for all their residents in a
    bounded number of queries), each resident's a look naming their message threads: a list
    shows subjects, which are the resident's words."""
    decisions = policy.decide_for_residents(
        actor, Action.VIEW_MESSAGES, {t.resident_id: t.resident for t in threads}.values()
    )
    shown = [t for t in threads if decisions[t.resident_id].allowed]
    ledger.record_reads_each(
        actor,
        str(Action.VIEW_MESSAGES),
        shown,
        resident_of=lambda t: t.resident_id,
        purpose_of=lambda t: decisions[t.resident_id].purpose,
    )
    return shown


@dataclass
class Waiting:
    thread: Thread
    since: object  # the first message of the resident's not yet answered
    due: object  # two working days after it

    @property
    def overdue(self) -> bool:
        return timezone.now() > self.due


def waiting(actor) -> list[Waiting]:
    """Threads of the actor's residents (their caseload; a supervisor's, the center) whose
    resident wrote last, oldest first: each resident's a look at their messages. A bounded
    number of queries whatever the number of threads."""
    visible = Resident.objects.visible_to(actor)
    since = first_unanswered().filter(thread=OuterRef("pk")).order_by("sent_at", "id")
    threads = list(
        _summarised(waiting_threads().filter(resident__in=visible))
        .annotate(since=Subquery(since.values("sent_at")[:1]))
        .order_by("since", "id")
    )
    threads = _shown(actor, threads)
    return [
        Waiting(t, t.since, services.working_days_after(t.since, UNANSWERED_AFTER_DAYS))
        for t in threads
    ]


def inbox(actor, limit: int = 100) -> list[Thread]:
    """Every thread of the actor's residents, latest activity first (those waiting marked): the
    staff's messages page."""
    visible = Resident.objects.visible_to(actor)
    threads = list(
        _summarised(Thread.objects.filter(resident__in=visible)).order_by("-last_at", "-id")[:limit]
    )
    threads = _shown(actor, threads)
    return threads
