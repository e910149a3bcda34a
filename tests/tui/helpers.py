"""Driving the screen in tests: an app on a temporary database and a fake clock."""

from recorder.tui.app import RecorderApp
from recorder.tui.live import LiveScreen
from recorder.tui.widgets import TimelineView

CHILD = {"arrest": True, "setting": "ed", "patient": {"age_years": 2, "weight_kg": 12, "weight_source": "length_tape"}}


async def keys(pilot, *presses: str, clock=None, advance: float = 0) -> None:
    """Press keys (a string of several characters is typed one by one), then let the screen settle."""
    for press in presses:
        if len(press) > 1 and press not in KEY_NAMES and not press.startswith("ctrl+"):
            for ch in press:
                await pilot.press("space" if ch == " " else ch)
        else:
            await pilot.press(press)
    await pilot.pause()
    if clock is not None and advance:
        clock.advance(advance)


async def palette(pilot, query: str) -> None:
    """Run a command from the palette (ctrl+p) by typing part of its name."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await keys(pilot, query)
    await pilot.pause(0.2)
    await keys(pilot, "enter")


KEY_NAMES = {"enter", "escape", "tab", "delete", "minus", "question_mark", "up", "down", "home", "backspace", "space"}


def live(app: RecorderApp) -> LiveScreen:
    screen = app.screen
    assert isinstance(screen, LiveScreen), screen
    return screen


def shown(app: RecorderApp) -> list[str]:
    """The timeline rows as the scribe sees them, newest first."""
    from exports.describe import describe

    view = app.screen.query_one(TimelineView)
    return [("VOIDED " if row.voided else "") + describe(row.record.event) for row in view.rows]
