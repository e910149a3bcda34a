"""RecordLog: a code's raw events as a sequence; the newest held, the rest read back from the store."""

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from operator import attrgetter
from typing import overload

from recorder.store import Store
from schemas.records import EventRecord

_SEQ = attrgetter("seq")


class RecordLog(Sequence[EventRecord]):
    """`session.records`: every event of the code in seq order, without holding them all.

    A session validates and flags the next event from compact state; the whole records are needed
    only to look back (a recompute after a void, an amend or a back-dated entry; the timeline view;
    an export), and a recompute looks back a short way. So the newest KEEP records stay in memory and
    older ones are read back from the store, a page at a time: a million-event code costs what
    KEEP records cost, not a million.
    """

    # About 16 MB of records: a code of ordinary length (hundreds to a few thousand events) stays wholly
    # in memory, so the screen's timeline and a recompute never wait on the store for it.
    KEEP = 8192

    def __init__(self, store: Store, code_id: int, keep: int | None = None) -> None:
        self._store = store
        self._keep = self.KEEP if keep is None else keep
        self._code_id = code_id
        self._count = 0
        self._first: EventRecord | None = None  # code_started: every export and list row reads it
        self._recent: dict[int, EventRecord] = {}

    def append(self, record: EventRecord) -> None:
        """The next record (seq = len + 1), already in the store or about to be (a replay's batch: log_events)."""
        self._count = record.seq
        if record.seq == 1:
            self._first = record
        recent = self._recent
        recent[record.seq] = record
        if len(recent) > self._keep:
            del recent[next(iter(recent))]  # dicts keep insertion (seq) order: the oldest goes

    def extend(self, records: Sequence[EventRecord]) -> None:
        """The next records, in seq order, already in the store: what `append` of each leaves (a reader takes in a
        whole code a page at a time)."""
        if not records:
            return
        if records[0].seq == 1:
            self._first = records[0]
        recent = self._recent
        recent.update(zip(map(_SEQ, records), records, strict=True))
        self._count = records[-1].seq
        over = len(recent) - self._keep
        if over > 0:  # the oldest go, as `append` of each lets them go
            for seq in list(islice(recent, over)):
                del recent[seq]

    def __len__(self) -> int:
        return self._count

    @property
    def keep(self) -> int:
        """How many of the newest records are held in memory."""
        return self._keep

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same records (a list, another code's log)."""
        if not isinstance(other, Sequence) or isinstance(other, str | bytes) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # it changes as events come

    @overload
    def __getitem__(self, i: int) -> EventRecord: ...
    @overload
    def __getitem__(self, i: slice) -> list[EventRecord]: ...
    def __getitem__(self, i: int | slice) -> EventRecord | list[EventRecord]:
        if isinstance(i, slice):
            seqs = [j + 1 for j in range(*i.indices(self._count))]
            found = self.many(seqs)
            return [found[s] for s in seqs]
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError("record index out of range")
        return self.get(i + 1)

    def get(self, seq: int) -> EventRecord:
        """The record `seq` (1 ≤ seq ≤ len)."""
        found = self._recent.get(seq)
        if found is None and seq == 1:
            found = self._first
        if found is None:
            found = self._store.events_at(self._code_id, (seq,))[seq]
        return found

    def many(self, seqs: Iterable[int]) -> dict[int, EventRecord]:
        """Records by seq: those held, and the others in one read of the store."""
        recent, out, missing = self._recent, {}, []
        for seq in seqs:
            found = recent.get(seq)
            if found is None:
                missing.append(seq)
            else:
                out[seq] = found
        if missing:
            out.update(self._store.events_at(self._code_id, missing))
        return out

    def __iter__(self) -> Iterator[EventRecord]:
        """Every record in seq order: the store's a page at a time, then those held."""
        held = self._recent
        first_held = next(iter(held)) if held else self._count + 1
        if first_held > 1:
            for record in self._store.iter_events(self._code_id):
                if record.seq >= first_held:
                    break
                yield record
        yield from list(held.values())
