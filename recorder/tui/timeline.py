"""The timeline's rows, newest first, built only for the rows a screen shows, and how one row reads."""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import overload

from rich.text import Text

from exports.describe import describe
from recorder.core.session import Session
from recorder.tui.literal import visible
from schemas.events import RECORD_KEEPING
from schemas.formatting import t_plus as code_time
from schemas.records import EventRecord, Flag

SEVERITY_STYLE = {"critical": "bold white on red", "warning": "bold black on yellow", "info": "black on cyan"}
SEVERITY_MARK = {"critical": "‼", "warning": "!", "info": "i"}


@dataclass(frozen=True)
class Row:
    """A timeline row: an event as it stands, or a record-keeping entry."""

    record: EventRecord
    voided: bool
    marks: tuple[str, ...]  # severities of the flags pointing at it


def row_text(row: Row, wall: str | None = None, *, numbered: bool = True, corrections: bool = True) -> Text:
    """One row as the scribe's timeline shows it; `numbered=False` drops the seq column and `corrections=False`
    the record-keeping colour, the amended and late notes (the team display's latest entries)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{code_time(row.record.t):>10} " if numbered else f"{code_time(row.record.t):>10}  ", style="bold")
    if wall:
        text.append(f"{wall} ", style="dim")
    if numbered:
        text.append(f"#{row.record.seq:<4}", style="dim")
    for sev in row.marks:
        text.append(SEVERITY_MARK[sev], style=SEVERITY_STYLE[sev])
    if row.marks:
        text.append(" ")
    body = visible(describe(row.record.event))  # a drug named `[bold]x` is shown as typed
    if row.voided:
        text.append(body, style="strike dim")
        text.append("  (voided)", style="dim")
    elif corrections and row.record.kind in RECORD_KEEPING:
        text.append(body, style="italic magenta")
    else:
        text.append(body)
    if corrections and row.record.amended_by:
        text.append(f"  (amended #{', #'.join(map(str, row.record.amended_by))})", style="magenta")
    if corrections and row.record.late:
        text.append("  (entered late)", style="dim italic")
    return text


def flag_marks(flags: Iterable[Flag]) -> dict[int, tuple[str, ...]]:
    """seq → the severities of the flags pointing at it, in the flags' order."""
    marks: dict[int, list[str]] = {}
    for flag in flags:
        marks.setdefault(flag.seq, []).append(flag.severity)
    return {seq: tuple(sevs) for seq, sevs in marks.items()}


