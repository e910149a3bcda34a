"""Crash test of the screen under storage faults: kill -9 while a scribe types, with the journal in place.

Each trial runs, in its own process, the real screen (Textual, driven by Pilot, headless) on a fresh
database: a plain `recorder` start (the code is created by the first entry), then a plan of entries
generated from the trial's seed: notes numbered in order, and IO attempts each followed by `x` (its
result, which must name the attempt's own line). Storage faults come and go at random: SQLite
statements (`INSERT INTO codes`, `INSERT INTO events`, `UPDATE codes`, `COMMIT`) fail as a full disk
does, so entries queue behind them, journalled; the screen retries at random moments. After each
entry the driver checks that the screen holds it (written, or queued and kept in a journal file)
and prints `entered K`. The parent kills it with SIGKILL at a random moment, then recovers as the
next start does (`recorder.tui.write_queue.reopen`, else the open code's journal, then the retry), and checks:

- every entry whose `entered K` line was printed is in the database (lost = 0), exactly once
  (duplicates = 0), and the stored events are a prefix of the plan, in its order;
- each IO result names the line of the attempt just before it;
- `Store.verify()` finds nothing wrong, and no journal is left once everything is written.

    uv run python -m reliability.screen_crash --kills 500 --entries 40 --jobs 2 > screen-crash.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FAULT_POINTS = ("INSERT INTO CODES", "INSERT INTO EVENTS", "UPDATE CODES", "COMMIT")


def plan(seed: int, entries: int) -> list[tuple[str, int]]:
    """The entries of a trial: ("note", k) or ("io", k), the io ones each an attempt and its result."""
    rng = random.Random(seed)
    return [("io" if rng.random() < 0.2 else "note", k) for k in range(entries)]


# ── the driver: the screen in its own process ────────────────────────────


class _Faults:
    """A sqlite3 connection whose chosen statement fails, as on a full disk, while a fault is on."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.point: str | None = None

    def execute(self, sql: str, *args: Any) -> Any:
        if self.point is not None and sql.lstrip().upper().startswith(self.point):
            import sqlite3

            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


