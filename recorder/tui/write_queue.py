"""Entries from the screen into the session, so that none is lost when the disk fails.

An entry is shown as recorded only once it is committed. When the database cannot take it, it is
appended (fsync'd) to the code's journal (recorder/tui/journal.py) and queued, in order, with every
entry after it (they may depend on it: a flush of a line whose attempt is queued); `retry` writes
them, with their own times, as soon as the fault clears, and the next start does if the recorder
is closed first. What the screen shows (lines, the current line, timers, previews) is the fold of
the committed events and the queued entries together: `state`.
"""

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from recorder.core.clock import Clock, CodeClock, local
from recorder.core.ledger import Ledger
from recorder.core.session import EndHook, Logged, Session, SessionError
from recorder.engine import RULES, Engine, Protocol, load_protocol
from recorder.engine.clinical_view import ClinicalView
from recorder.engine.timeline import effective
from recorder.store import Store, StoreError
from recorder.tui.journal import Entry, Journal, JournalError, Start
from schemas.events import RECORD_KEEPING, EventError, event_payload, parse_event
from schemas.records import EventRecord, Flag


@dataclass
class Pending:
    """An entry the scribe made that is not in the database yet, and where it is kept meanwhile."""

    n: int
    data: dict[str, Any]  # line and infusion ids pinned: the journal and the screen name the same line
    t: float
    entered: float
    kept: Path | None  # the journal file that holds it; None when no disk could take it (memory only)

    @property
    def line(self) -> str | None:
        return self.data.get("line")


def _copy_ledger(ledger: Ledger) -> Ledger:
    return ledger.copy()


class Projection:
    """The code as the screen shows it: committed events, then the queued entries as if committed."""

    def __init__(self, ledger: Ledger, records: list[EventRecord], code_id: int, clock: CodeClock, protocol: Protocol):
        self.ledger = ledger
        self.records = records
        self.code_id = code_id
        self.clock = clock
        self.protocol = protocol
        self._engine: Engine | None = None

    def pin(self, data: dict[str, Any], t: float) -> tuple[dict[str, Any], EventRecord]:
        """`data` with the next line or infusion id given, checked against the code (SessionError if it cannot
        follow), and the record it would make; the projection itself is unchanged until `add`."""
        data = self.ledger.with_ids({k: v for k, v in data.items() if k != "t"})
        try:
            event = parse_event({**data, "t": round(max(0.0, t), 6)})
            self.ledger.check(event)
        except EventError as exc:
            raise SessionError(str(exc)) from None
        at = self.clock.at(event.t)
        seq = self.ledger.next_seq
        record = EventRecord(code_id=self.code_id, seq=seq, event=event, occurred_at=at, recorded_at=at)
        return data, record

    def add(self, record: EventRecord) -> None:
        self.ledger.add(record.event)
        self.records.append(record)
        engine = self._engine
        in_order = engine is not None and (engine.time is None or record.t >= engine.time)
        if engine is not None and in_order and record.kind not in ("void", "amend"):
            engine.apply(record)
        else:
            self._engine = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            engine = Engine(self.protocol)
            for record in effective(self.records):
                engine.apply(record)
            self._engine = engine
        return self._engine


