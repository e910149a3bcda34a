"""The one API the screen and the CLI use to record a code: start, log, void, amend, end, resume."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from recorder.clock import Clock, CodeClock
from recorder.ledger import LINE_STARTERS, Ledger
from recorder.scenario import ScenarioLine
from recorder.store import Store, StoreError
from recorder.timeline import effective
from schemas.events import BaseEvent, CodeStarted, EventError, event_payload, parse_event
from schemas.records import EventRecord, Flag


class SessionError(Exception):
    """A request the session cannot carry out; the message says what to do instead."""


@dataclass(frozen=True)
class Logged:
    """What logging one event did: the stored record and the flags it raised or withdrew."""

    record: EventRecord
    raised: list[Flag] = field(default_factory=list)
    withdrawn: list[Flag] = field(default_factory=list)


class Session:
    """One code being recorded. Every event is validated, then durably stored, then returned."""

    def __init__(self, store: Store, code_id: int, clock: CodeClock, records: Iterable[EventRecord] = ()) -> None:
        self.store = store
        self.code_id = code_id
        self.clock = clock
        self.ledger = Ledger()
        self.records: list[EventRecord] = []
        for record in records:
            self.ledger.add(record.event)
            self.records.append(record)

    # ── opening a code ───────────────────────────────────────────────────

    @classmethod
    def start(cls, store: Store, clock: Clock, **fields: Any) -> "Session":
        """Start a new code now (or at `at`, for a replay): the code clock runs from here."""
        try:
            event = parse_event({"kind": "code_started", "t": 0, **fields})
        except EventError as exc:
            raise SessionError(str(exc)) from None
        assert isinstance(event, CodeStarted)
        start = event.at or clock.wall()
        code_id, _ = store.create_code(clock.wall())
        session = cls(store, code_id, CodeClock(clock, start))
        session._append(event)
        return session

    @classmethod
    def resume(cls, store: Store, clock: Clock, code_id: int | None = None) -> "Session":
        """Reopen a code after a crash or a closed terminal: the open one unless told which."""
        if code_id is None:
            code_id = store.open_code_id()
            if code_id is None:
                raise SessionError("no open code to resume; start one with `recorder new`")
        info = store.code(code_id)
        if info is None or info.events == 0:
            raise SessionError(f"there is no code {code_id}; `recorder list` shows the codes")
        records = store.events(code_id)
        return cls(store, code_id, CodeClock.resumed(clock, records[0].occurred_at), records)

    # ── recording ────────────────────────────────────────────────────────

    @property
    def ended(self) -> bool:
        return any(r.kind == "code_ended" for r in self.timeline())

    def now(self) -> float:
        """The code clock: seconds since the start. The screen reads it at the first key."""
        return self.clock.elapsed()

    def log(self, data: dict[str, Any], *, t: float | None = None, ago: float = 0.0) -> Logged:
        """Validate, number, store and return one event.

        `t` is when it happened (default: now) less `ago` seconds for a late entry; a new line
        or infusion gets the next id when `data` names none.
        """
        data = dict(data)
        when = (self.now() if t is None else t) - ago
        data["t"] = round(max(0.0, when), 6)
        kind = data.get("kind")
        if kind in LINE_STARTERS and "line" not in data:
            data["line"] = self.ledger.next_line(LINE_STARTERS[kind])
        elif kind == "infusion_started" and "infusion" not in data:
            data["infusion"] = self.ledger.next_infusion()
        try:
            event = parse_event(data)
            self.ledger.check(event)
        except EventError as exc:
            raise SessionError(str(exc)) from None
        return self._append(event)

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

    def _append(self, event: BaseEvent) -> Logged:
        seq = self.ledger.next_seq
        occurred_at, recorded_at = self.clock.at(event.t), self.clock.recorded_at()
        self.store.append(self.code_id, seq, event.kind, event_payload(event), occurred_at, recorded_at)
        record = EventRecord(
            code_id=self.code_id, seq=seq, event=event, occurred_at=occurred_at, recorded_at=recorded_at
        )
        # Only once it is on disk does the code move on.
        self.ledger.add(event)
        self.records.append(record)
        raised, withdrawn = self._evaluate(record)
        return Logged(record, raised, withdrawn)

    # ── reading ──────────────────────────────────────────────────────────

    def timeline(self) -> list[EventRecord]:
        """The effective timeline: voids and amends applied, ordered by (t, seq)."""
        return effective(self.records)

    def flags(self) -> list[Flag]:
        """The code's current flags, in (t, seq) order."""
        return []

    def _evaluate(self, record: EventRecord) -> tuple[list[Flag], list[Flag]]:
        """The flags one more event raises and withdraws: the rule engine's seam."""
        return [], []


def replay(
    store: Store,
    clock: Clock,
    lines: list[ScenarioLine],
    on_commit: Callable[[Logged], None] | None = None,
) -> Session:
    """Store a validated scenario event by event through the same path as the screen."""
    first = lines[0].event
    fields = event_payload(first)
    session = Session.start(store, clock, **fields)
    if on_commit:
        on_commit(Logged(session.records[0]))
    for line in lines[1:]:
        logged = session.log(event_payload(line.event) | {"kind": line.event.kind}, t=line.event.t)
        if on_commit:
            on_commit(logged)
    return session


__all__ = ["Logged", "Session", "SessionError", "StoreError", "replay"]
