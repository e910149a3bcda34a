"""Summary: the code summary of exports.md §1 as data — what md, html and json show, and the json itself."""

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.code_record import ArrestPeriod
from schemas.patient import Patient
from schemas.vocabulary import LineKind, LineStatus, Outcome, Setting, Severity


class _Row(BaseModel):
    # `defer_build`: each model's validator is built when the first one is made or written (a summary), not when
    # this module is imported: an audit imports it with the derivation's modules and makes none of them.
    model_config = ConfigDict(frozen=True, defer_build=True)


class Moment(_Row):
    """An event's place in the code: `t` seconds from the start, `at` the clock time in the code's offset."""

    seq: int
    t: float
    at: AwareDatetime


class Header(_Row):
    code_id: int
    audit_id: str
    head_hash: str | None = None  # the hash chain's head when the summary was made: check it against the anchor
    start: AwareDatetime
    end: AwareDatetime | None = None
    duration_s: float | None = None  # None while the code is open
    last_t: float  # the last event on the timeline
    setting: Setting | None = None
    arrest: bool
    outcome: Outcome | None = None
    patient: Patient
    age_years: float | None = None
    age_band: str | None = None
    rules_edition: str | None = None  # the edition of rules.md whose flags the summary lists


class KeyIntervals(_Row):
    """Seconds from the start to each first; None when it never happened."""

    first_access_attempt_s: float | None = None
    first_working_access_s: float | None = None
    first_io_attempt_s: float | None = None
    first_confirmed_io_s: float | None = None
    first_drug_s: float | None = None
    first_epinephrine_s: float | None = None
    rosc_s: float | None = None
    io_attempts: int = 0
    io_first_attempt_success: bool | None = None
    io_lines_confirmed: int = 0
    iv_attempts_before_io: int = 0


class FindingRow(Moment):
    finding: str
    bone: str
    side: str | None = None
    hours_ago: float | None = None
    text: str


class AccessLine(Moment):
    """One line: its attempt (`seq`, `t`), what became of it, and how long it stayed in."""

    line: str
    kind: LineKind
    site: str | None = None
    side: str | None = None
    device: str | None = None
    needle_mm: float | None = None
    by: str | None = None
    result: Literal["in", "failed"] | None = None
    result_t: float | None = None
    result_reason: str | None = None
    aspirated: bool | None = None  # None: no aspiration noted
    flushed_easily: bool | None = None  # None: never flushed
    confirmed_t: float | None = None
    complications: list[str] = []
    failed_t: float | None = None
    removed_t: float | None = None
    pressure_held: bool | None = None
    in_place_s: float | None = None  # from in to removal, or to the end of the record
    status: LineStatus
    success: bool | None = None  # IO: confirmed; IV/UVC: in. None while undecided
    flushes: int = 0
    flush_ml: float = 0.0
    flushed_at: list[float] = []  # every flush and fluid through it
    text: str


class DrugRow(Moment):
    drug: str
    name: str | None = None
    label: str
    dose: float
    unit: str
    weight_kg: float | None = None  # known when it was given
    dose_per_kg: float | None = None
    line: str | None = None
    route: str
    concentration: str | None = None
    diluted: bool | None = None
    purpose: str | None = None
    flushed: bool | None = None  # None: not through a line
    flush_seq: int | None = None
    flush_after_s: float | None = None
    flush_ml: float | None = None
    # Through an IO line, and no flush of it before its next drug or the end, or flagged DRUG_NOT_FLUSHED.
    unflushed: bool = False
    total: float | None = None
    total_unit: str | None = None
    total_per_kg: float | None = None
    flags: list[str] = []


class RateChange(_Row):
    seq: int
    t: float
    rate: float


class InfusionRow(Moment):
    infusion: str
    drug: str
    label: str
    rate: float
    rate_unit: str
    line: str
    method: str
    changes: list[RateChange] = []
    stopped_t: float | None = None


class FluidRow(Moment):
    fluid: str
    label: str
    volume_ml: float
    line: str
    method: str
    total_ml: float
    total_ml_per_kg: float | None = None


class FluidTotals(_Row):
    weight_kg: float | None = None  # the latest known
    fluids_ml: float = 0.0
    fluids_ml_per_kg: float | None = None
    flushes: int = 0
    flush_ml: float = 0.0
    all_ml: float = 0.0  # fluids and flushes
    all_ml_per_kg: float | None = None


class SampleRow(Moment):
    line: str
    tests: list[str]
    labelled_io: bool | None = None


class EventRow(Moment):
    kind: str
    text: str


class FlagRow(_Row):
    """A flag numbered F1, F2 … in (t, seq) order, with the event it points at."""

    n: int
    rule: str
    severity: Severity
    seq: int
    t: float
    at: AwareDatetime
    line: str | None = None
    message: str
    acknowledged: bool = False
    reason: str | None = None
    event: str


class Change(_Row):
    field: str
    old: Any = None
    new: Any = None


class RecordKeepingRow(_Row):
    seq: int
    kind: Literal["void", "amend"]
    recorded_at: AwareDatetime
    recorded_t: float  # seconds from the start, by the recording clock
    target: int
    target_text: str
    changes: list[Change] = []
    reason: str


class LateEntry(Moment):
    recorded_at: AwareDatetime
    delay_s: float
    text: str


class FlagRef(_Row):
    n: int
    rule: str
    severity: Severity


class TimelineRow(Moment):
    kind: str
    text: str
    flags: list[FlagRef] = []
    late: bool = False
    amended_by: list[int] = []


class Summary(_Row):
    """The code summary, section by section in the order of exports.md §1."""

    header: Header
    intervals: KeyIntervals
    findings: list[FindingRow] = []
    lines: list[AccessLine] = []
    drugs: list[DrugRow] = []
    infusions: list[InfusionRow] = []
    fluids: list[FluidRow] = []
    fluid_totals: FluidTotals
    samples: list[SampleRow] = []
    clinical: list[EventRow] = []  # rhythm, CPR, shocks, ROSC, arrests, responsiveness, vitals
    notes: list[EventRow] = []
    arrests: list[ArrestPeriod] = []
    flags: list[FlagRow] = []
    withdrawn_flags: list[FlagRow] = []
    record_keeping: list[RecordKeepingRow] = []
    late_entries: list[LateEntry] = []
    timeline: list[TimelineRow] = []
