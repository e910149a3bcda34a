"""The one API the screen and the CLI use to record a code: start, log, void, amend, end, resume."""

import sys
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from itertools import islice
from typing import TYPE_CHECKING, Any

from recorder.core.clock import Clock, ClockMark, CodeClock, local
from recorder.core.flag_check import protocol_basis
from recorder.core.ledger import Ledger
from recorder.core.record_log import RecordLog
from recorder.engine import RULES, RULES_EDITION, Protocol, load_protocol
from recorder.engine.clinical_view import ClinicalView
from recorder.engine.live_fold import LiveFold, diff_flags
from recorder.errors import RecorderError
from recorder.store import Chained, Store, StoreError, trusted
from schemas.events import BaseEvent, CodeStarted, EventError, event_payload, parse_event
from schemas.records import EventRecord, Flag

if TYPE_CHECKING:
    # Only replay's lines are ScenarioLines: every reader of a code (an audit's workers) goes without the module.
    from recorder.core.scenario import ScenarioLine


class SessionError(RecorderError):
    """A request the session cannot carry out; the message says what to do instead."""


@dataclass(frozen=True)
class Logged:
    """What logging one event did: the stored record and the flags it raised or withdrew."""

    record: EventRecord
    raised: list[Flag] = field(default_factory=list)
    withdrawn: list[Flag] = field(default_factory=list)


# An event made ready by log_events: its row, what logging it gives, the flags it raised and withdrew, and
# whether the code had ended with it. A tuple: made for every event of a replay.
_Ready = tuple[Chained, Logged, list[Flag], list[Flag], bool]

# How far ahead of the store a replay works its events out (log_events): an event's recorded_at is when it was
# made ready, at most about this many seconds before it is written; the first batch (nothing is known of the
# disk yet), and the most in one.
READY_AHEAD = 0.1
READY_FIRST = 1
READY_MOST = 256

EndHook = Callable[["Session"], None]
"""What a front end does with an ended code after each event (end_hooks.keep_audit_rows: keep its audit rows)."""


