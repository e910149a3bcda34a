"""A replay works its events out a batch at a time before writing them: the same store, event by event."""

from datetime import UTC, datetime

import pytest

from recorder.core.clock import FakeClock
from recorder.core.end_hooks import keep_audit_rows
from recorder.core.record_log import RecordLog
from recorder.core.scenario import ScenarioLine
from recorder.core.session import READY_AHEAD, READY_MOST, Logged, Session, SessionError, replay
from recorder.store import Store, StoreError, database
from schemas.events import event_payload, parse_event
from tests.factory import scenario_lines

START = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
TABLES = {
    "events": "*",
    "event_clock": "*",
    "flags": "*",
    "flag_basis": "*",
    "codes": "id, head_seq, head_hash, ended_at",
    "audit_rows": "code_id, head_hash, rows",
}


def rows(store: Store) -> dict[str, list[tuple]]:
    """Every row the recorder writes as it logs (the clock stands still: the times and hashes are the same)."""
    return {t: store.conn.execute(f"SELECT {c} FROM {t} ORDER BY rowid").fetchall() for t, c in TABLES.items()}


def logged_key(logged: Logged) -> tuple:
    return (logged.record, [f.key for f in logged.raised], [f.key for f in logged.withdrawn])


def one_by_one(store: Store, lines: list) -> list[Logged]:
    """What the recorder stored before replays were batched: `log_event` of each event after the first."""
    session = Session.start(store, FakeClock(START), on_end=keep_audit_rows, **event_payload(lines[0].event))
    return [Logged(session.records[0])] + [session.log_event(line.event) for line in lines[1:]]


def ended(lines: list) -> list:
    """The scenario with a code_ended after its last event."""
    last = lines[-1].event.t
    return [*lines, line(len(lines) + 1, {"kind": "code_ended", "outcome": "rosc", "t": last + 10})]


def line(lineno: int, data: dict) -> ScenarioLine:
    return ScenarioLine(lineno, parse_event(data))


@pytest.fixture(autouse=True)
def same_audit_ids(monkeypatch):
    """Every code gets the same audit id: two stores of the same events then hold the same hashes."""
    monkeypatch.setattr(database.secrets, "token_hex", lambda n: "ab" * n)


@pytest.mark.parametrize("keep", [RecordLog.KEEP, 8])
def test_a_replay_stores_what_logging_each_event_stores(tmp_path, monkeypatch, keep):
    """Back-dated entries, voids, amends, acknowledgements and the end, with every record held or only the last 8
    (a batch's fold then reads back what is written): the same rows, flags history and audit rows, and the same
    records and flags handed to on_commit, in the same order."""
    monkeypatch.setattr(RecordLog, "KEEP", keep)
    lines = ended(scenario_lines(700))
    batched, each = Store(tmp_path / "batched.db"), Store(tmp_path / "each.db")
    got: list[Logged] = []
    replay(batched, FakeClock(START), lines, on_commit=got.append, on_end=keep_audit_rows)
    want = one_by_one(each, lines)
    assert [logged_key(g) for g in got] == [logged_key(w) for w in want]
    stored = rows(batched)
    assert stored == rows(each)
    assert len(stored["events"]) == len(lines) and stored["audit_rows"] and stored["codes"][0][3] is not None
    assert batched.verify() == []


def test_an_event_that_cannot_follow_stops_the_replay_there(tmp_path):
    """The events before it are written, with their flags, as logging them one by one writes them."""
    lines = scenario_lines(120)
    bad = line(61, {"kind": "void", "target": 500, "reason": "typo", "t": lines[59].event.t})
    batched, each = Store(tmp_path / "batched.db"), Store(tmp_path / "each.db")
    with pytest.raises(SessionError, match="500"):
        replay(batched, FakeClock(START), [*lines[:60], bad, *lines[60:]])
    one_by_one(each, lines[:60])
    assert rows(batched) == rows(each)


