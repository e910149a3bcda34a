"""The engine: folds the effective timeline into state, runs the rules, and fires deadlines in order."""

import copy
import heapq
import itertools
from collections.abc import Iterable

from recorder.engine.protocol import Protocol, load_protocol
from recorder.engine.registry import Check, Ctx, Found, Hit, RuleInfo
from recorder.engine.rulebook import DEADLINES, FOLDS, RULES
from recorder.engine.state import Due, Memo, State, copy_due
from schemas.events import RECORD_KEEPING
from schemas.records import EventRecord, Flag
from schemas.unvalidated import unvalidated
from schemas.vocabulary import SEVERITIES


def _flag_order(flag: Flag) -> tuple[float, int, str]:
    return (flag.t, flag.seq, flag.rule)


def _dispatch() -> dict[str, list[tuple[RuleInfo, Check]]]:
    """Each event kind's rules, in the rulebook's order (a deadline's rule is fired from the heap, not by a kind)."""
    checks: dict[str, list[tuple[RuleInfo, Check]]] = {}
    for info in RULES.values():
        if info.check is not None:
            for kind in info.kinds:
                checks.setdefault(kind, []).append((info, info.check))
    return checks


# Built once: the rulebook is fixed when it is imported, and every engine (two a code an audit derives, one a
# checkpoint's copy) reads the same table; building it was half of making an engine.
_CHECKS = _dispatch()


class Engine:
    """Protocol deviations of one code, event by event.

    `apply` takes the next event of the effective timeline (t ≥ the last one's): deadlines that
    passed before it fire first, then the rules of its kind run against the state before it, then
    it is folded into the state. `advance(now)` fires deadlines live. Each event costs the rules of
    its kind plus the deadlines that come due, whatever the length of the code.
    """

    def __init__(self, protocol: Protocol | None = None) -> None:
        self.protocol = protocol if protocol is not None else load_protocol()
        self._state = State(self.protocol, folds=FOLDS, deadlines=DEADLINES)
        self._ctx = Ctx(self._state, self.protocol)
        self._checks = _CHECKS  # read, never changed
        self._heap: list[tuple[float, int, int, Due]] = []
        self._tiebreak = itertools.count()
        self._flags: list[Flag] = []
        self._sorted = True
        self._raised: set[tuple[str, int] | tuple[str, int, str]] = set()
        self._time: float | None = None
        self._last_flag_t: float | None = None

    @property
    def state(self) -> State:
        """The clinical state so far (read it; do not change it)."""
        return self._state

    @property
    def time(self) -> float | None:
        """The latest time seen (an event's t or `advance`'s now); None before the first event.

        An event back-dated before this may find deadlines already fired: recompute with `evaluate`.
        """
        return self._time

    @property
    def last_flag_t(self) -> float | None:
        """The latest t of any flag raised so far (None before the first): `flags[-1].t` without the copy."""
        return self._last_flag_t

    def copy(self) -> "Engine":
        """An independent copy of the fold so far; the protocol, the rule table and the flags (frozen) are shared.

        Session recomputes copy an engine often (checkpoints): only the mutable state is deep-copied;
        the sets and lists of immutable values are copied shallowly, and deadlines already closed,
        which the heap would only skip, are left behind.
        """
        new = object.__new__(Engine)
        new.__dict__.update(self.__dict__)
        # The dues in the heap are shared with the state (a line's awaiting flush): one memo keeps them one.
        memo: Memo = {}
        new._state = self._state.copy(memo)
        new._ctx = self._ctx.copy_for(new._state)
        heap = [(at, seq, n, copy_due(due, memo)) for at, seq, n, due in self._heap if due.open]
        heapq.heapify(heap)
        new._heap = heap
        new._tiebreak = itertools.count(next(copy.copy(self._tiebreak)))
        new._flags = list(self._flags)
        new._raised = set(self._raised)
        return new

    @property
    def flags(self) -> list[Flag]:
        """Every flag raised so far, in (t, seq, rule) order."""
        if not self._sorted:
            self._flags.sort(key=_flag_order)
            self._sorted = True
        return list(self._flags)

    def apply(self, record: EventRecord) -> list[Flag]:
        """Fold in the next event; return the flags it raises (deadlines passed first), in (t, seq) order."""
        # This runs for every event of every fold: the event's kind and t are read once, and the heap, the
        # rules and the new deadlines are touched only when there is something there.
        event = record.event
        kind = event.kind
        if kind in RECORD_KEEPING:
            return []
        t = event.t
        new = self.pass_to(t)
        checks = self._checks.get(kind)
        if checks is not None:
            ctx, seq = self._ctx, record.seq
            for info, check in checks:
                found = check(ctx, record)
                if found is not None:
                    for hit in _hits(found):
                        self._raise(info, hit, seq, t, new)
        dues = self._state.apply(record)
        if dues:
            tiebreak = self._tiebreak
            heap = self._heap
            for due in dues:
                heapq.heappush(heap, (due.at, due.seq, next(tiebreak), due))
        return sorted(new, key=_flag_order) if len(new) > 1 else new

    def pass_to(self, t: float) -> list[Flag]:
        """Time passes to `t`: the deadlines due before it fire (the flags raised, unsorted), and it becomes the
        engine's time if later. What `apply` does first with every event, and all it does with an event that no
        rule, handler or fold reads (a reader that leaves such events out passes the time to the last one)."""
        heap = self._heap
        new = self._fire_before(t) if heap and heap[0][0] < t else []
        if self._time is None or t > self._time:
            self._time = t
        return new

    def advance(self, now: float) -> list[Flag]:
        """Live: fire the deadlines that passed before `now`; return the flags raised."""
        if not self._state.started:
            return []
        return sorted(self.pass_to(now), key=_flag_order)

    def _fire_before(self, now: float) -> list[Flag]:
        new: list[Flag] = []
        while self._heap and self._heap[0][0] < now:
            due = heapq.heappop(self._heap)[3]
            if not due.open:
                continue
            info = RULES[due.rule]
            hit = info.fire(self._ctx, due) if info.fire is not None else None
            # A rule may find, when the time comes, that its flag does not apply (an unknown age…).
            due.close("missed" if hit is not None else "cancelled")
            if hit is not None:
                self._raise(info, hit, due.seq, due.at, new)
        return new

    def _raise(self, info: RuleInfo, hit: Hit, seq: int, t: float, new: list[Flag]) -> None:
        seq = hit.seq if hit.seq is not None else seq
        key = (info.id, seq, hit.severity) if info.per_severity else (info.id, seq)
        if key in self._raised:
            return
        self._raised.add(key)
        flag = raised_flag(info.id, hit.severity, seq, hit.t if hit.t is not None else t, hit.line, hit.message)
        if self._flags and _flag_order(flag) < _flag_order(self._flags[-1]):
            self._sorted = False
        self._flags.append(flag)
        if self._last_flag_t is None or flag.t > self._last_flag_t:
            self._last_flag_t = flag.t
        new.append(flag)


