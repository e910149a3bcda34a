"""The journal under real faults: a full disk mid-code, a directory that cannot take it, a killed recorder,
and the crash window between a commit and the journal's mark."""

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from recorder.core.clock import FakeClock
from recorder.core.session import Session
from recorder.store import Store, StoreError
from recorder.tui.app import QuitScreen, build_app
from recorder.tui.journal import Entry, Journal, Start, state_dir
from recorder.tui.write_queue import WriteQueue, created_code
from tests.reliability.helpers import ROOT, fill, small_disk_fixture
from tests.tui.helpers import CHILD, keys, live

SIZE = (120, 40)


small_disk = small_disk_fixture("1m")


def _journal_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_disk_full_mid_code_five_entries_survive_quit_and_resume(small_disk):
    """Tried as a new user would: the disk fills mid-code, five entries, quit, space freed, resume."""
    db = small_disk / "recorder.db"
    clock = FakeClock()
    store = Store(db)
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "n", "before the disk filled", "enter", clock=clock, advance=5)
        filler = fill(small_disk)
        # Big notes until SQLite needs a page it cannot have: that note is the first thing queued.
        for i in range(200):
            await keys(pilot, "n")
            app.screen.query_one("#text").value = f"note {i:03d} " + "x" * 3000
            await keys(pilot, "enter", clock=clock, advance=1)
            if live(app).queue.pending:
                break
        queue = live(app).queue
        assert len(queue.pending) == 1, "the disk never filled up"
        assert "disk is full" in queue.fault
        await keys(pilot, "i", "1", "l", "enter", clock=clock, advance=3)  # 2: io1
        await keys(pilot, "y", clock=clock, advance=4)  # 3: its result
        await keys(pilot, "e", "enter", clock=clock, advance=5)  # 4: adrenaline through it
        await keys(pilot, "r", "1", clock=clock, advance=6)  # 5: asystole
        queued = list(queue.pending)
        assert len(queued) == 5
        # The database's directory is the fault: the journal went to the user's state directory.
        (path,) = queue.kept_in()
        assert path.parent == state_dir() and not list(small_disk.glob("*.journal"))
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert [rec["n"] for rec in _journal_lines(path) if "data" in rec] == [p.n for p in queued]
        await keys(pilot, "ctrl+q")
        assert isinstance(app.screen, QuitScreen)
        assert str(path) in str(app.screen.query_one("#quit-question").render())
        await keys(pilot, "y")
    store.close()
    filler.unlink()  # space is freed
    clock.advance(900)
    again = Store(db)
    app = build_app(again, clock, mode="resume")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#fault").has_class("shown")
    stored = again.events(1)
    tail = stored[-5:]
    assert [r.kind for r in tail] == ["note", "io_attempt", "io_result", "drug", "rhythm"]
    assert [r.t for r in tail] == [p.t for p in queued]  # in order, at their own times
    assert [r.recorded_at for r in tail] == [
        r.occurred_at + timedelta(seconds=p.entered - p.t) for r, p in zip(tail, queued, strict=True)
    ]
    assert tail[2].event.line == tail[1].event.line == tail[3].event.line == "io1"
    assert [r.seq for r in stored] == list(range(1, len(stored) + 1))
    assert again.verify() == []
    assert not path.exists()
    again.close()


def test_a_journal_goes_to_the_state_directory_when_the_database_directory_is_gone(tmp_path):
    gone = tmp_path / "removed" / "recorder.db"
    journal = Journal.for_code(gone, 3)
    journal.begin(7, "2026-03-02T14:05:00+00:00")
    where = journal.add(Entry(1, {"kind": "note", "text": "kept"}, 12.0, 13.0))
    assert where.parent == state_dir() and where.name.endswith(".code3.journal")
    assert stat.S_IMODE(os.stat(where).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(state_dir()).st_mode) == 0o700
    journal.close()
    (found,) = Journal.find(gone)
    assert found.code == 3 and found.next_seq() == 8
    assert [e.data["text"] for e in found.pending()] == ["kept"]
    found.close()


def test_a_torn_record_spoils_only_itself(tmp_path):
    db = tmp_path / "recorder.db"
    journal = Journal.for_code(db, 1)
    journal.begin(1, "2026-03-02T14:05:00+00:00")
    journal.add(Entry(1, {"kind": "note", "text": "one"}, 1.0, 1.0))
    journal.close()
    path = db.with_name("recorder.db.code1.journal")
    with open(path, "ab") as f:
        f.write(b'\n{"n":2,"data":{"kind":"no')  # a crash in the middle of a write
    journal = Journal.find(db)[0]
    journal.add(Entry(3, {"kind": "note", "text": "three"}, 3.0, 3.0))
    journal.close()
    (again,) = Journal.find(db)
    assert [e.data["text"] for e in again.pending()] == ["one", "three"]
    again.close()


