"""Dose arithmetic: unit conversion, the dosing table's expected range, and infusion rates."""

import re

from recorder.engine.first_edition.protocol import DoseRange, DoseRow, Protocol
from schemas.vocabulary import Severity

# Unit definitions, not clinical numbers: how many mg one of each mass unit is.
MG_PER = {"mcg": 1e-3, "mg": 1.0, "g": 1e3}
MG_PER_G_PER_100_ML = 10.0  # "N%" is N g per 100 mL = 10·N mg per mL
MCG_PER_MG = 1e3
MIN_PER_H = 60.0
# Equal within float noise: 0.12 × 1.2 must not read as above 0.144.
_EPS = 1e-9

_CONCENTRATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(%|(mg|mcg|g|mEq|units)/mL)\s*$")


def percent(concentration: str | None) -> float | None:
    """The N of an "N%" concentration; None for any other form."""
    match = _CONCENTRATION.match(concentration or "")
    if not match or match.group(2) != "%":
        return None
    return float(match.group(1))


def per_ml(concentration: str | None) -> tuple[float, str] | None:
    """(amount, unit) in one mL: "0.1 mg/mL" → (0.1, "mg"); "8.4%" → (84.0, "mg")."""
    match = _CONCENTRATION.match(concentration or "")
    if not match:
        return None
    value = float(match.group(1))
    if match.group(2) == "%":
        return value * MG_PER_G_PER_100_ML, "mg"
    return value, match.group(3)


def convert(
    dose: float, unit: str, to: str, *, drug: str, concentration: str | None, protocol: Protocol
) -> float | None:
    """`dose` `unit` in `to` units, or None when it cannot be converted.

    mcg/mg/g by factor; mL through the concentration ("X mg/mL", "N%" = N g per 100 mL);
    sodium bicarbonate mL by its % at `bicarbonate_mg_per_meq` (8.4 % = 1 mEq/mL).
    """
    if unit == "mL":
        strength = per_ml(concentration)
        if strength is None:
            return None
        dose, unit = dose * strength[0], strength[1]
        if drug == "sodium_bicarbonate" and unit in MG_PER and to == "mEq":
            return dose * MG_PER[unit] / protocol.conversions.bicarbonate_mg_per_meq
    if unit == to:
        return dose
    if unit in MG_PER and to in MG_PER:
        return dose * MG_PER[unit] / MG_PER[to]
    return None


def select_row(
    protocol: Protocol, drug: str, *, purpose: str | None, age: float | None, earlier_doses: int
) -> DoseRow | None:
    """The first dosing-table row for this drug whose condition holds."""
    for row in protocol.dose_rows(drug):
        if row.when is None:
            return row
        if row.when == "neonate" and protocol.is_neonate(age):
            return row
        if row.when == "io_analgesia" and purpose == "io_analgesia":
            return row
        if row.when == "first_dose" and earlier_doses == 0:
            return row
        if row.when == "later_dose" and earlier_doses > 0:
            return row
    return None


def expected_range(
    row: DoseRow, protocol: Protocol, *, age: float | None, weight: float | None
) -> tuple[float, float] | None:
    """[low, high] in the row's unit, or None when the age or weight it needs is unknown."""
    if age is None:
        return None
    if protocol.is_adult(age):
        if row.adult is not None:
            return row.adult
        if row.adult_per_kg is not None:
            return None if weight is None else (row.adult_per_kg[0] * weight, row.adult_per_kg[1] * weight)
    if weight is None:
        return None
    floor = row.min_single if row.min_single is not None else 0.0
    ceiling = row.max_single if row.max_single is not None else float("inf")

    def clamp(x: float) -> float:
        return min(max(x, floor), ceiling)

    return clamp(row.per_kg[0] * weight), clamp(row.per_kg[1] * weight)


def out_of_range(amount: float, low: float, high: float, factors: DoseRange) -> Severity | None:
    """critical beyond the critical factors, warning beyond the warning ones, else None."""
    if amount < low * factors.critical_low * (1 - _EPS) or amount > high * factors.critical_high * (1 + _EPS):
        return "critical"
    if amount < low * factors.warning_low * (1 - _EPS) or amount > high * factors.warning_high * (1 + _EPS):
        return "warning"
    return None


def above(value: float, limit: float) -> bool:
    """value > limit, not fooled by float noise at the limit itself."""
    return value > limit * (1 + _EPS)


def rate_mcg_kg_min(rate: float, rate_unit: str, weight: float | None) -> float | None:
    """An infusion rate in mcg/kg/min; None for mL/h, or mcg/min with no weight."""
    if rate_unit == "mcg/kg/min":
        return rate
    if rate_unit == "mg/kg/h":
        return rate * MCG_PER_MG / MIN_PER_H
    if rate_unit == "mcg/min" and weight is not None:
        return rate / weight
    return None


def same_percent(a: float, b: float) -> bool:
    return abs(a - b) <= _EPS * max(abs(a), abs(b), 1.0)


def propose_dose(
    protocol: Protocol,
    drug: str,
    *,
    purpose: str | None,
    age: float | None,
    weight: float | None,
    earlier_doses: int,
) -> tuple[float, str] | None:
    """The dose the screen offers: the low end of the dosing table's range for this patient.

    None when the table has no row for the drug or the age or weight it needs is unknown.
    """
    row = select_row(protocol, drug, purpose=purpose, age=age, earlier_doses=earlier_doses)
    if row is None:
        return None
    span = expected_range(row, protocol, age=age, weight=weight)
    if span is None:
        return None
    return float(f"{span[0]:.2g}") if span[0] < 10 else round(span[0]), row.unit
