"""The queue that survives: entries the screen cannot write are journalled, named by their line, and
replayed in order with their own times; quitting with entries unsaved asks and says where they are."""

import json
import os
import stat
from datetime import timedelta

from recorder.core.clock import FakeClock
from recorder.core.session import Session
from recorder.store import Store, StoreError
from recorder.tui.app import QuitScreen, build_app
from tests.tui.helpers import CHILD, keys, live, shown

SIZE = (120, 40)
FULL = "cannot write to the database: the disk is full; free space (nothing was saved)"


def full(*args, **kw):
    raise StoreError(FULL)


def journals(db_path):
    return sorted(db_path.parent.glob(f"{db_path.name}.*.journal"))


def band(app) -> str:
    return str(app.screen.query_one("#fault").render())


async def test_queued_entries_are_journalled_before_shown_and_quit_asks_where_they_are(
    store, clock, db_path, monkeypatch
):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(store, "write", full)
        clock.advance(10)
        await keys(pilot, "n", "first", clock=clock, advance=3)
        await keys(pilot, "enter", clock=clock, advance=7)  # entered at 13 s
        (path,) = journals(db_path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        assert lines[0]["journal"] == 1 and lines[0]["code"] == 1 and lines[0]["base"] == 1
        assert lines[1]["data"] == {"kind": "note", "text": "first"} and lines[1]["t"] == 10
        assert lines[1]["entered"] == 13
        assert str(path) in band(app) and "queued" in band(app)
        await keys(pilot, "ctrl+q")
        assert isinstance(app.screen, QuitScreen)
        question = str(app.screen.query_one("#quit-question").render())
        assert str(path) in question and "recorder resume 1" in question
        await keys(pilot, "n")  # stay
        assert not isinstance(app.screen, QuitScreen)
        await keys(pilot, "ctrl+q", "y")
    assert app.return_code == 0
    store.close()
    # The next start replays the journal, in order, at the entry's own times.
    clock.advance(600)
    again = Store(db_path)
    app = build_app(again, clock, mode="resume")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        (note,) = [r for r in again.events(1) if r.kind == "note"]
        assert note.t == 10
        assert note.recorded_at == note.occurred_at + timedelta(seconds=3)  # when it was entered, not now
        assert shown(app)[0] == "Note: first"
        assert not app.screen.query_one("#fault").has_class("shown")
    assert journals(db_path) == []
    assert again.verify() == []


async def test_quit_without_anything_queued_does_not_ask(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "ctrl+q")
    assert app.return_code == 0


async def test_the_current_line_is_the_queued_attempt(store, clock, db_path, monkeypatch):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", clock=clock, advance=5)
        await keys(pilot, "y", clock=clock, advance=5)  # io1 in: the working line
        real = store.write
        monkeypatch.setattr(store, "write", full)
        await keys(pilot, "i", "2", "r", "enter", clock=clock, advance=5)  # queued: it is io2
        assert live(app).current == "io2"
        await keys(pilot, "a")
        assert app.screen.title_text == "Aspiration io2"
        await keys(pilot, "escape")
        await keys(pilot, "x", clock=clock, advance=5)
        assert "IO attempt io2" in band(app) and "io2 failed" in band(app)  # the band names the line
        assert live(app).current == "io1"  # io2 failed (queued): back to the working line
        monkeypatch.setattr(store, "write", real)
        live(app).tick()
        await pilot.pause()
    results = [(r.event.line, r.event.result) for r in store.events(1) if r.kind == "io_result"]
    assert results == [("io1", "in"), ("io2", "failed")]


async def test_drug_picker_offers_the_queued_line(store, clock, monkeypatch):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(store, "write", full)
        await keys(pilot, "i", "1", "l", "enter", "y", clock=clock, advance=5)  # io1 queued, then in (queued)
        await keys(pilot, "e", "enter", clock=clock, advance=5)
        assert [p.data.get("line") for p in live(app).queue.pending] == ["io1", "io1", "io1"]
        assert live(app).queue.pending[-1].data["drug"] == "epinephrine"


async def test_first_entry_of_a_new_code_is_queued_with_the_code_start(db_path, monkeypatch):
    clock = FakeClock()
    store = Store(db_path)
    app = build_app(store, clock)  # plain `recorder`: the code starts with the first entry
    async with app.run_test(size=SIZE) as pilot:
        real = store.create_code
        monkeypatch.setattr(store, "create_code", full)
        clock.advance(4)
        await keys(pilot, "n", "before the code existed", "enter", clock=clock, advance=2)
        assert store.codes() == []
        assert "start of the code" in band(app) and "Note: before the code existed" in band(app)
        live(app).tick()  # still failing: the band stays
        await pilot.pause()
        assert app.screen.query_one("#fault").has_class("shown")
        await keys(pilot, "i", "1", "l", "enter", clock=clock, advance=2)
        await keys(pilot, "x")
        assert [p.data.get("line") for p in live(app).queue.pending][-2:] == ["io1", "io1"]
        monkeypatch.setattr(store, "create_code", real)
        live(app).tick()
        await pilot.pause()
        assert not app.screen.query_one("#fault").has_class("shown")
    events = store.events(1)
    assert [r.kind for r in events] == ["code_started", "note", "io_attempt", "io_result"]
    assert [r.t for r in events] == [0, 4, 6, 8]
    assert events[1].event.text == "before the code existed"
    assert journals(db_path) == []
    store.close()


async def test_a_new_code_journalled_before_it_existed_is_created_at_the_next_start(db_path, monkeypatch):
    clock = FakeClock()
    store = Store(db_path)
    app = build_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(store, "create_code", full)
        await keys(pilot, "0")  # not in arrest
        clock.advance(5)
        await keys(pilot, "n", "queued", "enter", clock=clock, advance=1)
        await keys(pilot, "ctrl+q")
        assert "`recorder`" in str(app.screen.query_one("#quit-question").render())
        await keys(pilot, "y")
    store.close()
    assert len(journals(db_path)) == 1
    clock.advance(300)
    again = Store(db_path)
    app = build_app(again, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert live(app).session is not None and live(app).session.code_id == 1
    events = again.events(1)
    assert [r.kind for r in events] == ["code_started", "note"]
    assert events[0].event.arrest is False and events[1].t == 5
    assert events[0].occurred_at == FakeClock().wall()  # the code began when the first run opened
    assert events[0].recorded_at == events[0].occurred_at  # begun by the first key, at once (0 not in arrest)
    assert events[1].recorded_at == events[0].occurred_at + timedelta(seconds=5)
    assert journals(db_path) == []


async def test_entries_entered_after_a_queued_one_wait_behind_it(store, clock, monkeypatch):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        real = store.write
        monkeypatch.setattr(store, "write", full)
        await keys(pilot, "n", "one", "enter", clock=clock, advance=1)
        monkeypatch.setattr(store, "write", real)  # the fault clears, but no tick has retried yet
        await keys(pilot, "n", "two", "enter", clock=clock, advance=1)
        live(app).tick()
        await pilot.pause()
    assert [r.event.text for r in store.events(1)[1:]] == ["one", "two"]


async def test_a_resumed_code_replays_its_journal_without_writing_twice(store, clock, db_path, monkeypatch):
    """The crash window: an entry committed, then the recorder died before marking it done."""
    session = Session.start(store, clock, **CHILD)
    app = build_app(store, clock, mode="resume")
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(store, "write", full)
        await keys(pilot, "n", "one", "enter", clock=clock, advance=1)
        await keys(pilot, "n", "two", "enter", clock=clock, advance=1)
        await keys(pilot, "n", "three", "enter", clock=clock, advance=1)
        monkeypatch.undo()
        queue = live(app).queue
        # What a crash between the commit and the journal's mark leaves: "one" is in the database only.
        first = queue.pending[0]
        session.log(first.data, t=first.t, entered=first.entered)
        queue.journal.close()
        queue.pending.clear()
    store.close()
    again = Store(db_path)
    app = build_app(again, clock, mode="resume")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    assert [r.event.text for r in again.events(1)[1:]] == ["one", "two", "three"]
    assert journals(db_path) == []


async def test_an_entry_no_disk_can_keep_is_held_on_screen_and_quit_says_it_is_lost(store, clock, monkeypatch):
    import errno

    import recorder.tui.journal

    def no_space(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        real = store.write
        monkeypatch.setattr(store, "write", full)
        monkeypatch.setattr(recorder.tui.journal, "_append", no_space)
        await keys(pilot, "n", "held in memory", "enter")
        assert "1 NOT KEPT ON DISK" in band(app) and "No space left" in band(app)
        await keys(pilot, "ctrl+q")
        assert "LOSES" in str(app.screen.query_one("#quit-question").render())
        await keys(pilot, "n")
        monkeypatch.setattr(store, "write", real)  # the database comes back: the entry is written
        live(app).tick()
        await pilot.pause()
    assert [r.kind for r in store.events(1)] == ["code_started", "note"]


async def test_c_stops_cpr_that_a_queued_entry_started(store, clock, monkeypatch):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "c", clock=clock, advance=5)  # written: CPR started
        await keys(pilot, "c", clock=clock, advance=5)  # written: stopped
        real = store.write
        monkeypatch.setattr(store, "write", full)
        await keys(pilot, "c", clock=clock, advance=5)  # queued: started again
        await keys(pilot, "c", clock=clock, advance=5)  # queued: so this one stops it
        monkeypatch.setattr(store, "write", real)
        live(app).tick()
        await pilot.pause()
    kinds = [r.kind for r in store.events(1) if r.kind.startswith("cpr")]
    assert kinds == ["cpr_started", "cpr_stopped", "cpr_started", "cpr_stopped"]


async def test_a_new_code_tells_of_entries_another_code_left_in_its_journal(store, clock, db_path, monkeypatch):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(store, "write", full)
        await keys(pilot, "n", "left behind", "enter")
        await keys(pilot, "ctrl+q", "y")
    monkeypatch.undo()
    app = build_app(store, clock, mode="new", new_fields=CHILD)  # code 2: code 1's entry still waits
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        (told,) = [n.message for n in app._notifications if "recorder resume 1" in n.message]
        assert str(journals(db_path)[0]) in told
