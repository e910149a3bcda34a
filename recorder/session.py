"""The one API the screen and the CLI use to record a code: start, log, void, amend, end, resume."""

import copy
import sys
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from recorder.clock import Clock, ClockMark, CodeClock, local
from recorder.engine import RULES, RULES_EDITION, Engine, Protocol, load_protocol
from recorder.errors import RecorderError
from recorder.flag_check import protocol_basis
from recorder.ledger import Ledger
from recorder.record_log import RecordLog
from recorder.scenario import ScenarioLine
from recorder.store import Store, StoreError
from recorder.timeline import apply_changes
from recorder.timeline_index import TimelineIndex
from schemas.events import (
    RECORD_KEEPING,
    Acknowledge,
    Amend,
    BaseEvent,
    CodeStarted,
    EventError,
    Void,
    event_payload,
    parse_event,
)
from schemas.records import EventRecord, Flag

# The session keeps a copy of the engine every this many timeline events, so that a recompute (a
# back-dated entry, a void, an amend) refolds only from the last copy before what changed. A copy
# costs about as much as folding 100 events (benchmarks/bench_logging.py).
CHECKPOINT_EVERY = 128
# And keeps this many at most: the newest half every CHECKPOINT_EVERY events, the older ones ever
# sparser (a correction of an old entry refolds a little more). Each copy holds the whole state, which
# grows with the code: kept every 128 events, a million-event code held thousands of them.
MAX_CHECKPOINTS = 64
# And no more state than this in all its copies, in units of about a flag's size (a line's state is some
# 16 flags): a long code's state grows (the million-event benchmark ends with a thousand lines and
# fourteen thousand flags, three megabytes a copy), and past this the older copies are thinned further.
# About 40 MB; a code of ordinary size never comes near it.
CHECKPOINT_BUDGET = 400_000
LINE_WEIGHT = 16


# Timeline entries read back from the store at a time when a fold looks back.
FOLD_PAGE = 512


