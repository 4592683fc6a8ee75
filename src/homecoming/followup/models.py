"""A year after discharge: the contacts due, every attempt to make them, the former resident's
self check-ins, and who was lost to follow-up and why that was closed.

The schedule is made at discharge (ProgramSchedule per program, 7/30/90/180/365 days by
default). A contact not made in time escalates to the supervisor; three failed attempts in a
row, or a contact missed by 14 days, mark the person lost to follow-up and alert the program
director and the oversight body. Lost is closed only with a reason. Nothing here is deleted.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

DEFAULT_DAYS = [7, 30, 90, 180, 365]


class ProgramSchedule(models.Model):
    """The follow-up days of one program (set by the program director); none: DEFAULT_DAYS."""

    ledger_versioned = True

    program = models.OneToOneField(
        "residents.Program", on_delete=models.PROTECT, related_name="follow_up_schedule"
    )
    days = models.JSONField()  # ascending whole days after discharge, e.g. [7, 30, 90, 180, 365]

    def __str__(self):
        return f"follow-up of {self.program}: days {self.days}"


class ContactStatus(models.TextChoices):
    DUE = "due", "Due"  # not yet made (whether or not the day has come)
    MADE = "made", "Made"  # the former resident was reached, or checked in
    MISSED = "missed", "Missed"  # the window closed without contact
    CLOSED = "closed", "Closed"  # no longer needed (lost closed with a reason, deceased)


class Contact(models.Model):
    """One scheduled contact: day `interval_days` after the discharge."""

    ledger_versioned = True

    discharge = models.ForeignKey(
        "discharge.DischargePlan", on_delete=models.PROTECT, related_name="follow_ups"
    )
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="follow_ups"
    )
    interval_days = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    # Who makes the contact (the primary caseworker at discharge; the supervisor may reassign).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups"
    )
    status = models.CharField(max_length=8, choices=ContactStatus.choices, default="due")
    made_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)  # told the supervisor: overdue
    closed_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"]), models.Index(fields=["owner"])]
        constraints = [
            models.UniqueConstraint(
                fields=["discharge", "interval_days"], name="follow_up_once_per_interval"
            ),
            models.CheckConstraint(
                condition=~Q(status="made") | Q(made_at__isnull=False),
                name="follow_up_made_has_time",
            ),
        ]

    def __str__(self):
        return f"day-{self.interval_days} follow-up of resident #{self.resident_id}"


class Method(models.TextChoices):
    PHONE = "phone", "Phone call"
    MESSAGE = "message", "Message"
    VISIT = "visit", "Visit"
    CHECK_IN = "check_in", "Self check-in"


class AttemptOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    NO_ANSWER = "no_answer", "No answer"
    LEFT_MESSAGE = "left_message", "Left a message"
    WRONG_NUMBER = "wrong_number", "Wrong number or address"
    DECLINED = "declined", "Declined to talk"

    @classmethod
    def failed(cls) -> set[str]:
        return {cls.NO_ANSWER, cls.LEFT_MESSAGE, cls.WRONG_NUMBER}


class Attempt(models.Model):
    """One try at a contact, successful or not. Final once written (the database refuses
    changes)."""

    ledger_versioned = True

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="attempts")
    resident = models.ForeignKey("residents.Resident", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=12, choices=Method.choices)
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices)
    notes = models.TextField(blank=True)
    # The staff member who made it; empty for a self check-in (no staff account involved).
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField()

    class Meta:
        ordering = ["made_at", "id"]
        indexes = [models.Index(fields=["resident", "made_at"])]

    def __str__(self):
        return f"{self.get_method_display()}: {self.get_outcome_display()}"


class CheckInLink(models.Model):
    """A single-use, expiring link for a former resident's self check-in. Only the SHA-256 of its
    secret is stored; the secret goes out by e-mail (and on the summary) and nowhere else."""

    ledger_versioned = True
    ledger_exclude = ("secret_sha256",)

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="check_in_links")
    resident = models.ForeignKey("residents.Resident", on_delete=models.PROTECT, related_name="+")
    secret_sha256 = models.CharField(max_length=64, unique=True)
    sent_to = models.EmailField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"check-in link for resident #{self.resident_id}"


class Housing(models.TextChoices):
    STABLE = "stable", "Stable housing"
    TEMPORARY = "temporary", "Temporary (staying with others, shelter)"
    NONE = "none", "No housing"


class Work(models.TextChoices):
    DUTY = "duty", "On duty"
    WORKING = "working", "Working"
    STUDYING = "studying", "Studying or training"
    LOOKING = "looking", "Looking for work"
    NOT_WORKING = "not_working", "Not working"


class CheckIn(models.Model):
    """A completed self check-in: the answers beyond the questionnaires (which are measures rows
    of their own, linked here)."""

    ledger_versioned = True

    link = models.OneToOneField(CheckInLink, on_delete=models.PROTECT, related_name="check_in")
    resident = models.ForeignKey("residents.Resident", on_delete=models.PROTECT, related_name="+")
    housing = models.CharField(max_length=12, choices=Housing.choices)
    work = models.CharField(max_length=12, choices=Work.choices)
    wants_call = models.BooleanField()
    comments = models.TextField(blank=True)
    pcl5 = models.ForeignKey(
        "measures.Questionnaire", null=True, on_delete=models.PROTECT, related_name="+"
    )
    phq9 = models.ForeignKey(
        "measures.Questionnaire", null=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField()

    def __str__(self):
        return f"check-in of resident #{self.resident_id}"


class Lost(models.Model):
    """A former resident lost to follow-up: why, when, and (only with a reason) its closing."""

    ledger_versioned = True

    discharge = models.ForeignKey(
        "discharge.DischargePlan", on_delete=models.PROTECT, related_name="lost"
    )
    resident = models.ForeignKey("residents.Resident", on_delete=models.PROTECT, related_name="+")
    # Why: "three failed attempts in a row", "the day-30 contact missed by 14 days".
    because = models.CharField(max_length=200)
    marked_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-marked_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["discharge"], condition=Q(closed_at__isnull=True), name="lost_one_open"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True)
                | (Q(closed_by__isnull=False) & ~Q(closed_reason="")),
                name="lost_closed_with_reason",
                violation_error_message="Lost to follow-up is closed only with a reason.",
            ),
        ]

    def __str__(self):
        return f"resident #{self.resident_id} lost to follow-up"
