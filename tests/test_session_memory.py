"""A session holds what it needs to flag the next event, not every event of the code: what it keeps per
event is a few dozen bytes, so a million-event code replays in bounded memory (issue 11)."""

import gc
import shutil
import subprocess
import tempfile
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

import pytest

from recorder.core.clock import FakeClock
from recorder.core.ledger import Ledger
from recorder.core.record_log import RecordLog
from recorder.core.scenario import ScenarioLine
from recorder.core.session import Session, replay
from recorder.engine import live_fold
from recorder.store import Store
from schemas.events import parse_event
from tests.factory import iter_scenario, jsonl, scenario
from tests.reliability.helpers import one_clear_line
from tests.test_replay_streaming import run_process
from tests.test_session_checkpoints import START, check, log_all

# Measured after the first WARM events (the session's caches of recent records are full by then, see KEEP),
# and again after EVENTS; the difference over the events between is what each event costs to keep.
WARM, EVENTS = 3_000, 12_000
# Compact state per event: the ledger's kind and t (9 bytes), the timeline's t and seq (16), the
# engine's flags (this code raises one every 70 events or so). Holding each EventRecord was ~2.5 KB.
MAX_BYTES_PER_EVENT = 150
# The engine copies kept for recomputes are bounded in all (CHECKPOINT_BUDGET), not per event; a
# small budget reaches that bound within this short code, so what is measured is what each event adds.
BUDGET = 4_000
# Likewise the records held whole (the newest KEEP): a short cache here, so that it is full when measured.
KEEP = 1_000


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder on tmpfs when there is one: thousands of fsync'd appends in seconds (memory, not time, is measured)."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="recorder-test-memory-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _held() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


@pytest.mark.slow
def test_memory_a_session_holds_does_not_grow_with_the_code(fast_dir: Path) -> None:
    marks: list[int] = []

    def lines() -> Iterator[ScenarioLine]:
        for n, data in enumerate(iter_scenario(EVENTS), start=1):
            if n == WARM + 1:
                marks.append(_held())
            yield ScenarioLine(n, parse_event(data))

    store = Store(fast_dir / "recorder.db")
    tracemalloc.start()
    try:
        with (
            patch.object(live_fold, "CHECKPOINT_BUDGET", BUDGET),
            patch.object(RecordLog, "KEEP", KEEP),
        ):
            session = replay(store, FakeClock(), lines())
        marks.append(_held())
    finally:
        tracemalloc.stop()
    try:
        assert len(session.records) == EVENTS
        per_event = (marks[1] - marks[0]) / (EVENTS - WARM)
        print(f"held per event: {per_event:.0f} bytes")
        assert per_event < MAX_BYTES_PER_EVENT, f"the session keeps {per_event:.0f} bytes per event"
        # And it is still the whole code: the records and the timeline are read back from the store.
        assert [r.seq for r in session.records] == list(range(1, EVENTS + 1))
        assert session.timeline() == Session.read(store, FakeClock(), session.code_id).timeline()
    finally:
        store.close()


def _with_amend_of_an_early_event(changes: dict) -> tuple[str, int]:
    """A 600-event code and an amend of one of its first vitals (far older than the ledger's recent events)."""
    events = list(iter_scenario(600))
    target = next(n for n, e in enumerate(events, start=1) if e["kind"] == "vitals")
    assert len(events) - target > Ledger.RECENT
    amend = {"t": events[-1]["t"], "kind": "amend", "target": target, "changes": changes, "reason": "misread"}
    return jsonl([*events, amend]), target


@pytest.mark.parametrize("source", ["file", "pipe"])
def test_an_amend_of_an_old_event_is_checked_against_it_read_back(tmp_path: Path, source: str) -> None:
    """The ledger keeps each event's kind and t, not the event: an amend's target is read back (from the
    file being checked, or the spool a pipe is kept in; from the store when live) and checked whole."""
    db = tmp_path / "r.db"

    def replay_text(text: str) -> subprocess.CompletedProcess:
        if source == "pipe":
            return run_process(db, "replay", "/dev/stdin", stdin=text)
        path = tmp_path / "code.jsonl"
        path.write_text(text, encoding="utf-8")
        return run_process(db, "replay", str(path))

    bad, _ = _with_amend_of_an_early_event({"hr": -5})
    done = replay_text(bad)
    assert done.returncode == 2
    assert ":601: changes: hr" in one_clear_line(done.stderr)
    good, target = _with_amend_of_an_early_event({"hr": 120})
    done = replay_text(good)
    assert done.returncode == 0, done.stderr
    store = Store(db)
    try:
        session = Session.read(store, FakeClock(), 1)
        amended = next(r for r in session.timeline() if r.seq == target)
        assert amended.event.hr == 120 and amended.amended_by == (601,)
    finally:
        store.close()


def test_a_long_code_read_back_from_the_store_gives_what_a_fresh_fold_gives(tmp_path: Path) -> None:
    """With only a few records held (RecordLog.KEEP) and a few whole events in the ledger (Ledger.RECENT),
    every recompute (back-dated entries, voids and amends of events long out of memory) reads its stretch
    back from the store: the session still says what a fresh fold of every record says, live and reopened."""
    store = Store(tmp_path / "r.db")
    try:
        with (
            patch.object(RecordLog, "KEEP", 16),
            patch.object(Ledger, "RECENT", 4),
            patch.object(live_fold, "CHECKPOINT_EVERY", 8),
            patch.object(live_fold, "MAX_CHECKPOINTS", 8),
        ):
            session = log_all(store, scenario(1_300, at=START), every=100)
            assert session.records._recent.keys() == set(range(1_300 - 15, 1_301))  # the rest is in the store
            check(session)
            check(Session.read(store, FakeClock(START), session.code_id))
    finally:
        store.close()
