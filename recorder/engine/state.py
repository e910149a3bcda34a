"""The clinical state: the effective timeline folded into patient, lines, drugs, arrests and what is due."""

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from recorder.engine.doses import convert
from recorder.engine.protocol import Band, Protocol
from schemas.events import (
    Aspiration,
    CodeStarted,
    ComplicationNoted,
    DrugGiven,
    Finding,
    FluidGiven,
    Flush,
    InfusionChanged,
    InfusionStarted,
    InfusionStopped,
    IoAttempt,
    IoResult,
    IvAttempt,
    LineRemoved,
    PatientUpdated,
    Responsiveness,
    RhythmNoted,
    Shock,
    UvcAttempt,
    Vitals,
)
from schemas.patient import Patient
from schemas.records import EventRecord
from schemas.vocabulary import LineKind, LineStatus, RuleId

if TYPE_CHECKING:
    from recorder.engine.care import Care

DueStatus = Literal["open", "met", "missed", "cancelled"]
DwellStage = Literal["warning", "critical", "child"]

# Rule ids of the obligations the fold keeps (the rules that fire them live in rules_*.py): RuleId, so a
# misspelt one is a type error, and the registry refuses an id that is not one.
DRUG_NOT_FLUSHED: RuleId = "DRUG_NOT_FLUSHED"
DELAYED_IO: RuleId = "DELAYED_IO"
IO_DWELL_EXCEEDED: RuleId = "IO_DWELL_EXCEEDED"
EPI_INTERVAL_EXCEEDED: RuleId = "EPI_INTERVAL_EXCEEDED"
EPI_FIRST_DOSE_DELAYED: RuleId = "EPI_FIRST_DOSE_DELAYED"
VASOPRESSOR_NO_BP: RuleId = "VASOPRESSOR_NO_BP"

SECONDS_PER_HOUR = 3600.0

_T = TypeVar("_T")
_D = TypeVar("_D", bound="Due")
Memo = dict[int, Any]


def dup(obj: _T) -> _T:
    """A shallow copy of a plain object (a dataclass without slots): its fields, not what they hold.

    Engine copies (checkpoints, refolds, previews) copy every line, due and arrest: this is several times
    cheaper than copy.copy (no __reduce_ex__) and copy.deepcopy's dispatch."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


def copy_due(due: _D, memo: Memo) -> _D:
    """The copy of `due` in this engine copy: one copy however many places hold it (the heap and the state
    share each due; `memo` maps each original's id to its copy, as copy.deepcopy's memo does).

    A closed due is the same due in both: its status is final (`close` changes only an open one) and its
    other fields are never written (a removed line's dwell deadlines, the met flushes: most of a long code's
    dues). Not an arrest's: it points back at its arrest, which each copy has its own of (two an arrest)."""
    if due.status != "open" and not isinstance(due, ArrestDue):
        return due
    found: _D | None = memo.get(id(due))
    if found is not None:
        return found
    new = memo[id(due)] = dup(due)
    if isinstance(new, ArrestDue) and new.arrest is not None:
        new.arrest = copy_arrest(new.arrest, memo)  # the copy's own arrest, shared with its state
    return new


def copy_arrest(arrest: "Arrest", memo: Memo) -> "Arrest":
    """The copy of `arrest` in this engine copy (its deadlines point back at it: one copy of each)."""
    found: Arrest | None = memo.get(id(arrest))
    if found is not None:
        return found
    new = memo[id(arrest)] = dup(arrest)
    if new.first_dose_due is not None:
        new.first_dose_due = copy_due(new.first_dose_due, memo)
    if new.next_dose_due is not None:
        new.next_dose_due = copy_due(new.next_dose_due, memo)
    return new


def is_epinephrine_bolus(event: DrugGiven) -> bool:
    """rules.md: a `drug` epinephrine whose purpose is not `other`, through a line or by `route` et."""
    return event.drug == "epinephrine" and event.purpose != "other" and (event.line is not None or event.route == "et")


def is_io_analgesia(event: DrugGiven) -> bool:
    return event.drug == "lidocaine" and event.purpose == "io_analgesia"


