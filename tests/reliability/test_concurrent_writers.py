"""Several recorders writing one database at once: each waits its turn (busy timeout), none fails."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recorder.store import Store
from tests.factory import jsonl, scenario
from tests.reliability.helpers import run_process

WRITERS = 3
EVENTS = 200


def _start_replay(db: Path, scenario_file: Path) -> subprocess.Popen[str]:
    script = Path(sys.executable).parent / "recorder"
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from recorder.cli import main; main()"]
    env = dict(os.environ, RECORDER_DB=str(db), TZ="UTC")
    return subprocess.Popen(
        [*cmd, "--db", str(db), "replay", str(scenario_file), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.slow
def test_simultaneous_replays_into_one_database_all_succeed(tmp_path):
    """A deferred transaction that read a code's head could not take the write lock once another
    writer had committed, and failed at once with "database is locked"; two recorders opening a
    new file raced through its migrations the same way. Both now take the write lock first."""
    files = []
    for i in range(WRITERS):
        path = tmp_path / f"code{i}.jsonl"
        path.write_text(jsonl(scenario(EVENTS, seed=i)), encoding="utf-8")
        files.append(path)
    db = tmp_path / "shared.db"
    for round_ in ("a new database", "the same database again", "and again"):
        procs = [_start_replay(db, f) for f in files]
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, f"{round_}: {err.strip()}"
            assert err == ""
            for line in out.splitlines():
                json.loads(line)  # the flags, as JSON Lines
    verify = run_process(db, "verify")
    assert verify.returncode == 0, verify.stderr
    store = Store(db)
    try:
        codes = store.codes()
        assert [c.events for c in codes] == [EVENTS] * (3 * WRITERS)
        # Each code holds exactly one of the files, whole and in order.
        stored = sorted(json.dumps([r.event.t for r in store.events(c.id)]) for c in codes)
        expected = sorted(
            json.dumps([float(e["t"]) for e in scenario(EVENTS, seed=i)]) for i in range(WRITERS) for _ in "abc"
        )
        assert stored == expected
    finally:
        store.close()
