"""TimelineIndex: the effective timeline's order as compact (t, seq) keys, with the amended entries whole."""

from array import array
from bisect import bisect_right

from schemas.records import EventRecord


class TimelineIndex:
    """Which events stand on the effective timeline, in (t, seq) order: 16 bytes an entry.

    The records themselves are read back (RecordLog) when a fold needs them; an amended entry
    differs from its stored record, so it is kept whole here (amends are few).
    """

    def __init__(self) -> None:
        self.ts = array("d")
        self.seqs = array("q")
        self.amended: dict[int, EventRecord] = {}  # seq → the record as its amends leave it

    def __len__(self) -> int:
        return len(self.seqs)

    def insert(self, record: EventRecord) -> int:
        """Put a standing record in its place; return its position."""
        t, seq = record.event.t, record.seq
        ts, seqs = self.ts, self.seqs
        n = len(seqs)
        if not n or ts[-1] < t or (ts[-1] == t and seqs[-1] <= seq):
            i = n  # the usual case: the newest event comes last
        else:
            i = bisect_right(ts, t)
            while i > 0 and ts[i - 1] == t and seqs[i - 1] > seq:
                i -= 1
        ts.insert(i, t)
        seqs.insert(i, seq)
        if record.amended_by:
            self.amended[seq] = record
        return i

    def position(self, seq: int) -> int | None:
        """Where event `seq` stands on the timeline (None: voided, or record keeping)."""
        try:
            return self.seqs.index(seq)
        except ValueError:
            return None

    def pop(self, i: int) -> int:
        """Take the entry at position `i` off the timeline; its seq."""
        seq = self.seqs.pop(i)
        self.ts.pop(i)
        return seq

    @property
    def last_t(self) -> float:
        return self.ts[-1] if self.ts else 0.0