def is_antiarrhythmic(p: Protocol, drug: str | None, purpose: str | None) -> bool:
    """The protocol's arrest antiarrhythmics (amiodarone, lidocaine), not lidocaine for IO analgesia."""
    return drug in p.drug_classes.antiarrhythmics and not (drug == "lidocaine" and purpose == "io_analgesia")


def line_kind(line_id: str) -> LineKind:
    return "uvc" if line_id.startswith("uvc") else "iv" if line_id.startswith("iv") else "io"


def bone_key(bone: str, side: str | None) -> str:
    """`tibia/left`, or `sternum` for a bone with no side (the protocol's site → bone table gives the bone)."""
    return f"{bone}/{side}" if side else bone


@dataclass(eq=False)
class Due:
    """An obligation with a deadline `at`: when time passes it still open, its rule fires.

    `seq` is the event the flag would point at. The fold closes a due as `met` (done in time),
    `missed` (broken by a later event: its rule fired there) or `cancelled` (can no longer happen).
    """

    rule: RuleId
    at: float
    seq: int
    since: float  # when the obligation started
    line: str | None = None
    what: str = ""
    status: DueStatus = "open"

    @property
    def open(self) -> bool:
        return self.status == "open"

    def close(self, status: DueStatus) -> None:
        if self.status == "open":
            self.status = status

    def __deepcopy__(self, memo: Memo) -> "Due":
        # Every field is immutable but `status` (and an ArrestDue's arrest): see copy_due.
        return copy_due(self, memo)


@dataclass(eq=False)
class FlushDue(Due):
    """A drug via an IO line that must be flushed with at least `min_ml` by `at`."""

    drug: str = ""
    min_ml: float = 0.0


@dataclass(eq=False)
class DwellDue(Due):
    """An IO line in since `since`; `stage` is warning, critical, or child (the critical for young children).

    `child`: the child schedule applies (under `dwell.child_under_years`, or age unknown), as known when
    the line went in (rules.md: a deadline uses what was known when its obligation started).
    """

    stage: DwellStage = "warning"
    child: bool = False


@dataclass(eq=False)
class AccessDue(Due):
    """DELAYED_IO's timer; `child` as known at the first IV/UVC attempt."""

    child: bool = False


@dataclass(eq=False)
class ArrestDue(Due):
    """An adrenaline deadline of one arrest (first dose, or the next dose)."""

    arrest: "Arrest | None" = None


@dataclass
class LineState:
    """One access line (io1, iv2, uvc1) and what has gone through it."""

    id: str
    kind: LineKind
    seq: int | None = None  # its attempt; None while the attempt is not on the timeline
    t: float | None = None
    site: str | None = None
    side: str | None = None
    bone: str | None = None  # bone key, IO lines
    device: str | None = None
    needle_mm: float | None = None
    in_seq: int | None = None  # io_result in / iv or uvc attempt in
    in_t: float | None = None
    aspirated: bool = False
    flushed_ok: bool = False  # a flush went in easily without extravasation
    failed_seq: int | None = None
    failed_t: float | None = None
    failed_why: str | None = None
    removed_seq: int | None = None
    removed_t: float | None = None
    flushes: int = 0  # flushes, fluids and carriers started
    drugs: int = 0  # drug events
    last_drug_seq: int | None = None  # the latest drug through it (the one a flush now would flush)
    flushed_since_drug: bool = True
    # Drug boluses since the line's last adequate flush (rules.md v2: incompatible pairs look back to it).
    since_flush: frozenset[str] = frozenset()
    carriers: set[str] = field(default_factory=set)  # running carrier infusions (a fluid on the line)
    first_use_seq: int | None = None  # first drug or infusion that is not IO-analgesia lidocaine
    first_access_seq: int | None = None  # first flush, fluid or infusion
    lidocaine: bool = False
    drug_given: bool = False  # a drug or an infusion went through
    bicarbonate_given: bool = False
    infusions: set[str] = field(default_factory=set)  # running
    awaiting_flush: FlushDue | None = None
    dwell: list[DwellDue] = field(default_factory=list)

    def __deepcopy__(self, memo: Memo) -> "LineState":
        return self.copy(memo)

    def copy(self, memo: Memo) -> "LineState":
        """This line in an engine copy (session checkpoints copy every line): field by field is several times
        faster than the generic deepcopy, and only these four fields hold something mutable."""
        new = dup(self)
        new.infusions = set(self.infusions)
        new.carriers = set(self.carriers)
        if self.awaiting_flush is not None:
            new.awaiting_flush = copy_due(self.awaiting_flush, memo)
        new.dwell = [copy_due(due, memo) for due in self.dwell]  # a list of its own, even empty
        return new

    @property
    def status(self) -> LineStatus:
        """events.md: attempting → in → confirmed; failed and removed are final."""
        if self.removed_seq is not None:
            return "removed"
        if self.failed_seq is not None:
            return "failed"
        if self.in_seq is not None:
            if self.kind == "io" and (self.aspirated or self.flushed_ok):
                return "confirmed"
            return "in"
        return "attempting" if self.seq is not None else "unknown"

    @property
    def usable(self) -> bool:
        return self.status in ("in", "confirmed")

    @property
    def carried(self) -> bool:
        """A carrier runs on it: it counts as flushed at every moment (rules.md v2)."""
        return bool(self.carriers)

    @property
    def known(self) -> bool:
        """Its attempt is on the timeline (an amend or a void can leave events naming a line without one)."""
        return self.seq is not None


