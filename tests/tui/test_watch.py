"""The team display on screen: it follows entries written by a session while it runs, and quits on q."""

from recorder.core.session import Session
from recorder.store import Store
from recorder.tui.watch import TimerBox, WatchApp, build_watch
from tests.tui.helpers import CHILD

HOSTILE = "[@click=app.quit]quit[/] [b]not bold[/b]"


def shown(app: WatchApp, panel: str) -> str:
    return str(app.query_one(panel).content)


async def until(pilot, app: WatchApp, panel: str, words: str) -> str:
    """Let the display's own poll run until `words` are on `panel` (bounded; never a timed assertion)."""
    for _ in range(1000):
        if words in shown(app, panel):
            break
        await pilot.pause(0.02)
    return shown(app, panel)


async def test_the_display_follows_a_code_being_written(store, db_path, clock):
    writer = Session.start(store, clock, **CHILD)
    app = build_watch(Store(db_path, readonly=True), clock, writer.protocol, writer.code_id)
    app.poll_s = 0.01
    async with app.run_test(size=(120, 40)) as pilot:
        assert "No lines yet" in shown(app, "#lines")
        clock.advance(20)
        writer.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left", "device": "ez_io"})
        writer.log({"kind": "io_result", "line": "io1", "result": "in"})
        writer.log({"kind": "note", "text": HOSTILE})
        assert HOSTILE in await until(pilot, app, "#entries", HOSTILE)  # text is text: shown as written
        assert "io1  in" in shown(app, "#lines")
        # Deadlines fire on the display's own clock: no adrenaline 6 min into the arrest is a flag.
        clock.advance(340)
        assert "EPI_FIRST_DOSE_DELAYED" in await until(pilot, app, "#flags", "EPI_FIRST_DOSE_DELAYED")
        labels = [box.query_one(".timer-label").content for box in app.query(TimerBox) if box.display]
        assert any("No adrenaline yet" in str(label) for label in labels)
        writer.end("rosc")
        assert "CODE ENDED — rosc" in await until(pilot, app, "#standing", "CODE ENDED")
        assert not any(box.display for box in app.query(TimerBox))
        await pilot.press("q")
    assert app.return_code == 0
    app.session.store.close()


async def test_a_read_that_fails_is_said_and_the_last_state_stays(store, db_path, clock):
    """Unknown is not safe: a database that cannot be read is said in red over the code as last read.
    (Injected: SQLite keeps serving a damaged file from its cache, so no cheap real fault reaches a reader.)"""
    from recorder.store import StoreError

    writer = Session.start(store, clock, **CHILD)
    writer.log({"kind": "note", "text": "before the fault"}, t=1)
    app = build_watch(Store(db_path, readonly=True), clock, writer.protocol, writer.code_id)
    app.poll_s = 0.01
    async with app.run_test(size=(120, 40)) as pilot:
        assert "before the fault" in shown(app, "#entries")

        def fails(now=None):
            raise StoreError("the disk went away")

        app.session.follow = fails  # on the instance: deleting it brings back the method
        assert "the disk went away" in await until(pilot, app, "#fault", "the disk went away")
        assert app.query_one("#fault").has_class("shown")
        assert "before the fault" in shown(app, "#entries")
        del app.session.follow
        for _ in range(1000):  # the next good read clears it
            if not app.query_one("#fault").has_class("shown"):
                break
            await pilot.pause(0.02)
        assert not app.query_one("#fault").has_class("shown")
    app.session.store.close()


async def test_an_ended_code_read_later_shows_its_end_not_this_machines_now(store, db_path, clock):
    """A code watched after it ended is shown as it stood at its end: the clock time of the end in the
    code's own offset (not the watching machine's now), and each line as long in as it was then."""
    writer = Session.start(store, clock, **CHILD)
    writer.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left", "device": "ez_io"}, t=20)
    writer.log({"kind": "io_result", "line": "io1", "result": "in"}, t=30)
    writer.end("rosc", t=630)  # io1 in for 10:00 at the end
    start = writer.records[0].occurred_at.astimezone()
    clock.advance(5 * 3600)  # watched hours later
    app = build_watch(Store(db_path, readonly=True), clock, writer.protocol, writer.code_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        standing = shown(app, "#standing")
        assert "CODE ENDED" in standing
        from datetime import timedelta

        assert f"{start + timedelta(seconds=630):%H:%M:%S}" in standing
        assert f"{clock.wall().astimezone():%H:%M:%S}" not in standing
        assert "10:00" in shown(app, "#lines")
        await pilot.press("q")
    app.session.store.close()


async def test_a_tick_of_the_clock_reads_nothing_back(store, db_path, clock):
    """The clocks move four times a second: what they need of the timeline (the end, the latest rhythm
    check) is worked out when entries arrive, so a tick reads no event back from the store."""
    writer = Session.start(store, clock, **CHILD)
    writer.log({"kind": "rhythm", "rhythm": "asystole"}, t=10)
    app = build_watch(Store(db_path, readonly=True), clock, writer.protocol, writer.code_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        reads = []
        session = app.session
        original = session.iter_timeline
        session.iter_timeline = lambda *a, **k: reads.append(a) or original(*a, **k)  # type: ignore[method-assign]
        clock.advance(30)
        for _ in range(5):
            app.show_clocks()
        labels = [str(box.query_one(".timer-label").content) for box in app.query(TimerBox) if box.display]
        assert any(label.startswith("Since rhythm check") for label in labels)  # still there, from what was worked out
        assert reads == []
        await pilot.press("q")
    app.session.store.close()