def _acknowledgements(records: Iterable[EventRecord]) -> dict[tuple[str, int], str]:
    """(rule, seq) → the scribe's reason, for every acknowledgement still standing (one pass, in seq order).

    What recorder.timeline.acknowledgements gives, holding the acknowledgements only, not every record.
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


class SessionError(RecorderError):
    """A request the session cannot carry out; the message says what to do instead."""


@dataclass(frozen=True)
class Logged:
    """What logging one event did: the stored record and the flags it raised or withdrew."""

    record: EventRecord
    raised: list[Flag] = field(default_factory=list)
    withdrawn: list[Flag] = field(default_factory=list)


class Session:
    """One code being recorded. Every event is validated, then durably stored, then returned."""

    _basis_kept = False  # the rules edition and protocol are kept with the code's flags (_write_flags)
    rules_edition = RULES_EDITION  # the edition of the rules whose flags flags() gives
    _kept: list[Flag] | None = None  # a code of another edition read as recorded: the flags kept with it

    def __init__(
        self,
        store: Store,
        code_id: int,
        clock: CodeClock,
        records: Iterable[EventRecord] = (),
        protocol: Protocol | None = None,
        whole: bool = False,
        fold_once: bool = False,
    ) -> None:
        self.store = store
        self.code_id = code_id
        self.clock = clock
        self.protocol = protocol or load_protocol()
        # What the session holds per event is compact (the ledger's kind and t, the timeline's keys); the
        # records themselves are read back from the store when something looks back (RecordLog).
        self.records = RecordLog(store, code_id, keep=sys.maxsize if whole else None)
        self.ledger = Ledger(known_rules=RULES, fetch=lambda seq: self.records.get(seq).event)
        # The live horizon: how far `tick` has moved deadline rules past the last event.
        self._horizon = 0.0
        # True while the stored flag history lags the engine (a flag write failed).
        self._flags_behind = False
        # (rule, seq) → reason; only a void, an amend or an acknowledgement can change it (None: read again).
        self._acks: dict[tuple[str, int], str] | None = {}
        # The effective timeline, kept as events come: its order, and the amended entries whole.
        self._index = TimelineIndex()
        # And the timeline itself, as a list, while the code is short enough that RecordLog holds every
        # record anyway (the screen asks for it after a void, an amend or a late flag); None once longer.
        self._shown: list[EventRecord] | None = []
        # How many timeline entries the engine has folded, and the first of them changed since (a
        # back-dated entry, a void, an amend; None: none); copies of the engine after the first i
        # entries, made by recomputes: an unchanged prefix is not folded twice.
        self._folded = 0
        self._dirty: int | None = None
        self._checkpoints: dict[int, Engine] = {}
        self._weights: dict[int, int] = {}  # checkpoint → the size of its state (CHECKPOINT_BUDGET's units)
        # The records of a code being read are folded as they come, as they were when they were logged
        # (in order incrementally; a back-dated one, a void or an amend from the nearest checkpoint):
        # one pass over the store, and the same engine as a fresh fold (test_session_checkpoints).
        self._engine = Engine(self.protocol)
        self._last_t, self._ended = 0.0, False
        for record in records:
            self.ledger.add(record.event)
            self.records.append(record)
            self._keep_timeline(record)
            if not fold_once:
                self._evaluate(record)
        if fold_once:
            # The same engine folded once over the final timeline (a fresh fold equals the incremental one:
            # test_session_checkpoints), without the refolds and copies that back-dated entries, voids and
            # amends cost on the way: for a reader that records nothing (an export).
            self._engine = self._recompute()

    # ── opening a code ───────────────────────────────────────────────────

    @classmethod
    def start(
        cls,
        store: Store,
        clock: Clock,
        protocol: Protocol | None = None,
        code_clock: CodeClock | None = None,
        entered: float | None = None,
        **fields: Any,
    ) -> "Session":
        """Start a new code now (or at `at`, for a replay): the code clock runs from here.

        The screen passes the `code_clock` it started at launch, so the code begins when the
        recorder opened, not when the scribe answered its first question. However it starts, the
        code is stamped (`at`) in the machine's local time with its offset, so that every export
        shows the hour and date the team saw on the screen, wherever and whenever it is read.
        """
        if "at" not in fields:
            fields["at"] = local(code_clock.start if code_clock is not None else clock.wall()).isoformat()
        try:
            # A date of birth is checked against the start: `at` when given, else now.
            event = parse_event({"kind": "code_started", "t": 0, **fields}, code_start=clock.wall())
        except EventError as exc:
            raise SessionError(str(exc)) from None
        assert isinstance(event, CodeStarted) and event.at is not None
        start = event.at
        code_clock = code_clock or CodeClock(clock, start)
        # Made at the code's start on the code clock, the clock of ended_at and of every event.
        code_id, _ = store.create_code(code_clock.start)
        store.lock_code(code_id)
        session = cls(store, code_id, code_clock, protocol=protocol)
        session._append(event, entered)
        return session

    @classmethod
    def resume(
        cls, store: Store, clock: Clock, code_id: int | None = None, protocol: Protocol | None = None
    ) -> "Session":
        """Reopen a code to record into after a crash or a closed terminal: the open one unless told which."""
        if code_id is None:
            code_id = store.open_code_id()
            if code_id is None:
                raise SessionError("no open code to resume; start one with `recorder new`")
        # Recording goes on under this recorder's rules: the code's flags are worked out again by them.
        session = cls.read(store, clock, code_id, protocol, recompute=True)
        store.lock_code(code_id)
        if not session.ended:
            # Deadlines that passed while the recorder was down fire now, as they would have live.
            session._horizon = session.now()
            session._engine.advance(session._horizon)
        session._catch_up_flags(session.records[-1].seq)
        return session

    @classmethod
    def read(
        cls,
        store: Store,
        clock: Clock,
        code_id: int,
        protocol: Protocol | None = None,
        recompute: bool = False,
        whole: bool = False,
        fold_once: bool = False,
    ) -> "Session":
        """A code to look at (list, review, summary) without becoming its writer.

        A code whose flags were raised under another edition of the rules keeps the flags shown at the
        time as its record (`rules_edition` says which); `recompute` works them out with this recorder's.
        `whole`: keep every record in memory as it is read (the summary holds them all anyway: one read
        of the store instead of two); otherwise only the newest (RecordLog.KEEP). `fold_once`: the engine
        folds the final timeline once at the end rather than event by event (an export: nothing is logged
        after, so no checkpoint is worth its copy).
        """
        info = store.code(code_id)
        if info is None or info.events == 0:
            raise SessionError(f"there is no code {code_id}; `recorder list` shows the codes")
        # The code clock goes on from the last event: on the monotonic clock in the same boot (see
        # CodeClock.resumed), never below the latest t recorded.
        mark = store.last_clock_mark(code_id)
        reached = store.latest_t(code_id)
        first = next(store.iter_events(code_id))
        code_clock = CodeClock.resumed(clock, first.occurred_at, ClockMark(*mark) if mark else None, reached)
        # The records are read a page at a time, never all at once.
        session = cls(
            store, code_id, code_clock, store.iter_events(code_id), protocol, whole=whole, fold_once=fold_once
        )
        basis = store.flag_basis(code_id)
        if not recompute and basis is not None and basis[0] != RULES_EDITION:
            session.rules_edition, session._kept = basis[0], session._stored_flags()
        return session

    # ── recording ────────────────────────────────────────────────────────

    @property
    def ended(self) -> bool:
        return self._ended

    def now(self) -> float:
        """The code clock: seconds since the start. The screen reads it at the first key."""
        return self.clock.elapsed()

    def log(
        self, data: dict[str, Any], *, t: float | None = None, ago: float = 0.0, entered: float | None = None
    ) -> Logged:
        """Validate, number, store and return one event.

        `t` is when it happened (default: now) less `ago` seconds for a late entry; a new line
        or infusion gets the next id when `data` names none. `entered` (code time) is when the
        scribe made an entry that a journal kept until now: it is recorded at that time.
        """
        data = self.ledger.with_ids(data)
        when = (self.now() if t is None else t) - ago
        data["t"] = round(max(0.0, when), 6)
        try:
            event = parse_event(data, code_start=self.clock.start)
        except EventError as exc:
            raise SessionError(str(exc)) from None
        return self.log_event(event, entered)

    def log_event(self, event: BaseEvent, entered: float | None = None) -> Logged:
        """Check against the code, store and return an event already validated, at its own t.

        `log` ends here; `replay` comes straight here with the events of a file it has validated.
        """
        t = round(max(0.0, event.t), 6)
        if t != event.t:
            event = event.model_copy(update={"t": t})
        try:
            self.ledger.check(event)
        except EventError as exc:
            raise SessionError(str(exc)) from None
        return self._append(event, entered)

    def preview(self, data: dict[str, Any], *, t: float | None = None) -> list[Flag]:
        """The flags an event would raise if logged now, without logging it (the pickers show them).

        Invalid or incomplete data previews as no flags: the picker is still being filled in.
        """
        # An infusion's id is previewed as well as a line's: the flags name what would be logged.
        data = {**self.ledger.with_ids(data), "t": round(max(0.0, self.now() if t is None else t), 6)}
        try:
            event = parse_event(data, code_start=self.clock.start)
            self.ledger.check(event)
        except EventError:
            return []
        at = self.clock.at(event.t)
        record = EventRecord(
            code_id=self.code_id, seq=self.ledger.next_seq, event=event, occurred_at=at, recorded_at=at
        )
        if record.t < self._last_t:
            return []  # a back-dated entry is checked by the recompute when it is logged
        # A copy of the live engine: the protocol is immutable and shared, the state is copied.
        engine = copy.deepcopy(self._engine, {id(self.protocol): self.protocol})
        return [f for f in engine.apply(record) if f.seq == record.seq]

    def void(self, target: int, reason: str, **kw: Any) -> Logged:
        return self.log({"kind": "void", "target": target, "reason": reason}, **kw)

    def amend(self, target: int, changes: dict[str, Any], reason: str, **kw: Any) -> Logged:
        return self.log({"kind": "amend", "target": target, "changes": changes, "reason": reason}, **kw)

    def acknowledge(self, rule: str, target: int, reason: str, **kw: Any) -> Logged:
        return self.log({"kind": "acknowledge", "rule": rule, "target": target, "reason": reason}, **kw)

    def end(self, outcome: str, **kw: Any) -> Logged:
        if self.ended:
            raise SessionError("this code has already ended")
        return self.log({"kind": "code_ended", "outcome": outcome}, **kw)

    def _append(self, event: BaseEvent, entered: float | None = None) -> Logged:
        seq = self.ledger.next_seq
        occurred_at, recorded_at = self.clock.at(event.t), self.clock.recorded_at()
        mark = self.clock.mark()
        if entered is not None:  # kept in a journal since: recorded when the scribe entered it
            made = min(max(entered, event.t), mark.elapsed)
            recorded_at, mark = min(recorded_at, self.clock.at(made)), self.clock.mark(entered=made)
        self.store.append(self.code_id, seq, event.kind, event_payload(event), occurred_at, recorded_at, mark=mark)
        record = EventRecord(
            code_id=self.code_id,
            seq=seq,
            event=event,
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            entered_t=mark.elapsed,
        )
        # Only once it is on disk does the code move on.
        self.ledger.add(event)
        self.records.append(record)
        self._keep_timeline(record)
        engine = self._engine
        raised = self._evaluate(record)
        if raised is None:  # recomputed: flags may have been withdrawn too
            raised, withdrawn = self._diff_flags(engine.flags)
        else:
            withdrawn = []
        self._write_flags(seq, raised, withdrawn)
        if self._ended:
            self._keep_audit_rows()
        return Logged(record, self._acknowledged(raised), withdrawn)

    def _keep_audit_rows(self) -> None:
        """An ended code (or a correction to one): keep its audit rows, so that audits read rows."""
        from recorder.audit_rows import keep  # the exports load only once a code has ended

        try:
            keep(self)
        except StoreError:
            pass  # derived data, not the record: the next audit derives and keeps them

    def _keep_timeline(self, record: EventRecord) -> None:
        """Bring the effective timeline and the acknowledgements up to date with a new record."""
        event = record.event
        if isinstance(event, Acknowledge):
            if self._acks is not None:
                self._acks[(event.rule, event.target)] = event.reason  # the latest one stands
        elif isinstance(event, (Void, Amend)):
            self._rework(event, record.seq)
        elif event.kind not in RECORD_KEEPING:
            self._placed(self._index.insert(record), record)

    def _placed(self, at: int, record: EventRecord) -> None:
        """`record` now stands at position `at` of the timeline."""
        self._changed(at)
        shown = self._shown
        if shown is not None:
            if len(self._index) > self.records.keep:
                self._shown = None  # a long code: its timeline is read back from the store, not held
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
        if self.ledger.kind(event.target) == "acknowledge":
            self._acks = None  # an acknowledgement changed: an earlier one may stand again
        index = self._index
        at = index.position(event.target)
        if at is None:
            return  # already voided, or not on the timeline (record keeping): nothing there changes
        index.pop(at)
        self._changed(at)
        standing = index.amended.pop(event.target, None) or self.records.get(event.target)
        if self._shown is not None:
            self._shown.pop(at)
        if isinstance(event, Amend):
            amended = apply_changes(standing, event.changes, seq)
            self._placed(index.insert(amended), amended)

    # ── reading ──────────────────────────────────────────────────────────

    def timeline(self) -> list[EventRecord]:
        """The effective timeline: voids and amends applied, ordered by (t, seq). (All of it, in memory:
        `iter_timeline` reads a long code a page at a time.)"""
        if self._shown is not None:
            return list(self._shown)
        return list(self.iter_timeline())

    def iter_timeline(self, start: int = 0, kinds: Container[str] | None = None) -> Iterator[EventRecord]:
        """The effective timeline from position `start`, the records read back a page at a time; with
        `kinds`, only the events of those kinds (the ledger knows each one's kind: the others are not read)."""
        if self._shown is not None:
            shown = self._shown[start:]
            yield from shown if kinds is None else (r for r in shown if r.kind in kinds)
            return
        index, kind = self._index, self.ledger.kind
        for i in range(start, len(index), FOLD_PAGE):
            seqs: Sequence[int] = index.seqs[i : i + FOLD_PAGE]
            if kinds is not None:
                seqs = [s for s in seqs if kind(s) in kinds]
            amended = index.amended
            found = self.records.many(s for s in seqs if s not in amended)
            for s in seqs:
                yield amended.get(s) or found[s]

    def flags(self) -> list[Flag]:
        """The code's flags, in (t, seq) order, with the scribe's acknowledgements."""
        if self._kept is not None:
            return self._acknowledged(sorted(self._kept, key=lambda f: (f.t, f.seq, f.rule)))
        return self._acknowledged(self._engine.flags)

    def withdrawn_flags(self) -> list[Flag]:
        """Flags shown at some point and gone after a void, an amend or a back-dated entry."""
        current = {f.key for f in (self._kept if self._kept is not None else self._engine.flags)}
        return [f for f in self._stored_flags("withdrawn") if f.key not in current]

    @property
    def state(self) -> Any:
        """The clinical state the rules see now: lines, unflushed drugs, epinephrine timing."""
        return self._engine.state

    def tick(self, now: float | None = None) -> list[Flag]:
        """Live: fire the deadline rules whose time has passed on the code clock."""
        if self.ended:
            return []
        now = self.now() if now is None else now
        self._horizon = max(self._horizon, now)
        raised = self._engine.advance(now)
        if raised or self._flags_behind:
            self._write_flags(len(self.records), raised, [])
        return self._acknowledged(raised)

    def _recompute(self, checkpoints: bool = False) -> Engine:
        """A fresh engine over the whole effective timeline (and the live horizon).

        With `checkpoints`, the fold starts from the last copy whose prefix of the timeline is
        unchanged, and leaves copies behind it: the same engine as folding from the start.
        """
        engine, start = None, 0
        if checkpoints:
            same = self._folded if self._dirty is None else self._dirty
            self._checkpoints = {i: e for i, e in self._checkpoints.items() if i <= same}
            self._weights = {i: w for i, w in self._weights.items() if i <= same}
            if self._checkpoints:
                start = max(self._checkpoints)
                engine = self._checkpoints[start].copy()
        if engine is None:
            engine = Engine(self.protocol)
        for i, record in enumerate(self.iter_timeline(start), start):
            engine.apply(record)
            if checkpoints and (i + 1) % CHECKPOINT_EVERY == 0:
                self._checkpoint(i + 1, engine)
        self._folded, self._dirty = len(self._index), None
        self._last_t = self._index.last_t
        self._ended = engine.state.ended  # the fold met a code_ended
        if self._horizon > self._last_t and not self._ended:
            engine.advance(self._horizon)
        return engine

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

    def _evaluate(self, record: EventRecord) -> list[Flag] | None:
        """Bring the engine up to date with one more event: incremental at the end, else recompute.

        Returns the flags it raised when incremental (none are withdrawn then), None after a recompute.
        """
        if record.kind == "acknowledge":
            return []
        # A back-dated event, or one entered after a live deadline it would have met (the scribe
        # began typing the flush before the flush deadline passed): the rules must see it in order.
        fired_after = self._engine.last_flag_t is not None and self._engine.last_flag_t > record.t
        if record.kind in ("void", "amend") or record.t < self._last_t or fired_after:
            self._engine = self._recompute(checkpoints=True)
            return None
        raised = self._engine.apply(record)
        self._folded += 1
        # A checkpoint here too, so that a back-dated entry refolds a short tail, not everything since
        # the last recompute; only while no live `tick` has moved the engine past this event (a
        # checkpoint is the fold of a prefix of the timeline and nothing more).
        if self._folded % CHECKPOINT_EVERY == 0 and self._engine.time == record.t:
            self._checkpoint(self._folded, self._engine)
        self._last_t = record.t
        self._ended = self._ended or record.kind == "code_ended"
        return raised

    def _diff_flags(self, before: list[Flag]) -> tuple[list[Flag], list[Flag]]:
        """The flags raised and withdrawn between `before` and the engine's flags now.

        A flag whose key stayed but whose content changed (a deadline fired live, then a back-dated entry
        made the rule fire earlier, with another message) is withdrawn and raised again: the stored history
        must end on the flags the record gives (`verify` compares them).
        """
        old, new = set(before), set(self._engine.flags)
        raised = [f for f in self._engine.flags if f not in old]
        withdrawn = [f for f in before if f not in new]
        return raised, withdrawn

    def _write_flags(self, at_seq: int, raised: list[Flag], withdrawn: list[Flag]) -> None:
        """Keep the flags' history. Flags are derived from events already on disk: a failed write is
        caught up at the next one (or at resume), never an error that would make the scribe log an
        event that is already stored a second time."""
        # The rules edition and protocol are kept with the code's flags at a session's first write (even
        # of no flag) and at every write once the code has ended, so that `verify` works them out again
        # under what raised them and knows they were brought up to date with the end.
        basis = None if self._basis_kept and not self._ended else protocol_basis(self.protocol)
        if not (raised or withdrawn or self._flags_behind or basis):
            return  # most events change no flag
        try:
            if self._flags_behind:
                raised, withdrawn = self._diff_flags(self._stored_flags())
            self.store.record_flags(self.code_id, at_seq, raised, withdrawn, self.clock.recorded_at(), basis)
            self._flags_behind = False
            self._basis_kept = True
        except StoreError:
            self._flags_behind = True

    def _catch_up_flags(self, at_seq: int) -> None:
        """Bring the stored flags in line with the engine's (after a restart)."""
        self._flags_behind = True
        self._write_flags(at_seq, [], [])

    def _stored_flags(self, last_change: str = "raised") -> list[Flag]:
        """The flags whose latest stored change is `last_change` (raised: the stored current list)."""
        latest: dict[tuple, tuple[str, Flag]] = {}
        for change, flag in self.store.flag_history(self.code_id):
            latest[flag.key] = (change, flag)
        return [flag for change, flag in latest.values() if change == last_change]

    def _acknowledged(self, flags: list[Flag]) -> list[Flag]:
        if self._acks is None:
            # Read from the whole log, so kept until the next record-keeping event, not per event.
            self._acks = _acknowledgements(self.records)
        acks = self._acks
        return [
            f.model_copy(update={"acknowledged": True, "reason": acks[(f.rule, f.seq)]})
            if (f.rule, f.seq) in acks
            else f
            for f in flags
        ]


def replay(
    store: Store,
    clock: Clock,
    lines: Iterable[ScenarioLine],
    protocol: Protocol | None = None,
    on_commit: Callable[[Logged], None] | None = None,
) -> Session:
    """Store a validated scenario event by event through the same path as the screen.

    `lines` may be a stream (recorder replay reads the file a line at a time): it is gone through once.
    """
    lines = iter(lines)
    first = next(lines).event
    fields = event_payload(first)
    session = Session.start(store, clock, protocol=protocol, **fields)
    if on_commit:
        on_commit(Logged(session.records[0]))
    for line in lines:
        logged = session.log_event(line.event)
        if on_commit:
            on_commit(logged)
    return session


__all__ = ["Logged", "Session", "SessionError", "StoreError", "replay"]
