"""Storage faults: a full disk, a read-only database, a removed directory, a second writer.

What must hold: the CLI exits with one clear line and a non-zero status; the session raises
StoreError; nothing already recorded is lost; and a failed append leaves the session exactly as it
was (seq and line ids not consumed), so the screen can retry the same event once the fault clears.
"""

import json
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

from recorder.core.clock import FakeClock, SystemClock
from recorder.core.scenario import read_scenario
from recorder.core.session import Session, replay
from recorder.store import Store, StoreError
from schemas.events import event_dict, parse_event
from tests.factory import jsonl, make_database, random_scenario
from tests.reliability.helpers import (
    faulty,
    fill,
    one_clear_line,
    readonly_view,
    remount,
    run,
    run_process,
    run_process_with_fault,
    small_disk_fixture,
    starts,
)

FAULTS = {
    "disk full": "database or disk is full",
    "read-only": "attempt to write a readonly database",
    "I/O error": "disk I/O error",
    "locked": "database is locked",
}
POINTS = {
    "before the insert": starts("INSERT INTO events"),
    "mid-transaction": starts("UPDATE codes"),
    "at commit": starts("COMMIT"),
}


def _some_events(session):
    session.log({"kind": "rhythm", "rhythm": "asystole"}, t=10)
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=35)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=50)
    session.log({"kind": "flush", "line": "io1", "volume_ml": 5}, t=55)


def _state(session):
    """Everything the screen relies on, in memory and on disk."""
    return {
        "records": list(session.records),
        "next_seq": session.ledger.next_seq,
        "lines": set(session.ledger.lines),
        "infusions": set(session.ledger.infusions),
        "flags": [f.key for f in session.flags()],
        "head": session.store.code(session.code_id).events,
        "stored": [(r.seq, event_dict(r.event)) for r in session.store.events(session.code_id)],
    }


def _same_as_file(records, events):
    assert [event_dict(r.event) for r in records] == [event_dict(parse_event(e)) for e in events]


def _scenario(tmp_path, n, seed=3):
    events = random_scenario(n, seed=seed)
    path = tmp_path / "scenario.jsonl"
    path.write_text(jsonl(events), encoding="utf-8")
    return path, events


CONTINUE = textwrap.dedent(
    """
    import json, sys
    from recorder.core.clock import SystemClock
    from recorder.core.session import Session
    from recorder.store import Store
    db, code_id, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    events = [json.loads(line) for line in open(path, encoding="utf-8")]
    session = Session.resume(Store(db), SystemClock(), code_id)
    for data in events[len(session.records):]:
        session.log({k: v for k, v in data.items() if k != "t"}, t=data["t"])
    """
)


