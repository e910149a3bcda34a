"""Crash test: kill `recorder replay --echo` with SIGKILL at random moments, then check and continue.

Each trial runs the real console script,

    recorder --db DB replay FILE --echo

on a long generated scenario (reliability/scenario.py), kills it with SIGKILL at a random moment
and then checks what a scribe would rely on:

- every `seq N` the recorder echoed (it echoes only after the commit returned) is in the database,
  with the content of line N of the file; the events stored are exactly lines 1..n, nothing more,
  nothing changed, and at most one was committed without being echoed (killed in between);
- `recorder verify` passes (exit 0) on the killed database;
- `recorder list --json` shows the code if, and only if, at least one event was stored;
- the code can be continued as a user would after a crash: `Session.resume(Store(db), SystemClock(),
  code_id)` and the remaining lines logged live, one by one (there is no `recorder resume` command
  yet); a code left with 0 events (killed after the code row was created, before seq 1 committed)
  cannot be resumed, so the whole file is replayed as a new code, as a scribe would start again;
- after that `recorder verify` passes again and the code holds exactly the whole file.

Kill moments come from three strategies, to cover the whole life of the process:

- `spawn`:  a uniform delay from the start of the process (imports, opening, migrations, the replay);
- `opened`: a delay of 0-15 ms after the database file appears (migrations, the code row, seq 1);
- `locked`: a delay of 0-1 ms after the code's lock file appears: the code row is committed and
            seq 1 is on its way, the window that can leave a code with no events (not in the
            default mix; run it alone with `--strategies locked`);
- `echo`:   a fine delay (0-2 ms, uniform) after the k-th `seq` line, k uniform over the file:
            lands before, inside or after the next transaction.

    uv run python -m reliability.crash --kills 500 --events 3000 --jobs 2 > crash.json

prints one JSON object with the figures (and writes progress to stderr).

    uv run python -m reliability.crash --screen --kills 500 --entries 30 --jobs 2 > screen-crash.json

runs the other kill run instead: the screen itself (Pilot) killed while a scribe types under storage
faults, with the journal in place, counting entries lost (reliability/screen_crash.py).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
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

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.factory import write_random_scenario

STRATEGIES = ("spawn", "opened", "locked", "echo")
DEFAULT_STRATEGIES = ("spawn", "opened", "echo")


def recorder_command() -> list[str]:
    """The installed console script beside this Python, as a user runs it."""
    script = Path(sys.executable).parent / "recorder"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from recorder.cli import main; main()"]


def _env(db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["RECORDER_DB"] = str(db)  # belt and braces: --db is passed too
    env["TZ"] = "UTC"
    return env


def run_cli(db: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*recorder_command(), "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=_env(db),
        timeout=timeout,
    )


@dataclass
class Trial:
    """What one kill did and what was found after it."""

    strategy: str
    delay_s: float
    echoed: int = 0  # how many `seq N` lines reached us
    committed: int = 0  # events of the killed code found in the database
    db_existed: bool = True
    zero_event_code: bool = False  # a code row with no events (killed before seq 1 committed)
    finished_before_kill: bool = False
    exit_signal: int | None = None
    continued_by: str = ""  # resume | replay-new-code | nothing-left
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


class _Reader(threading.Thread):
    """Collects the `seq N` lines as they arrive; wakes the killer at the k-th one."""

    def __init__(self, stream: Any, wake_at: int | None) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.wake_at = wake_at
        self.lines: list[str] = []
        self.reached = threading.Event()

    def run(self) -> None:
        for line in self.stream:
            self.lines.append(line.rstrip("\n"))
            if self.wake_at is not None and len(self.lines) >= self.wake_at:
                self.reached.set()
        self.reached.set()  # end of output: the process is gone


def _code_locked(db: Path) -> bool:
    """Whether a code's writer lock is held: an OFD lock on the database file itself (/proc/locks)."""
    try:
        ino = db.stat().st_ino
        with open("/proc/locks", encoding="ascii") as locks:
            return any("OFDLCK" in line and f":{ino} " in line for line in locks)
    except OSError:
        return False


def _fine_sleep(seconds: float) -> None:
    """Sleep with finer grain than time.sleep for sub-millisecond delays."""
    end = time.perf_counter() + seconds
    if seconds > 0.002:
        time.sleep(seconds - 0.001)
    while time.perf_counter() < end:
        pass


