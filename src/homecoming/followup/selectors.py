"""Reading follow-up work: the worklist (due, overdue, lost) and one contact with its attempts.

Staff see the contacts they own; the supervisors and the program director see everyone's (and
may narrow to one owner). Every row shown is a look at a resident, so each is checked against
the policy (LIST) and written to the ledger with the purpose that allowed it.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action, Purpose
from homecoming.accounts.models import Role
from homecoming.core import worklist as short_list
from homecoming.ledger import services as ledger

from .models import Attempt, CheckInLink, Contact, ContactStatus, Lost
from .services import OPEN_FOR_ATTEMPTS

STATUSES = ("due", "overdue", "lost")
SEES_ALL = {Role.SUPERVISOR, Role.PROGRAM_DIRECTOR}


def sees_all(user) -> bool:
    return user.role in SEES_ALL


def _queryset(status: str, today: dt.date):
    grace = dt.timedelta(days=settings.HOMECOMING_FOLLOW_UP_GRACE_DAYS)
    qs = Contact.objects.select_related("resident", "owner", "discharge")
    open_lost = Lost.objects.filter(closed_at__isnull=True).values("discharge_id")
    if status == "due":
        # Due today or within the grace days, and its person not lost.
        return qs.filter(
            status=ContactStatus.DUE, due_on__lte=today, due_on__gte=today - grace
        ).exclude(discharge_id__in=open_lost)
    if status == "overdue":
        return qs.filter(status=ContactStatus.DUE, due_on__lt=today - grace).exclude(
            discharge_id__in=open_lost
        )
    # Lost: the contacts still open of each person lost to follow-up.
    return qs.filter(
        status__in=[ContactStatus.DUE, ContactStatus.MISSED], discharge_id__in=open_lost
    )


@dataclass
class Worklist:
    status: str
    rows: list = field(default_factory=list)
    owner_id: int | None = None
    owners: list = field(default_factory=list)
    lost: dict = field(default_factory=dict)  # discharge id -> its open Lost


def worklist(actor, status: str, *, owner_id: int | None = None) -> Worklist:
    policy.require(actor, Action.VIEW_FOLLOW_UPS)
    if status not in STATUSES:
        raise ValueError(f"Unknown status {status!r}: one of {', '.join(STATUSES)}.")
    qs = _queryset(status, timezone.localdate())
    if not sees_all(actor):
        qs = qs.filter(owner=actor)
    elif owner_id:
        qs = qs.filter(owner_id=owner_id)
    contacts = list(qs.order_by("due_on", "id")[:500])
    # Each row is a look at a resident: only those the policy lets the actor list, each with its
    # entry (the owner may have left the care team since the contact was made theirs).
    residents = {contact.resident_id: contact.resident for contact in contacts}
    purposes = policy.decide_for_residents(actor, Action.LIST, residents.values())
    shown = [contact for contact in contacts if purposes[contact.resident_id].allowed]
    by_purpose: dict[Purpose, list] = {}
    for contact in shown:
        by_purpose.setdefault(purposes[contact.resident_id].purpose, []).append(contact)
    for purpose, rows in by_purpose.items():
        ledger.record_reads(
            actor, "followup.list", rows, resident_of=lambda c: c.resident_id, purpose=purpose
        )
    result = Worklist(status=status, rows=shown, owner_id=owner_id)
    if status == "lost":
        lost = Lost.objects.filter(
            closed_at__isnull=True, discharge_id__in={c.discharge_id for c in shown}
        )
        result.lost = {row.discharge_id: row for row in lost}
    if sees_all(actor):
        from django.contrib.auth import get_user_model

        result.owners = list(
            get_user_model()
            .objects.filter(pk__in=Contact.objects.values("owner_id"))
            .order_by("full_name")
        )
    return result


def due_count(actor) -> int | None:
    """For the home page: how many of the actor's follow-ups are due or overdue (no names, so
    no look at a resident); None for those without a worklist."""
    if not policy.decide(actor, Action.VIEW_FOLLOW_UPS).allowed:
        return None
    today = timezone.localdate()
    qs = Contact.objects.filter(status=ContactStatus.DUE, due_on__lte=today)
    if not sees_all(actor):
        qs = qs.filter(owner=actor)
    return qs.count()


# --- the home page's worklists (core/worklist.py: the first few, oldest first, and a count) ----


def _listed(actor, short, resident_of):
    """Each row shown names a resident: checked against the policy (LIST) once for all of them,
    and on the ledger under the purpose that allowed each (care, follow-up, supervision)."""
    residents = {}
    for row in short.rows:
        residents[resident_of(row)] = row.resident
    decisions = policy.decide_for_residents(actor, Action.LIST, residents.values())
    short.rows = [row for row in short.rows if decisions[resident_of(row)].allowed]
    ledger.record_reads_each(
        actor,
        "followup.list",
        short.rows,
        resident_of=resident_of,
        purpose_of=lambda row: decisions[resident_of(row)].purpose,
    )
    return short


def due_list(actor, limit: int = short_list.SHOWN) -> short_list.Short | None:
    """For the home page: the actor's follow-ups due today or earlier, the oldest first, with
    their names (the worklist's own rule: staff their own contacts, the supervisors everyone's);
    None for those without a worklist. Its total is `due_count`'s."""
    if not policy.decide(actor, Action.VIEW_FOLLOW_UPS).allowed:
        return None
    qs = Contact.objects.filter(
        status=ContactStatus.DUE,
        due_on__lte=timezone.localdate(),
        resident__in=policy.visible_residents(actor),
    )
    if not sees_all(actor):
        qs = qs.filter(owner=actor)
    qs = qs.select_related("resident", "owner").order_by("due_on", "id")
    return _listed(actor, short_list.of(qs, limit), lambda c: c.resident_id)


