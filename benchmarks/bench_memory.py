"""Peak memory of `recorder replay` and `recorder summary` on a very long code (a million events).

uv run python benchmarks/bench_memory.py                       # 1,000,000 events (tens of minutes)
uv run python benchmarks/bench_memory.py --events 100000 --dir /dev/shm
uv run python benchmarks/bench_memory.py --summary-only --dir /dev/shm --format html   # the summary alone

Each command runs as its own process (what the console script runs); its peak resident set size is
read from the kernel's accounting of that child (wait4's ru_maxrss, as /usr/bin/time -v reports it).
The scenario file is written one event at a time, so the harness itself stays small. `--dir` puts
the database and the file somewhere else: on a tmpfs the fsync of each event costs nothing, which
changes the time, not the memory. `--summary-only` stores the events straight into the store
(the chain, no session: minutes rather than the replay's hour on a busy machine) and measures the
summary alone; it works the flags out from the events as for any code.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import emit, machine
from tests.factory import iter_scenario

REPLAY_LIMIT_MB = 300  # issue 11: a million-event file replays in bounded memory
SUMMARY_LIMIT_MB = 1024  # and its summary fits in a gigabyte


def write_scenario(path: Path, events: int) -> int:
    """The benchmark code as a scenario file; its size in bytes."""
    with path.open("w", encoding="utf-8") as out:
        for event in iter_scenario(events):
            out.write(json.dumps(event) + "\n")
    return path.stat().st_size


def store_directly(scenario_events: int, db: Path) -> None:
    """The benchmark code appended row by row to a new database: hash-chained as the recorder writes it."""
    from datetime import timedelta

    from recorder.store import Store
    from schemas.events import event_payload, parse_event

    store = Store(db)
    store.conn.execute("PRAGMA synchronous=OFF")  # setup only
    try:
        events = iter_scenario(scenario_events)
        first = parse_event(next(events))
        start = first.at  # type: ignore[attr-defined]
        code_id, _ = store.create_code(start)
        store.append(code_id, 1, first.kind, event_payload(first), start, start)
        for seq, data in enumerate(events, start=2):
            event = parse_event(data)
            at = start + timedelta(seconds=event.t)
            store.append(code_id, seq, event.kind, event_payload(event), at, at)
    finally:
        store.close()


def measure(args: list[str], db: Path) -> dict:
    """Run one recorder command; its exit status, wall time and peak RSS in MB."""
    # What the console script runs; the recorder that PYTHONPATH or the environment gives (to compare two).
    cmd = [sys.executable, "-c", "from recorder.cli import main; main()"]
    env = dict(os.environ, RECORDER_DB=str(db))
    began = time.perf_counter()
    proc = subprocess.Popen([*cmd, "--db", str(db), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace").strip() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    return {
        "exit": proc.returncode,
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports kilobytes
        **({"stderr": err[-300:]} if proc.returncode else {}),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, help="Where to put the file and the database (default: a temp folder).")
    parser.add_argument("--replay-only", action="store_true", help="Measure the replay only (not the summary).")
    parser.add_argument(
        "--summary-only", action="store_true", help="Store the events directly and measure the summary only."
    )
    parser.add_argument("--format", default="md", help="The summary's format (md, html, json).")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="recorder-bench-memory-", dir=args.dir) as d:
        folder = Path(d)
        scenario, db = folder / "code.jsonl", folder / "recorder.db"
        size = None
        if args.summary_only:
            began = time.perf_counter()
            store_directly(args.events, db)
            replay = {"exit": 0, "stored_directly_s": round(time.perf_counter() - began, 1)}
        else:
            size = write_scenario(scenario, args.events)
            replay = measure(["replay", str(scenario)], db)
        summary = {}
        if replay["exit"] == 0 and not args.replay_only:
            out = folder / f"summary.{args.format}"
            summary = measure(["summary", "1", "--format", args.format, "-o", str(out)], db)
            summary["format"] = args.format
            if out.exists():
                summary["output_mb"] = round(out.stat().st_size / 2**20, 1)
        db_mb = round(db.stat().st_size / 2**20, 1) if db.exists() else None
    met = (
        replay["exit"] == 0
        and (args.summary_only or replay["peak_rss_mb"] <= REPLAY_LIMIT_MB)
        and (args.replay_only or (summary.get("exit") == 0 and summary["peak_rss_mb"] <= SUMMARY_LIMIT_MB))
    )
    emit(
        {
            "benchmark": "memory",
            "machine": machine(),
            "events": args.events,
            "file_mb": round(size / 2**20, 1) if size is not None else None,
            "database_mb": db_mb,
            "replay": replay,
            "summary": summary,
            "limits_mb": {"replay": REPLAY_LIMIT_MB, "summary": SUMMARY_LIMIT_MB},
            "met": met,
        }
    )


if __name__ == "__main__":
    main()