# What a flag made by `raised_flag` was given: every field but the acknowledgement's (one set for all: frozen).
_RAISED_GIVEN = {"rule", "severity", "seq", "t", "line", "message"}


def raised_flag(rule: str, severity: str, seq: int, t: float, line: str | None, message: str) -> Flag:
    """`Flag(rule=…, severity=…, seq=…, t=…, line=…, message=…)`: made without validating again when each value
    already is what validation gives (a rule's severity, the event's int seq and float t, text), which the
    rules' hits almost always are; validated as that call is otherwise (an int t, an unknown severity…)."""
    if (
        type(rule) is str
        and type(severity) is str
        and severity in SEVERITIES
        and type(seq) is int
        and type(t) is float
        and type(message) is str
        and (line is None or type(line) is str)
    ):
        values = {
            "rule": rule,
            "severity": severity,
            "seq": seq,
            "t": t,
            "line": line,
            "message": message,
            "acknowledged": False,
            "reason": None,
        }
        return unvalidated(Flag, values, _RAISED_GIVEN)
    return Flag(rule=rule, severity=severity, seq=seq, t=t, line=line, message=message)


def _hits(found: Found) -> Iterable[Hit]:
    if found is None:
        return ()
    if isinstance(found, Hit):
        return (found,)
    return found


def evaluate(timeline: Iterable[EventRecord], protocol: Protocol | None = None) -> list[Flag]:
    """Every flag of an effective timeline, replayed: deadlines fire only when a later event is applied."""
    engine = Engine(protocol)
    for record in timeline:
        engine.apply(record)
    return engine.flags
