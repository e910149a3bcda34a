"""Checks that need the code so far: lines, infusions and targets that must (not) exist yet."""

from array import array
from collections.abc import Callable, Container, Sequence
from typing import Any, cast

from pydantic import ValidationError

from schemas.events import (
    KIND_MODEL,
    KINDS,
    RECORD_KEEPING,
    Acknowledge,
    Amend,
    BaseEvent,
    EventError,
    InfusionStarted,
    Void,
    explain,
)
from schemas.formatting import t_plus
from schemas.plausible import entry_context

LINE_STARTERS = {"io_attempt": "io", "iv_attempt": "iv", "uvc_attempt": "uvc"}
# Ids that name what an event is; changing them would rewrite history, so void instead.
IDENTITY_FIELDS = {"line", "infusion"}
# Each event is kept as its kind's number in KINDS and its t: a million-event code holds 9 MB here.
_KIND_CODE = {kind: i for i, kind in enumerate(KINDS)}
_RecordKeeping = Void | Amend | Acknowledge  # the models of RECORD_KEEPING
# Kinds that a code's end must not come before: the bedside events (not record keeping, not an end).
_HELD = bytes(i for i, kind in enumerate(KINDS) if kind not in RECORD_KEEPING and kind != "code_ended")


class Ledger:
    """What a code holds so far, enough to refuse an event that cannot follow it.

    One ledger serves the live session and the whole-file check of `recorder replay`,
    so both refuse exactly the same input.
    """

    # Whole events kept for the newest ones (an amend or an acknowledgement usually names a recent one).
    RECENT = 256

    def __init__(
        self, known_rules: Container[str] | None = None, fetch: Callable[[int], BaseEvent] | None = None
    ) -> None:
        # Per event, its kind and t only (compact arrays); a whole event is fetched back when a check
        # needs it (an amend's target), from `fetch` (the store, or the file being checked).
        self._kinds = bytearray()
        self._ts = array("d")
        self._recent: dict[int, BaseEvent] = {}
        self._amended: dict[int, BaseEvent] = {}  # events as the amends so far left them (few)
        self._fetch = fetch
        self._pinned_from: int | None = None  # a copy keeps every event from here (they are nowhere else)
        self.lines: set[str] = set()
        self.infusions: set[str] = set()
        self.voided: set[int] = set()
        self.known_rules = known_rules
        # The seq of the code_ended that stands (None while the code is open, or once its end is voided).
        self.ended: int | None = None

    def __len__(self) -> int:
        return len(self._kinds)

    @property
    def next_seq(self) -> int:
        return len(self._kinds) + 1

    def kind(self, seq: int) -> str | None:
        """The kind of event `seq` (None if there is none yet)."""
        return KINDS[self._kinds[seq - 1]] if 0 < seq <= len(self._kinds) else None

    def seqs_of(self, kinds: Container[str]) -> list[int]:
        """The seqs of the events of these kinds, in seq order: a search of the kind bytes, not a walk in Python
        (the screen's timeline finds the few record-keeping entries of a long code this way)."""
        found: list[int] = []
        data = self._kinds
        for code in (_KIND_CODE[kind] for kind in KINDS if kind in kinds):
            needle, at = bytes((code,)), data.find(bytes((code,)))
            while at != -1:
                found.append(at + 1)
                at = data.find(needle, at + 1)
        return sorted(found)

    def t(self, seq: int) -> float:
        """Event `seq`'s t, as amends left it."""
        return self._ts[seq - 1]

    def event(self, seq: int) -> BaseEvent | None:
        """Event `seq` whole, as amends left it (None if there is none yet)."""
        if not 0 < seq <= len(self._kinds):
            return None
        found = self._amended.get(seq) or self._recent.get(seq)
        if found is None:
            if self._fetch is None:
                raise EventError(f"target: event {seq} is no longer at hand")  # a ledger without a source
            found = self._fetch(seq)
        return found

    def copy(self) -> "Ledger":
        """An independent ledger to project entries onto (the screen's queue): they are kept whole."""
        new = Ledger(self.known_rules, self._fetch)
        new._kinds, new._ts = bytearray(self._kinds), array("d", self._ts)
        new._recent, new._amended = dict(self._recent), dict(self._amended)
        new._pinned_from = self.next_seq
        new.lines, new.infusions, new.voided = set(self.lines), set(self.infusions), set(self.voided)
        new.ended = self.ended
        return new

    def next_line(self, prefix: str) -> str:
        """The id the screen gives the next line of a type: io1, io2, … iv1, …"""
        n = sum(1 for line in self.lines if line.rstrip("0123456789") == prefix)
        return f"{prefix}{n + 1}"

    def next_infusion(self) -> str:
        return f"inf{len(self.infusions) + 1}"

    def with_ids(self, data: dict[str, Any]) -> dict[str, Any]:
        """`data` (a copy) with the next line or infusion id when it starts one and names none."""
        data = dict(data)
        kind = data.get("kind")
        if kind in LINE_STARTERS and "line" not in data:
            data["line"] = self.next_line(LINE_STARTERS[kind])
        elif kind == "infusion_started" and "infusion" not in data:
            data["infusion"] = self.next_infusion()
        return data

    def check(self, event: BaseEvent) -> None:
        """Raise EventError when `event` cannot come next in this code."""
        # By kind, read once (each event's kind names its model): this runs for every event logged.
        seq, kind = len(self._kinds) + 1, event.kind
        if kind == "code_started":
            if seq != 1:
                raise EventError("kind: code_started comes once, as the first event")
            return
        if seq == 1:
            raise EventError("kind: a code begins with code_started")
        if self.ended is not None and kind not in RECORD_KEEPING:
            # A drug after death, a second end that moves the end time: the record of the code is closed.
            raise EventError(
                f"kind: the code ended at event {self.ended}; only a void, amend or acknowledge can follow it "
                "(void the end to reopen the code)"
            )
        if kind == "code_ended":
            self._check_end(event.t, seq)
            return
        if kind in LINE_STARTERS:
            line = event.line  # type: ignore[attr-defined]
            if line in self.lines:
                raise EventError(f"line: {line} is already in use; a new attempt takes a new line id")
            return
        if kind == "infusion_started":
            started = cast(InfusionStarted, event)
            self._need_line(started.line)
            if started.infusion in self.infusions:
                raise EventError(f"infusion: {started.infusion} is already running; use a new id")
            return
        if kind in ("infusion_changed", "infusion_stopped"):
            inf = event.infusion  # type: ignore[attr-defined]
            if inf not in self.infusions:
                raise EventError(f"infusion: {inf} was never started in this code")
            return
        if kind in RECORD_KEEPING:
            self._check_record_keeping(cast(_RecordKeeping, event))
            return
        line = event.__dict__.get("line")  # event.line_ref, without the property's call
        if line is not None:
            self._need_line(line)

    def add(self, event: BaseEvent) -> int:
        """Take `event` (already checked) as the next one; return its seq."""
        seq, kind = len(self._kinds) + 1, event.kind
        self._kinds.append(_KIND_CODE[kind])
        self._ts.append(event.t)
        # The recent events kept (written out here, not a call: this runs for every event logged).
        recent = self._recent
        recent[seq] = event
        if len(recent) > self.RECENT:
            oldest = next(iter(recent))  # dicts keep insertion (seq) order
            if self._pinned_from is None or oldest < self._pinned_from:
                del recent[oldest]
        note = _NOTE.get(kind)
        if note is not None:
            note(self, event, seq)
        return seq

    def extend(self, events: Sequence[BaseEvent]) -> None:
        """Take `events` (already checked, in seq order) as the next ones: what `add` of each leaves, with most of
        them (those of which it keeps only the kind and t) taken here rather than a call each (a reader takes in a
        whole code)."""
        if self._pinned_from is not None or self._fetch is None:
            # A copy keeps every event from where it was made; a ledger without a source finds an amend's target
            # among the recent ones only: both as `add` keeps them.
            for event in events:
                self.add(event)
            return
        start = len(self._kinds) + 1
        kinds, ts, codes, noted, add = self._kinds, self._ts, _KIND_CODE, _NOTE, self.add
        for event in events:
            kind = event.kind
            if kind in noted:
                add(event)  # its lines, infusions, voids, amends and end (an earlier event is fetched if need be)
            else:
                kinds.append(codes[kind])
                ts.append(event.t)
        # The newest RECENT, in seq order, as `add` of each leaves them: those from before that are still among
        # them, then these.
        first = max(1, len(kinds) - self.RECENT + 1)
        recent = {seq: event for seq, event in self._recent.items() if first <= seq < start}
        skip = max(0, first - start)
        recent.update(zip(range(start + skip, start + len(events)), events[skip:], strict=True))
        self._recent = recent

    # What `add` notes of the kinds that need more than their kind and t (the table _NOTE, below the class).

    def _note_line(self, event: BaseEvent, seq: int) -> None:
        self.lines.add(event.line)  # type: ignore[attr-defined]

    def _note_infusion(self, event: BaseEvent, seq: int) -> None:
        self.infusions.add(cast(InfusionStarted, event).infusion)

    def _note_end(self, event: BaseEvent, seq: int) -> None:
        self.ended = seq

    def _note_void(self, event: BaseEvent, seq: int) -> None:
        target = cast(Void, event).target
        self.voided.add(target)
        self._amended.pop(target, None)  # never read again: a voided event cannot be targeted
        if target == self.ended:
            self.ended = None  # a voided end never happened: the code is open again

    def _note_amend(self, event: BaseEvent, seq: int) -> None:
        amend = cast(Amend, event)
        # Later amends build on this one, as the effective timeline does.
        target_event = self.event(amend.target)
        assert target_event is not None  # checked
        data = {**target_event.model_dump(mode="json", exclude_none=True), **amend.changes}
        amended = KIND_MODEL[target_event.kind].model_validate(data)
        self._amended[amend.target] = amended
        self._ts[amend.target - 1] = amended.t

    def _need_line(self, line: str) -> None:
        if line not in self.lines:
            raise EventError(f"line: {line} was never started in this code; log its attempt first")

    def _check_record_keeping(self, event: Void | Amend | Acknowledge) -> None:
        kind = self.kind(event.target)
        if kind is None:
            raise EventError(f"target: there is no event {event.target} yet")
        if isinstance(event, Acknowledge):
            if self.known_rules is not None and event.rule not in self.known_rules:
                raise EventError(f"rule: {event.rule} is not a rule; `recorder rules` lists them")
            return
        if kind == "code_started":
            raise EventError("target: the start of the code cannot be voided or amended")
        if kind in ("void", "amend"):
            raise EventError(f"target: event {event.target} is a {kind}; it cannot be voided or amended")
        if event.target in self.voided:
            raise EventError(f"target: event {event.target} is already voided")
        if isinstance(event, Amend):
            touched = IDENTITY_FIELDS & event.changes.keys()
            if touched:
                raise EventError(
                    f"changes: {', '.join(sorted(touched))} cannot be amended; void the event and log it again"
                )
            target = self.event(event.target)  # whole, only now: read back when it is not a recent one
            assert target is not None
            data = {**target.model_dump(mode="json", exclude_none=True), **event.changes}
            try:
                # Entered: an amend's changes meet the entry-time checks (text, plausibility) of a new event.
                amended = KIND_MODEL[target.kind].model_validate(data, context=entry_context())
            except ValidationError as exc:
                raise EventError("changes: " + explain(exc)) from None
            self._check_amended(event.target, amended)

    def _check_amended(self, seq: int, amended: BaseEvent) -> None:
        """The event `seq` as an amend would leave it must pass what it passed when it was logged.

        Ids (lines, infusions) cannot be amended at all, so what is left to check is what names
        another event or a rule, and the event's place in the code's life.
        """
        if isinstance(amended, Acknowledge):
            if amended.target >= seq or self.kind(amended.target) is None:
                raise EventError(f"target: there is no event {amended.target} before the acknowledgement {seq}")
            if self.known_rules is not None and amended.rule not in self.known_rules:
                raise EventError(f"rule: {amended.rule} is not a rule; `recorder rules` lists them")
        elif amended.kind == "code_ended":
            self._check_end(amended.t, seq)
        elif self.ended is not None and seq < self.ended and amended.t > self.t(self.ended):
            end = self.t(self.ended)
            raise EventError(
                f"t: event {seq} would come after the end of the code ({t_plus(end)}); "
                "amend the end first, or give a time before it"
            )

    def _check_end(self, t: float, seq: int) -> None:
        """A code cannot end before an event it holds (a back-dated end, or an end amended earlier)."""
        latest: tuple[float, int] | None = None
        held, voided = _HELD, self.voided
        # One pass over the compact arrays (a code ends once, or an end is amended: rare).
        for s, (k, et) in enumerate(zip(self._kinds, self._ts, strict=True), start=1):
            if k in held and s != seq and s not in voided and (latest is None or (et, s) > latest):
                latest = (et, s)
        if latest is not None and latest[0] > t:
            raise EventError(
                f"t: the code cannot end before event {latest[1]} ({t_plus(latest[0])}), which it holds; "
                "end it at or after that, or correct that event first"
            )


# The kinds of which `add` notes more than the kind, the t and the event among the recent ones, and what it notes:
# one table, so that `extend` (which takes every other kind without a call) can never miss one `add` handles.
_NOTE: dict[str, Callable[[Ledger, BaseEvent, int], None]] = {
    **dict.fromkeys(LINE_STARTERS, Ledger._note_line),
    "infusion_started": Ledger._note_infusion,
    "code_ended": Ledger._note_end,
    "void": Ledger._note_void,
    "amend": Ledger._note_amend,
}
