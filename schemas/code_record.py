"""CodeRecord: one code as every export reads it — events, effective timeline, flags and what the engine knew."""

from collections.abc import Iterable, Iterator
from itertools import compress
from typing import Annotated, TypeVar

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict

from schemas.patient import Patient
from schemas.records import EventRecord, Flag
from schemas.vocabulary import AgeBand, LineKind, LineStatus, Outcome, Rhythm, Setting

# Every model here is `defer_build`: its validator is built when the first one is made (an export, a code's
# end), not when the module is imported, as the live fold does on every launch of the screen
# (benchmarks/bench_startup.py). Deferring changes when the schema is built, never what it accepts.


T = TypeVar("T")


class EventStream:
    """A code's events in a fixed order, gone through as often as an export needs, never required to be in memory.

    `recorder.core.code_views` gives one that reads a long code back from the store a page at a time on each pass;
    `EventList` holds a short one (a list given to a CodeRecord becomes one).
    """

    # Every record held in memory, so that going through them reads no store: an export may then keep what it
    # makes per event for a second pass (a code of ordinary length; a long one's stream is read back, never held).
    held = False

    def __iter__(self) -> Iterator[EventRecord]:
        raise NotImplementedError

    def of(self, *kinds: str) -> Iterator[EventRecord]:
        """Only the events of these kinds, in the same order (a store-backed stream reads only those)."""
        wanted = frozenset(kinds)
        return (rec for rec in self if rec.kind in wanted)

    def get(self, seq: int) -> EventRecord | None:
        """The event `seq`, if the stream has it."""
        return next((rec for rec in self if rec.seq == seq), None)


class EventList(EventStream):
    """An EventStream held in memory."""

    held = True

    def __init__(self, records: Iterable[EventRecord]) -> None:
        self._records = list(records)
        self._by_seq: dict[int, EventRecord] | None = None
        self._kinds: list[str] | None = None

    def __iter__(self) -> Iterator[EventRecord]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventList):
            return self._records == other._records
        return isinstance(other, list) and self._records == other

    __hash__ = None  # type: ignore[assignment]

    def of(self, *kinds: str) -> Iterator[EventRecord]:
        return self.picked(self._records, *kinds)

    def picked(self, values: Iterable[T], *kinds: str) -> Iterator[T]:
        """Of `values`, one for each record in order (what an export made of each), those `of(*kinds)` gives the
        records of: picked by position, without a look-up by seq."""
        # Each record's kind read once, then picked in C: an export goes through a long code's kinds a dozen times.
        if self._kinds is None:
            self._kinds = [rec.event.kind for rec in self._records]
        return compress(values, map(frozenset(kinds).__contains__, self._kinds))

    def get(self, seq: int) -> EventRecord | None:
        if self._by_seq is None:
            self._by_seq = {rec.seq: rec for rec in self._records}
        return self._by_seq.get(seq)


def _stream(value: object) -> object:
    """A list (or any iterable but a stream) of records given to a CodeRecord is held as an EventList."""
    if isinstance(value, EventStream) or not isinstance(value, Iterable):
        return value
    return EventList(value)


Events = Annotated[EventStream, BeforeValidator(_stream)]


class LineFacts(BaseModel):
    """One access line as the engine's fold of the effective timeline saw it, with when each state began."""

    model_config = ConfigDict(frozen=True, defer_build=True)

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

    model_config = ConfigDict(frozen=True, defer_build=True)

    seq: int
    t: float
    ended_t: float | None = None
    first_rhythm: Rhythm | None = None


class DoseTotal(BaseModel):
    """A drug's running total in this code after the dose at `seq`, in the dosing table's unit."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    seq: int
    total: float
    unit: str


class DrugFlush(BaseModel):
    """What flushed the drug at `drug` through its line, as the engine's fold decided it: the first flush or
    fluid of that line (or a carrier started on it: `volume_ml` None) before the next drug through it."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    drug: int  # the drug's seq
    seq: int  # the flush's
    t: float
    volume_ml: float | None = None


class PatientAt(BaseModel):
    """From the timeline event (t, seq) on, the weight and age band the rules dose against (until the next)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    seq: int
    t: float
    weight_kg: float | None = None
    band: AgeBand


class CodeRecord(BaseModel):
    """Everything the exports need about one code; built by `recorder.core.code_record.build_code_record`.

    `start` carries the code's UTC offset (the `at` of `code_started`, else the recorder's local
    zone): every clock time an export shows is in it.
    """

    # records and timeline are EventStreams: a million-event code is gone through, never held.
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, defer_build=True)

    code_id: int
    audit_id: str
    head_hash: str | None = None  # the hash of the last of `records`: the anchor `verify --print-head` prints
    start: AwareDatetime
    patient: Patient
    setting: Setting | None = None
    arrest: bool
    outcome: Outcome | None = None
    records: Events  # in seq order
    timeline: Events  # the effective timeline, in (t, seq) order
    flags: list[Flag]
    # The edition of rules.md that produced `flags`: a code recorded under an earlier one keeps its flags.
    rules_edition: str | None = None
    withdrawn_flags: list[Flag] = []
    lines: list[LineFacts] = []
    arrests: list[ArrestPeriod] = []
    dose_totals: list[DoseTotal] = []
    # Noted by the engine's fold as it went (a CodeRecord without them reads as: nothing flushed, weight unknown).
    flushes: list[DrugFlush] = []  # in the order of the flushes
    patient_at: list[PatientAt] = []  # each change of weight or band, in timeline order
    first_epinephrine_t: float | None = None  # the first epinephrine bolus (rules.md's term)
