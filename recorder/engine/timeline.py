"""The effective timeline: the raw log with voids and amends applied, ordered by (t, seq)."""

from collections.abc import Iterable
from datetime import timedelta

from schemas.events import KIND_MODEL, RECORD_KEEPING, Acknowledge, Amend, Void
from schemas.records import EventRecord


def apply_changes(record: EventRecord, changes: dict, amend_seq: int) -> EventRecord:
    """`record` with an amend's changes validated into a new event of the same kind."""
    model = KIND_MODEL[record.kind]
    data = {**record.event.model_dump(mode="json", exclude_none=True), **changes}
    event = model.model_validate(data)
    moved = timedelta(seconds=event.t - record.event.t)
    return record.model_copy(
        update={
            "event": event,
            "occurred_at": record.occurred_at + moved,
            "amended_by": (*record.amended_by, amend_seq),
        }
    )


def _standing(records: Iterable[EventRecord]) -> dict[int, EventRecord]:
    """Every event that still stands after voids, with its amends applied, by seq."""
    by_seq: dict[int, EventRecord] = {}
    for rec in sorted(records, key=lambda r: r.seq):
        ev = rec.event
        if isinstance(ev, Void):
            by_seq.pop(ev.target, None)
        elif isinstance(ev, Amend):
            if ev.target in by_seq:
                by_seq[ev.target] = apply_changes(by_seq[ev.target], ev.changes, rec.seq)
        else:
            by_seq[rec.seq] = rec
    return by_seq


def effective(records: Iterable[EventRecord]) -> list[EventRecord]:
    """Bedside events after voids and amends, in (t, seq) order; record keeping is left out."""
    bedside = (r for r in _standing(records).values() if r.kind not in RECORD_KEEPING)
    return sorted(bedside, key=lambda r: (r.t, r.seq))


def acknowledgements(records: Iterable[EventRecord]) -> dict[tuple[str, int], str]:
    """(rule, seq) → the scribe's reason, for every acknowledgement still standing."""
    acks = {}
    for rec in sorted(_standing(records).values(), key=lambda r: r.seq):
        ev = rec.event
        if isinstance(ev, Acknowledge):
            acks[(ev.rule, ev.target)] = ev.reason
    return acks