@dataclass
class Arrest:
    """One arrest: from `code_started` with arrest, or an `arrest` event, to `rosc` or `code_ended`."""

    seq: int
    t: float
    ended_t: float | None = None
    first_rhythm: str | None = None
    rhythm: str | None = None  # the latest rhythm documented within this arrest
    shocks: int = 0  # unsynchronized shocks in this arrest
    epinephrine_doses: int = 0
    last_epinephrine_t: float | None = None
    last_line_epinephrine_t: float | None = None  # through a line (EPI_TOO_SOON ignores ET doses)
    antiarrhythmic: bool = False  # amiodarone or lidocaine (not IO analgesia; bolus or infusion) in this arrest
    first_dose_due: ArrestDue | None = None
    next_dose_due: ArrestDue | None = None


@dataclass
class Infusion:
    id: str
    drug: str | None  # None for a carrier
    rate: float
    rate_unit: str
    line: str
    method: str
    seq: int
    t: float
    stopped_t: float | None = None
    fluid: str | None = None  # a carrier's fluid
    concentration: str | None = None

    @property
    def running(self) -> bool:
        return self.stopped_t is None

    @property
    def carrier(self) -> bool:
        return self.fluid is not None


@dataclass(frozen=True)
class FindingNote:
    seq: int
    t: float
    finding: str
    bone: str
    side: str | None
    hours_ago: float | None


