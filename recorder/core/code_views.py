"""Re-iterable views of a session's raw records and effective timeline: each pass reads the store a page at a time."""

from collections.abc import Iterator

from recorder.core.session import Session
from schemas.code_record import EventStream
from schemas.records import EventRecord

# Raw records fetched at a time when only some kinds are wanted.
PAGE = 512


class RecordsView(EventStream):
    """Every raw record of the code in seq order (what `session.records` holds, and the store the rest)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def __iter__(self) -> Iterator[EventRecord]:
        return iter(self._session.records)

    def __len__(self) -> int:
        return len(self._session.records)

    def of(self, *kinds: str) -> Iterator[EventRecord]:
        # The ledger knows every event's kind: only those wanted are read back (found by a search of its kind
        # bytes, not a call per event: an audit asks for the voids and the amends of every code it derives).
        records = self._session.records
        wanted = self._session.ledger.seqs_of(kinds)
        for i in range(0, len(wanted), PAGE):
            page = wanted[i : i + PAGE]
            found = records.many(page)
            yield from (found[seq] for seq in page)

    def get(self, seq: int) -> EventRecord | None:
        return self._session.records.get(seq) if 0 < seq <= len(self._session.records) else None


class TimelineView(EventStream):
    """The effective timeline in (t, seq) order: voids and amends applied, record keeping left out."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def held(self) -> bool:  # type: ignore[override]
        return self._session.fold.timeline_held

    def __iter__(self) -> Iterator[EventRecord]:
        return self._session.iter_timeline()

    def of(self, *kinds: str) -> Iterator[EventRecord]:
        return self._session.iter_timeline(kinds=frozenset(kinds))
