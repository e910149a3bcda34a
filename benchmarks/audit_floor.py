"""The least any Python derivation of the audit does: every code's event rows read and each payload parsed.

bench_exports runs this beside `recorder audit` on the database with no kept rows. It is laid out as the
audit derives codes (recorder/core/audit_rows.py): forked worker processes, one a core, each reading through
its own connection a chunk of 16 codes at a time, the columns `Store.iter_events` reads; each payload is
parsed as the store parses it (the JSON scanner without json.loads' wrapping, recorder/store/trusted.py) and
nothing more is done with it. What the recorder does besides (checking each event, folding the rules, building
the code's record and its rows, keeping them, writing the CSV files) is the difference between this and the
audit. Only the standard library is imported, as `sqlite3 -csv` reads the table with nothing of the recorder's:
this is Python's floor for the work, not the recorder's (tests/test_benchmarks.py keeps its layout and query the
recorder's).

    python benchmarks/audit_floor.py DATABASE      # prints the number of events parsed
"""

import json
import multiprocessing
import os
import sqlite3
import sys

# As recorder/core/audit_rows.py: codes a chunk, and the least codes a worker must have to be started.
CODES_PER_CHUNK = 16
MIN_CODES_PER_WORKER = 16
SELECT = (
    "SELECT e.seq, e.kind, e.payload, e.occurred_at, e.recorded_at, e.schema_version, m.elapsed FROM events e "
    "LEFT JOIN event_clock m ON m.code_id = e.code_id AND m.seq = e.seq WHERE e.code_id = ? ORDER BY e.seq"
)

_path = ""


def _parse(code_ids: list[int]) -> int:
    """In a worker: each code's rows read and their payloads parsed; the number of events."""
    conn = sqlite3.connect(f"file:{_path}?mode=ro", uri=True)
    scan, n = json.JSONDecoder().scan_once, 0  # type: ignore[attr-defined]
    try:
        for code_id in code_ids:
            for row in conn.execute(SELECT, [code_id]):
                scan(row[2], 0)
                n += 1
    finally:
        conn.close()
    return n


def main(argv: list[str]) -> None:
    global _path
    (_path,) = argv
    conn = sqlite3.connect(f"file:{_path}?mode=ro", uri=True)
    try:
        ids = [code_id for (code_id,) in conn.execute("SELECT id FROM codes ORDER BY id")]
    finally:
        conn.close()
    workers = max(1, min(os.cpu_count() or 1, len(ids) // MIN_CODES_PER_WORKER))
    size = max(1, min(CODES_PER_CHUNK, -(-len(ids) // workers)))
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    if workers < 2:
        print(sum(map(_parse, chunks)))
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        print(sum(pool.imap(_parse, chunks)))


if __name__ == "__main__":
    main(sys.argv[1:])
