"""Benchmark 4, start-up: `recorder --version`, `recorder list`, and the time from launch to the first frame
of the live screen in a terminal, against `python -c "import textual"` and a bare Textual app's first frame
measured the same way in the same run: the budget is a ratio to that bare app (issue 17). The first frame may
come before the code is open (recorder/tui/opening.py): the time until the screen shows the open code is its
own figure, `code_open_s`, so a skeleton is never taken for a ready screen."""

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import emit, machine, median, ratio, workdir

BUDGET_FIRST_FRAME_RATIO = 1.3  # launch -> first frame (warm), against the bare app's, same run
MARKER = b"No lines yet"  # the lines panel of a new code: drawn in the first frame of the live screen
# The banner of a code started in arrest: drawn once the code is open and its session loaded (the first
# frame may come before, drawn while the code is opened: recorder/tui/opening.py). Timed as its own figure.
READY = b"IN ARREST"
ROWS, COLS = 40, 120
BARE_APP = f"""
from textual.app import App
from textual.widgets import Footer, Static


class Bare(App):
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self):
        yield Static({MARKER.decode()!r})
        yield Footer()


Bare().run()
"""


def recorder_command() -> list[str]:
    """The installed `recorder` script beside this interpreter (what `uv run recorder` runs)."""
    script = Path(sys.executable).with_name("recorder")
    if script.exists():
        return [str(script)]
    found = shutil.which("recorder")
    if found:
        return [found]
    return [sys.executable, "-c", "from recorder.cli import main; main()"]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def cpu_seconds(pid: int) -> float | None:
    """The CPU time a process has used so far, all its threads (None where /proc does not tell).

    Read from each thread's schedstat (nanoseconds on a CPU), not /proc/PID/stat's clock ticks (10 ms)."""
    total = 0
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            with open(f"{task.path}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total / 1e9


def settle(timeout: float = 2.0) -> None:
    """Disk writes of whatever ran before (the earlier benchmarks' databases and WAL files, the last
    launch's code) flushed before a launch is timed, so that neither side of a pair pays for their
    write-back: `sync` (it returns once what was dirty when it was called is written), then a short wait
    while the kernel still reports pages under write-back (others' writes: at most `timeout`)."""
    os.sync()
    deadline = time.perf_counter() + timeout
    while writeback_kib() > 1024 and time.perf_counter() < deadline:
        time.sleep(0.05)


def writeback_kib() -> int:
    """The page cache being written to disk now (Writeback in /proc/meminfo), in KiB; 0 where unknown."""
    try:
        rows = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return 0
    return sum(int(row.split()[1]) for row in rows if row.startswith("Writeback:"))


def first_frame(
    cmd: list[str],
    env: dict[str, str],
    timeout: float = 20.0,
    opened_s: list[float] | None = None,
    cpu_s: list[float] | None = None,
) -> float:
    """Launch in a pseudo-terminal; seconds until the live screen's first frame has been written.

    `opened_s`: given, the seconds from launch until the screen shows the open code (READY) are appended to it.
    `cpu_s`: given, the CPU time the program had used when its first frame arrived is appended to it (read
    at once: a program that goes on working after its frame, as the recorder opening its code does, is
    counted a little more, never less).
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    took = opened = None
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen = seen[-4096:] + chunk
                if took is None and MARKER in seen:
                    took = time.perf_counter() - start
                    used = cpu_seconds(proc.pid) if cpu_s is not None else None
                    if used is not None and cpu_s is not None:
                        cpu_s.append(used)
                if took is not None and (opened_s is None or READY in seen):
                    opened = time.perf_counter() - start
                    break
            elif proc.poll() is not None:
                break
        if took is None or opened is None:
            what = "first frame" if took is None else "open code"
            raise RuntimeError(f"no {what} within {timeout} s: {seen[-500:]!r}")
        if opened_s is not None:
            opened_s.append(opened)
        os.write(master, b"\x11")  # ctrl+q
        # Its output read on to the end: a screen that cannot write (a full terminal) cannot quit either.
        quitting = time.perf_counter()
        while proc.poll() is None and time.perf_counter() - quitting < 5:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    return took


def measure(recorder: list[str], env: dict[str, str], folder: Path, repeats: int) -> dict[str, float]:
    """Interleaved launches against noise. The live screen is timed on the unit's database (made once
    before, as a scribe's machine has it after its first code) and on a new one (the first launch ever:
    the file is created and its schema migrated).

    The budget's two sides are launched back to back in each round, each first in every other round, after
    the disk has settled (`settle`): the same conditions for both. The other launches (the new database's
    writes among them) come after the pair, and the next round settles the disk again."""
    bare_app = folder / "bare_app.py"
    bare_app.write_text(BARE_APP)
    unit = {**env, "RECORDER_DB": str(folder / "unit.db")}
    # Created and migrated once by the store (`list` only reads: it would refuse a missing database).
    make = "import sys; from recorder.store import Store; Store(sys.argv[1]).close()"
    subprocess.run([sys.executable, "-c", make, str(folder / "unit.db")], env=env, check=True)
    screen = [*recorder, "new", "--age-years", "2", "--weight-kg", "12"]
    base_s: list[float] = []
    version_s: list[float] = []
    list_s: list[float] = []
    frame_s: list[float] = []
    open_s: list[float] = []  # launch -> the code open on the screen (READY), on the same launches as frame_s
    new_db_s: list[float] = []
    bare_s: list[float] = []
    frame_cpu_s: list[float] = []  # CPU time used by the first frame, on the same launches as frame_s
    bare_cpu_s: list[float] = []
    for i in range(repeats):
        settle()
        pair = [
            lambda: frame_s.append(first_frame(screen, unit, opened_s=open_s, cpu_s=frame_cpu_s)),
            lambda: bare_s.append(first_frame([sys.executable, str(bare_app)], env, cpu_s=bare_cpu_s)),
        ]
        for launch in pair if i % 2 == 0 else pair[::-1]:
            launch()
        base_s.append(timed([sys.executable, "-c", "import textual"], env))
        version_s.append(timed([*recorder, "--version"], env))
        list_s.append(timed([*recorder, "list"], unit))  # a reader: no textual, the store read-only
        fresh = {**env, "RECORDER_DB": str(folder / f"new{i}.db")}
        new_db_s.append(first_frame(screen, fresh))
    base, version, frame, bare = median(base_s), median(version_s), median(frame_s), median(bare_s)
    result = {
        "import_textual_s": round(base, 4),
        "version_s": round(version, 4),
        "list_s": round(median(list_s), 4),
        "first_frame_s": round(frame, 4),
        "first_frame_new_database_s": round(median(new_db_s), 4),
        # Not a budget: the screen ready for keys (the code open), and its wait after the first frame.
        "code_open_s": round(median(open_s), 4),
        "first_frame_to_code_open_s": round(median([o - f for o, f in zip(open_s, frame_s, strict=True)]), 4),
        "bare_textual_first_frame_s": round(bare, 4),
        "version_ratio": ratio(version, base),
        "first_frame_ratio": ratio(frame, base),
        "first_frame_vs_bare_ratio": ratio(frame, bare),
        # The same, round by round: each launch against the other side's launch beside it (noise that
        # drifts over the run, a busy host, falls on both sides of a pair).
        "first_frame_vs_bare_paired_ratio": round(median([f / b for f, b in zip(frame_s, bare_s, strict=True)]), 3),
    }
    if len(frame_cpu_s) == len(bare_cpu_s) == repeats:
        # The CPU time each side had used at its first frame: what the code costs, whatever the host does.
        cpu, bare_cpu = median(frame_cpu_s), median(bare_cpu_s)
        result |= {
            "first_frame_cpu_s": round(cpu, 4),
            "bare_textual_first_frame_cpu_s": round(bare_cpu, 4),
            "first_frame_vs_bare_cpu_ratio": ratio(cpu, bare_cpu),
        }
    return result


def run(repeats: int = 11, modes: tuple[str, ...] = ("warm", "cold"), warmup: bool = True) -> dict[str, Any]:
    recorder = recorder_command()
    result: dict[str, Any] = {}
    with workdir("startup") as d:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLS), "LINES": str(ROWS)}
        if "warm" in modes:
            # Python's bytecode cache in place, as on a scribe's machine after the first launch. It is
            # written under this temporary folder: neither the project nor the environment is touched.
            warm = {**env, "PYTHONPYCACHEPREFIX": str(d / "pycache"), "RECORDER_DB": str(d / "warmup.db")}
            warm.pop("PYTHONDONTWRITEBYTECODE", None)
            if warmup:
                first_frame([*recorder, "new"], warm)  # fills the cache
                # Each side's first launch (what of it the system caches: files, the script) left untimed.
                bare_app = d / "bare_app.py"
                bare_app.write_text(BARE_APP)
                first_frame([sys.executable, str(bare_app)], warm)
            result["warm"] = measure(recorder, warm, d, repeats)
        if "cold" in modes:
            # No bytecode cache (every module compiled at each launch): as where PYTHONDONTWRITEBYTECODE
            # is set and the environment was installed without compiling, like this one.
            cold = {**env, "PYTHONPYCACHEPREFIX": str(d / "empty-pycache"), "PYTHONDONTWRITEBYTECODE": "1"}
            result["cold"] = measure(recorder, cold, d, max(1, repeats // 2))
    vs_bare = result["warm" if "warm" in result else "cold"]["first_frame_vs_bare_ratio"]
    return {
        "benchmark": "startup",
        "repeats": repeats,
        **result,
        "budget_first_frame_vs_bare_ratio": BUDGET_FIRST_FRAME_RATIO,
        "met": vs_bare <= BUDGET_FIRST_FRAME_RATIO,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--modes", default="warm,cold", help="warm, cold or both (comma-separated)")
    parser.add_argument("--no-warmup", action="store_true", help="measure warm without filling the cache first")
    args = parser.parse_args(argv)
    emit({**run(args.repeats, tuple(args.modes.split(",")), not args.no_warmup), "machine": machine()})


if __name__ == "__main__":
    main()