def test_a_journal_held_by_a_running_recorder_is_left_alone(tmp_path):
    db = tmp_path / "recorder.db"
    journal = Journal.for_code(db, 1)
    journal.begin(1, "2026-03-02T14:05:00+00:00")
    journal.add(Entry(1, {"kind": "note", "text": "mine"}, 1.0, 1.0))
    code = "import sys; from recorder.tui.journal import Journal; print(len(Journal.find(sys.argv[1])))"
    done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "0", done.stderr
    journal.close()
    done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "1", done.stderr


def test_the_crash_window_after_each_commit_never_writes_twice(store, clock, db_path, monkeypatch):
    """Kill between any commit and its journal mark: the replay finds the entry and skips it."""
    session = Session.start(store, clock, **CHILD)
    queue = WriteQueue.for_session(session)
    real = store.write
    monkeypatch.setattr(store, "write", lambda *a, **k: (_ for _ in ()).throw(StoreError("disk is full")))
    texts = [f"entry {i}" for i in range(4)]
    for i, text in enumerate(texts):
        queue.enter({"kind": "note", "text": text}, t=10.0 + i)
    monkeypatch.setattr(store, "write", real)
    # Commit two of them as the retry would, but lose the journal's marks (the process died).
    for entry in list(queue.pending)[:2]:
        session.log(entry.data, t=entry.t, entered=entry.entered)
    queue.close()
    store.close()
    again = Store(db_path)
    resumed = WriteQueue.for_session(Session.resume(again, clock, 1))
    assert [p.data["text"] for p in resumed.pending] == texts[2:]
    resumed.retry()
    assert [r.event.text for r in again.events(1)[1:]] == texts
    assert not list(db_path.parent.glob("*.journal"))
    again.close()


async def test_a_code_created_before_the_crash_is_found_not_made_again(store, clock, db_path):
    from recorder.core.clock import CodeClock

    code_clock = CodeClock(clock, clock.wall())
    journal = Journal.for_new_code(db_path)
    journal.begin(0, clock.wall().isoformat())
    fields = {"arrest": True, "at": code_clock.start.isoformat()}
    journal.add_start(Start(fields, fields["at"]))
    journal.add(Entry(1, {"kind": "note", "text": "one"}, 4.0, 5.0))
    journal.add(Entry(2, {"kind": "note", "text": "two"}, 6.0, 6.0))
    # The start and the first entry committed; neither the `code` mark nor the `done` mark written.
    Session.start(store, clock, code_clock=code_clock, **fields).log({"kind": "note", "text": "one"}, t=4.0)
    journal.close()
    (found,) = Journal.find(db_path)
    assert found.code is None and created_code(found, store) == 1
    found.close()
    store.close()
    again = Store(db_path)
    app = build_app(again, clock)  # plain `recorder`: the journal's code is found, its entry written once
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert live(app).session.code_id == 1
    assert [c.id for c in again.codes()] == [1]
    assert [r.event.text for r in again.events(1)[1:]] == ["one", "two"]
    again.close()


# ── a recorder killed with entries queued (a closed terminal, a crash) ──

KILLED = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from recorder.core.clock import FakeClock
    from recorder.store import Store, StoreError
    from recorder.tui.app import build_app
    from tests.tui.helpers import CHILD, keys, live

    # A shell that started the tests in the background may ignore SIGHUP, and the child inherits that;
    # a terminal closed under the recorder is the default action.
    signal.signal(signal.SIGHUP, signal.SIG_DFL)

    async def main():
        store = Store(sys.argv[1])
        app = build_app(store, FakeClock(), mode="new", new_fields=CHILD)
        async with app.run_test(size=(120, 40)) as pilot:
            def full(*a, **k):
                raise StoreError("cannot write: the disk is full; free space (nothing was saved)")
            store.write = full
            await keys(pilot, "i", "1", "l", "enter", "x", "n", "lost?", "enter")
            print(len(live(app).queue.pending), flush=True)
            os.kill(os.getpid(), int(sys.argv[2]))

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP], ids=["kill-9", "hangup"])
def test_a_killed_recorder_leaves_its_queue_in_the_journal_for_the_next_start(db_path, sig):
    """A crash, or a terminal closed under it (SIGHUP): the queue is in the journal, and the next start writes it."""
    done = subprocess.run(
        [sys.executable, "-c", KILLED, str(db_path), str(int(sig))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == -sig, done.stderr[-2000:]
    assert done.stdout.strip() == "3"
    store = Store(db_path)
    queue = WriteQueue.for_session(Session.resume(store, FakeClock(), 1))
    queue.retry()
    kinds = [(r.kind, getattr(r.event, "line", None)) for r in store.events(1)]
    assert kinds == [("code_started", None), ("io_attempt", "io1"), ("io_result", "io1"), ("note", None)]
    assert store.verify() == []
    store.close()
