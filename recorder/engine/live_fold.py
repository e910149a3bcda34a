"""LiveFold: a code's effective timeline folded as its records come, with the facts the exports read."""

from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from typing import Protocol as Interface
from typing import get_args

from recorder.engine.clinical_view import ClinicalView
from recorder.engine.engine import Engine
from recorder.engine.protocol import Protocol
from recorder.engine.state import is_epinephrine_bolus
from recorder.engine.timeline import apply_changes
from recorder.engine.timeline_index import TimelineIndex
from schemas.code_record import DoseTotal, DrugFlush, PatientAt
from schemas.events import RECORD_KEEPING, Acknowledge, Amend, DrugGiven, FluidGiven, Flush, InfusionStarted, Void
from schemas.records import EventRecord, Flag
from schemas.unvalidated import unvalidated
from schemas.vocabulary import AgeBand

# A copy of the engine is kept every this many timeline events, so that a recompute (a back-dated
# entry, a void, an amend) refolds only from the last copy before what changed. A copy costs about as
# much as folding 10 events (State.copy shares what is closed); a recompute refolds about half this plus
# how far back the entry went (30 s, about 12 events, in the benchmark's code). Folding the benchmark's
# 10,000-event replay (a back-dated entry every 100 events), 32 and 64 cost the same and 16 and 128 about
# 10 % more CPU in the fold; 64 keeps half the copies of 32.
CHECKPOINT_EVERY = 64
# And this many at most: the newest half every CHECKPOINT_EVERY events, the older ones ever sparser (a
# correction of an old entry refolds a little more). Each copy holds the whole state, which grows with
# the code: kept every 128 events, a million-event code held thousands of them.
MAX_CHECKPOINTS = 64
# And no more state than this in all its copies, in units of about a flag's size (a line's state is some
# 16 flags): a long code's state grows (the million-event benchmark ends with a thousand lines and
# fourteen thousand flags, three megabytes a copy), and past this the older copies are thinned further.
# About 40 MB; a code of ordinary size never comes near it.
CHECKPOINT_BUDGET = 400_000
LINE_WEIGHT = 16

# Timeline entries read back at a time when a fold looks back.
FOLD_PAGE = 512

# The kinds whose facts `_apply` notes even when they name no line (a drug's total and the first epinephrine;
# the weight and band); an event naming a line may confirm it or flush a drug through it.
_NOTED = frozenset({"drug", "code_started", "patient_updated"})


_AGE_BANDS = get_args(AgeBand)
# Every field of the facts below given (one set for all: they are frozen).
_DOSE_GIVEN = {"seq", "total", "unit"}
_PATIENT_GIVEN = {"seq", "t", "weight_kg", "band"}
_FLUSH_GIVEN = {"drug", "seq", "t", "volume_ml"}


def dose_total_fact(seq: int, total: float, unit: str) -> DoseTotal:
    """`DoseTotal(seq=…, total=…, unit=…)`, without validating again values that already are what validation
    gives (the state's float total, the table's unit); validated as that call is otherwise."""
    if type(seq) is int and type(total) is float and type(unit) is str:
        return unvalidated(DoseTotal, {"seq": seq, "total": total, "unit": unit}, _DOSE_GIVEN)
    return DoseTotal(seq=seq, total=total, unit=unit)


def patient_fact(seq: int, t: float, weight_kg: float | None, band: str) -> PatientAt:
    """`PatientAt(seq=…, t=…, weight_kg=…, band=…)`, without validating again values that already are what
    validation gives (the event's seq and t, the patient's float weight, a band of the vocabulary); validated as
    that call is otherwise."""
    if (
        type(seq) is int
        and type(t) is float
        and (weight_kg is None or type(weight_kg) is float)
        and type(band) is str
        and band in _AGE_BANDS
    ):
        values = {"seq": seq, "t": t, "weight_kg": weight_kg, "band": band}
        return unvalidated(PatientAt, values, _PATIENT_GIVEN)
    return PatientAt(seq=seq, t=t, weight_kg=weight_kg, band=band)