@dataclass
class State:
    """What the effective timeline says so far. The engine folds events in; the screen reads it."""

    protocol: Protocol = field(repr=False)
    # What the rulebook gives the fold (the engine passes them in: the rule modules import this module, so
    # it cannot import them): the folds kept in their own modules, and each rule's deadline maker.
    folds: tuple[Callable[..., None], ...] = field(repr=False, kw_only=True)
    deadlines: Mapping[str, Callable[..., Any]] = field(repr=False, kw_only=True)
    started: bool = False
    ended: bool = False
    t: float | None = None  # the last event's t
    patient: Patient = field(default_factory=Patient)
    setting: str | None = None
    start_date: date | None = None  # the code's local start date (the age from dob counts from it)
    # The code's start with its own UTC offset: wall-clock times in messages are start + t in that offset,
    # the same on every machine (verify compares messages).
    started_at: datetime | None = None
    responsive: bool | None = None
    rhythm: str | None = None
    lines: dict[str, LineState] = field(default_factory=dict)
    bones: dict[str, list[str]] = field(default_factory=dict)  # bone key → IO lines, in attempt order
    findings: dict[str, list[FindingNote]] = field(default_factory=dict)  # by bone
    infusions: dict[str, Infusion] = field(default_factory=dict)
    arrests: list[Arrest] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=dict)  # per drug, in its dosing-table unit
    doses: Counter[str] = field(default_factory=Counter)  # drug events per drug
    io_attempted: bool = False
    failed_iv: int = 0
    failed_uvc: int = 0
    first_peripheral_seq: int | None = None
    access_due: Due | None = None
    bp_checks: list[Due] = field(default_factory=list)
    last_epinephrine_t: float | None = None
    # Shocks in the code by kind (True: synchronized; SHOCK_ENERGY's "first of its kind"). The arrest's
    # own facts (its rhythms, unsynchronized shocks, adrenaline, antiarrhythmic) live on its Arrest.
    shocks: Counter[bool] = field(default_factory=Counter)
    # The second edition's new deadlines (VF_NO_SHOCK, CPR_PAUSE_LONG) and the fluid window: care.py folds them.
    care: "Care | None" = None
    # `age` as last worked out, with the patient (frozen) and start date it was worked out from: the rules
    # ask for it several times an event (the band, the flush volume, the dose table), and it changes only
    # with the patient.
    _age: tuple[Patient, date | None, float | None] | None = field(default=None, repr=False, compare=False)

    def __deepcopy__(self, memo: Memo) -> "State":
        return self.copy(memo)

    def copy(self, memo: Memo) -> "State":
        """The state in an engine copy (session checkpoints and refolds copy the whole state): field by field,
        knowing which hold only immutable values (the patient and the findings are frozen; totals and counts
        are numbers), is several times faster than the generic deepcopy. What holds dues (lines, arrests,
        care, access, BP checks) copies them through `memo`, so that the engine's heap and the state share
        them as the original's do."""
        new = dup(self)
        memo[id(self)] = new
        new.lines = {k: line.copy(memo) for k, line in self.lines.items()}
        new.bones = {k: list(ids) for k, ids in self.bones.items()}
        new.findings = {k: list(notes) for k, notes in self.findings.items()}
        new.infusions = {k: dup(inf) for k, inf in self.infusions.items()}  # scalar fields only
        new.arrests = [copy_arrest(arrest, memo) for arrest in self.arrests]
        new.totals = dict(self.totals)
        new.doses = Counter(self.doses)
        new.shocks = Counter(self.shocks)
        if self.access_due is not None:
            new.access_due = copy_due(self.access_due, memo)
        new.bp_checks = [copy_due(due, memo) for due in self.bp_checks]
        if self.care is not None:
            new.care = self.care.copy(memo)
        return new

    # ── reading ──────────────────────────────────────────────────────────

    @property
    def age(self) -> float | None:
        """The age in years: its parts, or from `dob` at the code's local start date; None when unknown."""
        patient, start, known = self.patient, self.start_date, self._age
        if known is not None and known[0] is patient and known[1] == start:
            return known[2]
        age = patient.age_on(start)
        self._age = (patient, start, age)
        return age

    @property
    def band(self) -> Band:
        """rules.md's age band (a patient of unknown age takes the one the setting or weight implies)."""
        return self.protocol.band(self.age, self.weight, self.setting)

    @property
    def presumed_responsive(self) -> bool:
        """The latest `responsiveness`; with none yet, responsive unless the code has had an arrest (rules.md v2)."""
        return self.responsive if self.responsive is not None else not self.arrests

    @property
    def weight(self) -> float | None:
        return self.patient.weight_kg

    @property
    def arrest(self) -> Arrest | None:
        """The arrest going on now, if any."""
        last = self.arrests[-1] if self.arrests else None
        return last if last is not None and last.ended_t is None else None

    @property
    def unflushed(self) -> list[FlushDue]:
        """Drugs via IO lines still waiting for their flush, with their deadlines."""
        return [
            line.awaiting_flush
            for line in self.lines.values()
            if line.awaiting_flush is not None and line.awaiting_flush.open
        ]

    @property
    def next_epinephrine_due(self) -> float | None:
        """When the next adrenaline is due in the current arrest (first or repeat dose)."""
        arrest = self.arrest
        if arrest is None:
            return None
        for due in (arrest.next_dose_due, arrest.first_dose_due):
            if due is not None and due.open:
                return due.at
        return None

    def open_dues(self) -> list[Due]:
        """Every open obligation, soonest first."""
        return sorted((d for d in self._dues() if d.open), key=lambda d: (d.at, d.seq))

    def findings_at(self, bone: str, side: str | None, kinds: frozenset[str]) -> list[FindingNote]:
        """Findings of these kinds on this bone and side; a finding with no side counts for both."""
        return [
            f
            for f in self.findings.get(bone, ())
            if f.finding in kinds and (side is None or f.side is None or f.side == side)
        ]

    def _dues(self) -> Iterator[Due]:
        for line in self.lines.values():
            if line.awaiting_flush is not None:
                yield line.awaiting_flush
            yield from line.dwell
        for arrest in self.arrests:
            yield from (d for d in (arrest.first_dose_due, arrest.next_dose_due) if d is not None)
        if self.access_due is not None:
            yield self.access_due
        yield from self.bp_checks
        if self.care is not None:
            yield from self.care.dues()

    # ── folding ──────────────────────────────────────────────────────────

    def line(self, line_id: str) -> LineState:
        """The line, created on first mention (its attempt may come later in the effective order)."""
        found = self.lines.get(line_id)
        if found is None:
            found = self.lines[line_id] = LineState(line_id, line_kind(line_id))
        return found

    def apply(self, record: EventRecord) -> list[Due]:
        """Fold one event in; return the obligations it starts (the engine schedules them)."""
        # Read once: each is a property of the record (this runs for every event of every code).
        event, seq = record.event, record.seq
        kind, t = event.kind, event.t
        self.t = t if self.t is None or t > self.t else self.t
        if isinstance(event, CodeStarted):
            at = event.at  # the code's own offset: its local date
            self.started_at = at if at is not None else record.occurred_at
            self.start_date = self.started_at.date()
        handler = _HANDLERS.get(kind)
        new: list[Due] = []
        if handler is not None:
            handler(self, seq, event, new)
        for fold in self.folds:
            fold(self, seq, event, new)
        return new

    def open_due(self, rule: RuleId, seq: int, t: float, **about: Any) -> Any:
        """The deadline of `rule` for an obligation that starts at event `seq`, time `t`: its rule module says
        when it falls (from the protocol) and what it is about (`rule.deadline` beside the function that fires it)."""
        return self.deadlines[rule](self.protocol, seq, t, **about)

    def _begin_arrest(self, seq: int, t: float, new: list[Due]) -> None:
        arrest = Arrest(seq=seq, t=t)
        arrest.first_dose_due = self.open_due(EPI_FIRST_DOSE_DELAYED, seq, t, arrest=arrest)
        new.append(arrest.first_dose_due)
        self.arrests.append(arrest)

    def _end_arrest(self, t: float) -> None:
        arrest = self.arrest
        if arrest is None:
            return
        arrest.ended_t = t
        for due in (arrest.first_dose_due, arrest.next_dose_due):
            if due is not None:
                due.close("cancelled")

    def _fail(self, line: LineState, seq: int, t: float, why: str) -> None:
        if line.failed_seq is None:
            line.failed_seq, line.failed_t, line.failed_why = seq, t, why
        # A flush through a failed line is no longer wanted: the wait for one ends here.
        if line.awaiting_flush is not None:
            line.awaiting_flush.close("cancelled")

    def _flushed(self, line: LineState, seq: int, volume_ml: float | None) -> None:
        """A flush of the line: a flush, a fluid, or (volume None) a carrier started, which flushes at every moment."""
        line.flushes += 1
        line.flushed_since_drug = True
        if line.first_access_seq is None:
            line.first_access_seq = seq
        if volume_ml is None or volume_ml >= self.min_flush_ml():
            line.since_flush = frozenset()  # an adequate flush: incompatible pairs look back to it
        due = line.awaiting_flush
        if due is not None and due.open and (volume_ml is None or volume_ml >= due.min_ml):
            due.close("met")

    def min_flush_ml(self) -> float:
        """rules.md DRUG_NOT_FLUSHED's minimum flush volume: the first that applies."""
        rules, age, weight = self.protocol.flush, self.age, self.weight
        if self.band == "neonate":
            return rules.neonate_min_ml
        if weight is not None:
            return rules.child_min_ml if weight < rules.adult_from_kg else rules.adult_min_ml
        if self.protocol.is_child(age):
            return rules.child_min_ml
        if self.protocol.is_adult(age):
            return rules.adult_min_ml
        return rules.unknown_min_ml

    def child_for_access(self) -> bool:
        """DELAYED_IO's child: < 18 y, or age unknown and weight unknown or not adult-sized (rules.md v2)."""
        if self.age is not None:
            return self.protocol.is_child(self.age)
        return self.weight is None or self.weight < self.protocol.age_bands.adult_sized_kg

    def dwell_child(self) -> bool:
        """IO_DWELL_EXCEEDED's 24 h schedule: under `dwell.child_under_years`, or age unknown (rules.md v2)."""
        return self.age is None or self.age < self.protocol.dwell.child_under_years