class WriteQueue:
    """The write queue: the screen's way into the session (and into a code not created yet).

    Nothing is dropped: an entry queued behind a fault is in the journal before the screen shows it
    queued; one that turns out invalid on retry stays visible in `rejected` with the reason.
    """

    def __init__(
        self,
        session: Session | None,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
        protocol: Protocol | None = None,
        code_clock: CodeClock | None = None,
        journal: Journal | None = None,
        on_end: EndHook | None = None,
    ) -> None:
        self.session = session
        # Given to the session this scribe starts (an open session keeps its own).
        self.on_end = on_end if on_end is not None or session is None else session.on_end
        self.store = store or _created(session).store
        self.clock = clock or _created(session).clock.clock
        self.protocol = protocol or (session.protocol if session else load_protocol())
        self.code_clock = code_clock or _created(session).clock
        self.start: Start | None = None  # the code's start, while the code cannot be created
        self.pending: deque[Pending] = deque()
        self.rejected: list[tuple[Pending, str]] = []
        self.fault: str | None = None
        self.journal_fault: str | None = None  # why the last entry could not be journalled either
        self.journal = journal
        self._projection: Projection | None = None
        if journal is not None:
            self._take(journal)

    # ── opening ──────────────────────────────────────────────────────────

    @classmethod
    def begin(
        cls,
        store: Store,
        clock: Clock,
        protocol: Protocol,
        code_clock: CodeClock,
        fields: dict[str, Any],
        on_end: EndHook | None = None,
    ) -> "WriteQueue":
        """Start a new code; when it cannot be created, its start is journalled and queued like an entry."""
        # Stamped as Session.start stamps it: local time with its offset, what the team saw on screen.
        fields = {**fields, "at": local(code_clock.start).isoformat()}
        try:
            parse_event({"kind": "code_started", "t": 0, **fields})
        except EventError as exc:
            raise SessionError(str(exc)) from None
        queue = cls(None, store=store, clock=clock, protocol=protocol, code_clock=code_clock, on_end=on_end)
        queue.start = Start(fields, fields["at"], code_clock.elapsed())
        queue.retry()
        if queue.start is not None:
            queue.journal = Journal.for_new_code(store.path)
            queue.journal.begin(0, clock.wall().isoformat())
            try:
                queue.journal.add_start(queue.start)
            except JournalError as exc:
                queue.journal_fault = str(exc)
        return queue

    @classmethod
    def for_session(cls, session: Session) -> "WriteQueue":
        """The write queue of an open code, with what its journal still holds queued (replayed at the next retry)."""
        return cls(session, journal=find_journal(session.store.path, session.code_id))

    def _take(self, journal: Journal) -> None:
        """Queue what a journal holds, skipping what the database already has (a crash after a commit)."""
        if journal.start is not None:
            self.start = journal.start
        if self.session is not None:
            settle(journal, self.session.store, self.session.code_id)
        for entry in journal.pending():
            self.pending.append(Pending(entry.n, entry.data, entry.t, entry.entered, journal.where or _first(journal)))
        if journal.empty():
            journal.remove()

    # ── entering ─────────────────────────────────────────────────────────

    def enter(self, data: dict[str, Any], t: float) -> Logged | Pending:
        """Log an entry, or queue it (journalled) behind a storage fault. SessionError for bad input."""
        if not self.queued:
            try:
                return self.created.log(data, t=t)
            except StoreError as exc:
                self.fault = str(exc)
        projection = self.projection()
        pinned, record = projection.pin(data, t)
        entered = max(self.code_clock.elapsed(), t)
        entry = Pending(self._next_n(), pinned, t, entered, None)
        try:
            entry.kept = self._journal().add(
                Entry(entry.n, pinned, t, entered, self.clock.wall().isoformat(timespec="seconds"))
            )
        except JournalError as exc:
            self.journal_fault = str(exc)
        self.pending.append(entry)
        projection.add(record)
        return entry

    @property
    def created(self) -> Session:
        """The code's session: there is one whenever nothing is queued (a code start queues first)."""
        return _created(self.session)

    @property
    def queued(self) -> bool:
        """Anything waiting for the database: a code start or entries."""
        return self.start is not None or bool(self.pending)

    def _next_n(self) -> int:
        n = self.journal.next_n() if self.journal else 1
        return max([n, *(p.n + 1 for p in self.pending)])

    def _journal(self) -> Journal:
        if self.journal is None:
            self.journal = find_journal(self.store.path, self.created.code_id) or Journal.for_code(
                self.store.path, self.created.code_id
            )
        if self.journal.empty():
            self.journal.begin(len(self.session.records) if self.session else 0, self.clock.wall().isoformat())
        if self.start is not None and self.journal.start is None:
            self.journal.add_start(self.start)  # it could not be kept at first: now
        return self.journal

    # ── writing what is queued ───────────────────────────────────────────

    def retry(self) -> list[Logged]:
        """Write the code's start and queued entries in order until one fails; returns those written."""
        written: list[Logged] = []
        if self.start is not None:
            try:
                self.session = Session.start(
                    self.store,
                    self.clock,
                    self.protocol,
                    code_clock=self.code_clock,
                    entered=self.start.entered,
                    on_end=self.on_end,
                    **self.start.fields,
                )
            except StoreError as exc:
                self.fault = str(exc)
                return written
            self.start = None
            if self.journal is not None:
                self.journal.code_created(self.session.code_id)
            written.append(Logged(self.session.records[0]))
            self._projection = None
        while self.pending:
            entry = self.pending[0]
            try:
                logged = self.created.log(entry.data, t=entry.t, entered=entry.entered)
            except StoreError as exc:
                self.fault = str(exc)
                return written
            except SessionError as exc:
                self.rejected.append((entry, str(exc)))
                if self.journal is not None:
                    self.journal.refused(entry.n, str(exc))
            else:
                written.append(logged)
                if self.journal is not None:
                    self.journal.done(entry.n, logged.record.seq)
            self.pending.popleft()
            self._projection = None
        self.fault = None
        if self.journal is not None and self.journal.empty():
            self.journal.remove()
        return written

    # ── what the screen shows ────────────────────────────────────────────

    def projection(self) -> Projection:
        if self._projection is None:
            session = self.session
            if session is not None:
                ledger, records, code_id = _copy_ledger(session.ledger), list(session.records), session.code_id
            else:
                ledger, records, code_id = Ledger(known_rules=RULES), [], 0
            projection = Projection(ledger, records, code_id, self.code_clock, self.protocol)
            if self.start is not None:
                _, record = projection.pin({"kind": "code_started", **self.start.fields}, 0.0)
                projection.add(record)
            for entry in self.pending:
                try:
                    _, record = projection.pin(entry.data, entry.t)
                except SessionError:
                    continue  # it will be refused when written, and shown so
                projection.add(record)
            self._projection = projection
        return self._projection

    @property
    def state(self) -> ClinicalView:
        """The clinical state the screen shows: committed events and queued entries folded together."""
        if not self.queued:
            return self.created.state
        return self.projection().engine.state

    def timeline(self) -> list[EventRecord]:
        """The effective timeline as the screen means it: committed events and queued entries."""
        if not self.queued:
            return self.created.timeline()
        return effective(self.projection().records)

    def preview(self, data: dict[str, Any], t: float) -> list[Flag]:
        """The flags an entry would raise, given everything entered before it (queued or not)."""
        if not self.queued:
            return self.created.preview(data, t=t)
        projection = self.projection()
        try:
            _, record = projection.pin(data, t)  # checks against the queue; takes nothing from it
        except SessionError:
            return []
        engine = projection.engine
        if (engine.time is not None and record.t < engine.time) or record.kind in RECORD_KEEPING:
            return []
        return [f for f in engine.copy().apply(record) if f.seq == record.seq]

    def close(self) -> None:
        """Let go of the journal (what it holds stays on disk for the next start)."""
        if self.journal is not None:
            self.journal.close()

    def kept_in(self) -> list[Path]:
        """The journal files that hold the queue now."""
        return self.journal.files() if self.journal is not None else []

    def unkept(self) -> int:
        """Queued entries no disk could take: a quit loses them."""
        return sum(1 for p in self.pending if p.kept is None) + (
            1 if self.start is not None and (self.journal is None or not self.journal.files()) else 0
        )


