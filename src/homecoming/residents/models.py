"""Residents, their stays, rooms and beds, and care teams.

Invariants a row (or the database) can check by itself live here as constraints: a bed holds one
resident at a time, a resident has at most one open stay, one current bed and one current member
per care-team role. Everything that needs an actor, a policy or the ledger is in services.py.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from homecoming.core import dates


class Center(models.Model):
    """The one center this installation runs (a row, so the demo and operators can name it).

    Made by `homecoming init` (or `center load`), changed by the program director: every write
    goes through residents/setup.py with its version and ledger entry."""

    ledger_versioned = True  # every write stores a version; verify --database checks it

    name = models.CharField(max_length=200)
    operator = models.CharField(
        max_length=200, blank=True, help_text="The company operating the center."
    )
    sponsor = models.CharField(
        max_length=200, blank=True, help_text="The government body paying for it."
    )
    # An IANA zone name (America/Chicago): the zone every page shows times in. Empty: the
    # HOMECOMING_TIME_ZONE setting (centers made before the field existed).
    time_zone = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return self.name


class Program(models.Model):
    """A treatment program the center runs (a stay belongs to one). Retired, never deleted."""

    ledger_versioned = True  # every write stores a version; verify --database checks it

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-active", "name"]

    def __str__(self):
        return self.name


class ServiceBranch(models.TextChoices):
    ARMY = "army", "Army"
    NAVY = "navy", "Navy"
    AIR_FORCE = "air_force", "Air Force"
    MARINE_CORPS = "marine_corps", "Marine Corps"
    SPACE_FORCE = "space_force", "Space Force"
    COAST_GUARD = "coast_guard", "Coast Guard"
    NATIONAL_GUARD = "national_guard", "National Guard"


class ResidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Narrow to the residents the access policy lets this user see (deny by default)."""
        from homecoming.access import policy

        return policy.visible_residents(user, self)

    def lock(self, pk):
        """The resident's row, locked until the transaction ends: writers on one resident go one
        at a time. FOR NO KEY UPDATE, not FOR UPDATE: the ledger's inserts check their foreign
        key to the resident (a KEY SHARE lock), and a FOR UPDATE lock held while waiting for the
        ledger head deadlocked against a request holding the head and checking that key
        (bench/load.py found it at 25 users on PostgreSQL)."""
        return self.select_for_update(no_key=True).get(pk=pk)


class Resident(models.Model):
    ledger_versioned = True  # every write stores a version; verify --database checks it

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resident",
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField()
    service_branch = models.CharField(max_length=32, choices=ServiceBranch.choices)
    service_start = models.DateField()
    service_end = models.DateField(null=True, blank=True)
    # The DoD ID or service number, as printed (spaces and dashes dropped, letters upper-case):
    # optional, and not unique, because intake warns of a likely duplicate rather than refusing.
    service_number = models.CharField(max_length=20, blank=True)
    emergency_contact_name = models.CharField(max_length=200)
    emergency_contact_relationship = models.CharField(max_length=100)
    emergency_contact_phone = models.CharField(max_length=40)
    registered_at = models.DateTimeField()
    # What intake warned of (a likely duplicate of an existing resident) and that the person who
    # admitted them confirmed a different person: kept with the record's first version.
    intake_warning = models.TextField(blank=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [
            models.Index(fields=["family_name", "given_name"]),
            models.Index(fields=["service_number"], name="resident_service_number"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(service_start__gt=F("date_of_birth")),
                name="resident_service_after_birth",
                violation_error_message="Service cannot start before the date of birth.",
            ),
            models.CheckConstraint(
                condition=Q(service_end__isnull=True) | Q(service_end__gte=F("service_start")),
                name="resident_service_end_after_start",
                violation_error_message="Service cannot end before it started.",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}"

    @property
    def initials(self) -> str:
        """What stands for the photo when none was taken (a neutral circle, never a blank)."""
        first = self.preferred_name or self.given_name
        return f"{first[:1]}{self.family_name[:1]}".upper()

    @property
    def legal_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Deployment(models.Model):
    ledger_versioned = True  # every write stores a version; verify --database checks it

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="deployments")
    location = models.CharField(max_length=200)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["started_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="deployment_end_after_start",
                violation_error_message="A deployment cannot end before it starts.",
            )
        ]

    def __str__(self):
        return f"{self.location} from {self.started_on}"


class StayStatus(models.TextChoices):
    EXPECTED = "expected", "Expected"
    IN_RESIDENCE = "in_residence", "In residence"
    DISCHARGED = "discharged", "Discharged"
    # A planned admission that will not happen (the person chose another program, was
    # recalled to duty...): never in residence, so never "discharged". Why is a StayCancellation.
    CANCELLED = "cancelled", "Cancelled before arrival"


OPEN_STAY = Q(status__in=[StayStatus.EXPECTED, StayStatus.IN_RESIDENCE])