def flush_fact(drug: int, seq: int, t: float, volume_ml: float | None) -> DrugFlush:
    """`DrugFlush(drug=…, seq=…, t=…, volume_ml=…)`, without validating again values that already are what
    validation gives (the drug's and the flush's seq, the flush's t and float volume); validated as that call is
    otherwise."""
    if type(drug) is int and type(seq) is int and type(t) is float and (volume_ml is None or type(volume_ml) is float):
        return unvalidated(DrugFlush, {"drug": drug, "seq": seq, "t": t, "volume_ml": volume_ml}, _FLUSH_GIVEN)
    return DrugFlush(drug=drug, seq=seq, t=t, volume_ml=volume_ml)


class Records(Interface):
    """A code's raw records by seq, as far as the fold reads them back (recorder.core.record_log.RecordLog)."""

    @property
    def keep(self) -> int: ...
    def get(self, seq: int) -> EventRecord: ...
    def many(self, seqs: Iterable[int]) -> dict[int, EventRecord]: ...
    def __iter__(self) -> Iterator[EventRecord]: ...


def _acknowledgements(records: Iterable[EventRecord]) -> dict[tuple[str, int], str]:
    """(rule, seq) → the scribe's reason, for every acknowledgement still standing (one pass, in seq order).

    What recorder.engine.timeline.acknowledgements gives, holding the acknowledgements only, not every record.
    """
    standing: dict[int, Acknowledge] = {}
    for rec in records:
        ev = rec.event
        if isinstance(ev, Acknowledge):
            standing[rec.seq] = ev
        elif isinstance(ev, Void):
            standing.pop(ev.target, None)
        elif isinstance(ev, Amend) and ev.target in standing:
            data = {**standing[ev.target].model_dump(mode="json", exclude_none=True), **ev.changes}
            standing[ev.target] = Acknowledge.model_validate(data)
    return {(ev.rule, ev.target): ev.reason for _, ev in sorted(standing.items())}


def diff_flags(before: list[Flag], after: list[Flag]) -> tuple[list[Flag], list[Flag]]:
    """(raised, withdrawn) between two flag lists.

    A flag whose key stayed but whose content changed (a deadline fired live, then a back-dated entry made
    the rule fire earlier, with another message) is withdrawn and raised again: the stored history must
    end on the flags the record gives (`verify` compares them). A refold from a checkpoint keeps the very
    flag objects of the prefix it did not refold: those are matched by identity, and only the rest is
    hashed (a flag's hash covers every field; hashing all of them after each recompute made a long replay
    with corrections quadratic).
    """
    same = {id(f) for f in before}.intersection(map(id, after))
    old = {f for f in before if id(f) not in same}
    new = {f for f in after if id(f) not in same}
    raised = [f for f in after if id(f) not in same and f not in old]
    withdrawn = [f for f in before if id(f) not in same and f not in new]
    return raised, withdrawn


