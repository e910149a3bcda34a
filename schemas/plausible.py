"""Plausibility limits on numbers and dates, checked when an event is entered, never when a stored one is read.

An event is entered through `parse_event` (the screen, `recorder replay`, an amend's changes), which
validates with `entry_context`; the store reads its events back without it. So a limit added here
refuses new input only: a code recorded before the limit existed still loads, replays, summarises
and verifies exactly as it was recorded.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo

ENTRY = "entry"
# The smallest dose, rate or volume taken, in the event's own unit. Below any real amount: the
# smallest dose we know of, epinephrine 0.01 mg/kg for a 0.4 kg neonate (0.004 mg), is still 4e-6
# written in grams; above the 1e-300 a slip of the keyboard (or a hostile file) gives, which every
# export would print as 0.
MIN_AMOUNT = 1e-6
MAX_AGE_YEARS = 130
MIN_WEIGHT_KG = 0.3  # the smallest live-born infants weigh about 0.25-0.3 kg
MAX_WEIGHT_KG = 350
# A date is a local date somewhere: the latest local date of a UTC instant is 14 hours ahead of it.
LATEST_ZONE = timedelta(hours=14)


def entry_context(code_start: datetime | None = None) -> dict[str, Any]:
    """The validation context of an event being entered, with its code's start when known."""
    return {ENTRY: True, "code_start": code_start}


def entering(info: ValidationInfo) -> dict[str, Any] | None:
    """The entry context, or None when a stored event is being read back."""
    ctx = info.context
    return ctx if isinstance(ctx, dict) and ctx.get(ENTRY) else None


def _amount(value: float, info: ValidationInfo) -> float:
    if entering(info) and value < MIN_AMOUNT:
        raise ValueError(f"{value:g} is too small to be given; at least {MIN_AMOUNT:g} of the unit (check the unit)")
    return value


def _weight(value: float, info: ValidationInfo) -> float:
    if entering(info) and not MIN_WEIGHT_KG <= value <= MAX_WEIGHT_KG:
        raise ValueError(f"{value:g} kg is not a plausible weight; give {MIN_WEIGHT_KG:g} to {MAX_WEIGHT_KG} kg")
    return value


# A dose, rate or volume: finite, above zero and an upper bound at most; at least MIN_AMOUNT when entered.
# Spelled out (not made by a function) so that a type checker takes them for types.
Amount = Annotated[float, Field(strict=True, gt=0, le=1_000_000), AfterValidator(_amount)]
FlushVolume = Annotated[float, Field(strict=True, gt=0, le=5000), AfterValidator(_amount)]
FluidVolume = Annotated[float, Field(strict=True, gt=0, le=20000), AfterValidator(_amount)]
Weight = Annotated[float, Field(strict=True, gt=0, le=500), AfterValidator(_weight)]


def check_age(age: float | None, info: ValidationInfo) -> None:
    """Years, months and days together: at most MAX_AGE_YEARS when entered."""
    if age is not None and entering(info) and age > MAX_AGE_YEARS:
        raise ValueError(
            f"age_years, age_months and age_days together make {age:.4g} years; "
            f"give an age of at most {MAX_AGE_YEARS} years"
        )


def check_dob(dob: date | None, info: ValidationInfo, start: date | None = None, where: str = "") -> None:
    """A date of birth not after the code's start (its local date) and not more than 130 years before it.

    `start` is the code's own local start date when the event carries it (code_started's `at`);
    otherwise the code's start instant from the context, at the latest local date it has anywhere.
    `where` names the field for a reader when the error is raised above the patient.
    """
    ctx = entering(info)
    if dob is None or ctx is None:
        return
    if start is None:
        instant = ctx.get("code_start")
        if instant is None:
            return
        start = (instant.astimezone(UTC) + LATEST_ZONE).date()
    if dob > start:
        raise ValueError(f"{where}dob {dob} is after the code's start ({start}); check the year")
    if start.year - dob.year > MAX_AGE_YEARS + 1:
        raise ValueError(f"{where}dob {dob} makes the patient older than {MAX_AGE_YEARS} years; check the year")
