"""A code read to fold once (an export) takes its records in a page at a time (Ledger.extend, RecordLog.extend,
LiveFold.keep_all): the same ledger, record log and timeline as taking them one by one, and the same exports."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings

from exports.audit import audit_rows
from exports.formats import SUMMARY_FORMATS
from recorder.core.clock import FakeClock
from recorder.core.code_record import build_code_record
from recorder.core.ledger import Ledger
from recorder.core.record_log import RecordLog
from recorder.core.session import Session
from recorder.engine import load_protocol
from recorder.engine.live_fold import LiveFold
from recorder.store import Store
from schemas.events import BaseEvent
from tests.conftest import SCENARIOS_V2
from tests.factory import codes, jsonl, make_database, random_scenario

CLOCK = FakeClock(datetime(2030, 1, 1).astimezone())


def kept(session: Session) -> dict[str, object]:
    """Everything the ledger, the record log and the kept timeline hold (their order too, where it is read)."""
    return {"ledger": _ledger(session.ledger), "log": _log(session.records), "timeline": _timeline(session.fold)}


def exports(session: Session) -> dict[str, bytes]:
    record = build_code_record(session)
    out = {fmt: b"".join(SUMMARY_FORMATS[fmt].chunks(record)) for fmt in ("html", "md", "json")}
    return {**out, "audit": audit_rows(record).model_dump_json().encode()}


@contextmanager
def small(keep: int, recent: int) -> Iterator[None]:
    """A record log that holds `keep` records and a ledger that keeps `recent` events: a long code's way."""
    with patch.object(RecordLog, "KEEP", keep), patch.object(Ledger, "RECENT", recent):
        yield


def check(db: Path) -> None:
    """Code 1 of `db` read in pages (to fold once) and event by event: the same kept state and exports."""
    store = Store(db, readonly=True)
    try:
        for keep, recent in ((RecordLog.KEEP, Ledger.RECENT), (3, 2), (1, 1)):
            with small(keep, recent):
                paged = Session.read(store, CLOCK, 1, fold_once=True)
                one_by_one = Session.read(store, CLOCK, 1)
                assert kept(paged) == kept(one_by_one)
                assert exports(paged) == exports(one_by_one)
    finally:
        store.close()


@pytest.mark.parametrize("path", sorted(SCENARIOS_V2.glob("*.jsonl")), ids=lambda p: p.stem)
def test_a_scenario_read_in_pages_is_read_as_event_by_event(path: Path, tmp_path: Path) -> None:
    db = tmp_path / "recorder.db"
    make_database(db, path.read_text(encoding="utf-8"))
    check(db)


def test_a_long_code_with_voids_and_amends_read_in_pages_is_read_as_event_by_event(tmp_path: Path) -> None:
    db = tmp_path / "recorder.db"
    # More than a page of records (Store.PAGE), back-dated entries, voids and amends among them.
    make_database(db, jsonl(random_scenario(1300, seed=3, record_keeping=0.06)))
    check(db)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codes())
def test_any_code_read_in_pages_is_read_as_event_by_event(events: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "recorder.db"
        make_database(db, jsonl(events))
        check(db)


def test_a_ledger_extended_keeps_what_one_added_to_keeps() -> None:
    """Whatever the ledger: extended by some events, it holds what adding each gives (a copy's, pinned, too)."""
    events = _stored_events(random_scenario(600, seed=5, record_keeping=0.06))
    for split in (0, 1, 255, 256, 257, 599):
        added, extended = Ledger(fetch=lambda seq: events[seq - 1]), Ledger(fetch=lambda seq: events[seq - 1])
        for event in events[:split]:
            added.add(event)
            extended.add(event)
        copied = extended.copy()
        for event in events[split:]:
            added.add(event)
        extended.extend(events[split:])
        copied.extend(events[split:])
        assert _ledger(extended) == _ledger(added)
        assert _ledger(copied)["kinds"] == _ledger(added)["kinds"]


def _stored_events(events: list[dict]) -> list[BaseEvent]:
    """The events of a scenario as the store gives them back (through a database, as a session reads them)."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "recorder.db"
        make_database(db, jsonl(events))
        store = Store(db, readonly=True)
        try:
            return [r.event for r in store.iter_events(1)]
        finally:
            store.close()


def _ledger(ledger: Ledger) -> dict[str, object]:
    return {
        "kinds": bytes(ledger._kinds),
        "ts": list(ledger._ts),
        "recent": list(ledger._recent.items()),
        "amended": list(ledger._amended.items()),
        "rest": (ledger.lines, ledger.infusions, ledger.voided, ledger.ended),
    }


@pytest.mark.parametrize("keep", [1, 2, 3, 8, RecordLog.KEEP])
def test_a_timeline_kept_in_pages_is_kept_as_one_by_one_at_every_length(keep: int, tmp_path: Path) -> None:
    """LiveFold.keep_all and RecordLog.extend of any first n records, against keep and append of each: at every n,
    so that a held timeline let go at the record log's bound is let go at the same record."""
    db = tmp_path / "recorder.db"
    make_database(db, jsonl(random_scenario(60, seed=7, record_keeping=0.06)))
    store = Store(db, readonly=True)
    try:
        records = list(store.iter_events(1))
        for n in range(len(records) + 1):
            one, paged = RecordLog(store, 1, keep=keep), RecordLog(store, 1, keep=keep)
            kept_one, kept_paged = LiveFold(load_protocol(), one), LiveFold(load_protocol(), paged)
            for record in records[:n]:
                one.append(record)
                kept_one.keep(record)
            paged.extend(records[:n])
            kept_paged.keep_all(records[:n])
            assert _log(paged) == _log(one)
            assert _timeline(kept_paged) == _timeline(kept_one)
    finally:
        store.close()


def _log(log: RecordLog) -> tuple[object, ...]:
    return (len(log), log._first, list(log._recent.items()))


def _timeline(fold: LiveFold) -> tuple[object, ...]:
    return (list(fold.index.ts), list(fold.index.seqs), fold.index.amended, fold._shown, fold._acks, fold._ack_seqs)