class Stay(models.Model):
    """One episode of residence, from admission to discharge.

    A planned admission (a future admission date) is an expected stay until staff record the
    arrival, on or after that date: until then the resident is not in residence, and the bed
    chosen is only reserved (reserved_bed) from the admission date for the expected length, not
    occupied. The arrival turns the reservation into a bed assignment."""

    ledger_versioned = True  # every write stores a version; verify --database checks it

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="stays")
    admitted_on = models.DateField()
    expected_length_days = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=StayStatus.choices)
    program = models.ForeignKey(
        "Program", null=True, blank=True, on_delete=models.PROTECT, related_name="stays"
    )
    discharged_on = models.DateField(null=True, blank=True)
    opened_at = models.DateTimeField()
    reserved_bed = models.ForeignKey(
        "Bed", null=True, blank=True, on_delete=models.PROTECT, related_name="reservations"
    )

    class Meta:
        ordering = ["-admitted_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=OPEN_STAY, name="stay_one_open_per_resident"
            ),
            models.CheckConstraint(
                condition=Q(expected_length_days__gte=1), name="stay_expected_length_positive"
            ),
            models.CheckConstraint(
                condition=Q(status__in=StayStatus.values), name="stay_status_known"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=StayStatus.DISCHARGED, discharged_on__gte=F("admitted_on"))
                    | (~Q(status=StayStatus.DISCHARGED) & Q(discharged_on__isnull=True))
                ),
                name="stay_discharge_date_iff_discharged",
            ),
            # A reservation belongs to a planned admission: the arrival turns it into a bed
            # assignment and clears it (its versions keep what was reserved).
            models.CheckConstraint(
                condition=Q(reserved_bed__isnull=True) | Q(status=StayStatus.EXPECTED),
                name="stay_reservation_only_while_expected",
            ),
        ]
        indexes = [models.Index(fields=["reserved_bed", "status"], name="stay_reserved_bed")]

    def __str__(self):
        return f"Stay from {self.admitted_on}"

    @property
    def is_open(self) -> bool:
        return self.status in (StayStatus.EXPECTED, StayStatus.IN_RESIDENCE)

    @property
    def arrival_due(self) -> bool:
        """A planned admission whose day has come: its arrival can be recorded."""
        return self.status == StayStatus.EXPECTED and self.admitted_on <= timezone.localdate()

    @property
    def expected_end(self):
        """The day after the expected last night: a bed's booked period is [admitted_on, this)."""
        return self.admitted_on + dt.timedelta(days=self.expected_length_days)


class StayCancellation(models.Model):
    """Why a planned admission did not happen, who said so and when. Its own row, written once
    (the database refuses to change or delete it), beside the stay it ended."""

    ledger_versioned = True  # every write stores a version; verify --database checks it

    stay = models.OneToOneField(Stay, on_delete=models.PROTECT, related_name="cancellation")
    reason = models.TextField()
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="stay_cancellation_has_reason")
        ]

    def __str__(self):
        return f"Planned admission of {self.stay.admitted_on} cancelled"


class Room(models.Model):
    """A room of beds. Out of service (with the reason why): none of its beds takes a resident.
    The database refuses to delete a room or a bed: their history stays readable."""

    ledger_versioned = True  # every write stores a version; verify --database checks it

    name = models.CharField(max_length=50, unique=True)
    wing = models.CharField(max_length=50)
    in_service = models.BooleanField(default=True)
    out_of_service_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["wing", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(in_service=True) | ~Q(out_of_service_reason=""),
                name="room_out_of_service_has_reason",
                violation_error_message="Say why the room is out of service.",
            )
        ]

    def __str__(self):
        return self.name


class Bed(models.Model):
    ledger_versioned = True  # every write stores a version; verify --database checks it

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="beds")
    label = models.CharField(max_length=10)
    in_service = models.BooleanField(default=True)
    out_of_service_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["room__wing", "room__name", "label"]
        constraints = [
            models.UniqueConstraint(fields=["room", "label"], name="bed_label_unique_in_room"),
            models.CheckConstraint(
                condition=Q(in_service=True) | ~Q(out_of_service_reason=""),
                name="bed_out_of_service_has_reason",
                violation_error_message="Say why the bed is out of service.",
            ),
        ]

    def __str__(self):
        return f"{self.room.name}-{self.label}"

    @property
    def usable(self) -> bool:
        """Takes a resident: the bed and its room are both in service."""
        return self.in_service and self.room.in_service


class BedAssignment(models.Model):
    """A stay's occupancy of a bed. The database refuses two current assignments of one bed."""

    ledger_versioned = True  # every write stores a version; verify --database checks it

    stay = models.ForeignKey(Stay, on_delete=models.PROTECT, related_name="bed_assignments")
    bed = models.ForeignKey(Bed, on_delete=models.PROTECT, related_name="assignments")
    assigned_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assigned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bed"],
                condition=Q(released_at__isnull=True),
                name="bed_never_double_booked",
            ),
            models.UniqueConstraint(
                fields=["stay"], condition=Q(released_at__isnull=True), name="stay_one_current_bed"
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_at__gte=F("assigned_at")),
                name="bed_release_after_assignment",
            ),
        ]

    def __str__(self):
        return f"{self.bed} for stay {self.stay_id}"


class TeamRole(models.TextChoices):
    PRIMARY_CASEWORKER = "primary_caseworker", "Primary caseworker"
    CLINICIAN = "clinician", "Clinician"


class CareTeamMember(models.Model):
    """Who looks after a resident. Membership is what puts a resident on a staff caseload."""

    ledger_versioned = True  # every write stores a version; verify --database checks it

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="care_team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_team_places"
    )
    team_role = models.CharField(max_length=32, choices=TeamRole.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["team_role", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "team_role"],
                condition=Q(ended_at__isnull=True),
                name="care_team_one_current_per_role",
            ),
        ]
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self):
        return f"{self.get_team_role_display()}: {self.user}"


class ResidentPhoto(models.Model):
    """A photograph of the resident, so whoever opens the record or gives a dose sees whose it
    is (the second identifier, with the date of birth). One row per upload: the newest is the
    photo shown; an older one stays, with who took it and when, never deleted nor changed."""

    ledger_versioned = True  # every write stores a version; verify --database checks it

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="photos")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    storage_name = models.CharField(max_length=200)  # a fresh random name (core/uploads.py)
    content_type = models.CharField(max_length=40)  # as read from the bytes, never as claimed
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)  # the record commits to the exact bytes

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["resident", "-uploaded_at"], name="resident_photo_newest")]

    def __str__(self):
        return f"Photo of resident {self.resident_id} ({dates.day(self.uploaded_at)})"
