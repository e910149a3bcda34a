"""One clock across restarts: a resumed code goes on from its last `t` on the monotonic clock.

A resume in the same boot continues exactly (the monotonic clock runs on across processes); after a
reboot the gap is unknown and the wall clock is used, never below what was already recorded. Lateness
("entered late") is measured on the same monotonic base, so a wall-clock step marks nothing late.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recorder.core.clock import CodeClock, FakeClock
from recorder.core.session import Session
from recorder.store import Store
from recorder.tui.timeline import Row, row_text

EPI = {"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1", "purpose": "arrest"}


def restart(store: Store, db_path: Path) -> Store:
    """The recorder process ends (crash, closed terminal) and a new one opens the same file."""
    store.close()
    return Store(db_path)


def test_resume_after_a_wall_step_back_stores_new_entries_after_earlier_ones(store, clock, db_path):
    session = Session.start(store, clock, arrest=True)
    clock.advance(60)
    session.log({"kind": "rhythm", "rhythm": "asystole"})
    store = restart(store, db_path)
    clock.jump_wall(-3600)  # NTP, or a scribe "fixing" the clock, between the crash and the resume
    clock.advance(10)
    again = Session.resume(store, clock)
    assert again.now() == 70  # 60 s recorded + 10 s the monotonic clock ran while the recorder was down
    again.log({"kind": "cpr_started"})
    reread = store.events(again.code_id)
    assert [r.t for r in reread] == [0, 60, 70]
    assert reread[2].occurred_at > reread[1].occurred_at


def test_resume_after_a_wall_step_forward_does_not_jump_nor_fire_a_false_deadline(store, clock, db_path):
    session = Session.start(store, clock, arrest=True)
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=5)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=8)
    clock.advance(10)
    session.log(EPI)
    clock.advance(20)
    store = restart(store, db_path)
    clock.jump_wall(600)  # ten minutes forward: the adrenaline interval (300 s) would seem long past
    clock.advance(5)
    again = Session.resume(store, clock)
    assert again.now() == 35
    assert [f.rule for f in again.flags() if f.rule == "EPI_INTERVAL_EXCEEDED"] == []
    assert again.log({"kind": "note", "text": "after the restart"}).record.t == 35


def test_resume_in_the_same_boot_ignores_the_wall_clock_entirely(store, clock, db_path):
    session = Session.start(store, clock, arrest=True)
    clock.advance(42.5)
    session.log({"kind": "note", "text": "x"})
    clock.advance(100)
    for step in (-86400, 7200, -30):
        clock.jump_wall(step)
        reopened = Session.read(store, clock, session.code_id)
        assert reopened.now() == 142.5


def test_resume_continues_from_the_last_t_of_a_replayed_code(store, clock, db_path):
    """A replay stores a file's times (t up to 600) in a moment: the code clock goes on from its last t."""
    session = Session.start(store, clock, arrest=True, at="2026-03-02T12:00:00+00:00")
    session.log({"kind": "note", "text": "late in the file"}, t=600)
    clock.advance(3)
    store = restart(store, db_path)
    again = Session.resume(store, clock)
    assert again.now() == 603
    assert again.log({"kind": "note", "text": "live"}).record.t == 603


def test_resume_after_a_reboot_uses_the_wall_clock(store, clock, db_path):
    session = Session.start(store, clock, arrest=True)
    clock.advance(60)
    session.log({"kind": "note", "text": "before the power cut"})
    store = restart(store, db_path)
    clock.reboot(down=240)  # the monotonic clock starts again from near zero
    again = Session.resume(store, clock)
    assert again.now() == 300  # the wall clock is the only witness of the gap


def test_resume_after_a_reboot_with_the_wall_clock_behind_never_goes_back(store, clock, db_path):
    session = Session.start(store, clock, arrest=True)
    clock.advance(60)
    session.log({"kind": "note", "text": "before the power cut"})
    store = restart(store, db_path)
    clock.reboot(down=30)
    clock.jump_wall(-3600)  # the machine came up with its clock an hour behind (flat RTC battery)
    again = Session.resume(store, clock)
    assert again.now() == 60
    assert again.log({"kind": "note", "text": "after"}).record.t == 60
    assert [r.t for r in store.events(again.code_id)] == [0, 60, 60]


def test_a_code_from_before_the_clock_marks_resumes_on_the_wall_clock_not_below_its_last_t():
    clock = FakeClock(datetime(2026, 3, 2, 14, 5, tzinfo=UTC))
    start = clock.wall()
    clock.advance(75)
    assert CodeClock.resumed(clock, start, None, floor=0).elapsed() == 75
    assert CodeClock.resumed(clock, start, None, floor=90).elapsed() == 90


def test_a_code_written_before_marks_were_kept_resumes_on_the_wall_clock(store, clock):
    code_id, _ = store.create_code(clock.wall())
    start = clock.wall()
    store.append(code_id, 1, "code_started", {"arrest": True, "at": start.isoformat()}, start, start)
    store.append(code_id, 2, "note", {"text": "x"}, start + timedelta(seconds=60), start + timedelta(seconds=60))
    assert store.last_clock_mark(code_id) is None
    clock.advance(90)
    again = Session.resume(store, clock)
    assert again.now() == 90
    assert again.log({"kind": "note", "text": "y"}).record.entered_t == 90
    assert store.last_clock_mark(code_id) == (clock.boot_id(), clock.monotonic(), 90)


