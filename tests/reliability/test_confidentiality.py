"""Patient data stays private: the database, its -wal and -shm (and any file beside them) are 0600.

Also when the process umask is 022 (a library caller, a test runner, the screen started from a
shell that did not set one), and in a directory the recorder creates (0700).
"""

import os
import stat
import subprocess
import sys

import pytest

from recorder.core.clock import FakeClock
from recorder.core.session import Session
from recorder.store import Store
from tests.factory import jsonl, random_scenario
from tests.reliability.helpers import run_process


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _modes(directory):
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}


def _open_session(home):
    store = Store(home / "recorder.db")
    session = Session.start(store, FakeClock(), arrest=True, patient={"name": "Test Child", "mrn": "MRN0001"})
    session.log({"kind": "note", "text": "patient data"}, t=5)
    return store, session


def test_every_file_is_0600_with_umask_022_while_a_code_is_open(tmp_path, umask_022):
    home = tmp_path / "home"
    home.mkdir()
    store, _ = _open_session(home)
    try:
        modes = _modes(home)
        # While open in WAL mode the database has its -wal and -shm (the code's lock is on the database itself).
        assert {"recorder.db", "recorder.db-wal", "recorder.db-shm"} <= set(modes), modes
        assert modes == dict.fromkeys(modes, 0o600), {k: oct(v) for k, v in modes.items()}
    finally:
        store.close()
    assert set(_modes(home).values()) == {0o600}


def test_a_directory_the_recorder_creates_is_0700(tmp_path, umask_022):
    home = tmp_path / "new"
    store, _ = _open_session(home)
    store.close()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert set(_modes(home).values()) == {0o600}


def test_the_cli_with_umask_022_creates_0600_files(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    path = tmp_path / "s.jsonl"
    path.write_text(jsonl(random_scenario(20, seed=4)), encoding="utf-8")
    done = run_process(home / "recorder.db", "replay", str(path), preexec_fn=lambda: os.umask(0o022))
    assert done.returncode == 0, done.stderr
    modes = _modes(home)
    assert "recorder.db" in modes and set(modes.values()) == {0o600}, {k: oct(v) for k, v in modes.items()}


def test_files_stay_0600_while_a_killed_recorder_left_its_wal_behind(tmp_path):
    """A recorder killed mid-code leaves -wal and -shm; they are as private as the database."""
    home = tmp_path / "home"
    home.mkdir()
    script = (
        "import os, sys, signal\n"
        "os.umask(0o022)\n"
        "from recorder.core.clock import SystemClock\n"
        "from recorder.core.session import Session\n"
        "from recorder.store import Store\n"
        "s = Session.start(Store(sys.argv[1]), SystemClock(), arrest=True)\n"
        "s.log({'kind': 'note', 'text': 'x'})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(home / "recorder.db")], capture_output=True)
    assert done.returncode == -9
    modes = _modes(home)
    assert {"recorder.db-wal", "recorder.db-shm"} <= set(modes), modes
    assert set(modes.values()) == {0o600}, {k: oct(v) for k, v in modes.items()}