def kill_once(
    workdir: Path,
    scenario: Path,
    events: list[dict[str, Any]],
    rng: random.Random,
    strategy: str,
    expected_run_s: float,
    full_cli: bool = True,
) -> Trial:
    """One trial: run, kill, check, continue, check again. `workdir` must be empty.

    With `full_cli` False (the test suite's quick version) `recorder verify` is the same check called
    in-process (Store.verify) and `list` is not run; only the killed replay is a separate process.
    """
    started = time.perf_counter()
    db = workdir / "recorder.db"
    n = len(events)
    if strategy == "spawn":
        delay = rng.uniform(0, expected_run_s)
        wake_at = None
    elif strategy == "opened":
        delay = rng.uniform(0, 0.015)
        wake_at = None
    elif strategy == "locked":
        delay = rng.uniform(0, 0.001)
        wake_at = None
    else:
        delay = rng.uniform(0, 0.002)
        wake_at = rng.randint(1, n)
    trial = Trial(strategy=strategy, delay_s=round(delay, 6))

    proc = subprocess.Popen(
        [*recorder_command(), "--db", str(db), "replay", str(scenario), "--echo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(db),
    )
    reader = _Reader(proc.stdout, wake_at)
    reader.start()
    if strategy == "spawn":
        _fine_sleep(delay)
    elif strategy in ("opened", "locked"):
        # `opened`: the database file exists; `locked`: the code row is committed and its writer
        # lock taken (Session.start), and seq 1 is being written.
        appeared = db.exists if strategy == "opened" else lambda: _code_locked(db)
        deadline = time.perf_counter() + 30
        while not appeared() and proc.poll() is None and time.perf_counter() < deadline:
            time.sleep(0.0001)
        _fine_sleep(delay)
    else:
        reader.reached.wait(timeout=120)
        _fine_sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader.join(timeout=30)
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    trial.exit_signal = -proc.returncode if proc.returncode < 0 else None
    trial.finished_before_kill = proc.returncode == 0
    if proc.returncode not in (0, -signal.SIGKILL):
        trial.failures.append(f"replay exited {proc.returncode} before the kill: {stderr.strip()[:300]}")

    echoed = []
    summary = False  # after the last `seq N` the replay prints its summary and flags
    for line in reader.lines:
        if not line.startswith("seq "):
            summary = True
            continue
        if summary:
            trial.failures.append(f"`{line}` came after other output")
        echoed.append(int(line.split()[1]))
    if summary and len(echoed) != n:
        trial.failures.append(f"output other than `seq N` after {len(echoed)} of {n} events")
    trial.echoed = len(echoed)
    if echoed != list(range(1, len(echoed) + 1)):
        trial.failures.append(f"echoed seqs are not 1..{len(echoed)}: {echoed[:5]}…")

    check_and_continue(db, scenario, events, echoed, trial, full_cli)
    trial.seconds = round(time.perf_counter() - started, 3)
    return trial


def _stored(db: Path) -> tuple[list[Any], list[list[Any]]]:
    """The codes of a database and each code's events, read through the recorder's own Store."""
    from recorder.store import Store

    store = Store(db)
    try:
        codes = store.codes()
        return codes, [store.events(c.id) for c in codes]
    finally:
        store.close()


def _same_events(records: list[Any], events: list[dict[str, Any]]) -> str | None:
    """None when the records are exactly `events` (as the scenario reader validates them)."""
    from schemas.events import event_dict, parse_event

    if len(records) != len(events):
        return f"{len(records)} events stored, {len(events)} expected"
    for record, data in zip(records, events, strict=True):
        want = event_dict(parse_event(data))
        got = event_dict(record.event)
        if record.kind == "code_started" and "at" not in want:
            got.pop("at", None)  # a start the file left open is stamped with the replay's own clock
        if got != want:
            return f"event {record.seq} differs: stored {got}, file {want}"
    return None


def _verify(db: Path, full_cli: bool) -> str:
    """`recorder verify` as a process (or its Store.verify in-process): what it found, '' if nothing."""
    if full_cli:
        verify = run_cli(db, "verify")
        return "" if verify.returncode == 0 else f"exit {verify.returncode}: {verify.stderr.strip()[:300]}"
    from recorder.store import Store

    store = Store(db)
    try:
        return "; ".join(map(str, store.verify()))
    finally:
        store.close()


def check_and_continue(
    db: Path, scenario: Path, events: list[dict[str, Any]], echoed: list[int], trial: Trial, full_cli: bool = True
) -> None:
    """After a kill: nothing echoed is lost, verify passes, the code can be finished, verify again."""
    from recorder.core.clock import SystemClock
    from recorder.core.scenario import read_scenario
    from recorder.core.session import Session, replay
    from recorder.store import Store

    fail = trial.failures.append
    if not db.exists():
        trial.db_existed = False
        trial.committed = 0
        if echoed:
            fail(f"{len(echoed)} seqs echoed but there is no database")
    else:
        problems = _verify(db, full_cli)
        if problems:
            fail(f"verify after the kill: {problems}")
            return
        try:
            codes, stored = _stored(db)
        except Exception as exc:  # noqa: BLE001 - a harness reports, it does not stop
            fail(f"cannot read the database after the kill: {type(exc).__name__}: {exc}")
            return
        if len(codes) > 1:
            fail(f"{len(codes)} codes after one replay")
        records = stored[0] if stored else []
        trial.committed = len(records)
        trial.zero_event_code = bool(codes) and not records
        seqs = [r.seq for r in records]
        if seqs != list(range(1, len(seqs) + 1)):
            fail(f"stored seqs are not contiguous from 1: {seqs[:10]}")
        lost = sorted(set(echoed) - set(seqs))
        if lost:
            fail(f"echoed but not in the database: {lost[:10]}")
        if len(seqs) - len(echoed) > 1:
            fail(f"{len(seqs) - len(echoed)} events committed but not echoed (at most 1 expected)")
        problem = _same_events(records, events[: len(records)])
        if problem:
            fail(f"after the kill: {problem}")
        if full_cli:
            listed = run_cli(db, "list", "--json")
            shown = [json.loads(line)["code"] for line in listed.stdout.splitlines() if line.strip()]
            if listed.returncode != 0:
                fail(f"list exited {listed.returncode}: {listed.stderr.strip()[:300]}")
            elif shown != ([codes[0].id] if records else []):
                fail(f"list shows codes {shown} with {len(records)} events stored")

    # Continue as a user would: resume the code and record the rest, or start again.
    committed = trial.committed
    try:
        if committed == 0:
            trial.continued_by = "replay-new-code"
            store = Store(db)
            try:
                session = replay(store, SystemClock(), read_scenario(scenario))
                code_id = session.code_id
            finally:
                store.close()
        elif committed < len(events):
            trial.continued_by = "resume"
            code_id = _stored(db)[0][0].id
            store = Store(db)
            try:
                session = Session.resume(store, SystemClock(), code_id)
                for data in events[committed:]:
                    fields = {k: v for k, v in data.items() if k != "t"}
                    logged = session.log(fields, t=data["t"])
                    if logged.record.seq != len(session.records):
                        fail(f"resumed session numbered an event {logged.record.seq}")
            finally:
                store.close()
        else:
            trial.continued_by = "nothing-left"
            code_id = _stored(db)[0][0].id
    except Exception as exc:  # noqa: BLE001
        fail(f"cannot continue after the kill ({trial.continued_by}): {type(exc).__name__}: {exc}")
        return

    problems = _verify(db, full_cli)
    if problems:
        fail(f"verify after continuing: {problems}")
    codes, stored = _stored(db)
    final = dict(zip([c.id for c in codes], stored, strict=True))[code_id]
    problem = _same_events(final, events)
    if problem:
        fail(f"after continuing: {problem}")
    for path in db.parent.iterdir():
        mode = path.stat().st_mode & 0o777
        if path.name.startswith(db.name) and mode & 0o077:
            fail(f"{path.name} has mode {oct(mode)}; patient data must be 0600")


def estimate_run_s(scenario: Path) -> float:
    """How long an unkilled replay of `scenario` takes here (process start included)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        done = run_cli(Path(tmp) / "recorder.db", "replay", str(scenario), "--echo")
        elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"the scenario does not replay: {done.stderr.strip()}")
    return elapsed


def run_trials(
    kills: int,
    n_events: int,
    seed: int,
    jobs: int = 1,
    progress: bool = False,
    keep_failed: Path | None = None,
    full_cli: bool = True,
    strategies: tuple[str, ...] = DEFAULT_STRATEGIES,
) -> dict[str, Any]:
    """Run `kills` trials and return the figures."""
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="recorder-crash-"))
    try:
        scenario = root / "long.jsonl"
        # No pinned `at`: the code starts on the replay's clock, as a live one does, so the remainder
        # logged after a resume is not a late entry against a horizon months past the start.
        events = write_random_scenario(scenario, n_events, seed, at=None)
        run_s = estimate_run_s(scenario)
        plans = [(i, rng.choice(strategies), rng.randrange(2**32)) for i in range(kills)]
        if "echo" in strategies:
            # Half the kills inside the replay at a chosen event, the rest across the process' life.
            plans = [(i, "echo" if i % 2 == 0 else s, sd) for i, s, sd in plans]
        jobs_args = [
            (root / f"t{i}", scenario, events, strategy, trial_seed, run_s, full_cli, keep_failed)
            for i, strategy, trial_seed in plans
        ]
        t0 = time.perf_counter()
        trials: list[Trial] = []

        def report(trial: Trial) -> None:
            trials.append(trial)
            if progress:
                mark = "ok" if trial.ok else "FAIL " + "; ".join(trial.failures)
                print(
                    f"[{len(trials)}/{kills}] {trial.strategy:<6} delay {trial.delay_s:.6f}s "
                    f"echoed {trial.echoed:>5} committed {trial.committed:>5} {trial.seconds:6.1f}s {mark}",
                    file=sys.stderr,
                    flush=True,
                )

        if jobs > 1:
            # Processes, not threads: the checks and the continuation run recorder code in Python.
            with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
                for future in as_completed([pool.submit(_one_trial, *a) for a in jobs_args]):
                    report(future.result())
        else:
            for a in jobs_args:
                report(_one_trial(*a))
        return summarize(trials, n_events, run_s, time.perf_counter() - t0, seed)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _one_trial(
    work: Path,
    scenario: Path,
    events: list[dict[str, Any]],
    strategy: str,
    trial_seed: int,
    run_s: float,
    full_cli: bool,
    keep_failed: Path | None,
) -> Trial:
    work.mkdir(mode=0o700)
    trial = kill_once(work, scenario, events, random.Random(trial_seed), strategy, run_s, full_cli)
    if not trial.ok and keep_failed is not None:
        shutil.copytree(work, keep_failed / work.name, dirs_exist_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    return trial


def summarize(trials: list[Trial], n_events: int, run_s: float, wall_s: float, seed: int) -> dict[str, Any]:
    killed = [t for t in trials if not t.finished_before_kill]
    gaps = Counter(t.committed - t.echoed for t in killed if t.db_existed)
    committed = [t.committed for t in killed]
    return {
        "kills_attempted": len(trials),
        "killed_mid_run": len(killed),
        "finished_before_kill": len(trials) - len(killed),
        "trials_ok": sum(t.ok for t in trials),
        "trials_failed": sum(not t.ok for t in trials),
        "events_per_scenario": n_events,
        "seed": seed,
        "unkilled_replay_s": round(run_s, 3),
        "wall_s": round(wall_s, 1),
        "by_strategy": {s: sum(t.strategy == s for t in trials) for s in STRATEGIES},
        "killed_before_database_existed": sum(not t.db_existed for t in killed),
        "killed_with_zero_event_code": sum(t.zero_event_code for t in killed),
        "killed_with_1_or_more_events": sum(t.committed > 0 for t in killed),
        "committed_minus_echoed": {str(k): v for k, v in sorted(gaps.items())},
        "committed_at_kill": {
            "min": min(committed, default=0),
            "median": sorted(committed)[len(committed) // 2] if committed else 0,
            "max": max(committed, default=0),
        },
        "continued_by": dict(Counter(t.continued_by for t in trials)),
        "echoed_seqs_checked": sum(t.echoed for t in trials),
        "events_checked_after_continuing": len(trials) * n_events,
        "failures": [asdict(t) for t in trials if not t.ok][:20],
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--screen" in argv:
        from reliability import screen_crash

        sys.argv = [sys.argv[0], *(a for a in argv if a != "--screen")]
        return screen_crash.main()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--events", type=int, default=3000, help="events in the generated scenario")
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--jobs", type=int, default=1, help="trials run at once")
    parser.add_argument("--keep-failed", type=Path, help="copy the directories of failed trials here")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--strategies",
        default=",".join(DEFAULT_STRATEGIES),
        help=f"comma-separated kill strategies out of {', '.join(STRATEGIES)}",
    )
    args = parser.parse_args(argv)
    strategies = tuple(args.strategies.split(","))
    if not set(strategies) <= set(STRATEGIES):
        parser.error(f"--strategies: choose from {', '.join(STRATEGIES)}")
    if args.keep_failed:
        args.keep_failed.mkdir(parents=True, exist_ok=True)
    figures = run_trials(
        args.kills, args.events, args.seed, args.jobs, not args.quiet, args.keep_failed, strategies=strategies
    )
    print(json.dumps(figures, indent=2))
    return 0 if figures["trials_failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
