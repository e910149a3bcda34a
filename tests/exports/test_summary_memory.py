"""`recorder summary` holds what it sums up, not the code: what each event costs it to summarise a long code
is a few hundred bytes, so a million-event code is summarised in bounded memory (issue 11)."""

import gc
import shutil
import tempfile
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pytest

from exports.formats import SUMMARY_FORMATS
from recorder.core.clock import FakeClock
from recorder.core.code_record import build_code_record
from recorder.core.record_log import RecordLog
from recorder.core.session import Session
from recorder.store import Store
from schemas.events import event_payload, parse_event
from tests.factory import iter_scenario

START = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
SMALL, LARGE = 2_000, 5_000
# What the session keeps per event (ledger, timeline keys: ~120 bytes, tests/test_session_memory.py), what
# the summary keeps per event (the flags' rows, each drug's running total, each line's flush times), and
# tracemalloc's own overhead. Holding the records and the summary's rows was ~6 KB an event.
MAX_BYTES_PER_EVENT = 600
# Records held whole by the session (RecordLog.KEEP, 8,192 in use): small here, so that these codes are
# read back from the store as a million-event code is.
KEEP = 250
FORMATS = ("md", "html", "json")


@pytest.fixture(scope="module")
def codes() -> Iterator[tuple[Store, dict[int, int]]]:
    """A database with a SMALL and a LARGE code of the benchmark's scenario, stored row by row (no engine:
    the summary works the flags out from the events, as for any code)."""
    folder = Path(
        tempfile.mkdtemp(prefix="recorder-test-summary-memory-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None)
    )
    store = Store(folder / "recorder.db")
    store.conn.execute("PRAGMA synchronous=OFF")  # setup only: memory, not durability, is measured
    sizes = {}
    try:
        for n in (SMALL, LARGE):
            code_id, _ = store.create_code(START)
            for seq, data in enumerate(iter_scenario(n, at=START), start=1):
                event = parse_event(data)
                at = START + timedelta(seconds=event.t)
                store.append(code_id, seq, event.kind, event_payload(event), at, at)
            sizes[code_id] = n
        yield store, sizes
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)


def _peaks(store: Store, code_id: int) -> dict[str, int]:
    """Format → the peak of memory allocated while `recorder summary` reads the code and writes it (to nowhere)."""
    gc.collect()
    tracemalloc.start()
    try:
        session = Session.read(store, FakeClock(START), code_id)
        record = build_code_record(session)
        peaks = {}
        for fmt in FORMATS:
            tracemalloc.reset_peak()
            assert sum(len(chunk) for chunk in SUMMARY_FORMATS[fmt].chunks(record)) > 0
            peaks[fmt] = tracemalloc.get_traced_memory()[1]
        return peaks
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_summary_memory_grows_little_with_the_code(codes: tuple[Store, dict[int, int]]) -> None:
    store, sizes = codes
    (small, n_small), (large, n_large) = sorted(sizes.items(), key=lambda kv: kv[1])
    with patch.object(RecordLog, "KEEP", KEEP):
        before, after = _peaks(store, small), _peaks(store, large)
    for fmt in FORMATS:
        per_event = (after[fmt] - before[fmt]) / (n_large - n_small)
        print(f"{fmt}: peak {before[fmt] / 2**20:.1f} / {after[fmt] / 2**20:.1f} MB, {per_event:.0f} bytes per event")
        assert per_event < MAX_BYTES_PER_EVENT, f"the {fmt} summary holds {per_event:.0f} bytes per event"
