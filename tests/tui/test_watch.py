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
    for _ in range(200):
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
