"""The formulary's protocols, prescribers' orders, and the administration record (eMAR).

A protocol is final once added (a change of limits is a new protocol, so no order silently gets
new limits); it can only be retired. An order can only be discontinued. Administrations and
stopped attempts are never changed or deleted: the database refuses it.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from homecoming.core import dates

from .doses import DECIMAL_PLACES, MASS_UNITS, MAX_DIGITS, Unit


def dose_field(**kwargs):
    return models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


class Form(models.TextChoices):
    TABLET = "tablet", "Tablet"
    CAPSULE = "capsule", "Capsule"
    ORAL_LIQUID = "oral_liquid", "Oral liquid"
    INJECTION = "injection", "Injection"


# Forms measured by volume: their strength is a concentration (amount per mL).
LIQUID_FORMS = (Form.ORAL_LIQUID, Form.INJECTION)


class Route(models.TextChoices):
    ORAL = "oral", "By mouth"
    SUBLINGUAL = "sublingual", "Under the tongue"
    INTRAMUSCULAR = "intramuscular", "Intramuscular injection"
    SUBCUTANEOUS = "subcutaneous", "Subcutaneous injection"
    INTRAVENOUS = "intravenous", "Intravenous"


ROUTES_FOR_FORM = {
    Form.TABLET: (Route.ORAL, Route.SUBLINGUAL),
    Form.CAPSULE: (Route.ORAL,),
    Form.ORAL_LIQUID: (Route.ORAL,),
    Form.INJECTION: (Route.INTRAMUSCULAR, Route.SUBCUTANEOUS, Route.INTRAVENOUS),
}


class Frequency(models.TextChoices):
    DAILY = "daily", "Once a day"
    TWICE_DAILY = "twice_daily", "Twice a day"
    THREE_TIMES_DAILY = "three_times_daily", "Three times a day"
    FOUR_TIMES_DAILY = "four_times_daily", "Four times a day"
    AT_BEDTIME = "at_bedtime", "At bedtime"
    AS_NEEDED = "as_needed", "As needed"


class Protocol(models.Model):
    """One drug in one form and strength, with the limits no order or dose may pass."""

    ledger_versioned = True

    drug = models.CharField(max_length=120)
    form = models.CharField(max_length=16, choices=Form.choices)
    strength_amount = dose_field()
    strength_unit = models.CharField(max_length=4, choices=Unit.choices)
    # For a liquid: the strength is strength_amount per this many mL.
    strength_per_ml = dose_field(null=True, blank=True)
    # The unit of the limits below, and of every 24-hour sum (a unit of mass).
    limit_unit = models.CharField(max_length=4, choices=Unit.choices)
    max_single_dose = dose_field()
    max_daily_dose = dose_field()  # in any rolling 24 hours
    min_interval_minutes = models.PositiveIntegerField()
    controlled = models.BooleanField(default=False)
    investigational = models.BooleanField(default=False)
    # The consent document (by its code, across versions) a resident must have signed and not
    # revoked for any dose of this protocol to be given.
    consent_code = models.SlugField(max_length=64)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["drug", "strength_amount", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(limit_unit__in=MASS_UNITS) & Q(strength_unit__in=MASS_UNITS),
                name="protocol_mass_units",
            ),
            models.CheckConstraint(
                condition=Q(strength_amount__gt=0)
                & Q(max_single_dose__gt=0)
                & Q(max_daily_dose__gte=F("max_single_dose")),
                name="protocol_limits_positive_and_ordered",
            ),
            models.CheckConstraint(
                condition=Q(form__in=LIQUID_FORMS, strength_per_ml__gt=0)
                | (~Q(form__in=LIQUID_FORMS) & Q(strength_per_ml__isnull=True)),
                name="protocol_liquid_has_concentration",
            ),
            models.CheckConstraint(
                condition=Q(retired_at__isnull=True) | Q(retired_by__isnull=False),
                name="protocol_retirement_has_actor",
            ),
        ]

    def __str__(self):
        return f"{self.drug} {self.strength} {self.get_form_display().lower()}"

    @property
    def strength(self):
        from .doses import Strength

        return Strength(self.strength_amount, self.strength_unit, self.strength_per_ml)

    @property
    def needs_witness(self) -> bool:
        return self.controlled or self.investigational


class Order(models.Model):
    """A prescriber's order: this resident, this protocol, this dose, by this route, this often."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="medication_orders"
    )
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="orders")
    dose_amount = dose_field()
    dose_unit = models.CharField(max_length=4, choices=Unit.choices)
    route = models.CharField(max_length=16, choices=Route.choices)
    frequency = models.CharField(max_length=20, choices=Frequency.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    instructions = models.TextField(blank=True)
    prescribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prescribed_at = models.DateTimeField()
    discontinued_at = models.DateTimeField(null=True, blank=True)
    discontinued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    discontinue_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["resident", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(dose_amount__gt=0), name="order_dose_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="order_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(discontinued_at__isnull=True)
                | (Q(discontinued_by__isnull=False) & ~Q(discontinue_reason="")),
                name="order_discontinuation_explained",
            ),
        ]

    def __str__(self):
        return f"{self.protocol.drug} {self.dose_amount.normalize():f} {self.dose_unit}"

    def active_at(self, moment) -> bool:
        return (
            self.starts_at <= moment
            and (self.ends_at is None or moment < self.ends_at)
            and (self.discontinued_at is None or moment < self.discontinued_at)
        )


