"""In a terminal the screen's first frame comes before the code is opened: drawn from textual alone, the keys
typed meanwhile recorded in order, and a fault while opening still one line and exit 2 (issue 17).

Each test runs the recorder as a scribe does, in a pseudo-terminal (the first frame is drawn first only at
a terminal: in a pipe the code is opened before the screen, as tests/test_cli.py runs it).
"""

import fcntl
import json
import os
import pty
import re
import select
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from recorder.core.clock import SystemClock
from recorder.core.session import Session
from recorder.store import Store

ROOT = Path(__file__).resolve().parents[1]
FIRST_FRAME = b"No lines yet"  # the lines panel of a new code, in the first frame (benchmarks/bench_startup.py)
OPEN = b"IN ARREST"  # the banner of the code once it is open
LIMIT = 60.0  # seconds: a bound on a hung screen on a loaded machine, never a measure
RUN = "from recorder.cli import main; main()"
# `recorder`, with what is loaded at the moment the code starts to open (after the first frame) written
# to a file: the screen shown and every module.
SEEN_AT_OPENING = """
import gc, json, sys
from recorder.tui.app import RecorderApp

open_code = RecorderApp.open_code
written = sys.argv[1]


def opening(self):
    seen = {"screen": type(self.screen).__name__, "modules": sorted(sys.modules), "collecting": gc.isenabled()}
    with open(written, "w") as out:
        json.dump(seen, out)
    open_code(self)


RecorderApp.open_code = opening
from recorder.cli import main

sys.argv = ["recorder", *sys.argv[2:]]
main()
"""


def in_terminal(code: str, args: list[str], typed: bytes = b"", until: bytes | None = OPEN) -> tuple[bytes, int, bool]:
    """Run the recorder in a 120x40 pseudo-terminal: `typed` as soon as the first frame is seen, then ctrl+q
    once `until` is on screen. The output, the exit status, and whether `typed` went in before the code
    was open."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT
    )
    os.close(slave)
    out, early, start = b"", False, time.monotonic()
    try:
        while time.monotonic() - start < LIMIT:
            if not select.select([master], [], [], 0.05)[0]:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the recorder has gone and the terminal with it
                break
            if not chunk:
                break
            seen_before, out = out, out + chunk
            if typed and FIRST_FRAME in out and FIRST_FRAME not in seen_before:
                early = OPEN not in out
                os.write(master, typed)
            if until is not None and until in out and until not in seen_before:
                os.write(master, b"\x11")  # ctrl+q
        return out, proc.wait(timeout=LIMIT), early
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def after_the_screen(out: bytes) -> list[str]:
    """The lines left in the terminal once the screen has given it back (after its alternate screen)."""
    rest = out.rsplit(b"\x1b[?1049l", 1)[-1].decode(errors="replace")
    rest = re.sub(r"\x1b\[[0-9;?<>=]*[A-Za-z~]|\x1b[()][A-Z0-9]|\x1b\][^\x07]*\x07", "", rest)
    return [line.strip() for line in rest.splitlines() if line.strip()]


def test_the_first_frame_loads_neither_the_models_nor_the_engine_nor_the_store(tmp_path):
    db, seen = tmp_path / "recorder.db", tmp_path / "seen.json"
    out, status, _ = in_terminal(SEEN_AT_OPENING, [str(seen), "--db", str(db), "new", "--age-years", "2"])
    assert status == 0, out[-2000:]
    opening = json.loads(seen.read_text())
    assert opening["screen"] == "OpeningScreen"  # the first frame was drawn: Textual said Ready
    loaded = set(opening["modules"])
    assert {"textual", "recorder.tui.app", "recorder.tui.opening"} <= loaded  # the launch really ran
    # The vocabulary (typing's Literals: `recorder new`'s choices) is the only part of schemas it needs.
    cut = [m for m in loaded - {"schemas", "schemas.vocabulary"} if m.split(".")[0] in ("pydantic", "schemas")]
    cut += [m for m in loaded if m.split(".")[0] in ("pydantic_core", "exports", "sqlite_utils")]
    cut += [m for m in loaded if m.startswith(("recorder.engine", "recorder.store", "recorder.core.session"))]
    cut += [m for m in loaded if m in ("recorder.tui.live", "recorder.tui.widgets", "recorder.tui.board")]
    assert sorted(cut) == []
    assert opening["collecting"]  # the collector, paused for the launch (cli/group.py: main), runs again
    assert [r.kind for r in Store(db).events(1)] == ["code_started"]  # and then the code was opened


def test_the_collector_is_paused_for_the_screens_launch_only(tmp_path, monkeypatch):
    """`main` pauses Python's cyclic collector until the screen's first frame; any other command runs with
    it, and it runs again once `main` returns, however the command ended."""
    import gc

    import click

    from recorder.cli import cli, main

    seen: list[bool] = []
    command = cli.every_command()["list"]
    monkeypatch.setattr(command, "callback", click.pass_context(lambda ctx, **_: seen.append(gc.isenabled())))
    monkeypatch.setattr(sys, "argv", ["recorder", "--db", str(tmp_path / "recorder.db"), "list"])
    try:
        gc.disable()
        with pytest.raises(SystemExit) as ended:
            main()
        assert ended.value.code == 0 and seen == [True] and gc.isenabled()
    finally:
        gc.enable()


def test_keys_typed_on_the_first_frame_are_recorded_in_order(tmp_path):
    db = tmp_path / "recorder.db"
    typed = b"c" + b"nfirst frame\r" + b"r1"  # CPR, a note typed into its box, a rhythm through its picker
    out, status, early = in_terminal(RUN, ["--db", str(db)], typed=b"\r" + typed, until=b"first frame")
    assert status == 0, out[-2000:]
    events = Store(db).events(1)
    assert [(r.kind, getattr(r.event, "text", None)) for r in events] == [
        ("code_started", None),
        ("cpr_started", None),
        ("note", "first frame"),
        ("rhythm", None),
    ]
    assert events[0].event.arrest is True and events[3].event.rhythm == "asystole"
    print("typed before the code was open:", early)


def test_a_code_another_recorder_holds_is_one_line_and_exit_2(tmp_path):
    db = tmp_path / "recorder.db"
    holder = Store(db)
    Session.start(holder, SystemClock(), arrest=True)  # this process holds the code's lock
    try:
        out, status, _ = in_terminal(RUN, ["--db", str(db), "resume"], until=None)
    finally:
        holder.close()
    assert status == 2, out[-2000:]
    (line,) = after_the_screen(out)
    assert line.startswith("recorder: code 1 is open in another recorder"), line
    assert b"Traceback" not in out


def test_a_database_from_a_newer_recorder_is_one_line_and_exit_2(tmp_path):
    db = tmp_path / "recorder.db"
    Store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    before = db.read_bytes()
    out, status, _ = in_terminal(RUN, ["--db", str(db)], until=None)
    assert status == 2, out[-2000:]
    (line,) = after_the_screen(out)
    assert line.startswith("recorder: ") and "newer recorder" in line, line
    assert b"Traceback" not in out and db.read_bytes() == before


def test_a_folder_for_a_database_is_one_line_and_exit_2(tmp_path):
    out, status, _ = in_terminal(RUN, ["--db", str(tmp_path), "new"], until=None)
    assert status == 2, out[-2000:]
    (line,) = after_the_screen(out)
    assert line.startswith("recorder: ") and str(tmp_path) in line, line
    assert b"Traceback" not in out
