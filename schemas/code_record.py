"""CodeRecord: one code as every export reads it — events, effective timeline, flags and what the engine knew."""

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.patient import Patient
from schemas.records import EventRecord, Flag
from schemas.vocabulary import LineKind, LineStatus, Outcome, Rhythm, Setting


class LineFacts(BaseModel):
    """One access line as the engine's fold of the effective timeline saw it, with when each state began."""

    model_config = ConfigDict(frozen=True)

    line: str
    kind: LineKind
    seq: int | None = None  # its attempt; None when the attempt was voided
    attempt_t: float | None = None
    in_t: float | None = None
    confirmed_t: float | None = None
    failed_t: float | None = None
    failed_why: str | None = None
    removed_t: float | None = None
    status: LineStatus


class ArrestPeriod(BaseModel):
    """One arrest: from `code_started` with arrest, or an `arrest` event, to `rosc` or `code_ended`."""

    model_config = ConfigDict(frozen=True)

    seq: int
    t: float
    ended_t: float | None = None
    first_rhythm: Rhythm | None = None


class DoseTotal(BaseModel):
    """A drug's running total in this code after the dose at `seq`, in the dosing table's unit."""

    model_config = ConfigDict(frozen=True)

    seq: int
    total: float
    unit: str


class CodeRecord(BaseModel):
    """Everything the exports need about one code; built by `recorder.record.code_record`.

    `start` carries the code's UTC offset (the `at` of `code_started`, else the recorder's local
    zone): every clock time an export shows is in it.
    """

    model_config = ConfigDict(frozen=True)

    code_id: int
    audit_id: str
    head_hash: str | None = None  # the hash of the last of `records`: the anchor `verify --print-head` prints
    start: AwareDatetime
    patient: Patient
    setting: Setting | None = None
    arrest: bool
    outcome: Outcome | None = None
    records: list[EventRecord]
    timeline: list[EventRecord]
    flags: list[Flag]
    # The edition of rules.md that produced `flags`: a code recorded under an earlier one keeps its flags.
    rules_edition: str | None = None
    withdrawn_flags: list[Flag] = []
    lines: list[LineFacts] = []
    arrests: list[ArrestPeriod] = []
    dose_totals: list[DoseTotal] = []