class AdministrationStatus(models.TextChoices):
    GIVEN = "given", "Given"
    REFUSED = "refused", "Refused by the resident"
    HELD = "held", "Held"
    MISSED = "missed", "Missed"


class Administration(models.Model):
    """What happened to one dose: given (how much, when, by whom, before which witness), refused,
    held with a reason, or missed. A scheduled dose has one row at most."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="administrations"
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="administrations")
    status = models.CharField(max_length=8, choices=AdministrationStatus.choices)
    # The dose time on the order's schedule this row answers; empty for an as-needed dose.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    # When it happened (given, refused, held, found missed): may be a little before recorded_at.
    at = models.DateTimeField()
    dose_amount = dose_field(null=True, blank=True)
    dose_unit = models.CharField(max_length=4, choices=Unit.choices, blank=True)
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # An override of the minimum interval or an allergy: a second clinician's co-signature and
    # the reason.
    override_cosigner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["resident", "at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "scheduled_for"],
                condition=Q(scheduled_for__isnull=False),
                name="administration_one_per_scheduled_dose",
                violation_error_message="This dose has already been recorded.",
            ),
            models.CheckConstraint(
                condition=(Q(status="given", dose_amount__gt=0) & ~Q(dose_unit=""))
                | (~Q(status="given") & Q(dose_amount__isnull=True)),
                name="administration_dose_iff_given",
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | ~Q(reason=""), name="administration_held_has_reason"
            ),
            models.CheckConstraint(
                condition=(Q(override_cosigner__isnull=True) & Q(override_reason=""))
                | (
                    Q(status="given", override_cosigner__isnull=False)
                    & ~Q(override_reason="")
                    & ~Q(override_cosigner=F("recorded_by"))
                ),
                name="administration_override_cosigned",
            ),
            models.CheckConstraint(
                condition=Q(witness__isnull=True) | ~Q(witness=F("recorded_by")),
                name="administration_witness_is_someone_else",
            ),
        ]

    def __str__(self):
        return f"{self.get_status_display()} at {dates.moment(self.at)}"


class DoseStop(models.Model):
    """A dose the hard stops refused: who tried, what, when, and every rule it broke. Kept so a
    blocked attempt is as visible in the record as a given dose."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="dose_stops"
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="dose_stops")
    scheduled_for = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField()  # when the dose was to be given
    dose_amount = dose_field(null=True, blank=True)
    dose_unit = models.CharField(max_length=16, blank=True)  # as typed, even if no unit
    attempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attempted_at = models.DateTimeField()
    # [{"rule": "...", "message": "..."}], in the order the rules are checked.
    stops = models.JSONField()
    # An override was asked for and refused (a ceiling, or no valid co-signature).
    override_requested = models.BooleanField(default=False)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self):
        return f"dose stopped at {dates.moment(self.attempted_at)}"


class OrderStop(models.Model):
    """An order the hard stops refused (an ingredient ceiling, an interacting pair, an allergy):
    who tried to order what, when, and every stop it met. Kept so a refused order is as visible
    in the resident's medication record as a stopped dose."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="order_stops"
    )
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="order_stops")
    # The order as written, in words ("400 mg, as needed"): what was asked, valid or not.
    ordered = models.CharField(max_length=200)
    attempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attempted_at = models.DateTimeField()
    # [{"rule": "allergy" | "interaction" | "dose_amount" | "frequency", "message": "..."}]
    stops = models.JSONField()

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self):
        return f"{self.protocol.drug} order stopped"


class Ingredient(models.Model):
    """An active ingredient and the ceilings that hold for it per resident across every order,
    protocol and as-needed order together (ingredient_limits.py). Final once added, like a
    protocol: a protocol's own limits may be tighter, never looser."""

    ledger_versioned = True

    name = models.CharField(max_length=120)
    # Lower-case name, unique: "Ibuprofen" and "ibuprofen" are one ingredient.
    key = models.CharField(max_length=120, unique=True)
    # The therapeutic class (e.g. "NSAID"); two active orders of one class are duplicate therapy.
    drug_class = models.CharField(max_length=120, blank=True)
    limit_unit = models.CharField(max_length=4, choices=Unit.choices)
    max_single_dose = dose_field()
    max_daily_dose = dose_field()  # in any rolling 24 hours, across every order
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(limit_unit__in=MASS_UNITS)
                & Q(max_single_dose__gt=0)
                & Q(max_daily_dose__gte=F("max_single_dose")),
                name="ingredient_limits_positive_and_ordered",
            ),
        ]

    def __str__(self):
        return self.name