class Session:
    """One code being recorded. Every event is validated, then durably stored, then returned.

    Its one job: parse, check against the code (Ledger), append (Store), fold (LiveFold), keep the flags'
    history. What the code says now is read through `state` (read-only), `timeline()` and `flags()`.
    """

    _basis_kept = False  # the rules edition and protocol are kept with the code's flags (_write_flags)
    rules_edition = RULES_EDITION  # the edition of the rules whose flags flags() gives
    _kept: list[Flag] | None = None  # a code of another edition read as recorded: the flags kept with it
    _ahead = False  # the fold is ahead of the store: a replay's batch being written (log_events)

    def __init__(
        self,
        store: Store,
        code_id: int,
        clock: CodeClock | Callable[[], CodeClock],
        records: Iterable[EventRecord] = (),
        protocol: Protocol | None = None,
        whole: bool = False,
        fold_once: bool = False,
        on_end: EndHook | None = None,
    ) -> None:
        self.store = store
        self.code_id = code_id
        if isinstance(clock, CodeClock):
            self.clock = clock
        else:
            self._clock_later = clock
        self.protocol = protocol or load_protocol()
        # What the session holds per event is compact (the ledger's kind and t, the timeline's keys); the
        # records themselves are read back from the store when something looks back (RecordLog).
        self.records = RecordLog(store, code_id, keep=sys.maxsize if whole else None)
        # The fetch holds the log, not the session: a session in a cycle with itself would outlive its last
        # use until a full garbage collection, with every record it read (a summary's or an audit's worth).
        self.ledger = Ledger(known_rules=RULES, fetch=_fetch_from(self.records))
        # The incremental fold: the timeline, the engine and its checkpoints, the acknowledgements. The records
        # of a code being read are folded as they come, as they were when they were logged: one pass over the
        # store, and the same flags as a fresh fold (test_session_checkpoints).
        self.fold = LiveFold(self.protocol, self.records)
        # Called with the session after each event logged once the code has ended (the front ends keep the
        # code's audit rows there): derived data, so a StoreError from it is not the entry's.
        self.on_end = on_end
        # True while the stored flag history lags the engine (a flag write failed).
        self._flags_behind = False
        if fold_once:
            # A page at a time, each part taking the page whole: what the loop below does but fold, without its
            # three calls an event (about a tenth of reading a code for its summary).
            for page in _pages(records, self.store.PAGE):
                self.records.extend(page)
                self.ledger.extend([r.event for r in page])
                self.fold.keep_all(page)
        else:
            for record in records:
                self.ledger.add(record.event)
                self.records.append(record)
                self.fold.add(record)
        if fold_once:
            # The same engine folded once over the final timeline (a fresh fold equals the incremental one:
            # test_session_checkpoints), without the refolds and copies that back-dated entries, voids and
            # amends cost on the way: for a reader that records nothing (an export).
            self.fold.refold()

    # ── opening a code ───────────────────────────────────────────────────

    @classmethod
    def start(
        cls,
        store: Store,
        clock: Clock,
        protocol: Protocol | None = None,
        code_clock: CodeClock | None = None,
        entered: float | None = None,
        on_end: EndHook | None = None,
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
        session = cls(store, code_id, code_clock, protocol=protocol, on_end=on_end)
        session._append(event, entered)
        return session

    @classmethod
    def resume(
        cls,
        store: Store,
        clock: Clock,
        code_id: int | None = None,
        protocol: Protocol | None = None,
        on_end: EndHook | None = None,
    ) -> "Session":
        """Reopen a code to record into after a crash or a closed terminal: the open one unless told which."""
        if code_id is None:
            code_id = store.open_code_id()
            if code_id is None:
                raise SessionError("no open code to resume; start one with `recorder new`")
        # Recording goes on under this recorder's rules: the code's flags are worked out again by them.
        session = cls.read(store, clock, code_id, protocol, recompute=True)
        session.on_end = on_end
        store.lock_code(code_id)
        if not session.ended:
            # Deadlines that passed while the recorder was down fire now, as they would have live.
            session.fold.tick(session.now())
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
        # The first event's time, not the event: its record is built when the code is read, just below.
        started = known = store.started(code_id)
        if started is None:  # no event 1 (a damaged file): the first one there is, as the reading will find
            started = next(store.iter_events(code_id)).occurred_at
        code_start: datetime = started  # the narrowed type, for the function below

        def code_clock() -> CodeClock:
            # The code clock goes on from the last event: on the monotonic clock in the same boot (see
            # CodeClock.resumed), never below the latest t recorded.
            mark = store.last_clock_mark(code_id)
            reached = store.latest_t(code_id)
            return CodeClock.resumed(clock, code_start, ClockMark(*mark) if mark else None, reached)

        # An export's reading (fold_once) logs nothing and never asks the time: its clock is worked out only if
        # something does. The latest t is a scan of every event of the code, about 2 % of deriving a code's
        # audit rows (benchmarks/bench_exports.py --parts audit).
        session = cls(
            store,
            code_id,
            code_clock if fold_once else code_clock(),
            # The records are read a page at a time, never all at once; the session takes every one (a short code
            # in one query), and the start just read is not read again.
            store.iter_events(code_id, started=known, full_first_page=True),
            protocol,
            whole=whole,
            fold_once=fold_once,
        )
        basis = store.flag_basis(code_id)
        if not recompute and basis is not None and basis[0] != RULES_EDITION:
            session.rules_edition, session._kept = basis[0], session._stored_flags()
        return session

    # ── recording ────────────────────────────────────────────────────────

    @cached_property
    def clock(self) -> CodeClock:
        """The code clock of a session read for an export, worked out the first time something asks for it
        (every other session is given its clock)."""
        return self._clock_later()

    @property
    def ended(self) -> bool:
        return self.fold.ended

    @property
    def started_at(self) -> datetime:
        """When the code started, in its own offset, as its summary, audit and list show it (a code from before
        every code was stamped with one: the zone the recorder runs in)."""
        first = self.records[0]
        at = first.typed(CodeStarted).at
        return first.occurred_at.astimezone(at.tzinfo if at is not None else None)

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

        `log` ends here; `replay` logs a file's events through `log_events`.
        """
        return self._append(self._checked(event), entered)

    def log_events(self, events: Iterable[BaseEvent], on_commit: Callable[[Logged], None] | None = None) -> None:
        """`log_event` of each event (validated already: a replay's file), with `on_commit` of what each logged,
        called once it is on disk: the same records, flags' history and calls, each event durable in its own
        transaction before the next is written.

        The events are checked, chained and folded a few at a time, then written one by one: the recorder's
        own work for an event is done in a run, not each time between two waits for the disk (where it cost
        about half as much again: BENCHMARKS.md, twelfth round). So an event's recorded_at is when it was made
        ready, at most about READY_AHEAD seconds before it was written (the batch is sized to keep it so).
        An event that cannot follow the code stops the replay there (SessionError), the events before it
        written; a write that fails leaves the code as far as it was written, and this session behind it
        refuses to record more (resume the code). The end hook runs once a batch is written, not after each
        of its events: what it keeps stands only for the code's last event anyway.
        """
        events = iter(events)
        size = READY_FIRST
        while batch := list(islice(events, size)):
            began = self.clock.elapsed()
            ready, stopped = self._ready(batch)
            self._write_ready(ready, on_commit)
            if stopped is not None:
                raise stopped
            # Sized by how long the last batch took an event, so that the last of the next one is written about
            # READY_AHEAD after it was made ready, and at most twice the last (one quick write says little of the
            # next ones); never more than the records held in memory (a batch's fold reads back only what it
            # holds or what is written).
            each = (self.clock.elapsed() - began) / len(batch)
            fits = int(READY_AHEAD / each) if each > 0 else READY_MOST
            size = max(1, min(READY_MOST, self.records.keep, 2 * len(batch), fits))

    def _checked(self, event: BaseEvent) -> BaseEvent:
        """`event` at its t as stored (rounded to the microsecond, never before the start), if it can follow
        the code (else SessionError)."""
        t = round(max(0.0, event.t), 6)
        if t != event.t:
            event = event.model_copy(update={"t": t})
        try:
            self.ledger.check(event)
        except EventError as exc:
            raise SessionError(str(exc)) from None
        return event

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
        return self.fold.preview(record)

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
        if self._ahead:
            raise SessionError(
                f"a replay into code {self.code_id} stopped part-way; `recorder resume {self.code_id}` goes on from "
                "what it stored"
            )
        chained, record = self._chain(event, entered)
        self.store.write(chained)
        # Only once it is on disk does the code move on.
        logged, raised, withdrawn = self._move_on(record)
        self._write_flags(record.seq, raised, withdrawn)
        if self.fold.ended:
            self._ended_hook()
        return logged

    def _chain(
        self, event: BaseEvent, entered: float | None = None, after: Chained | None = None
    ) -> tuple[Chained, EventRecord]:
        """The next event's row, chained (onto `after`, or onto the code's head), and its record: written now."""
        seq, clock, code_id = self.ledger.next_seq, self.clock, self.code_id
        occurred_at, recorded_at = clock.at(event.t), clock.recorded_at()
        mark = clock.mark()
        if entered is not None:  # kept in a journal since: recorded when the scribe entered it
            made = min(max(entered, event.t), mark.elapsed)
            recorded_at, mark = min(recorded_at, clock.at(made)), clock.mark(entered=made)
        chained = self.store.chained(
            code_id, seq, event.kind, event_payload(event), occurred_at, recorded_at, 1, mark, after
        )
        # Built from what was just validated and typed here, not validated again (EventRecord(...) cost as much
        # as the rest of the record's making): what EventRecord(...) gives for these values.
        return chained, trusted.record(code_id, seq, event, occurred_at, recorded_at, 1, float(mark.elapsed))

    def _move_on(self, record: EventRecord) -> tuple[Logged, list[Flag], list[Flag]]:
        """The code moves on by one event: the ledger, the records, the fold. What logging it gives, and the flags
        it raised and withdrew (as the flags' history keeps them: not acknowledged)."""
        self.ledger.add(record.event)
        self.records.append(record)
        fold = self.fold
        raised, withdrawn = fold.add(record)
        return Logged(record, fold.acknowledged(raised) if raised else [], withdrawn), raised, withdrawn

    def _ended_hook(self) -> None:
        if self.on_end is not None:
            try:
                self.on_end(self)
            except StoreError:
                pass  # derived data, not the record: whoever reads it next derives it again

    def _ready(self, events: list[BaseEvent]) -> tuple[list[_Ready], Exception | None]:
        """The events checked, chained one onto the other and folded in, not written (log_events): what writing
        each takes, and what stopped them short (an event that cannot follow, a head moved on)."""
        ready: list[_Ready] = []
        after: Chained | None = None
        self._ahead = True  # until every one of them is written (_write_ready)
        fold = self.fold
        try:
            for event in events:
                chained, record = self._chain(self._checked(event), after=after)
                logged, raised, withdrawn = self._move_on(record)
                ready.append((chained, logged, raised, withdrawn, fold.ended))
                after = chained
        except (SessionError, StoreError) as exc:
            return ready, exc
        return ready, None

    def _write_ready(self, ready: list[_Ready], on_commit: Callable[[Logged], None] | None) -> None:
        """Write each event made ready, with the flags' history as `_append` keeps it after each; `on_commit` of
        each once it is on disk. The fold stands at the last of them: only then is it the code's again."""
        write, last = self.store.write, len(ready) - 1
        for i, (chained, logged, raised, withdrawn, ended) in enumerate(ready):
            write(chained)
            self._write_flags(chained.seq, raised, withdrawn, ended, i == last)
            if i == last:
                self._ahead = False
                if ended:
                    self._ended_hook()
            if on_commit is not None:
                on_commit(logged)
        if not ready:
            self._ahead = False

    # ── reading ──────────────────────────────────────────────────────────

    def timeline(self) -> list[EventRecord]:
        """The effective timeline: voids and amends applied, ordered by (t, seq). (All of it, in memory:
        `iter_timeline` reads a long code a page at a time.)"""
        return self.fold.timeline()

    def iter_timeline(self, start: int = 0, kinds: Container[str] | None = None) -> Iterator[EventRecord]:
        """The effective timeline from position `start`, the records read back a page at a time; with
        `kinds`, only the events of those kinds (the ledger knows each one's kind: the others are not read)."""
        return self.fold.iter_timeline(start, kinds, kind_of=self.ledger.kind)

    def flags(self) -> list[Flag]:
        """The code's flags, in (t, seq) order, with the scribe's acknowledgements."""
        if self._kept is not None:
            return self.fold.acknowledged(sorted(self._kept, key=lambda f: (f.t, f.seq, f.rule)))
        return self.fold.acknowledged(self.fold.flags)

    def withdrawn_flags(self) -> list[Flag]:
        """Flags shown at some point and gone after a void, an amend or a back-dated entry."""
        current = {f.key for f in (self._kept if self._kept is not None else self.fold.flags)}
        return [f for f in self._stored_flags("withdrawn") if f.key not in current]

    @property
    def state(self) -> ClinicalView:
        """The clinical state the rules see now, read-only: lines, unflushed drugs, epinephrine timing."""
        return self.fold.state

    def tick(self, now: float | None = None) -> list[Flag]:
        """Live: fire the deadline rules whose time has passed on the code clock."""
        if self.ended:
            return []
        raised = self.fold.tick(self.now() if now is None else now)
        if raised or self._flags_behind:
            self._write_flags(len(self.records), raised, [])
        return self.fold.acknowledged(raised)

    def follow(self, now: float | None = None) -> tuple[list[EventRecord], list[Flag]]:
        """A reader following a code that another recorder writes (`recorder watch`): fold in the records
        appended since the last look, then the deadlines passed by `now`; the new records, and the flags
        those deadlines raised.

        Nothing is written, here or in the fold: no flags kept, no lock taken. With nothing new it costs one
        look at the code's head (its event count); the new records are read by seq after the last one held.
        """
        info = self.store.code(self.code_id)
        new: list[EventRecord] = []
        if info is not None and info.events > len(self.records):
            for record in self.store.iter_events(self.code_id, from_seq=len(self.records) + 1):
                self.ledger.add(record.event)
                self.records.append(record)
                self.fold.add(record)
                new.append(record)
        raised: list[Flag] = []
        if not self.ended:
            # The writer's deadline flags fire on its clock every second; the reader fires them on its own.
            raised = self.fold.tick(self.now() if now is None else now)
        return new, raised

    def _write_flags(
        self, at_seq: int, raised: list[Flag], withdrawn: list[Flag], ended: bool | None = None, current: bool = True
    ) -> None:
        """Keep the flags' history. Flags are derived from events already on disk: a failed write is
        caught up at the next one (or at resume), never an error that would make the scribe log an
        event that is already stored a second time.

        `ended`: whether the code had ended at `at_seq` (the fold's, unless it is ahead of the store);
        `current`: the fold stands at `at_seq` (not ahead of it, as it is in a replay's batch but the last).
        """
        # The rules edition and protocol are kept with the code's flags at a session's first write (even
        # of no flag) and at every write once the code has ended, so that `verify` works them out again
        # under what raised them and knows they were brought up to date with the end.
        basis_due = not self._basis_kept or (self.ended if ended is None else ended)
        if not (raised or withdrawn or self._flags_behind or basis_due):
            return  # most events change no flag: decided before the basis is worked out (once per event)
        if self._flags_behind and not current:
            # The catch-up is a diff against the fold's flags, which are a later event's here: it waits for the
            # fold to stand where the store does (it takes in this event's flags then).
            return
        basis = protocol_basis(self.protocol) if basis_due else None
        try:
            if self._flags_behind:
                raised, withdrawn = diff_flags(self._stored_flags(), self.fold.flags)
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


def replay(
    store: Store,
    clock: Clock,
    lines: Iterable["ScenarioLine"],
    protocol: Protocol | None = None,
    on_commit: Callable[[Logged], None] | None = None,
    on_end: EndHook | None = None,
) -> Session:
    """Store a validated scenario event by event through the same path as the screen.

    `lines` may be a stream (recorder replay reads the file a line at a time): it is gone through once.
    """
    lines = iter(lines)
    first = next(lines).event
    fields = event_payload(first)
    session = Session.start(store, clock, protocol=protocol, on_end=on_end, **fields)
    if on_commit:
        on_commit(Logged(session.records[0]))
    session.log_events((line.event for line in lines), on_commit)
    return session


__all__ = ["EndHook", "Logged", "Session", "SessionError", "StoreError", "replay"]


def _pages(records: Iterable[EventRecord], size: int) -> Iterator[list[EventRecord]]:
    """`records` in lists of `size` (the last shorter): a long code is still taken in a page at a time."""
    it = iter(records)
    while page := list(islice(it, size)):
        yield page


def _fetch_from(records: RecordLog) -> Callable[[int], BaseEvent]:
    """The ledger's way back to a whole event: from the record log alone."""
    return lambda seq: records.get(seq).event