async def _drive(db: Path, seed: int, entries: int) -> None:
    from recorder.core.clock import SystemClock
    from recorder.store import Store
    from recorder.tui.app import build_app
    from recorder.tui.live import LiveScreen

    rng = random.Random(seed * 7919 + 1)
    store = Store(db)
    faults = _Faults(store.conn)
    store.conn = faults
    app = build_app(store, SystemClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        for kind, k in plan(seed, entries):
            if rng.random() < 0.25:
                faults.point = rng.choice(FAULT_POINTS) if faults.point is None else None
            if kind == "note":
                await pilot.press("n")
                await pilot.pause()
                app.screen.query_one("#text").value = f"entry {k}"
                await pilot.press("enter")
            else:
                for key in ("i", "1", "l", "enter", "x"):
                    await pilot.press(key)
            await pilot.pause()
            if not _held(screen.queue, kind, k):
                print(f"not held {k}", flush=True)
            print(f"entered {k}", flush=True)
            if rng.random() < 0.3:
                screen.tick()
                await pilot.pause()
        print("done", flush=True)


def _held(queue: Any, kind: str, k: int) -> bool:
    """The entry just made is written, or queued and kept in a journal file."""
    if queue is None:
        return False
    if kind == "note":

        def same(data: dict) -> bool:
            return data.get("kind") == "note" and data.get("text") == f"entry {k}"
    else:

        def same(data: dict) -> bool:
            return data.get("kind") == "io_result"

    if queue.pending:
        return same(queue.pending[-1].data) and queue.pending[-1].kept is not None
    records = queue.session.records if queue.session else []
    return bool(records) and same({"kind": records[-1].kind, "text": getattr(records[-1].event, "text", None)})


def drive_main() -> None:
    db, seed, entries = Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    asyncio.run(_drive(db, seed, entries))


# ── the parent: kill, recover, check ─────────────────────────────────────


@dataclass
class Trial:
    seed: int
    strategy: str
    echoed: int = 0
    stored: int = 0
    queued_at_recovery: int = 0
    finished_before_kill: bool = False
    lost: int = 0
    duplicated: int = 0
    failures: list[str] = field(default_factory=list)


def _recover(db: Path) -> tuple[list[Any], int]:
    """What the next start does: the journal's code (or the open one) reopened and its queue written."""
    from recorder.core.clock import SystemClock
    from recorder.core.session import Session, SessionError
    from recorder.store import Store
    from recorder.tui.write_queue import WriteQueue, reopen

    store = Store(db)
    try:
        clock = SystemClock()
        queue = reopen(store, clock, _protocol())
        if queue is None and store.open_code_id() is not None:
            queue = WriteQueue.for_session(Session.resume(store, clock, None, _protocol()))
        queued = 0
        if queue is not None:
            queued = len(queue.pending) + (queue.start is not None)
            queue.retry()
            if queue.queued:
                raise AssertionError("the queue was not written after the fault")
            queue.close()
        problems = store.verify()
        if problems:
            raise AssertionError(f"verify: {problems}")
        codes = [c for c in store.codes() if c.events > 0]
        if len(codes) > 1:
            raise AssertionError(f"{len(codes)} codes made, one expected")
        try:
            events = store.events(codes[0].id) if codes else []
        except SessionError:
            events = []
        return events, queued
    finally:
        store.close()


_PROTOCOL = None


def _protocol() -> Any:
    global _PROTOCOL
    if _PROTOCOL is None:
        from recorder.engine import load_protocol

        _PROTOCOL = load_protocol()
    return _PROTOCOL


def run_trial(seed: int, entries: int, workdir: Path) -> Trial:
    rng = random.Random(seed)
    strategy = "spawn" if rng.random() < 0.15 else "entered"
    trial = Trial(seed, strategy)
    home = Path(tempfile.mkdtemp(prefix=f"trial{seed}-", dir=workdir))
    db = home / "recorder.db"
    env = dict(os.environ, TZ="UTC", RECORDER_DB=str(db), XDG_STATE_HOME=str(home / "state"))
    cmd = [sys.executable, "-m", "reliability.screen_crash", "--drive", str(db), str(seed), str(entries)]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=root)
    lines: list[str] = []
    wake_at = rng.randrange(entries) if strategy == "entered" else None
    reached = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.strip())
            if wake_at is not None and line.startswith(f"entered {wake_at}"):
                reached.set()
        reached.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if strategy == "spawn":
        time.sleep(rng.uniform(0.0, 4.0))
    else:
        reached.wait(timeout=120)
        time.sleep(rng.uniform(0.0, 0.05))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    else:
        trial.finished_before_kill = True
    proc.wait()
    reader.join(timeout=10)
    stderr = proc.stderr.read()
    if proc.returncode not in (0, -signal.SIGKILL):
        trial.failures.append(f"driver exited {proc.returncode}: {stderr[-500:]}")
    echoed = [int(x.split()[1]) for x in lines if x.startswith("entered ")]
    trial.failures += [x for x in lines if x.startswith("not held")]
    trial.echoed = len(echoed)
    if echoed != list(range(len(echoed))):
        trial.failures.append(f"echo out of order: {echoed[:10]}")
    try:
        events, trial.queued_at_recovery = _recover(db) if db.exists() else ([], 0)
    except Exception as exc:  # noqa: BLE001 - a failed trial is reported, not raised
        trial.failures.append(f"recovery: {type(exc).__name__}: {exc}")
        shutil.rmtree(home, ignore_errors=True)
        return trial
    _check(trial, plan(seed, entries), events)
    leftovers = list(home.glob("*.journal")) + list((home / "state").rglob("*.journal"))
    if leftovers:
        trial.failures.append(f"journal left behind: {leftovers}")
    shutil.rmtree(home, ignore_errors=True)
    return trial


