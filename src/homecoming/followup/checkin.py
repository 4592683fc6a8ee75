"""Self check-in links: a former resident answers a short check-in (PCL-5, PHQ-9, housing, work,
whether they want a call) from a link, without logging in.

The link's secret (secrets.token_urlsafe, 256 bits) is e-mailed to the resident's portal
address and shown once to the staff member who made it; only its SHA-256 is stored, so nobody
with the database (nor a later page) can rebuild a usable link. A link is single-use and expires
(HOMECOMING_CHECK_IN_LINK_DAYS, 14); a new link for the same contact revokes the old one. A
used, expired, revoked or unknown link is refused, with a denied ledger entry, and guesses are
rate-limited per address (views).

The submission is one transaction: the two questionnaires (through measures.services.record, so
their ledger entries, their mode "self" and the PHQ-9 item 9 safety alert are exactly as for a
resident in the center), the check-in row, the link used, the contact made and an attempt
"self check-in, reached"; "wants a call" alerts the contact's owner.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.alerts import services as alerts
from homecoming.core import dates
from homecoming.core.secret_links import digest, new_secret
from homecoming.ledger import services as ledger
from homecoming.measures import services as measures
from homecoming.measures.models import Instrument

from .models import (
    Attempt,
    AttemptOutcome,
    CheckIn,
    CheckInLink,
    Contact,
    ContactStatus,
    Housing,
    Method,
    Work,
)
from .services import OPEN_FOR_ATTEMPTS, made

log = logging.getLogger("homecoming.followup")
CALL_ALERT = "follow_up_call"
USE = "followup.check_in"


def url_of(secret: str) -> str:
    return f"{settings.HOMECOMING_BASE_URL}{reverse('followup:check_in', args=[secret])}"


@dataclass(frozen=True)
class Sent:
    link: CheckInLink
    url: str  # the only time the secret is seen again: shown once to the one who sent it


def _compose(link: CheckInLink, url: str) -> EmailMessage:
    until = timezone.localtime(link.expires_at)
    body = "\n".join(
        [
            "Hello,",
            "",
            "Your care team asks how you are doing since you left the center. Please answer a",
            "few short questions here (about ten minutes, once, no log-in needed):",
            "",
            url,
            "",
            f"The link works once, until {dates.day(until)}. Keep it to yourself.",
            "",
            "If you are in crisis, call 988 and press 1 (Veterans Crisis Line) or text 838255.",
        ]
    )
    return EmailMessage("[Homecoming] How are you doing?", body, to=[link.sent_to])


def _send(link_id: int, url: str):
    link = CheckInLink.objects.get(pk=link_id)
    try:
        _compose(link, url).send()
    except Exception:  # the link stands (it is on the summary too); staff can send a new one
        log.exception("e-mailing check-in link %s failed", link_id)


def send_link(actor, contact: Contact) -> Sent:
    """A new check-in link for a contact, e-mailed to the resident's portal address on commit."""
    resident = contact.resident
    decision = policy.require(actor, Action.RECORD_FOLLOW_UP, resident)
    account = resident.user
    if account is None or not account.is_active:
        raise ValidationError(
            {"contact": "This resident has no portal account to check in with: call them."}
        )
    if not account.email:
        raise ValidationError(
            {"contact": "The resident's portal account has no e-mail address to send a link to."}
        )
    secret = new_secret()
    now = timezone.now()
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if contact.status not in OPEN_FOR_ATTEMPTS:
            raise ValidationError(
                {"contact": f"This contact is {contact.get_status_display().lower()} already."}
            )
        # One live link per contact: a new one makes the earlier ones useless.
        for old in CheckInLink.objects.select_for_update().filter(
            contact=contact, used_at__isnull=True, revoked_at__isnull=True
        ):
            old.revoked_at = now
            old.save(update_fields=["revoked_at"])
            ledger.record_write(
                actor,
                "followup.revoke_link",
                old,
                resident_id=resident.pk,
                purpose=decision.purpose,
            )
        link = CheckInLink.objects.create(
            contact=contact,
            resident=resident,
            secret_sha256=digest(secret),
            sent_to=account.email,
            created_by=actor,
            created_at=now,
            expires_at=now + dt.timedelta(days=settings.HOMECOMING_CHECK_IN_LINK_DAYS),
        )
        ledger.record_write(
            actor, "followup.send_link", link, resident_id=resident.pk, purpose=decision.purpose
        )
        url = url_of(secret)
        transaction.on_commit(lambda: _send(link.pk, url))
    return Sent(link, url)


def latest_link_for(contact: Contact) -> CheckInLink | None:
    """The last link sent for a contact (for the summary: "a check-in link was sent to x on
    DATE"); its secret is not kept, so it cannot be shown again."""
    return CheckInLink.objects.filter(contact=contact).order_by("-created_at", "-id").first()


def links_sent_for(plan) -> list[CheckInLink]:
    """Every check-in link sent for a discharge's contacts, newest first (for its summary: to
    whom and when; never the link itself)."""
    return list(
        CheckInLink.objects.filter(contact__discharge=plan)
        .select_related("contact")
        .order_by("-created_at", "-id")
    )