def _continue(db_path, code_id, scenario_path):
    """What a scribe does after the fault clears, in a new recorder process: resume, record the rest."""
    done = subprocess.run(
        [sys.executable, "-c", CONTINUE, str(db_path), str(code_id), str(scenario_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    store = Store(db_path)
    try:
        return store.events(code_id)
    finally:
        store.close()


# ── a failed append changes nothing, and the same event can be retried ──


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("fault", FAULTS)
def test_failed_append_changes_nothing_and_the_same_event_can_be_retried(session, store, db_path, fault, point):
    _some_events(session)
    before = _state(session)
    conn = faulty(store)
    conn.arm(POINTS[point], FAULTS[fault], times=1)
    attempt = {"kind": "io_attempt", "site": "proximal_humerus", "side": "right"}  # the line id is assigned
    with pytest.raises(StoreError) as raised:
        session.log(attempt, t=70)
    assert conn.failed == 1
    message = str(raised.value)
    assert "\n" not in message and "nothing was saved" in message, message
    assert _state(session) == before  # seq and line id not consumed; nothing on disk
    # The fault clears; the screen retries the very same entry.
    conn.disarm()
    logged = session.log(attempt, t=70)
    assert logged.record.seq == before["next_seq"]
    assert logged.record.event.line == "io2"
    assert store.verify() == []
    again = Store(db_path)
    assert [event_dict(r.event) for r in again.events(session.code_id)] == [
        event_dict(r.event) for r in session.records
    ]
    again.close()


def test_a_fault_that_lasts_fails_every_try_and_keeps_the_session_whole(session, store):
    _some_events(session)
    before = _state(session)
    conn = faulty(store)
    conn.arm(starts("INSERT INTO events"), FAULTS["disk full"])
    for attempt in range(5):
        with pytest.raises(StoreError, match="disk is full"):
            session.log({"kind": "note", "text": f"try {attempt}"}, t=60 + attempt)
    assert _state(session) == before
    conn.disarm()
    assert session.log({"kind": "note", "text": "at last"}, t=70).record.seq == before["next_seq"]
    assert store.verify() == []


def test_a_failed_start_leaves_an_empty_code_that_list_ignores_and_a_retry_works(store, db_path, clock):
    conn = faulty(store)
    conn.arm(starts("INSERT INTO events"), FAULTS["disk full"], times=1)
    with pytest.raises(StoreError, match="disk is full"):
        Session.start(store, clock, arrest=True)
    conn.disarm()
    session = Session.start(store, clock, arrest=True)
    assert session.records[0].seq == 1
    listed = run(db_path, "list", "--json")
    assert [json.loads(line)["code"] for line in listed.output.splitlines()] == [session.code_id]
    assert run(db_path, "verify").exit_code == 0
    # Observed: the first try left a code row with 0 events behind (ignored by list and resume).
    assert [c.events for c in store.codes()] == [0, 1]


def _shared(name):
    from tests.conftest import SCENARIOS_V1

    return SCENARIOS_V1 / name


def test_a_failed_flag_write_does_not_make_the_retried_event_a_duplicate(store, clock):
    """The event and the flags it raises are written in two transactions.

    If the flags' write fails, `log` raises StoreError although the event is already on disk: the
    screen, told it failed, retries and the event is recorded twice (here: a second IO attempt on a
    new line id that never happened).
    """
    lines = read_scenario(_shared("e02_repeat_same_bone.jsonl"))
    session = replay(store, clock, lines[:4])
    conn = faulty(store)
    conn.arm(starts("INSERT INTO flags"), FAULTS["disk full"], times=1)
    entry = {k: v for k, v in event_dict(lines[4].event).items() if k not in ("t", "line")}
    try:
        session.log(entry, t=lines[4].event.t)
    except StoreError:
        conn.disarm()
        session.log(entry, t=lines[4].event.t)  # what the screen does after an error: try again
    attempts = [r.event.line for r in store.events(session.code_id) if r.kind == "io_attempt"]
    assert attempts == ["io1", "io2"]  # today: ["io1", "io2", "io3"], io3 never happened


# ── the CLI under an injected fault ──


def test_replay_that_hits_a_write_fault_exits_2_with_one_line_and_keeps_what_was_stored(tmp_path, db_path):
    path, events = _scenario(tmp_path, 40)
    done = run_process_with_fault(db_path, "INSERT INTO events", FAULTS["disk full"], 25, "replay", "--echo", str(path))
    assert done.returncode == 2, done.stdout[-200:] + done.stderr
    assert "disk is full" in one_clear_line(done.stderr)
    echoed = [int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("seq ")]
    assert echoed == list(range(1, 26))
    store = Store(db_path)
    _same_as_file(store.events(1), events[:25])  # nothing already recorded is lost or changed
    assert store.verify() == []
    store.close()
    _same_as_file(_continue(db_path, 1, path), events)


# ── a real full disk (a small tmpfs; root only) ──


small_disk = small_disk_fixture("1m")


def test_real_full_disk_session_raises_keeps_everything_and_retries(small_disk):
    store = Store(small_disk / "recorder.db")
    session = Session.start(store, FakeClock(), arrest=True)
    _some_events(session)
    filler = fill(small_disk)
    before = _state(session)
    failures = 0
    for i in range(200):  # until the WAL needs a page it cannot have
        try:
            session.log({"kind": "note", "text": f"{i:04d} " + "x" * 3000}, t=60 + i)
        except StoreError as exc:
            assert "disk is full" in str(exc)
            failures += 1
            break
        before = _state(session)
    assert failures == 1, "the disk never filled up"
    assert _state(session) == before
    filler.unlink()
    logged = session.log({"kind": "note", "text": "after space was freed"}, t=500)
    assert logged.record.seq == before["next_seq"]
    assert store.verify() == []
    store.close()
    again = Store(small_disk / "recorder.db")
    assert [r.seq for r in again.events(session.code_id)] == list(range(1, logged.record.seq + 1))
    again.close()


def test_real_full_disk_replay_exits_2_with_one_line_and_the_code_can_be_finished(tmp_path, small_disk):
    path, events = _scenario(tmp_path, 150)
    db = small_disk / "recorder.db"
    done = run_process(db, "replay", "--echo", str(path))
    assert done.returncode == 2, done.stdout[-200:] + done.stderr
    assert "disk is full" in one_clear_line(done.stderr)
    echoed = [int(line.split()[1]) for line in done.stdout.splitlines()]
    assert 0 < len(echoed) < len(events)
    verified = run(db, "verify")
    assert verified.exit_code == 0, verified.stderr
    store = Store(db)
    stored = store.events(1)
    store.close()
    assert [r.seq for r in stored][: len(echoed)] == echoed
    _same_as_file(stored, events[: len(stored)])
    remount(small_disk, "size=8m")  # space is freed
    _same_as_file(_continue(db, 1, path), events)
    again = run(db, "verify")
    assert again.exit_code == 0, again.output


# ── a read-only database ──


def test_read_only_database_cli_says_so_in_one_line_and_changes_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    db = home / "recorder.db"
    path, _ = _scenario(tmp_path, 20)
    make_database(db, path.read_text(encoding="utf-8"))
    before = {p.name: p.read_bytes() for p in home.iterdir()}
    try:
        view_cm = readonly_view(home)
        view = view_cm.__enter__()
    except OSError as exc:
        pytest.skip(str(exc))
    try:
        ro_db = view / "recorder.db"
        replayed = run_process(ro_db, "replay", str(path))  # the real program, once
        assert replayed.returncode == 2
        one_clear_line(replayed.stderr)
        for args in (["verify"], ["list"], ["events", "last"]):
            done = run(ro_db, *args)
            # Reading may work or be refused; either way no traceback and at most one line.
            if done.exit_code != 0:
                assert done.exit_code == 2, done.stderr
                one_clear_line(done.stderr)
    finally:
        view_cm.__exit__(None, None, None)
    assert {p.name: p.read_bytes() for p in home.iterdir()} == before


# ── the directory removed while a session is open ──


def test_directory_removed_while_open_makes_the_next_log_fail(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    store = Store(home / "recorder.db")
    session = Session.start(store, FakeClock(), arrest=True)
    _some_events(session)
    shutil.rmtree(home)
    try:
        with pytest.raises(StoreError):
            session.log({"kind": "note", "text": "written into a file that no longer exists"}, t=60)
    finally:
        store.close()


def test_directory_removed_during_replay_stops_it_with_one_line(tmp_path):
    path, _ = _scenario(tmp_path, 300)
    home = tmp_path / "home"
    home.mkdir()
    db = home / "recorder.db"
    script = [sys.executable, "-c", "from recorder.cli import main; main()"]
    proc = subprocess.Popen(
        [*script, "--db", str(db), "replay", "--echo", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in proc.stdout:
        if line.strip() == "seq 10":
            shutil.rmtree(home)
            break
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, f"exit {proc.returncode}, last echo {out.split()[-2:]}"
    one_clear_line(err)


# ── two recorders on one code ──

HOLDER = textwrap.dedent(
    """
    import sys
    from recorder.core.clock import SystemClock
    from recorder.core.session import Session
    from recorder.store import Store, StoreError
    store = Store(sys.argv[1])
    if sys.argv[2] == "start":
        session = Session.start(store, SystemClock(), arrest=True)
    else:
        try:
            session = Session.resume(store, SystemClock(), int(sys.argv[2]))
        except StoreError as exc:
            print("refused:", exc, flush=True)
            sys.exit(3)
    session.log({"kind": "note", "text": "from the holder"})
    print("holding", session.code_id, flush=True)
    sys.stdin.readline()
    session.log({"kind": "note", "text": "holder still writes"})
    print("wrote", flush=True)
    """
)


def _holder(db_path, what):
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path), what],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_process_cannot_write_a_code_another_process_holds(db_path):
    holder = _holder(db_path, "start")
    try:
        line = holder.stdout.readline()
        assert line.startswith("holding"), line + holder.stderr.read()
        code_id = int(line.split()[1])
        store = Store(db_path)
        with pytest.raises(StoreError, match="open in another recorder"):
            Session.resume(store, SystemClock(), code_id)
        assert len(Session.read(store, SystemClock(), code_id).records) == 2  # reading is fine
        # A third process is refused too, with one line.
        other = _holder(db_path, str(code_id))
        out, _ = other.communicate(timeout=60)
        assert other.returncode == 3 and out.startswith("refused: code"), out
        # The holder goes on writing undisturbed.
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "wrote"
        holder.wait(timeout=60)
        # Once it is gone, the code can be taken over.
        session = Session.resume(store, SystemClock(), code_id)
        assert session.log({"kind": "note", "text": "taken over"}).record.seq == 4
        assert store.verify() == []
        store.close()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_a_killed_holder_releases_its_code(db_path):
    holder = _holder(db_path, "start")
    line = holder.stdout.readline()
    code_id = int(line.split()[1])
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    store = Store(db_path)
    session = Session.resume(store, SystemClock(), code_id)
    assert session.log({"kind": "note", "text": "after kill -9"}).record.seq == 3
    assert store.verify() == []
    store.close()


def test_a_stale_writer_that_bypasses_the_lock_is_refused_by_the_seq_check(db_path, clock):
    """Belt and braces: were the lock skipped, the store still refuses a second writer's append."""
    first = Session.start(Store(db_path), clock, arrest=True)
    second_store = Store(db_path)
    stale = Session.read(second_store, clock, first.code_id)  # a reader that would try to write
    first.log({"kind": "note", "text": "first writer"}, t=5)
    with pytest.raises(StoreError, match="behind this recorder's back"):
        second_store.append(first.code_id, stale.ledger.next_seq, "note", {"text": "stale"}, clock.wall(), clock.wall())
    assert [r.seq for r in second_store.events(first.code_id)] == [1, 2]
    first.store.close()
    second_store.close()