# ── one handler per kind ─────────────────────────────────────────────────

Handler = Callable[[State, int, Any, list[Due]], None]
# Folds kept in their own modules (care.py) run after the kind's handler: listed in rulebook.FOLDS.


def _code_started(s: State, seq: int, ev: CodeStarted, new: list[Due]) -> None:
    s.started = True
    s.patient = ev.patient
    s.setting = ev.setting
    if ev.arrest:
        s._begin_arrest(seq, ev.t, new)


def _patient_updated(s: State, seq: int, ev: PatientUpdated, new: list[Due]) -> None:
    s.patient = s.patient.merged(ev.patient)


def _finding(s: State, seq: int, ev: Finding, new: list[Due]) -> None:
    note = FindingNote(seq, ev.t, ev.finding, ev.bone, ev.side, ev.hours_ago)
    s.findings.setdefault(ev.bone, []).append(note)


def _responsiveness(s: State, seq: int, ev: Responsiveness, new: list[Due]) -> None:
    s.responsive = ev.responsive


def _rhythm(s: State, seq: int, ev: RhythmNoted, new: list[Due]) -> None:
    s.rhythm = ev.rhythm
    arrest = s.arrest
    if arrest is not None:
        arrest.rhythm = ev.rhythm
        if arrest.first_rhythm is None:
            arrest.first_rhythm = ev.rhythm


