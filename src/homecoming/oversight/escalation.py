"""The escalation timer: a complaint that staff have left untouched for the set time (14 days
unless HOMECOMING_COMPLAINT_ESCALATION_DAYS says otherwise) goes to the oversight body, and
again after each further such period, until someone acts on it. The worker runs this."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from homecoming.accounts.models import Role, User
from homecoming.alerts import services as alerts

from . import complaints
from .models import OPEN_STATUSES, Complaint, ComplaintStatus, EventKind, NamedStaff


def period() -> dt.timedelta:
    return dt.timedelta(days=settings.HOMECOMING_COMPLAINT_ESCALATION_DAYS)


def untouched(now=None):
    """Open complaints untouched for a period, not escalated in the last one."""
    now = now or timezone.now()
    cutoff = now - period()
    return Complaint.objects.filter(status__in=OPEN_STATUSES, touched_at__lte=cutoff).filter(
        Q(escalated_at__isnull=True) | Q(escalated_at__lte=cutoff)
    )


def escalate_untouched(now=None) -> list[Complaint]:
    now = now or timezone.now()
    escalated = []
    for pk in untouched(now).values_list("pk", flat=True):
        with transaction.atomic():
            complaint = Complaint.objects.select_for_update().get(pk=pk)
            if not untouched(now).filter(pk=pk).exists():
                continue  # touched meanwhile
            days = (now - complaint.touched_at).days
            complaint.escalated_at = now
            complaint.escalations += 1
            fields = ["escalated_at", "escalations"]
            if complaint.status != ComplaintStatus.REFERRED:
                complaint.status = ComplaintStatus.REFERRED
                fields.append("status")
            complaint.save(update_fields=fields)
            complaints._write(None, complaint, complaint)
            complaints._event(
                None,
                complaint,
                EventKind.ESCALATED,
                status=complaint.status,
                body=f"Untouched for {days} days: escalated to the oversight body.",
                visible_to_complainant=True,
            )
            people = User.objects.filter(
                is_active=True, role__in=(Role.OVERSIGHT, Role.PROGRAM_DIRECTOR)
            ).exclude(pk__in=NamedStaff.objects.filter(complaint=complaint).values("user_id"))
            alerts.notify(
                people,
                kind="complaint_escalated",
                message=f"Complaint {complaint.reference} (“{complaint.subject}”) has been left "
                f"untouched for {days} days and is escalated to the oversight body "
                f"(escalation {complaint.escalations}).",
                about=complaint,
            )
            escalated.append(complaint)
    return escalated
