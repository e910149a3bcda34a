"""`recorder watch` without the screen: a read-only session following a code another recorder writes."""

import os
import subprocess
import sys

from click.testing import CliRunner

from recorder.cli import cli
from recorder.core.clock import SystemClock
from recorder.core.session import Session
from recorder.store import Store
from recorder.tui import team_board
from tests.conftest import DATA, SCENARIOS_V2
from tests.tui.helpers import CHILD

IO = {"kind": "io_attempt", "site": "proximal_tibia", "side": "left", "device": "ez_io", "needle_mm": 15}


def reader(db_path, clock) -> Session:
    return Session.read(Store(db_path, readonly=True), clock, 1, recompute=True)


def test_follow_folds_what_the_writer_commits_and_nothing_else(store, db_path, clock):
    writer = Session.start(store, clock, **CHILD)
    watch = reader(db_path, clock)
    assert watch.follow() == ([], [])  # nothing new: one look at the head
    for data, t in (
        ({"kind": "rhythm", "rhythm": "vf"}, 5),
        (IO, 20),
        ({"kind": "io_result", "line": "io1", "result": "in"}, 30),
        ({"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1"}, 60),
    ):
        clock.advance(t - writer.now())
        writer.log(data, t=t)
    new, _ = watch.follow()
    assert [r.seq for r in new] == [2, 3, 4, 5]
    assert watch.follow() == ([], [])
    assert watch.flags() == writer.flags()
    assert team_board.status(watch, watch.now()).words == "IN ARREST"
    writer.void(5, "wrong patient", t=70)
    writer.end("rosc", t=80)
    assert [r.kind for r in watch.follow()[0]] == ["void", "code_ended"]
    assert watch.ended and watch.flags() == writer.flags()
    assert [r.seq for r in watch.timeline()] == [r.seq for r in writer.timeline()]
    status = team_board.status(watch, watch.now() + 100)
    assert (status.ended, status.clock, status.words) == (True, 80, "CODE ENDED — rosc")
    watch.store.close()


def test_follow_fires_deadlines_on_its_own_clock_without_writing(store, db_path, clock):
    writer = Session.start(store, clock, **CHILD)
    watch = reader(db_path, clock)
    clock.advance(400)  # no adrenaline in 400 s of arrest: the writer's tick would raise it
    _, raised = watch.follow()
    assert [f.rule for f in raised] == [f.rule for f in watch.flags()] == ["EPI_FIRST_DOSE_DELAYED"]
    assert store.flag_history(writer.code_id) == []  # the reader kept nothing: derived data is the writer's
    assert watch.store.readonly
    watch.store.close()


def test_the_watch_takes_no_lock_and_changes_no_file(db_path, clock):
    writer_store = Store(db_path)
    Session.start(writer_store, clock, **CHILD).log(IO, t=0)
    writer_store.close()
    before = os.stat(db_path)
    watch = reader(db_path, clock)
    watch.follow()
    read = os.stat(db_path)
    assert (read.st_mode, read.st_mtime_ns, read.st_size) == (before.st_mode, before.st_mtime_ns, before.st_size)
    # Whoever records next can still become the code's writer while the team display is open.
    resumed = Session.resume(Store(db_path), clock, 1)
    resumed.log({"kind": "note", "text": "second writer"}, t=10)
    resumed.store.close()
    assert [r.kind for r in watch.follow()[0]] == ["note"]
    watch.store.close()
    after = os.stat(db_path)
    assert (after.st_mode, after.st_uid) == (before.st_mode, before.st_uid)
    assert not any(os.path.exists(f"{db_path}{suffix}") for suffix in ("-wal", "-shm", "-journal"))


def test_the_watch_follows_a_second_process_writing(tmp_path):
    """A real writer: `recorder replay --echo` in another process; after each committed seq it prints,
    one look by the follower sees at least that much of the code."""
    db = tmp_path / "w.db"
    scenario = SCENARIOS_V2 / "e04_epinephrine_timing.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "recorder", "--db", str(db), "replay", "--echo", str(scenario)],
        stdout=subprocess.PIPE,
        text=True,
    )
    watch = None
    seen = []
    try:
        for line in proc.stdout:
            if not line.startswith("seq "):
                continue
            committed = int(line.split()[1])
            watch = watch or Session.read(Store(db, readonly=True), SystemClock(), 1, recompute=True)
            watch.follow()
            assert len(watch.records) >= committed
            seen.append(len(watch.records))
    finally:
        proc.stdout.close()
        assert proc.wait() == 0
    assert watch is not None and seen == sorted(seen)
    watch.follow()
    whole = Session.read(Store(db, readonly=True), SystemClock(), 1, recompute=True)
    assert watch.ended and len(watch.records) == len(whole.records) == seen[-1]
    assert watch.flags() == whole.flags()
    whole.store.close()
    watch.store.close()


def test_watch_without_a_code_is_one_line(tmp_path, store):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "watch"])
    assert result.exit_code == 2 and "no database at" in result.output
    assert not (tmp_path / "none.db").exists()
    result = CliRunner().invoke(cli, ["watch"])  # the conftest's empty database
    assert result.exit_code == 2 and "there are no codes" in result.output
    result = CliRunner().invoke(cli, ["watch", "7"])
    assert result.exit_code == 2 and "there is no code '7'" in result.output


def test_watch_refuses_an_older_file_it_could_not_follow(tmp_path):
    """An older file is read through a migrated copy in memory, which never moves on: refused, not shown
    as if it were followed; the file is left as it was."""
    db = tmp_path / "old.db"
    db.write_bytes((DATA / "schema3_before_chain2.db").read_bytes())
    result = CliRunner().invoke(cli, ["--db", str(db), "watch"])
    assert result.exit_code == 2 and "written by an older recorder" in result.output
    assert db.read_bytes() == (DATA / "schema3_before_chain2.db").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.db"]
