"""Event times come from the code clock: a wall-clock jump mid-code neither reorders nor shifts."""

from datetime import UTC, datetime, timedelta

from recorder.core.clock import CodeClock, FakeClock
from recorder.core.session import Session


def test_wall_clock_moved_back_an_hour_mid_code(store, clock):
    session = Session.start(store, clock, arrest=True)
    start = session.records[0].occurred_at
    clock.advance(30)
    first = session.log({"kind": "rhythm", "rhythm": "asystole"}).record
    clock.jump_wall(-3600)  # someone "fixes" the machine's clock
    clock.advance(15)
    second = session.log({"kind": "cpr_started"}).record
    assert (first.t, second.t) == (30, 45)
    assert second.occurred_at == start + timedelta(seconds=45)
    assert second.occurred_at > first.occurred_at
    # recorded_at is the machine's clock, as it was: it shows the jump, the bedside order does not.
    assert second.recorded_at < first.recorded_at
    assert [r.seq for r in session.timeline()] == [1, 2, 3]
    reread = store.events(session.code_id)
    assert [r.t for r in reread] == [0, 30, 45]


def test_late_entry_records_both_times(store, clock):
    session = Session.start(store, clock, arrest=True)
    clock.advance(120)
    late = session.log({"kind": "note", "text": "adrenaline given"}, ago=30).record
    assert late.t == 90
    assert (late.recorded_at - late.occurred_at).total_seconds() == 30


def test_time_of_first_key_is_kept(store, clock):
    session = Session.start(store, clock, arrest=True)
    clock.advance(10)
    first_key = session.now()
    clock.advance(8)  # the scribe spends 8 s in the dialog
    record = session.log({"kind": "rhythm", "rhythm": "vf"}, t=first_key).record
    assert record.t == 10


def test_resumed_clock_without_a_mark_continues_from_the_wall_clock():
    """A code written before clock marks were kept: the wall clock is all there is."""
    clock = FakeClock(datetime(2026, 3, 2, 14, 5, tzinfo=UTC))
    start = clock.wall()
    clock.advance(75)
    resumed = CodeClock.resumed(clock, start, None)
    assert resumed.elapsed() == 75
    clock.advance(5)
    assert resumed.elapsed() == 80