# The follow-up check-in is the questionnaire the center sends (its PCL-5 and PHQ-9, by e-mail);
# the measures app keeps no schedule of its own. Sent and not answered after this long, it is
# overdue: a week, half the link's life (HOMECOMING_CHECK_IN_LINK_DAYS), leaves time to call
# the person and send a new one before it expires.
QUESTIONNAIRE_OVERDUE_AFTER = dt.timedelta(days=7)


@dataclass
class Unanswered:
    link: CheckInLink

    @property
    def overdue_since(self):
        return self.link.created_at + QUESTIONNAIRE_OVERDUE_AFTER

    @property
    def expired(self) -> bool:
        return self.link.expires_at <= timezone.now()


def questionnaires_overdue(actor, limit: int = short_list.SHOWN) -> short_list.Short | None:
    """Check-in questionnaires sent more than a week ago and not answered, on the actor's
    residents (their caseload; a supervisor's, the center), the longest waiting first: the live
    link of a contact still open (a newer link, or the contact made another way, ends it). None
    for those without a follow-up worklist."""
    if not policy.decide(actor, Action.VIEW_FOLLOW_UPS).allowed:
        return None
    qs = (
        CheckInLink.objects.filter(
            used_at__isnull=True,
            revoked_at__isnull=True,
            created_at__lte=timezone.now() - QUESTIONNAIRE_OVERDUE_AFTER,
            contact__status__in=OPEN_FOR_ATTEMPTS,
            resident__in=policy.visible_residents(actor),
        )
        .select_related("resident", "contact")
        .order_by("created_at", "id")
    )
    short = _listed(actor, short_list.of(qs, limit), lambda link: link.resident_id)
    short.rows = [Unanswered(link) for link in short.rows]
    return short


@dataclass
class ContactPage:
    contact: Contact
    attempts: list
    lost: Lost | None
    lost_closed: list
    latest_link: object
    may_record: bool
    may_close_lost: bool
    purpose: Purpose


def contact_for(actor, contact_id: int) -> ContactPage:
    """One contact with its attempts: a look at the resident (VIEW), on the ledger."""
    contact = (
        Contact.objects.select_related("resident", "owner", "discharge")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        error = Http404(f"No follow-up contact #{contact_id}.")
        policy.refuse_unknown(actor, Action.VIEW, "followup.contact", contact_id, error)
    # A staff page: the worklist's people open it (a former resident's own record is the portal).
    policy.require(actor, Action.VIEW_FOLLOW_UPS)
    decision = policy.require(actor, Action.VIEW, contact.resident)
    decisions = policy.decide_many(
        actor, [Action.RECORD_FOLLOW_UP, Action.CLOSE_LOST], contact.resident
    )
    attempts = list(
        Attempt.objects.filter(contact__discharge=contact.discharge)
        .select_related("made_by", "contact")
        .order_by("-made_at", "-id")
    )
    lost_rows = list(Lost.objects.filter(discharge=contact.discharge))
    from .checkin import latest_link_for

    ledger.record_reads(
        actor,
        "followup.view",
        [contact],
        resident_of=lambda c: c.resident_id,
        purpose=decision.purpose,
    )
    if attempts:
        ledger.record_reads(
            actor,
            "followup.view",
            attempts,
            resident_of=lambda a: a.resident_id,
            purpose=decision.purpose,
        )
    return ContactPage(
        contact=contact,
        attempts=attempts,
        lost=next((row for row in lost_rows if row.closed_at is None), None),
        lost_closed=[row for row in lost_rows if row.closed_at is not None],
        latest_link=latest_link_for(contact),
        may_record=decisions[Action.RECORD_FOLLOW_UP].allowed,
        may_close_lost=decisions[Action.CLOSE_LOST].allowed,
        purpose=decision.purpose,
    )


def contact_to_act_on(actor, contact_id: int, action: Action) -> Contact:
    """The contact for a write (the service checks the policy); an unknown id is a 404, and
    the probe is on the ledger."""
    contact = Contact.objects.select_related("resident", "discharge").filter(pk=contact_id).first()
    if contact is None:
        error = Http404(f"No follow-up contact #{contact_id}.")
        policy.refuse_unknown(actor, action, "followup.contact", contact_id, error)
    return contact


def lost_to_close(actor, contact_id: int, lost_id: int) -> Lost:
    """The open "lost" of a contact's discharge, for a supervisor to close: the policy first, so
    a probe by someone who may not close it is refused and on the ledger whatever the numbers."""
    contact = contact_to_act_on(actor, contact_id, Action.CLOSE_LOST)
    policy.require(actor, Action.CLOSE_LOST, contact.resident)
    lost = Lost.objects.filter(pk=lost_id, discharge_id=contact.discharge_id).first()
    if lost is None:
        raise Http404(f"No lost to follow-up #{lost_id} for this contact.")
    return lost


def program_schedule(actor, program_id: int):
    """A program and its follow-up days, for the program director's form (no resident in it)."""
    from homecoming.residents.models import Program

    from .schedule import days_for

    policy.require(actor, Action.MANAGE_CENTER)
    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        raise Http404(f"No program #{program_id}.")
    return program, days_for(program)


def in_follow_up(resident) -> bool:
    """Whether the former resident's year of follow-up is still running: a contact of theirs is
    still due (made, missed or closed contacts are done). No resident is named to anyone, so
    no look is written: the caller decides what the answer opens (conversations/services.py)."""
    return Contact.objects.filter(resident=resident, status=ContactStatus.DUE).exists()
