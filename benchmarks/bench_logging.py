"""Benchmark 1, the logging path: a scenario replayed through the session, one durable commit per event,
against a plain sqlite3 loop inserting the same rows with the same pragmas and one commit per row."""

import argparse
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import emit, machine, median, ms, ratio, scenario_lines, workdir

COLUMNS = ("code_id", "seq", "kind", "payload", "occurred_at", "recorded_at", "schema_version", "prev_hash", "hash")
BUDGET = 2.0


def recorder_run(path: Path, lines: list) -> tuple[float, list[tuple]]:
    """`recorder replay`'s path: Session.start, then Session.log per event (validate, ledger, append, engine)."""
    from recorder.clock import SystemClock
    from recorder.session import replay
    from recorder.store import Store

    store = Store(path)
    try:
        start = time.perf_counter()
        session = replay(store, SystemClock(), lines)
        elapsed = time.perf_counter() - start
        assert len(session.records) == len(lines)
        rows = store.db.execute(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY seq").fetchall()
    finally:
        store.close()
    return elapsed, rows


def plain_run(path: Path, rows: list[tuple]) -> float:
    """The floor: the same rows, WAL and synchronous=FULL, one transaction (one fsync) per row."""
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA journal_mode=WAL").fetchall()
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, code_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
        "kind TEXT NOT NULL, payload TEXT NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, "
        "schema_version INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)"
    )
    conn.execute("CREATE UNIQUE INDEX idx_events_code_id_seq ON events (code_id, seq)")
    conn.commit()
    sql = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    start = time.perf_counter()
    for row in rows:
        conn.execute(sql, row)
        conn.commit()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def run(events: int = 10_000, repeats: int = 3) -> dict[str, Any]:
    lines = scenario_lines(events)
    recorder_s: list[float] = []
    plain_s: list[float] = []
    with workdir("logging") as d:
        for i in range(repeats):
            # Interleaved, so that a noisy neighbour on the shared machine hits both alike.
            took, rows = recorder_run(d / f"recorder{i}.db", lines)
            recorder_s.append(took)
            plain_s.append(plain_run(d / f"plain{i}.db", rows))
    r, p = median(recorder_s), median(plain_s)
    return {
        "benchmark": "logging",
        "events": events,
        "repeats": repeats,
        "recorder_s": round(r, 4),
        "plain_sqlite_s": round(p, 4),
        "recorder_per_event_ms": ms(r / events),
        "plain_per_event_ms": ms(p / events),
        "ratio": ratio(r, p),
        "ratios_each_run": [ratio(a, b) for a, b in zip(recorder_s, plain_s, strict=True)],
        "budget_ratio": BUDGET,
        "met": r / p <= BUDGET,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    emit({**run(args.events, args.repeats), "machine": machine()})


if __name__ == "__main__":
    main()
