"""The patient: age, weight and conditions as the scribe knows them, and the age bands."""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from schemas.fields import ShortText
from schemas.plausible import Weight, check_age, check_dob
from schemas.vocabulary import Condition, Sex, WeightSource

DAYS_PER_YEAR = 365.25
AGE_PARTS = ("age_years", "age_months", "age_days")


class Patient(BaseModel):
    """What is known of the patient; every field optional (the clock starts first)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    age_years: Annotated[float, Field(strict=True, ge=0, le=130)] | None = None
    age_months: Annotated[float, Field(strict=True, ge=0, le=1560)] | None = None
    age_days: Annotated[float, Field(strict=True, ge=0, le=47500)] | None = None
    weight_kg: Weight | None = None
    weight_source: WeightSource | None = None
    sex: Sex | None = None
    name: ShortText | None = None
    mrn: ShortText | None = None
    dob: date | None = None
    conditions: list[Condition] | None = None

    @model_validator(mode="after")
    def _plausible(self, info: ValidationInfo) -> "Patient":
        # When entered only (schemas/plausible.py): a code stored before these limits still reads.
        check_age(self.age, info)
        check_dob(self.dob, info)
        return self

    @property
    def age(self) -> float | None:
        """Age in years, or None when no part of it was given."""
        parts = (self.age_years, self.age_months, self.age_days)
        if all(p is None for p in parts):
            return None
        return (self.age_years or 0) + (self.age_months or 0) / 12 + (self.age_days or 0) / DAYS_PER_YEAR

    def age_on(self, start: date | None) -> float | None:
        """Age in years at a code that started on the local date `start` (events.md).

        The age parts when any is given; otherwise, from `dob`, whole days from it to `start` ÷ 365.25
        (rules.md's settled reading); None when neither is known.
        """
        age = self.age
        if age is not None or self.dob is None or start is None:
            return age
        return max((start - self.dob).days, 0) / DAYS_PER_YEAR

    def merged(self, update: "Patient") -> "Patient":
        """This patient with the fields that `update` gives replacing ours.

        An update that gives any age part replaces all three (events.md, second edition): the parts
        it leaves out become unknown, so `age_days: 10` after `age_years: 1` is a 10-day-old.
        """
        given = update.model_dump(exclude_unset=True, exclude_none=True)
        if any(part in given for part in AGE_PARTS):
            given = {**dict.fromkeys(AGE_PARTS), **given}
        return self.model_copy(update=given)


# The de-identified age bands of exports.md §2, youngest first, each up to (not including) its upper age
# in years; the last has none. The audit database keeps them in this order (recorder/store/audit_sqlite.py).
AGE_BANDS: tuple[tuple[float | None, str], ...] = (
    (28 / DAYS_PER_YEAR, "<28d"),
    (1, "<1y"),
    (5, "1-4y"),
    (12, "5-11y"),
    (18, "12-17y"),
    (65, "18-64y"),
    (90, "65-89y"),
    (None, "90+"),
)


def age_band(age: float | None) -> str | None:
    """The de-identified age band of an age in years (exports.md §2)."""
    if age is None:
        return None
    return next(band for upper, band in AGE_BANDS if upper is None or age < upper)