def _shock(s: State, seq: int, ev: Shock, new: list[Due]) -> None:
    s.shocks[ev.cardioversion] += 1
    arrest = s.arrest
    if arrest is not None and not ev.cardioversion:
        arrest.shocks += 1


def _rosc(s: State, seq: int, ev: Any, new: list[Due]) -> None:
    s._end_arrest(ev.t)


def _arrest(s: State, seq: int, ev: Any, new: list[Due]) -> None:
    if s.arrest is None:
        s._begin_arrest(seq, ev.t, new)


# The kinds whose handler opens a blood-pressure check (`_bp_check`), the one thing a vitals entry closes.
BP_CHECK_OPENERS = frozenset({"infusion_started", "infusion_changed"})
# Kinds whose handler is all that reads them and that change nothing in a code without any of these kinds:
# a reader that wants only what the rules and folds make of a code may leave them out of such a code
# (recorder/core/audit_read.py; tests/test_audit_read.py fails if a handler but these opens a BP check).
INERT_WITHOUT: Mapping[str, frozenset[str]] = {"vitals": BP_CHECK_OPENERS}


def _vitals(s: State, seq: int, ev: Vitals, new: list[Due]) -> None:
    if ev.sbp is not None or ev.map is not None:
        for due in s.bp_checks:
            due.close("met")
        s.bp_checks.clear()


def _code_ended(s: State, seq: int, ev: Any, new: list[Due]) -> None:
    s._end_arrest(ev.t)
    s.ended = True
    # The code is over: nothing it waited for can happen on this record any more — except an IO line's
    # dwell: the needle is still in the patient (rules.md v2).
    for due in s._dues():
        if not isinstance(due, DwellDue):
            due.close("cancelled")


def _io_attempt(s: State, seq: int, ev: IoAttempt, new: list[Due]) -> None:
    line = s.line(ev.line)
    if line.seq is None:
        line.seq, line.t = seq, ev.t
        line.site, line.side, line.device, line.needle_mm = ev.site, ev.side, ev.device, ev.needle_mm
        line.bone = bone_key(s.protocol.anatomy.site_bone[ev.site], ev.side)
        s.bones.setdefault(line.bone, []).append(line.id)
    s.io_attempted = True
    if s.access_due is not None:
        s.access_due.close("cancelled")