class LinkRefused(Exception):
    """The link cannot be used; `status` is 404 (unknown) or 410 (used, expired, revoked)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _refuse(link: CheckInLink | None, status: int, message: str, who=None):
    target = (
        ledger.Target.of(link, resident_id=link.resident_id)
        if link is not None
        else ledger.Target(object_type="followup.checkinlink")
    )
    # Nobody logs in to check in; a logged-in browser that tries a link is named, though.
    actor = who if getattr(who, "is_authenticated", False) else None
    policy.refuse(actor, USE, target, error=LinkRefused(status, message))


def open_link(secret: str, who=None) -> CheckInLink:
    """The usable link for this secret, or LinkRefused (with its denied ledger entry)."""
    link = (
        CheckInLink.objects.select_related("contact", "resident__user")
        .filter(secret_sha256=digest(secret or ""))
        .first()
    )
    if link is None:
        _refuse(None, 404, "This check-in link is not known. Check that it was copied whole.", who)
    if link.used_at is not None:
        _refuse(link, 410, "This check-in link was used already: each link works once.", who)
    if link.revoked_at is not None:
        _refuse(link, 410, "This check-in link was replaced by a newer one.", who)
    if link.expires_at <= timezone.now():
        _refuse(link, 410, "This check-in link has expired.", who)
    account = link.resident.user
    if account is None or not account.is_active:
        _refuse(link, 410, "This check-in link can no longer be used.", who)
    if getattr(who, "is_authenticated", False) and who.pk != account.pk:
        # The one who sent the link saw it: answering it in their own browser would make the
        # contact without the former resident. Refused, and on the ledger in their name.
        _refuse(
            link,
            403,
            "A check-in is answered by the former resident only. Log out first if you are them.",
            who,
        )
    if link.contact.status not in OPEN_FOR_ATTEMPTS:
        _refuse(link, 410, "This check-in is no longer needed: your care team reached you.", who)
    return link


@dataclass
class Answers:
    pcl5: list
    phq9: list
    phq9_difficulty: int | None
    housing: str
    work: str
    wants_call: bool
    comments: str = ""


def check(answers: Answers):
    """Every problem at once: the questionnaires' own checks, and the check-in's questions."""
    from homecoming.measures import scoring

    errors = {}
    for code, given, difficulty in (
        (Instrument.PCL5, answers.pcl5, None),
        (Instrument.PHQ9, answers.phq9, answers.phq9_difficulty),
    ):
        try:
            scoring.validate(code, given, difficulty=difficulty)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"{code}-{field}"] = messages
    if answers.housing not in Housing.values:
        errors["housing"] = ["Choose where you live now."]
    if answers.work not in Work.values:
        errors["work"] = ["Choose what you do now."]
    if len(answers.comments) > 5000:
        errors["comments"] = ["Comments are at most 5000 characters."]
    if errors:
        raise ValidationError(errors)


def submit(secret: str, answers: Answers, who=None) -> CheckIn:
    link = open_link(secret, who)
    check(answers)
    account = link.resident.user
    # The portal account answers for itself: the same rule as a questionnaire in the portal.
    decision = policy.require(account, Action.RECORD_MEASURE, link.resident)
    with transaction.atomic():
        link = CheckInLink.objects.select_for_update().get(pk=link.pk)
        if link.used_at is not None:  # two tabs, one link: the second loses
            raise LinkRefused(410, "This check-in link was used already: each link works once.")
        contact = Contact.objects.select_for_update().get(pk=link.contact_id)
        resident = link.resident
        pcl5 = measures.record(account, resident, Instrument.PCL5, answers.pcl5)
        phq9 = measures.record(
            account, resident, Instrument.PHQ9, answers.phq9, difficulty=answers.phq9_difficulty
        )
        now = timezone.now()
        check_in = CheckIn.objects.create(
            link=link,
            resident=resident,
            housing=answers.housing,
            work=answers.work,
            wants_call=answers.wants_call,
            comments=answers.comments.strip(),
            pcl5=pcl5,
            phq9=phq9,
            completed_at=now,
        )
        purpose = decision.purpose
        ledger.record_write(account, USE, check_in, resident_id=resident.pk, purpose=purpose)
        link.used_at = now
        link.save(update_fields=["used_at"])
        ledger.record_write(
            account, "followup.link_used", link, resident_id=resident.pk, purpose=purpose
        )
        attempt = Attempt.objects.create(
            contact=contact,
            resident=resident,
            method=Method.CHECK_IN,
            outcome=AttemptOutcome.REACHED,
            notes="Self check-in through the link.",
            made_by=None,
            made_at=now,
        )
        ledger.record_write(
            account, "followup.attempt", attempt, resident_id=resident.pk, purpose=purpose
        )
        if contact.status == ContactStatus.DUE:
            made(contact, now, actor=account, purpose=purpose)
        if answers.wants_call:
            alerts.notify(
                [contact.owner],
                kind=CALL_ALERT,
                message=(
                    f"{resident.display_name} checked in (day-{contact.interval_days} follow-up) "
                    "and asks for a call."
                ),
                resident=resident,
                about=check_in,
            )
    return check_in
