"""People who log in: staff in their roles, residents, and the API tokens integrations use."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    CASEWORKER = "caseworker", "Caseworker"
    CLINICIAN = "clinician", "Clinician"
    SUPERVISOR = "supervisor", "Supervisor"
    PROGRAM_DIRECTOR = "program_director", "Program director"
    CONTRACTOR = "contractor", "Contractor"
    OVERSIGHT = "oversight", "Oversight officer"
    INVESTIGATOR = "investigator", "Investigator"
    SYSADMIN = "sysadmin", "System administrator"
    RESIDENT = "resident", "Resident"


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices)
    full_name = models.CharField(max_length=200)
    # A clinician is a nurse unless a prescriber; exactly one clinician may be the medical lead.
    is_prescriber = models.BooleanField(default=False)
    is_medical_lead = models.BooleanField(default=False)
    # A caseworker or clinician in training: the notes they sign need a supervisor's co-signature.
    is_trainee = models.BooleanField(default=False)
    # Set when someone else chose the password (a new account, a portal log-in): the owner must
    # replace it before doing anything else, so nobody keeps a working copy of it.
    must_change_password = models.BooleanField(default=False)
    # Care-team defaults for intake: a caseworker or clinician who takes new residents is offered
    # on the intake form (one who does not, say a full caseload, is still on the list, below).
    takes_new_residents = models.BooleanField(default=True)

    REQUIRED_FIELDS = ["role", "full_name"]
    ledger_versioned = True  # every change stores a version; verify --database checks it
    # Never part of a record version: secrets and bookkeeping that changes on every log-in.
    ledger_exclude = ("password", "last_login")

    # Roles whose accounts open resident records: creating one, or resetting its second factor,
    # is told to the program director and the oversight body.
    RECORD_ROLES = ("caseworker", "clinician", "supervisor", "program_director")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_user_role_known"
            ),
            models.UniqueConstraint(
                fields=["is_medical_lead"],
                condition=models.Q(is_medical_lead=True),
                name="accounts_one_medical_lead",
            ),
            models.CheckConstraint(
                condition=models.Q(is_medical_lead=False) | models.Q(role="clinician"),
                name="accounts_medical_lead_is_clinician",
            ),
            models.CheckConstraint(
                condition=models.Q(is_prescriber=False) | models.Q(role="clinician"),
                name="accounts_prescriber_is_clinician",
            ),
        ]

    def __str__(self):
        return self.full_name or self.username

    @property
    def is_staff_member(self) -> bool:
        """Everyone but residents: they log in with a second factor."""
        return self.role != Role.RESIDENT

    @property
    def needs_second_factor(self) -> bool:
        return self.is_staff_member


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class ApiToken(models.Model):
    """A bearer token for integrations. Only its SHA-256 is stored: a leaked table opens nothing.

    Tokens are 256 random bits, so a fast hash is enough here (no guessing to slow down). Each
    expires (a forgotten token stops working by itself) and carries a scope: a read token is
    refused on every write."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True)
    scope = models.CharField(max_length=8, choices=TokenScope.choices, default=TokenScope.WRITE)
    # Who issued it: the owner on their account page, or nobody (the operator's command line,
    # whose own ledger entry names the operating-system user and host).
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Never in a record version: the digest is the secret's stand-in, last use is bookkeeping.
    ledger_exclude = ("digest", "last_used_at")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class CommandRun(models.Model):
    """One run of a `homecoming` command that touched accounts or resident data: who ran it at
    the operating system, on which host. Its ledger entry commits to this row, so the ledger
    names the person at the server even though the command acts as "system"."""

    time = models.DateTimeField()
    command = models.CharField(max_length=64)
    detail = models.CharField(max_length=500, blank=True)
    os_user = models.CharField(max_length=150)
    host = models.CharField(max_length=255)

    ledger_versioned = True  # every row has its version; written once, never changed

    def __str__(self):
        return f"{self.command} by {self.os_user}@{self.host}"
