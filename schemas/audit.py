"""The de-identified quality-audit rows of exports.md §2, and the KPIs printed over them.

Only what Safe Harbor allows has a field here: no name, MRN, date of birth, free text, staff or
device serials; the year is the only date element; every time is whole seconds from the code's start.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from schemas.vocabulary import Outcome, Rhythm, Setting, Severity


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AuditCode(_Row):
    """codes.csv: one row per code, in exactly the column order of exports.md §2, then the second edition's KPIs."""

    audit_id: str
    year: int
    age_band: str | None = None
    weight_kg: int | None = None  # rounded to 1 kg
    setting: Setting | None = None
    arrest: bool
    first_rhythm: Rhythm | None = None
    outcome: Outcome | None = None
    duration_s: int | None = None
    io_attempts: int
    io_first_attempt_success: bool | None = None
    io_lines_confirmed: int
    t_first_access_attempt_s: int | None = None
    t_first_working_access_s: int | None = None
    t_first_io_attempt_s: int | None = None
    t_first_confirmed_io_s: int | None = None
    t_first_drug_s: int | None = None
    t_first_epinephrine_s: int | None = None
    t_rosc_s: int | None = None
    iv_attempts_before_io: int
    drugs_given: int
    drugs_unflushed: int
    flags_critical: int
    flags_warning: int
    flags_info: int
    voids: int
    amends: int
    late_entries: int
    # Second edition (issue 13), added after the first edition's columns (never renamed or reordered).
    # Seconds from the first vf/pvt documented in an arrest to the first unsynchronized shock after it.
    shockable_to_first_shock_s: int | None = None
    doses_weight_unknown: int = 0  # drug doses given while the weight was unknown (a ceiling checked them)


class AuditAttempt(_Row):
    """attempts.csv: one row per vascular access attempt (an IV's free-text site is left out)."""

    audit_id: str
    line: str
    type: Literal["io", "iv", "uvc"]
    site: str | None = None
    side: str | None = None
    device: str | None = None
    needle_mm: float | None = None
    result: Literal["in", "failed"] | None = None
    confirmed: bool | None = None
    complications: str = ""  # ";"-joined vocabulary words
    t_s: int


class AuditDrug(_Row):
    """drugs.csv: one row per drug given; an `other` drug keeps no name (it is free text)."""

    audit_id: str
    t_s: int
    drug: str
    dose: float
    unit: str
    dose_per_kg: float | None = None
    route: str
    line: str | None = None
    concentration: str | None = None
    purpose: str | None = None
    flushed: bool | None = None  # a flush of its line followed before the next drug through it
    flush_after_s: int | None = None
    flush_ml: float | None = None
    unflushed: bool  # via IO and never flushed, or flushed too late or too little (codes.csv drugs_unflushed)
    # Second edition: false for a dose given before any weight (codes.csv doses_weight_unknown); its
    # dose_per_kg is then on the code's weight, known only later.
    weight_known: bool = True


class AuditFlag(_Row):
    """flags.csv: one row per flag raised; the message and the scribe's reason are left out."""

    audit_id: str
    t_s: int
    rule: str
    severity: Severity
    line: str | None = None
    acknowledged: bool


class AuditExport(_Row):
    """One audit: the four tables (`recorder audit --format json` writes each as its own file)."""

    codes: list[AuditCode] = []
    attempts: list[AuditAttempt] = []
    drugs: list[AuditDrug] = []
    flags: list[AuditFlag] = []


class Kpis(_Row):
    """The terminal's KPI table. Percentages over codes with an IO attempt; medians over codes where it happened."""

    codes: int
    codes_with_io: int
    io_first_attempt_known: int  # codes whose first IO attempt was confirmed or failed
    io_first_attempt_successes: int
    io_first_attempt_success_pct: float | None = None
    median_t_first_io_attempt_s: float | None = None
    median_t_first_confirmed_io_s: float | None = None
    median_t_first_epinephrine_s: float | None = None
    median_shockable_to_first_shock_s: float | None = None  # over codes with a shockable rhythm shocked
    doses_weight_unknown: int = 0  # over all codes
    codes_with_doses_weight_unknown: int = 0
    flags_per_code: dict[str, float] = {}
