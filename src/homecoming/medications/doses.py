"""Doses as exact quantities: an amount and an explicit unit, converted only where it is certain.

Mass converts between g, mg and mcg by powers of ten. A volume (mL) converts to mass only through
the protocol's concentration (amount of drug per volume), so only for a liquid. Anything else is
a unit mismatch and is refused, never guessed. Arithmetic is in Fractions: "5 mg in 3 mL" makes
1 mL = 5/3 mg exactly, and a 24-hour sum of such doses is compared with the limit without rounding.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import models


class Unit(models.TextChoices):
    G = "g", "g"
    MG = "mg", "mg"
    MCG = "mcg", "mcg"
    ML = "mL", "mL"


# How many micrograms one unit of mass is.
MICROGRAMS = {Unit.G: 1_000_000, Unit.MG: 1_000, Unit.MCG: 1}
MASS_UNITS = tuple(MICROGRAMS)

# Digits a dose may carry: up to 99,999.999 of its unit.
MAX_DIGITS = 8
DECIMAL_PLACES = 3


class UnitMismatch(ValidationError):
    """A dose whose unit cannot be turned into the protocol's unit without guessing."""


@dataclass(frozen=True)
class Strength:
    """How much drug a form holds: `amount` `unit` per `per_ml` mL for a liquid, or per unit
    (tablet, capsule) when `per_ml` is None."""

    amount: Decimal
    unit: str
    per_ml: Decimal | None = None

    def __str__(self):
        if self.per_ml is None:
            return f"{plain(self.amount)} {self.unit}"
        if self.per_ml == 1:
            return f"{plain(self.amount)} {self.unit}/mL"
        return f"{plain(self.amount)} {self.unit} in {plain(self.per_ml)} mL"


def plain(amount) -> str:
    """A Decimal without trailing zeros or exponent: 2.500 -> '2.5', 1E+1 -> '10'."""
    text = format(Decimal(amount).normalize(), "f")
    return text


def parse_amount(text, field="dose") -> Decimal:
    """A positive amount typed by a person, exactly as typed: '2.5' -> Decimal('2.5')."""
    try:
        amount = Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{text!r} is not a number."}) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({field: "Give an amount greater than zero."})
    exponent = amount.as_tuple().exponent
    if -exponent > DECIMAL_PLACES:
        raise ValidationError({field: f"Give at most {DECIMAL_PLACES} decimal places."})
    if amount.adjusted() >= MAX_DIGITS - DECIMAL_PLACES:
        raise ValidationError({field: "That amount is too large to be a dose."})
    return amount


def to_unit(amount, unit: str, target: str, strength: Strength | None = None) -> Fraction:
    """`amount` `unit` expressed exactly in `target` (a mass unit), or UnitMismatch."""
    if unit not in Unit.values:
        raise UnitMismatch(f"{unit!r} is not a unit this center doses in (g, mg, mcg, mL).")
    if target not in MASS_UNITS:
        raise UnitMismatch(f"Limits are kept in a unit of mass, not {target!r}.")
    quantity = Fraction(Decimal(amount))
    if unit == Unit.ML:
        if strength is None or strength.per_ml is None:
            raise UnitMismatch(
                "A dose in mL needs a liquid's concentration; this protocol's form has none. "
                "Give the dose in a unit of mass."
            )
        if strength.unit not in MASS_UNITS:
            raise UnitMismatch(f"The concentration is not in a unit of mass ({strength.unit}).")
        quantity = quantity * Fraction(Decimal(strength.amount)) / Fraction(strength.per_ml)
        unit = strength.unit
    return quantity * MICROGRAMS[unit] / MICROGRAMS[target]


def describe(quantity: Fraction, unit: str) -> str:
    """An exact quantity for a person: '7.5 mg', or '1.667 mg' (shown rounded, marked '≈')."""
    as_decimal = Decimal(quantity.numerator) / Decimal(quantity.denominator)
    shown = as_decimal.quantize(Decimal("0.001")).normalize()
    exact = Fraction(shown) == quantity
    return f"{'' if exact else '≈'}{format(shown, 'f')} {unit}"