def late_marked(record) -> bool:
    return "(entered late)" in row_text(Row(record, False, ())).plain


def test_a_live_wall_step_forward_marks_nothing_late(store, clock, db_path):
    session = Session.start(store, clock, arrest=True)
    clock.advance(100)
    clock.jump_wall(600)
    prompt = session.log({"kind": "rhythm", "rhythm": "vf"}).record
    late = session.log({"kind": "note", "text": "adrenaline given"}, ago=90).record
    assert (prompt.entered_t, late.entered_t, late.t) == (100, 100, 10)
    assert not late_marked(prompt)
    assert late_marked(late)
    # the same after the record is read back by another process
    store = restart(store, db_path)
    reread = {r.seq: r for r in store.events(session.code_id)}
    assert not late_marked(reread[prompt.seq])
    assert late_marked(reread[late.seq])
    # and recorded_at still keeps the machine's wall clock as it was
    assert (prompt.recorded_at - prompt.occurred_at).total_seconds() == 600


def test_a_live_wall_step_back_hides_no_late_entry(store, clock):
    session = Session.start(store, clock, arrest=True)
    clock.advance(200)
    clock.jump_wall(-3600)
    late = session.log({"kind": "note", "text": "IO in two minutes ago"}, ago=120).record
    assert late_marked(late)


def test_the_system_code_clock_counts_a_suspended_machine(monkeypatch):
    """CLOCK_MONOTONIC stops while a laptop is suspended; CLOCK_BOOTTIME (where there is one) does not."""
    import time

    from recorder.core.clock import SystemClock

    if not hasattr(time, "CLOCK_BOOTTIME"):
        pytest.skip("no CLOCK_BOOTTIME on this system")
    readings = {time.CLOCK_MONOTONIC: 100.0, time.CLOCK_BOOTTIME: 400.0}  # 300 s suspended since boot
    monkeypatch.setattr(time, "clock_gettime", readings.__getitem__)
    assert SystemClock().monotonic() == 400.0


def test_the_boot_id_is_the_kernels():
    from recorder.core.clock import BOOT_ID, SystemClock

    if not BOOT_ID.exists():
        pytest.skip("no /proc boot id")
    assert SystemClock().boot_id() == BOOT_ID.read_text().strip() != ""


# ── a real wall-clock step, between two real processes ──────────────────────

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from recorder.core.clock import SystemClock
    from recorder.core.session import Session
    from recorder.store import Store

    store, clock = Store(sys.argv[1]), SystemClock()
    if sys.argv[2] == "start":
        session = Session.start(store, clock, arrest=True)
        session.log({"kind": "note", "text": "first"}, t=100)
    else:
        session = Session.resume(store, clock)
        session.log({"kind": "note", "text": "after the step"})
    print(json.dumps({"wall": clock.wall().timestamp(), "ts": [r.t for r in store.events(session.code_id)]}))
    """
)


def _run(db: Path, what: str, faketime: str | None = None) -> dict:
    import json

    cmd = [sys.executable, "-c", SCRIPT, str(db), what]
    env = dict(os.environ)
    if faketime:
        # Only the wall clock steps, as with NTP or `date -s`; the monotonic clock is the machine's.
        cmd = ["faketime", "-f", faketime, *cmd]
        env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(shutil.which("faketime") is None, reason="needs faketime (apt package faketime)")
@pytest.mark.parametrize("step", ["-10m", "+10m"])
def test_a_real_wall_step_between_crash_and_resume(tmp_path, step):
    db = tmp_path / "recorder.db"
    first = _run(db, "start")
    second = _run(db, "resume", faketime=step)
    if abs(second["wall"] - first["wall"]) < 300:
        pytest.skip("faketime did not move this Python's wall clock")
    ts = second["ts"]
    assert ts[:2] == [0, 100]
    # The resumed code went on from T+100 by the few seconds between the two processes: not ten
    # minutes back (stored before the note) nor ten minutes forward.
    assert 100 <= ts[2] < 100 + 300


@pytest.mark.parametrize("reboot", [False, True])
def test_an_exports_session_works_its_clock_out_as_any_reader_does(store, clock, db_path, reboot):
    # A session read for an export (fold_once) works its clock out only when asked: the same clock as a
    # session read to look at, in the same boot (the monotonic clock) and after a reboot (the wall clock).
    session = Session.start(store, clock, arrest=True)
    clock.advance(60)
    session.log({"kind": "rhythm", "rhythm": "asystole"})
    session.log({"kind": "cpr_started"}, t=90)
    session.log({"kind": "note", "text": "back-dated"}, t=30)  # the latest t is not the last event's
    store = restart(store, db_path)
    if reboot:
        clock.reboot(down=30)
        clock.jump_wall(-3600)  # behind the latest t: the clock goes on from what was recorded
    clock.advance(7)
    looked_at = Session.read(store, clock, session.code_id)
    exported = Session.read(store, clock, session.code_id, fold_once=True)
    assert "clock" not in vars(exported)  # not worked out until asked
    assert (exported.clock.start, exported.now()) == (looked_at.clock.start, looked_at.now())
    clock.advance(3)
    assert exported.now() == looked_at.now()