def test_a_write_that_fails_part_way_leaves_the_code_as_written(tmp_path, monkeypatch):
    """A full disk at event 50: events 1–49 stand, with the flags logging them gave; the session, whose fold was
    ahead of the store, refuses to record more; the code resumes from what was written."""
    lines = scenario_lines(120)
    store, each = Store(tmp_path / "batched.db"), Store(tmp_path / "each.db")
    clock = FakeClock(START)
    session = Session.start(store, clock, **event_payload(lines[0].event))
    real = store.write

    def full(chained):
        if chained.seq == 50:
            raise StoreError("cannot write to the database: the disk is full; free space (nothing was saved)")
        real(chained)

    monkeypatch.setattr(store, "write", full)
    committed: list[int] = []
    with pytest.raises(StoreError, match="disk is full"):
        session.log_events((line.event for line in lines[1:]), lambda logged: committed.append(logged.record.seq))
    assert committed == list(range(2, 50))
    one_by_one(each, lines[:49])
    assert rows(store) == rows(each)
    monkeypatch.setattr(store, "write", real)
    with pytest.raises(SessionError, match="recorder resume"):
        session.log({"kind": "note", "text": "after the fault"}, t=lines[48].event.t)
    resumed = Session.resume(store, clock, session.code_id)
    assert resumed.log_event(lines[49].event).record.seq == 50
    assert store.verify() == []


def test_a_flags_write_that_fails_in_a_batch_is_caught_up_at_its_end(tmp_path, monkeypatch):
    """The catch-up diffs the stored flags against the fold's, which stand at the batch's last event: it waits
    for it, and the stored flags are then the fold's."""
    lines = scenario_lines(300)
    store = Store(tmp_path / "batched.db")
    session = Session.start(store, FakeClock(START), **event_payload(lines[0].event))
    real, failed = store.record_flags, []

    def flaky(code_id, at_seq, raised, withdrawn, *rest):
        if raised and at_seq > 130 and not failed:  # in the middle of a batch of 128 (129–256)
            failed.append(at_seq)
            raise StoreError("cannot write to the database: the disk is full; free space (nothing was saved)")
        return real(code_id, at_seq, raised, withdrawn, *rest)

    monkeypatch.setattr(store, "record_flags", flaky)
    session.log_events(line.event for line in lines[1:])
    assert failed
    assert sorted(f.key for f in session._stored_flags()) == sorted(f.key for f in session.fold.flags)
    # Each change is kept with an event already written when it was: never a later event's flag.
    kept = store.conn.execute("SELECT at_seq, seq FROM flags").fetchall()
    assert kept and all(seq <= at_seq for at_seq, seq in kept)


def test_a_slow_disk_keeps_each_recorded_at_close_to_its_write(tmp_path, monkeypatch):
    """Each write takes 30 ms: the batches shrink so that no event is written more than READY_AHEAD after the
    time it was recorded at; on a disk that takes no time they grow to READY_MOST, no more."""
    lines = scenario_lines(400)
    clock = FakeClock(START)
    store = Store(tmp_path / "slow.db")
    real, late = store.write, []

    def slow(chained):
        clock.advance(0.03)
        real(chained)
        late.append((clock.wall() - datetime.fromisoformat(chained.row[5])).total_seconds())

    monkeypatch.setattr(store, "write", slow)
    sizes: list[int] = []
    ready = Session._ready

    def counted(self, events):
        sizes.append(len(events))
        return ready(self, events)

    monkeypatch.setattr(Session, "_ready", counted)
    replay(store, clock, lines)
    assert len(late) == len(lines) and max(late) <= READY_AHEAD + 1e-6
    assert sum(sizes) == len(lines) - 1 and max(sizes) >= 2
    sizes.clear()
    replay(Store(tmp_path / "quick.db"), FakeClock(START), scenario_lines(2000))
    assert max(sizes) == READY_MOST and sizes[:3] == [1, 2, 4]