def _created(session: Session | None) -> Session:
    if session is None:
        raise RuntimeError("the code is not created yet: its start is still queued")
    return session


def _first(journal: Journal) -> Path | None:
    files = journal.files()
    return files[0] if files else None


def find_journal(db: Path, code_id: int) -> Journal | None:
    """The journal of code `code_id`, loaded and locked; None when it has none."""
    found = None
    for journal in Journal.find(db):
        if journal.code == code_id and found is None:
            found = journal
        else:
            journal.close()  # another code's: its own resume replays it
    return found


def waiting(db: Path, but: int | None) -> list[tuple[int | None, int, list[Path]]]:
    """Other codes' journals that still hold entries, as (code, how many, files): told at start-up, so
    that a scribe who opened another code knows what `recorder resume CODE` would write."""
    out = []
    for journal in Journal.find(db):
        count = len(journal.pending()) + (journal.start is not None)
        if journal.code != but and count:
            out.append((journal.code, count, journal.files()))
        journal.close()
    return out


def settle(journal: Journal, store: Store, code_id: int) -> None:
    """Mark done the journalled entries the database already holds (committed, then the recorder died).

    Entries are committed one at a time, in order, by the code's one writer, so the first pending
    entry can only be at the seq after the last one this queue saw committed, the next after it, …
    """
    records = store.events(code_id)
    seq = journal.next_seq()
    for entry in journal.pending():
        if seq > len(records) or not _same(records[seq - 1], entry):
            return
        journal.done(entry.n, seq)
        seq += 1


def _same(record: EventRecord, entry: Entry) -> bool:
    try:
        event = parse_event({**entry.data, "t": round(max(0.0, entry.t), 6)})
    except EventError:
        return False
    return record.kind == event.kind and record.t == event.t and event_payload(record.event) == event_payload(event)


def created_code(journal: Journal, store: Store) -> int | None:
    """The code a journalled start already created (committed, then the recorder died), if any."""
    start = journal.start
    if start is None:
        return None
    try:
        wanted = event_payload(parse_event({"kind": "code_started", "t": 0, **start.fields}))
    except EventError:
        return None
    for info in reversed(store.codes()):
        if info.events == 0:
            continue
        first = store.events(info.id)[0]
        if first.kind == "code_started" and event_payload(first.event) == wanted:
            return info.id
    return None


def reopen(
    store: Store, clock: Clock, protocol: Protocol, code_id: int | None = None, on_end: EndHook | None = None
) -> WriteQueue | None:
    """At start-up: the write queue of a journal left behind (the given code's, else one whose code was never
    created), replaying it; None when there is none and the usual open code applies."""
    journals = Journal.find(store.path)
    for journal in journals:
        if journal.code is None and journal.start is not None:
            found = created_code(journal, store)
            if found is not None:
                journal.code_created(found)
    chosen = None
    if code_id is None:
        chosen = next((j for j in journals if j.code is None and j.start is not None), None)
    for journal in journals:
        if journal is not chosen:
            journal.close()
    if chosen is None:
        return None
    assert chosen.start is not None  # chosen for it
    at = datetime.fromisoformat(chosen.start.at)
    # No mark was ever written for a code never created: the wall clock, never below what was entered.
    reached = max([0.0, *(max(e.t, e.entered or 0.0) for e in chosen.pending())])
    queue = WriteQueue(
        None,
        store=store,
        clock=clock,
        protocol=protocol,
        code_clock=CodeClock.resumed(clock, at, None, reached),
        on_end=on_end,
    )
    queue.journal = chosen
    queue._take(chosen)
    return queue