class ProtocolIngredient(models.Model):
    """Which ingredient a protocol's drug is. A row of its own (not a protocol column) so the
    protocols already recorded keep their recorded versions."""

    ledger_versioned = True

    protocol = models.OneToOneField(
        Protocol, on_delete=models.PROTECT, related_name="ingredient_link"
    )
    ingredient = models.ForeignKey(Ingredient, on_delete=models.PROTECT, related_name="protocols")

    def __str__(self):
        return f"{self.protocol_id} is {self.ingredient_id}"


class Interaction(models.Model):
    """Two ingredients the formulary says must not be ordered together: an order of one while
    the other runs is stopped unless a second clinician co-signs an override."""

    ledger_versioned = True

    first = models.ForeignKey(Ingredient, on_delete=models.PROTECT, related_name="+")
    second = models.ForeignKey(Ingredient, on_delete=models.PROTECT, related_name="+")
    description = models.TextField()
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["first__key", "second__key"]
        constraints = [
            # One row per pair, stored with the lower id first.
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="interaction_ordered"),
            models.UniqueConstraint(fields=["first", "second"], name="interaction_once"),
        ]

    def __str__(self):
        return f"{self.first} with {self.second}"


class OrderCheck(models.Model):
    """What the prescriber was warned of when writing an order, and what they did about it: the
    duplicate therapy they acknowledged, the interactions a second clinician overrode."""

    ledger_versioned = True

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="checks_at_ordering")
    # [message, ...]: the duplicate-therapy warnings shown and acknowledged.
    duplicates = models.JSONField(default=list)
    # [message, ...]: the interactions overridden (empty when none).
    interactions = models.JSONField(default=list)
    override_cosigner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(override_cosigner__isnull=True) & Q(override_reason=""))
                | (Q(override_cosigner__isnull=False) & ~Q(override_reason="")),
                name="order_check_override_cosigned",
            ),
        ]

    def __str__(self):
        return f"checks of order {self.order_id}"


class AllergyKind(models.TextChoices):
    ALLERGY = "allergy", "Allergy"
    INTOLERANCE = "intolerance", "Intolerance"


class AllergySeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AllergyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    # Tested or given the substance since without a reaction: the allergy was not one.
    REFUTED = "refuted", "Ruled out"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class Allergy(models.Model):
    """An allergy or intolerance the resident has: to an ingredient of the formulary, a drug
    class, or anything else in words. While active, an order or a dose of a product containing
    it is a hard stop (allergies.py). Never deleted: a wrong one is ruled out, with the reason."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="allergies"
    )
    # The formulary's ingredient when the substance is one; else the words alone.
    ingredient = models.ForeignKey(
        Ingredient, null=True, blank=True, on_delete=models.PROTECT, related_name="allergies"
    )
    substance = models.CharField(max_length=120)
    # Lower-case, spaces folded: what orders are matched on (an ingredient, its class, a drug).
    substance_key = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=AllergyKind.choices)
    reaction = models.CharField(max_length=500)
    severity = models.CharField(max_length=8, choices=AllergySeverity.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    # Confirmed by a clinician (a test, a witnessed reaction, the resident's own records).
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=AllergyStatus.choices, default=AllergyStatus.ACTIVE
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["resident", "-recorded_at", "-id"]
        indexes = [models.Index(fields=["resident", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(verified_by__isnull=True) & Q(verified_at__isnull=True))
                | (Q(verified_by__isnull=False) & Q(verified_at__isnull=False)),
                name="allergy_verification_has_actor",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="active")
                    & Q(status_changed_by__isnull=True)
                    & Q(status_changed_at__isnull=True)
                    & Q(status_reason="")
                )
                | (
                    Q(status__in=("refuted", "entered_in_error"))
                    & Q(status_changed_by__isnull=False)
                    & Q(status_changed_at__isnull=False)
                    & ~Q(status_reason="")
                ),
                name="allergy_ruled_out_explained",
            ),
            models.CheckConstraint(condition=~Q(substance_key=""), name="allergy_names_substance"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.substance}"

    @property
    def active(self) -> bool:
        return self.status == AllergyStatus.ACTIVE


class NoKnownAllergies(models.Model):
    """The resident was asked and has no allergy anyone knows of: said explicitly, so an empty
    list is never mistaken for "asked, none". Holds until an allergy is recorded after it."""

    ledger_versioned = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="no_known_allergies"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["resident", "-recorded_at", "-id"]
        verbose_name_plural = "no known allergies"

    def __str__(self):
        return "no known allergies"


class AllergyOverride(models.Model):
    """An order written despite an active allergy, co-signed by a second clinician with the
    reason: its doses are not stopped for that allergy (an allergy recorded later still stops
    them)."""

    ledger_versioned = True

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="allergy_overrides")
    allergy = models.ForeignKey(Allergy, on_delete=models.PROTECT, related_name="overrides")
    message = models.TextField()  # what the prescriber was shown
    cosigner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "allergy"], name="allergy_override_once"),
            models.CheckConstraint(condition=~Q(reason=""), name="allergy_override_explained"),
        ]

    def __str__(self):
        return f"order {self.order_id} despite allergy {self.allergy_id}"