class LiveFold:
    """The engine kept up to date with a code as its records come, in the order they were logged.

    An event at the end of the timeline is folded in incrementally; a back-dated one, a void or an amend
    refolds from the nearest checkpoint (a copy of the engine after a prefix of the timeline): the same
    flags as a fresh fold of the effective timeline (test_session_checkpoints). It holds the timeline's
    order (TimelineIndex), reads records back from `records` when it looks back, keeps the scribe's
    acknowledgements, and notes, as it folds, what the state alone forgets: when each line was confirmed,
    each drug's running total, what flushed each drug, the weight and age band at each moment and the first
    epinephrine bolus (the exports read these instead of folding the code again).
    """

    def __init__(self, protocol: Protocol, records: Records) -> None:
        self.protocol = protocol
        self._records = records
        self._engine = Engine(protocol)
        # The live horizon: how far `tick` has moved deadline rules past the last event.
        self._horizon = 0.0
        # (rule, seq) → reason; only a void, an amend or an acknowledgement can change it (None: read again).
        self._acks: dict[tuple[str, int], str] | None = {}
        self._ack_seqs: set[int] = set()  # the acknowledgements logged: a void or amend of one rereads them
        # The effective timeline, kept as events come: its order, and the amended entries whole.
        self._index = TimelineIndex()
        # And the timeline itself, as a list, while the code is short enough that the records are all held
        # anyway (the screen asks for it after a void, an amend or a late flag); None once longer.
        self._shown: list[EventRecord] | None = []
        # How many timeline entries the engine has folded, and the first of them changed since (None: none);
        # copies of the engine after the first i entries: an unchanged prefix is not folded twice.
        self._folded = 0
        self._dirty: int | None = None
        self._checkpoints: dict[int, Engine] = {}
        self._weights: dict[int, int] = {}  # checkpoint → the size of its state (CHECKPOINT_BUDGET's units)
        self._last_t, self._ended = 0.0, False
        # Facts noted as the timeline is folded, each with the timeline position that gave it (a refold from
        # position i drops those from i on and notes them again): line → (position, t it became confirmed);
        # (position, running total after a dose); (position of the flush, what it flushed); (position, the
        # weight and band from there on: only their changes, a handful a code); (position, t) of the first
        # epinephrine bolus.
        self._confirmed: dict[str, tuple[int, float]] = {}
        self._totals: list[tuple[int, DoseTotal]] = []
        # A flush as a plain tuple (position, drug seq, flush seq, t, mL), not the model: a long code holds
        # thousands, and a model costs several times a tuple (test_session_memory).
        self._flushes: list[tuple[int, int, int, float, float | None]] = []
        self._patient_at: list[tuple[int, PatientAt]] = []
        self._first_epinephrine: tuple[int, float] | None = None

    # ── folding ──────────────────────────────────────────────────────────

    def add(self, record: EventRecord) -> tuple[list[Flag], list[Flag]]:
        """Fold in the code's next record (by seq); the flags it raised and withdrew (not acknowledged)."""
        self._keep_timeline(record)
        event = record.event
        kind, t = event.kind, event.t
        if kind == "acknowledge":
            return [], []
        engine = self._engine
        # A back-dated event, or one entered after a live deadline it would have met (the scribe
        # began typing the flush before the flush deadline passed): the rules must see it in order.
        last_flag_t = engine.last_flag_t
        if kind == "void" or kind == "amend" or t < self._last_t or (last_flag_t is not None and last_flag_t > t):
            self._engine = self._recompute()
            return diff_flags(engine.flags, self._engine.flags)
        raised = self._apply(engine, self._folded, record)
        self._folded += 1
        # A checkpoint here too, so that a back-dated entry refolds a short tail, not everything since the
        # last recompute; only while no live `tick` has moved the engine past this event (a checkpoint is
        # the fold of a prefix of the timeline and nothing more).
        if self._folded % CHECKPOINT_EVERY == 0 and engine.time == t:
            self._checkpoint(self._folded, engine)
        self._last_t = t
        if kind == "code_ended":
            self._ended = True
        return raised, []

    def keep(self, record: EventRecord) -> None:
        """Keep the code's next record on the timeline without folding it (a reader that will `refold` once)."""
        self._keep_timeline(record)

    def keep_all(self, records: Sequence[EventRecord]) -> None:
        """`keep` of each record, in seq order. Most of a code's records come last on the timeline as they come:
        those are put there here (where TimelineIndex.insert and _placed would put them), the rest kept by `keep`."""
        index = self._index
        ts, seqs, limit = index.ts, index.seqs, self._records.keep
        for record in records:
            event, seq = record.event, record.seq
            t, shown = event.t, self._shown
            if (
                event.kind not in RECORD_KEEPING
                and not record.amended_by
                and (not ts or ts[-1] < t or (ts[-1] == t and seqs[-1] <= seq))
                and (shown is None or len(seqs) < limit)
            ):
                # Last on the timeline: nothing folded after it to redo (_changed), and a held timeline stays held.
                ts.append(t)
                seqs.append(seq)
                if shown is not None:
                    shown.append(record)
            else:
                self._keep_timeline(record)

    def refold(self) -> None:
        """Fold the whole effective timeline once, afresh and without checkpoints: for a reader that records
        nothing (an export), after `keep` of every record; the same state, flags and facts as `add` of each."""
        # The engine made with the fold, when nothing has been folded into it yet (a reader's `keep` of every
        # record): what a new one would be, without making it.
        unused = self._engine if self._engine.time is None else None
        self._folded, self._dirty, self._checkpoints, self._weights = 0, None, {}, {}
        self._engine = self._recompute(checkpoints=False, fresh=unused)

    def tick(self, now: float) -> list[Flag]:
        """Live: fire the deadline rules whose time has passed by `now` (code time); the flags raised."""
        self._horizon = max(self._horizon, now)
        return self._engine.advance(now)

    def preview(self, record: EventRecord) -> list[Flag]:
        """The flags `record` would raise as the next event, without folding it in."""
        if record.t < self._last_t:
            return []  # a back-dated entry is checked by the recompute when it is logged
        return [f for f in self._engine.copy().apply(record) if f.seq == record.seq]

    def _apply(self, engine: Engine, at: int, record: EventRecord) -> list[Flag]:
        """Fold the timeline entry at position `at` into `engine`, noting the facts it gives."""
        event = record.event
        kind = event.kind
        state = engine.state
        # Only an event naming a line changes that line's status. (Read from the model's fields: getattr on
        # a pydantic model without the field goes through its __getattr__ and an exception, 3 µs an event.)
        line_id = event.__dict__.get("line")
        if line_id is None and kind not in _NOTED:
            return engine.apply(record)  # most events (notes, vitals, rhythms…): nothing to note
        drug = event.drug if isinstance(event, DrugGiven) else None
        totals = state.totals
        before = totals.get(drug) if drug is not None else None
        # A flush, a fluid or a carrier of a line that a drug went through since its last one: the state's
        # own answer (LineState.flushed_since_drug), read before the event folds in.
        flushing = isinstance(event, (Flush, FluidGiven, InfusionStarted))
        owed = flushing and line_id in state.lines and not state.lines[line_id].flushed_since_drug
        raised = engine.apply(record)
        if drug is not None:
            after, unit = totals.get(drug), self.protocol.drug_unit(drug)
            # The engine adds a dose only when it can convert it to the table's unit.
            if after is not None and after != before and unit is not None:
                self._totals.append((at, dose_total_fact(record.seq, after, unit)))
        if isinstance(event, DrugGiven) and self._first_epinephrine is None and is_epinephrine_bolus(event):
            self._first_epinephrine = (at, record.t)
        elif kind in ("code_started", "patient_updated"):
            self._note_patient(at, record, state)
        if line_id is not None:
            line = state.lines.get(line_id)
            if line is not None and line_id not in self._confirmed and line.status == "confirmed":
                self._confirmed[line_id] = (at, record.t)
            if owed and line is not None and line.flushed_since_drug and line.last_drug_seq is not None:
                ml = event.volume_ml if isinstance(event, (Flush, FluidGiven)) else None  # a carrier: no volume
                self._flushes.append((at, line.last_drug_seq, record.seq, record.t, ml))
        return raised

    def _note_patient(self, at: int, record: EventRecord, state: ClinicalView) -> None:
        """After the patient event at position `at`: the weight and band from here on, if either changed
        (only these events change them: the age, the weight and the setting come from them)."""
        weight, band = state.weight, state.band
        last = self._patient_at[-1][1] if self._patient_at else None
        if last is None or (last.weight_kg, last.band) != (weight, band):
            self._patient_at.append((at, patient_fact(record.seq, record.t, weight, band)))

    def _recompute(self, checkpoints: bool = True, fresh: Engine | None = None) -> Engine:
        """The engine over the whole effective timeline (and the live horizon), from the last checkpoint
        whose prefix of the timeline is unchanged, leaving copies behind it: the same as folding from the start.
        `fresh`: an engine nothing was folded into, to fold into when there is no checkpoint."""
        same = self._folded if self._dirty is None else self._dirty
        self._checkpoints = {i: e for i, e in self._checkpoints.items() if i <= same}
        self._weights = {i: w for i, w in self._weights.items() if i <= same}
        start = max(self._checkpoints) if self._checkpoints else 0
        if start:
            engine = self._checkpoints[start].copy()
        else:
            engine = fresh if fresh is not None else Engine(self.protocol)
        self._forget_from(start)
        apply, noted = engine.apply, _NOTED
        for i, record in enumerate(self.iter_timeline(start), start):
            # What `_apply` does first, in line: most events (notes, vitals, rhythms…) name no line and note
            # nothing, and are only folded (a call of `_apply` each was 4 % of a 5,000-event code's refold).
            event = record.event
            if event.__dict__.get("line") is None and event.kind not in noted:
                apply(record)
            else:
                self._apply(engine, i, record)
            if checkpoints and (i + 1) % CHECKPOINT_EVERY == 0:
                self._checkpoint(i + 1, engine)
        self._folded, self._dirty = len(self._index), None
        self._last_t = self._index.last_t
        self._ended = engine.state.ended  # the fold met a code_ended
        if self._horizon > self._last_t and not self._ended:
            engine.advance(self._horizon)
        return engine

    def _forget_from(self, at: int) -> None:
        """Drop the facts noted at timeline positions `at` and after: they are folded again."""
        self._confirmed = {k: v for k, v in self._confirmed.items() if v[0] < at}
        for noted in (self._totals, self._flushes, self._patient_at):
            while noted and noted[-1][0] >= at:
                noted.pop()
        if self._first_epinephrine is not None and self._first_epinephrine[0] >= at:
            self._first_epinephrine = None

    def _checkpoint(self, at: int, engine: Engine) -> None:
        """Keep a copy of `engine` (the fold of the first `at` timeline entries), then thin the copies."""
        self._checkpoints[at] = engine.copy()
        self._weights[at] = len(engine.state.lines) * LINE_WEIGHT + len(engine.flags)
        self._thin_checkpoints()

    def _thin_checkpoints(self) -> None:
        """Past MAX_CHECKPOINTS or CHECKPOINT_BUDGET, drop every other one of the older half (the oldest
        when there are two): their count and their memory stay bounded, the newest stay dense."""
        kept, weights = self._checkpoints, self._weights
        while len(kept) > MAX_CHECKPOINTS or (len(kept) > 1 and sum(weights.values()) > CHECKPOINT_BUDGET):
            order = sorted(kept)
            # The newest half stay (MAX_CHECKPOINTS // 2 of them once past the count).
            older = order[: -(min(MAX_CHECKPOINTS, len(order)) // 2)]
            for i in older[1::2] or older[:1]:
                del kept[i]
                weights.pop(i, None)

    # ── the timeline ─────────────────────────────────────────────────────

    def _keep_timeline(self, record: EventRecord) -> None:
        """Bring the effective timeline and the acknowledgements up to date with a new record."""
        event = record.event
        kind = event.kind
        if kind not in RECORD_KEEPING:
            self._placed(self._index.insert(record), record)
        elif isinstance(event, Acknowledge):
            self._ack_seqs.add(record.seq)
            if self._acks is not None:
                self._acks[(event.rule, event.target)] = event.reason  # the latest one stands
        elif isinstance(event, (Void, Amend)):
            self._rework(event, record.seq)

    def _placed(self, at: int, record: EventRecord) -> None:
        """`record` now stands at position `at` of the timeline."""
        self._changed(at)
        shown = self._shown
        if shown is not None:
            if len(self._index) > self._records.keep:
                self._shown = None  # a long code: its timeline is read back, not held
            else:
                shown.insert(at, record)

    def _changed(self, at: int) -> None:
        """The timeline changed at position `at`: a fold from before it is still good, not after."""
        if at < self._folded and (self._dirty is None or at < self._dirty):
            self._dirty = at

    def _rework(self, event: Void | Amend, seq: int) -> None:
        """A void or an amend, applied to the kept timeline as `effective` would apply it to the log.

        The log is applied in seq order and this record is the newest, so changing its target where
        it stands gives the same timeline as working it out again from every record.
        """
        if event.target in self._ack_seqs:
            self._acks = None  # an acknowledgement changed: an earlier one may stand again
        index = self._index
        at = index.position(event.target)
        if at is None:
            return  # already voided, or not on the timeline (record keeping): nothing there changes
        index.pop(at)
        self._changed(at)
        standing = index.amended.pop(event.target, None) or self._records.get(event.target)
        if self._shown is not None:
            self._shown.pop(at)
        if isinstance(event, Amend):
            amended = apply_changes(standing, event.changes, seq)
            self._placed(index.insert(amended), amended)

    @property
    def timeline_held(self) -> bool:
        """Whether the effective timeline is held in memory (a code of ordinary length), not read back."""
        return self._shown is not None

    @property
    def index(self) -> TimelineIndex:
        """The effective timeline's order, (t, seq) keys and the amended entries: to read, never to change
        (the screen's timeline finds the rows it shows in it)."""
        return self._index

    def timeline(self) -> list[EventRecord]:
        """The effective timeline: voids and amends applied, ordered by (t, seq). (All of it, in memory:
        `iter_timeline` reads a long code a page at a time.)"""
        if self._shown is not None:
            return list(self._shown)
        return list(self.iter_timeline())

    def iter_timeline(
        self, start: int = 0, kinds: Container[str] | None = None, kind_of: Callable[[int], str | None] | None = None
    ) -> Iterator[EventRecord]:
        """The effective timeline from position `start`, the records read back a page at a time; with
        `kinds`, only the events of those kinds (`kind_of(seq)` tells them apart without reading the others)."""
        if self._shown is not None:
            shown = self._shown[start:]
            yield from shown if kinds is None else (r for r in shown if r.event.kind in kinds)
            return
        index = self._index
        for i in range(start, len(index), FOLD_PAGE):
            seqs: Sequence[int] = index.seqs[i : i + FOLD_PAGE]
            if kinds is not None and kind_of is not None:
                seqs = [s for s in seqs if kind_of(s) in kinds]
            amended = index.amended
            found = self._records.many(s for s in seqs if s not in amended)
            for s in seqs:
                record = amended.get(s) or found[s]
                if kinds is None or record.kind in kinds:
                    yield record

    # ── reading ──────────────────────────────────────────────────────────

    @property
    def state(self) -> ClinicalView:
        """The clinical state the rules see now (read-only)."""
        return self._engine.state

    @property
    def flags(self) -> list[Flag]:
        """Every flag of the code now, in (t, seq, rule) order, without the scribe's acknowledgements."""
        return self._engine.flags

    @property
    def ended(self) -> bool:
        """The timeline holds a code_ended."""
        return self._ended

    @property
    def confirmed_t(self) -> Mapping[str, float]:
        """Line → the t of the timeline entry after which it first stood confirmed."""
        return {line: t for line, (_, t) in self._confirmed.items()}

    @property
    def dose_totals(self) -> list[DoseTotal]:
        """Each drug's running total after every dose the engine could convert to its table's unit, in
        timeline order."""
        return [total for _, total in self._totals]

    @property
    def flushes(self) -> list[DrugFlush]:
        """What flushed each drug given through a line that was flushed before the next drug through it
        (a flush, a fluid or a carrier started on it), in the order of the flushes."""
        return [flush_fact(drug, seq, t, ml) for _, drug, seq, t, ml in self._flushes]

    @property
    def patient_at(self) -> list[PatientAt]:
        """The weight and age band the rules saw, from each timeline event that changed either of them on."""
        return [moment for _, moment in self._patient_at]

    @property
    def first_epinephrine_t(self) -> float | None:
        """The t of the first epinephrine bolus on the timeline (rules.md's term; not an IM or IN dose)."""
        return self._first_epinephrine[1] if self._first_epinephrine is not None else None

    def acknowledged(self, flags: list[Flag]) -> list[Flag]:
        """`flags` with the scribe's standing acknowledgements (and their reasons) on them."""
        if self._acks is None:
            # Read from the whole log, so kept until the next void or amend of one, not per event.
            self._acks = _acknowledgements(self._records)
        acks = self._acks
        return [
            f.model_copy(update={"acknowledged": True, "reason": acks[(f.rule, f.seq)]})
            if (f.rule, f.seq) in acks
            else f
            for f in flags
        ]