class TimelineRows(Sequence[Row]):
    """Every entry of a code newest first, as it stands: voided events struck through, record keeping in place.

    Nothing is held per event: the order is the session's kept timeline (the fold's (t, seq) index of the
    standing events) merged with the few entries not on it (record keeping, voided events), and a row is built
    when a screen asks for it, a window at a time, from the records the session holds or reads back. So opening
    a 50,000-event code, or showing it again after a back-dated entry, a void or an amend, costs the rows on
    screen, not a row per event. Positions are kept oldest first inside, so a newest entry moves no built row.
    """

    WINDOW = 48  # rows built at once: a screen's height and some, so a frame asks the store once
    CACHE = 4096  # built rows kept; beyond, they are dropped and built again when asked for

    def __init__(self, session: Session, flags: Iterable[Flag] | None = None) -> None:
        self.session = session
        self._raw: dict[int, EventRecord] = {}  # the entries off the kept timeline, as stored (they never change)
        self._built: dict[int, Row] = {}  # position from the oldest → row
        self.builds = 0  # rows built so far: what a resume or a rebuild cost (tests count them)
        self.refresh(flags)

    # ── keeping up with the session ──────────────────────────────────────

    def refresh(self, flags: Iterable[Flag] | None = None) -> None:
        """Read the order, the corrections and the flags' marks again: after anything but one newest entry."""
        session = self.session
        keeping = session.ledger.seqs_of(RECORD_KEEPING)
        kept = set(keeping)
        voided = {seq for seq in session.ledger.voided if seq not in kept}  # a voided acknowledgement stays plain
        extras = keeping + sorted(voided)
        missing = [seq for seq in extras if seq not in self._raw]
        if missing:
            self._raw.update(session.records.many(missing))
        keys = sorted((self._raw[seq].t, seq) for seq in extras)
        index = session.fold.index
        ts, seqs, n = index.ts, index.seqs, len(index)
        before = []  # per entry off the timeline: how many standing entries come before it
        for t, seq in keys:
            i = bisect_left(ts, t)
            while i < n and ts[i] == t and seqs[i] < seq:
                i += 1
            before.append(i)
        self._extra_seqs = [seq for _, seq in keys]
        self._extra_of = {seq: j for j, seq in enumerate(self._extra_seqs)}
        self._extra_before = before
        self._extra_at = [j + i for j, i in enumerate(before)]  # its position among all rows, oldest first
        self._voided = voided
        self._marks = flag_marks(session.flags() if flags is None else flags)
        self._built.clear()

    def is_newest(self, record: EventRecord) -> bool:
        """`record`, just logged, stands last on the kept timeline and after every entry off it (not back-dated):
        `append` shows it; otherwise `refresh`."""
        index = self.session.fold.index
        if not len(index) or index.seqs[-1] != record.seq:
            return False
        extras = self._extra_seqs
        return not extras or (record.t, record.seq) > (self._raw[extras[-1]].t, extras[-1])

    def append(self, record: EventRecord, marks: tuple[str, ...] = ()) -> None:
        """`record` was logged and stands last on the kept timeline, with these flags on it and none elsewhere:
        it comes on top and no other row changes (nor any position counted from the oldest)."""
        if marks:
            self._marks[record.seq] = marks

    # ── reading ──────────────────────────────────────────────────────────

    def __len__(self) -> int:
        return len(self.session.fold.index) + len(self._extra_seqs)

    @overload
    def __getitem__(self, i: int) -> Row: ...
    @overload
    def __getitem__(self, i: slice) -> list[Row]: ...
    def __getitem__(self, i: int | slice) -> Row | list[Row]:
        n = len(self)
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(n))]
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("timeline row out of range")
        at = n - 1 - i
        built = self._built
        row = built.get(at)
        if row is None:
            # This row and the older ones drawn under it, down to the first one built already: a new entry
            # on top builds its own row, not a window of rows the screen holds.
            start, lowest = at, max(0, at - self.WINDOW + 1)
            while start > lowest and start - 1 not in built:
                start -= 1
            self._build(start, at + 1)
            row = built[at]
        return row

    def position(self, seq: int) -> int | None:
        """The row (newest first) event `seq` is shown on; None when it is not on the timeline."""
        j = self._extra_of.get(seq)
        if j is not None:
            at = self._extra_at[j]
        else:
            i = self._standing(seq)
            if i is None:
                return None
            at = i + bisect_right(self._extra_before, i)
        return len(self) - 1 - at

    def _standing(self, seq: int) -> int | None:
        """Where standing event `seq` is on the kept timeline: found by its t, not by a walk."""
        index, ledger = self.session.fold.index, self.session.ledger
        if not 0 < seq < ledger.next_seq:
            return None
        ts, seqs, n, t = index.ts, index.seqs, len(index), ledger.t(seq)
        i = bisect_left(ts, t)
        while i < n and ts[i] == t:
            if seqs[i] == seq:
                return i
            i += 1
        return index.position(seq)  # not where its t says (never so today): looked for the long way

    def _build(self, start: int, stop: int) -> None:
        """Build the rows at positions [start, stop) from the oldest."""
        session, index = self.session, self.session.fold.index
        extra_at, marks = self._extra_at, self._marks
        j = bisect_left(extra_at, start)
        placed: list[tuple[int, int, bool]] = []  # (position, seq, off the kept timeline)
        for at in range(start, stop):
            if j < len(extra_at) and extra_at[j] == at:
                placed.append((at, self._extra_seqs[j], True))
                j += 1
            else:
                placed.append((at, index.seqs[at - j], False))
        amended = index.amended
        found = session.records.many(seq for _, seq, off in placed if not off and seq not in amended)
        if len(self._built) + len(placed) > self.CACHE:
            self._built.clear()
        for at, seq, off in placed:
            if off:
                row = Row(self._raw[seq], seq in self._voided, marks.get(seq, ()))
            else:
                row = Row(amended.get(seq) or found[seq], False, marks.get(seq, ()))
            self._built[at] = row
        self.builds += len(placed)


def timeline_rows(session: Session) -> TimelineRows:
    """Every event of the session's code newest first, built as they are shown."""
    return TimelineRows(session)
