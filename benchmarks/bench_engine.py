"""Benchmark 3, engine scaling: the time to apply event N of a code, for N = 100 and N = 10,000, on the
incremental path; and the session's per-event cost (Session.log) at the same two points."""

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import emit, machine, median, quantile, ratio
from tests.factory import scenario_lines

BUDGET = 1.5


def engine_window(records: list, n: int, window: int, repeats: int) -> list[float]:
    """µs to apply each of events n … n+window-1 to an engine that has folded the n-1 before them."""
    from recorder.engine import Engine

    base = Engine()
    for record in records[: n - 1]:
        base.apply(record)
    out: list[float] = []
    for _ in range(repeats):
        engine = copy.deepcopy(base, {id(base.protocol): base.protocol})
        for record in records[n - 1 : n - 1 + window]:
            start = time.perf_counter_ns()
            engine.apply(record)
            out.append((time.perf_counter_ns() - start) / 1000)
    return out


def session_window(lines: list, n: int, window: int, folder: Path) -> list[float]:
    """µs for Session.log of each of events n … n+window-1, after the n-1 before them were logged."""
    from recorder.core.clock import SystemClock
    from recorder.core.session import replay
    from recorder.store import Store
    from schemas.events import event_payload

    store = Store(folder / "session.db")
    try:
        session = replay(store, SystemClock(), lines[: n - 1])
        out = []
        for line in lines[n - 1 : n - 1 + window]:
            data = event_payload(line.event) | {"kind": line.event.kind}
            start = time.perf_counter_ns()
            session.log(data, t=line.event.t)
            out.append((time.perf_counter_ns() - start) / 1000)
        return out
    finally:
        store.close()


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median_us": round(median(values), 2),
        "p90_us": round(quantile(values, 0.9), 2),
        "mean_us": round(sum(values) / len(values), 2),
    }


def run(small: int = 100, large: int = 10_000, window: int = 1000, repeats: int = 5) -> dict[str, Any]:
    from recorder.core.scenario import to_records
    from recorder.engine.timeline import effective

    # The windows start at the same place in the scenario's 100-event block and span whole blocks,
    # so both see the same mix of events.
    lines = scenario_lines(large + window)
    timeline = effective(to_records(lines))
    engine: dict[int, list[float]] = {small: [], large: []}
    for _ in range(repeats):  # interleaved against noise
        for n in (small, large):
            engine[n] += engine_window(timeline, n, window, 1)
    # The session writes to a database; on a RAM disk (when there is one) the fsync does not drown
    # the session's own work, which is what must not grow.
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    session: dict[int, list[float]] = {small: [], large: []}
    with tempfile.TemporaryDirectory(prefix="recorder-bench-engine-", dir=base) as d:
        for i in range(max(1, repeats // 2)):  # interleaved too: one noisy spell must not decide it
            for n in (small, large):
                session[n] += session_window(lines, n, window, Path(d) / f"{n}-{i}")
    e_small, e_large = median(engine[small]), median(engine[large])
    s_small, s_large = median(session[small]), median(session[large])
    return {
        "benchmark": "engine",
        "window_events": window,
        "repeats": repeats,
        "engine_apply": {f"n{small}": summary(engine[small]), f"n{large}": summary(engine[large])},
        "engine_ratio": ratio(e_large, e_small),
        "engine_mean_ratio": ratio(sum(engine[large]) / len(engine[large]), sum(engine[small]) / len(engine[small])),
        "session_log": {
            "database_on": "tmpfs" if base else "disk",
            f"n{small}": summary(session[small]),
            f"n{large}": summary(session[large]),
        },
        "session_ratio": ratio(s_large, s_small),
        "session_mean_ratio": ratio(
            sum(session[large]) / len(session[large]), sum(session[small]) / len(session[small])
        ),
        "budget_ratio": BUDGET,
        "met": e_large / e_small <= BUDGET and s_large / s_small <= BUDGET,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    emit({**run(args.small, args.large, args.window, args.repeats), "machine": machine()})


if __name__ == "__main__":
    main()