def _check(trial: Trial, entries: list[tuple[str, int]], events: list[Any]) -> None:
    """The stored events against the plan: a prefix of it, at least as long as what was echoed."""
    body = [r for r in events if r.kind != "code_started"]
    got: list[tuple[str, int]] = []
    i = 0
    attempt_line = None
    while i < len(body):
        r = body[i]
        if r.kind == "note":
            got.append(("note", int(r.event.text.split()[1])))
        elif r.kind == "io_attempt":
            attempt_line = r.event.line
            got.append(("io-attempt", len(got)))
        elif r.kind == "io_result":
            if r.event.line != attempt_line:
                trial.failures.append(f"io_result names {r.event.line}, its attempt was {attempt_line}")
            got.append(("io-result", len(got)))
        i += 1
    # The plan as events: a note is one, an io entry two (attempt then result).
    expected: list[str] = []
    owner: list[int] = []
    for kind, k in entries:
        parts = ["note"] if kind == "note" else ["io-attempt", "io-result"]
        expected += parts
        owner += [k] * len(parts)
    kinds = [g[0] for g in got]
    notes = [g[1] for g in got if g[0] == "note"]
    trial.stored = len(kinds)
    trial.duplicated = len(notes) - len(set(notes))
    if kinds != expected[: len(kinds)] or notes != sorted(set(notes)):
        trial.failures.append(f"stored events are not the plan in order: {got[:8]}…")
    stored_entries = {owner[j] for j in range(len(kinds))}
    last = len(kinds) - 1
    if kinds and last + 1 < len(expected) and owner[last + 1] == owner[last]:
        stored_entries.discard(owner[last])  # an io entry half stored (its attempt only) is not all there
    trial.lost = sum(1 for k in range(trial.echoed) if k not in stored_entries)
    if trial.lost:
        trial.failures.append(f"{trial.lost} entries echoed but not stored")
    if trial.duplicated:
        trial.failures.append(f"{trial.duplicated} entries stored twice")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--drive":
        drive_main()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--entries", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--log", type=Path, help="Append each trial to this file as a JSON line, as it ends.")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="screen-crash-"))
    started = time.monotonic()
    trials: list[Trial] = []
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_trial, args.seed + i, args.entries, workdir) for i in range(args.kills)]
        for n, future in enumerate(as_completed(futures), 1):
            trial = future.result()
            trials.append(trial)
            if args.log:
                with args.log.open("a") as log:
                    log.write(json.dumps(asdict(trial)) + "\n")
            if n % 25 == 0 or trial.failures:
                print(f"{n}/{args.kills} {'FAIL ' + str(trial.failures) if trial.failures else 'ok'}", file=sys.stderr)
    shutil.rmtree(workdir, ignore_errors=True)
    figures = summary(trials, args, time.monotonic() - started)
    print(json.dumps(figures, indent=1))
    return 0 if figures["trials_failed"] == 0 else 1


def summary(trials: list[Trial], args: Any, wall: float) -> dict[str, Any]:
    failed = [t for t in trials if t.failures]
    return {
        "kills_attempted": len(trials),
        "killed_mid_run": sum(not t.finished_before_kill for t in trials),
        "finished_before_kill": sum(t.finished_before_kill for t in trials),
        "trials_ok": len(trials) - len(failed),
        "trials_failed": len(failed),
        "entries_per_trial": args.entries,
        "seed": args.seed,
        "wall_s": round(wall, 1),
        "by_strategy": dict(Counter(t.strategy for t in trials)),
        "entries_echoed": sum(t.echoed for t in trials),
        "entries_lost": sum(t.lost for t in trials),
        "entries_duplicated": sum(t.duplicated for t in trials),
        "killed_with_entries_queued": sum(t.queued_at_recovery > 0 for t in trials),
        "queued_entries_replayed": sum(t.queued_at_recovery for t in trials),
        "failures": [asdict(t) for t in failed][:20],
    }


if __name__ == "__main__":
    sys.exit(main())