def _io_result(s: State, seq: int, ev: IoResult, new: list[Due]) -> None:
    line = s.line(ev.line)
    if ev.result == "failed":
        s._fail(line, seq, ev.t, ev.reason or "failed")
        return
    if line.in_seq is not None:
        return
    line.in_seq, line.in_t = seq, ev.t
    for due in s.open_due(IO_DWELL_EXCEEDED, seq, ev.t, line=line.id, child=s.dwell_child()):
        line.dwell.append(due)
        new.append(due)


def _aspiration(s: State, seq: int, ev: Aspiration, new: list[Due]) -> None:
    if ev.marrow:
        s.line(ev.line).aspirated = True


def _flush(s: State, seq: int, ev: Flush, new: list[Due]) -> None:
    line = s.line(ev.line)
    s._flushed(line, seq, ev.volume_ml)
    if ev.easy and not ev.extravasation:
        line.flushed_ok = True
    else:
        s._fail(line, seq, ev.t, "extravasation on flush" if ev.extravasation else "flush did not run easily")


def _complication(s: State, seq: int, ev: ComplicationNoted, new: list[Due]) -> None:
    s._fail(s.line(ev.line), seq, ev.t, ev.complication.replace("_", " "))


def _line_removed(s: State, seq: int, ev: LineRemoved, new: list[Due]) -> None:
    line = s.line(ev.line)
    if line.removed_seq is None:
        line.removed_seq, line.removed_t = seq, ev.t
    for due in (line.awaiting_flush, *line.dwell):
        if due is not None:
            due.close("cancelled")


def _peripheral(s: State, seq: int, ev: IvAttempt | UvcAttempt, new: list[Due]) -> None:
    line = s.line(ev.line)
    if line.seq is None:
        line.seq, line.t = seq, ev.t
        line.site, line.side = getattr(ev, "site", None), getattr(ev, "side", None)
    if ev.result == "in":
        line.in_seq, line.in_t = seq, ev.t
    else:
        # rules.md v2: the count of failed attempts does not run while a line is in.
        counts = not any(other.usable for other in s.lines.values())
        s._fail(line, seq, ev.t, "attempt failed")
        if counts and ev.kind == "iv_attempt":
            s.failed_iv += 1
        elif counts:
            s.failed_uvc += 1
    if s.first_peripheral_seq is None:
        s.first_peripheral_seq = seq
        if not s.io_attempted:
            s.access_due = s.open_due(DELAYED_IO, seq, ev.t, line=line.id, child=s.child_for_access())
            new.append(s.access_due)


def _drug(s: State, seq: int, ev: DrugGiven, new: list[Due]) -> None:
    p = s.protocol
    unit = p.drug_unit(ev.drug)
    if unit is not None:
        amount = convert(ev.dose, ev.unit, unit, drug=ev.drug, concentration=ev.concentration, protocol=p)
        if amount is not None:
            s.totals[ev.drug] = s.totals.get(ev.drug, 0.0) + amount
    s.doses[ev.drug] += 1
    arrest = s.arrest
    if arrest is not None and is_antiarrhythmic(p, ev.drug, ev.purpose):
        arrest.antiarrhythmic = True
    if is_epinephrine_bolus(ev):
        s.last_epinephrine_t = ev.t
        if arrest is not None:
            arrest.epinephrine_doses += 1
            arrest.last_epinephrine_t = ev.t
            if ev.line is not None:
                arrest.last_line_epinephrine_t = ev.t
            for due in (arrest.first_dose_due, arrest.next_dose_due):
                if due is not None:
                    due.close("met")
            arrest.next_dose_due = s.open_due(EPI_INTERVAL_EXCEEDED, seq, ev.t, arrest=arrest)
            new.append(arrest.next_dose_due)
    if ev.line is None:
        return
    line = s.line(ev.line)
    line.drugs += 1
    line.last_drug_seq = seq
    line.drug_given = True
    line.flushed_since_drug = False
    line.lidocaine = line.lidocaine or ev.drug == "lidocaine"
    line.bicarbonate_given = line.bicarbonate_given or ev.drug in p.drug_classes.bicarbonates
    if not line.carried:
        line.since_flush = line.since_flush | {ev.drug}
    analgesia = is_io_analgesia(ev)
    if line.first_use_seq is None and not analgesia:
        line.first_use_seq = seq
    if line.awaiting_flush is not None:
        # Still open here means the next drug came first: DRUG_NOT_FLUSHED fired on this event.
        line.awaiting_flush.close("missed")
        line.awaiting_flush = None
    # A carried line is flushed at every moment: no flush is owed (rules.md v2).
    if line.kind == "io" and line.known and line.status not in ("failed", "removed") and not line.carried:
        flush_due = s.open_due(
            DRUG_NOT_FLUSHED, seq, ev.t, line=line.id, drug=ev.drug, analgesia=analgesia, min_ml=s.min_flush_ml()
        )
        line.awaiting_flush = flush_due
        new.append(flush_due)


