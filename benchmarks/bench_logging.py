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

from benchmarks.common import emit, machine, median, ms, ratio, workdir
from tests.factory import scenario_lines

COLUMNS = ("code_id", "seq", "kind", "payload", "occurred_at", "recorded_at", "schema_version", "prev_hash", "hash")
# Issue 17: replay within 1.5x the plain SQLite loop doing the same commits, measured in the same run.
BUDGET = 1.5


BLOCK = 50
"""Events per turn: the two sides take turns in blocks this long, so a noisy spell hits both alike."""


class PlainLoop:
    """The floor: the same rows, WAL and synchronous=FULL, one transaction (one fsync) per row."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(str(path), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL").fetchall()
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, code_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
            "kind TEXT NOT NULL, payload TEXT NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, "
            "schema_version INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)"
        )
        self.conn.execute("CREATE UNIQUE INDEX idx_events_code_id_seq ON events (code_id, seq)")
        self.sql = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"

    def insert(self, rows: list[tuple]) -> float:
        """Insert rows, one commit each; return the seconds it took."""
        conn, sql = self.conn, self.sql
        start = time.perf_counter()
        for row in rows:
            conn.execute("BEGIN")
            conn.execute(sql, row)
            conn.execute("COMMIT")
        return time.perf_counter() - start

    def close(self) -> None:
        self.conn.close()


def recorder_rows(path: Path, lines: list) -> list[tuple]:
    """The rows the recorder writes for the scenario (an untimed run): what the plain loop inserts."""
    from recorder.core.clock import SystemClock
    from recorder.core.session import replay
    from recorder.store import Store

    store = Store(path)
    try:
        replay(store, SystemClock(), lines)
        return store.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY seq").fetchall()
    finally:
        store.close()


def paired_run(d: Path, i: int, lines: list, rows: list[tuple]) -> tuple[float, float]:
    """`recorder replay`'s path (Session.start, then Session.log per event: validate, ledger, append,
    engine, flags) with the plain loop taking turns every BLOCK events; returns (recorder s, plain s)."""
    from recorder.core.clock import SystemClock
    from recorder.core.session import Logged, replay
    from recorder.store import Store

    store, plain = Store(d / f"recorder{i}.db"), PlainLoop(d / f"plain{i}.db")
    done, sent, plain_s = 0, 0, 0.0

    def turn(_: Logged) -> None:
        nonlocal done, sent, plain_s
        done += 1
        if done - sent == BLOCK or done == len(rows):
            plain_s += plain.insert(rows[sent:done])
            sent = done

    try:
        start = time.perf_counter()
        session = replay(store, SystemClock(), lines, on_commit=turn)
        total = time.perf_counter() - start
        assert len(session.records) == len(lines) == done
    finally:
        store.close()
        plain.close()
    return total - plain_s, plain_s


def run(events: int = 10_000, repeats: int = 3) -> dict[str, Any]:
    lines = scenario_lines(events)
    recorder_s: list[float] = []
    plain_s: list[float] = []
    with workdir("logging") as d:
        rows = recorder_rows(d / "rows.db", lines)
        for i in range(repeats):
            r, p = paired_run(d, i, lines, rows)
            recorder_s.append(r)
            plain_s.append(p)
    r, p = median(recorder_s), median(plain_s)
    return {
        "benchmark": "logging",
        "events": events,
        "repeats": repeats,
        "block": BLOCK,
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