def _infusion_started(s: State, seq: int, ev: InfusionStarted, new: list[Due]) -> None:
    s.infusions[ev.infusion] = Infusion(
        ev.infusion,
        ev.drug,
        ev.rate,
        ev.rate_unit,
        ev.line,
        ev.method,
        seq,
        ev.t,
        fluid=ev.fluid,
        concentration=ev.concentration,
    )
    line = s.line(ev.line)
    line.infusions.add(ev.infusion)
    if ev.carrier:
        # A carrier is a flush, not the first infusion (NO_INITIAL_FLUSH), and flushes what is owed.
        s._flushed(line, seq, None)
        line.carriers.add(ev.infusion)
        return
    arrest = s.arrest
    if arrest is not None and is_antiarrhythmic(s.protocol, ev.drug, None):
        arrest.antiarrhythmic = True  # SHOCKABLE_DRUGS_DELAYED: an antiarrhythmic infusion answers it too
    # BLOOD_GAS_AFTER_IO_DRUG counts `drug` events, not infusions (rules.md v2): drug_given is not set here.
    if line.first_use_seq is None:
        line.first_use_seq = seq
    if line.first_access_seq is None:
        line.first_access_seq = seq
    if ev.drug in s.protocol.drug_classes.vasopressors:
        _bp_check(s, seq, ev.t, s.infusions[ev.infusion], new)


def _infusion_changed(s: State, seq: int, ev: InfusionChanged, new: list[Due]) -> None:
    inf = s.infusions.get(ev.infusion)
    if inf is None:  # its start was voided
        return
    inf.rate = ev.rate
    if inf.drug in s.protocol.drug_classes.vasopressors:
        _bp_check(s, seq, ev.t, inf, new)


def _bp_check(s: State, seq: int, t: float, inf: Infusion, new: list[Due]) -> None:
    due = s.open_due(VASOPRESSOR_NO_BP, seq, t, infusion=inf)
    s.bp_checks.append(due)
    new.append(due)


def _infusion_stopped(s: State, seq: int, ev: InfusionStopped, new: list[Due]) -> None:
    inf = s.infusions.get(ev.infusion)
    if inf is None or not inf.running:
        return
    inf.stopped_t = ev.t
    line = s.line(inf.line)
    line.infusions.discard(inf.id)
    line.carriers.discard(inf.id)


def _fluid(s: State, seq: int, ev: FluidGiven, new: list[Due]) -> None:
    line = s.line(ev.line)
    s._flushed(line, seq, ev.volume_ml)
    if ev.method == "push" and ev.went_in_easily:
        line.flushed_ok = True  # a syringe push that went in easily confirms the line (events.md v2)


def _sample(s: State, seq: int, ev: Any, new: list[Due]) -> None:
    s.line(ev.line)


_HANDLERS: dict[str, Handler] = {
    "code_started": _code_started,
    "patient_updated": _patient_updated,
    "finding": _finding,
    "responsiveness": _responsiveness,
    "rhythm": _rhythm,
    "rosc": _rosc,
    "shock": _shock,
    "arrest": _arrest,
    "vitals": _vitals,
    "code_ended": _code_ended,
    "io_attempt": _io_attempt,
    "io_result": _io_result,
    "aspiration": _aspiration,
    "flush": _flush,
    "complication": _complication,
    "line_removed": _line_removed,
    "iv_attempt": _peripheral,
    "uvc_attempt": _peripheral,
    "drug": _drug,
    "infusion_started": _infusion_started,
    "infusion_changed": _infusion_changed,
    "infusion_stopped": _infusion_stopped,
    "fluid": _fluid,
    "sample": _sample,
}
