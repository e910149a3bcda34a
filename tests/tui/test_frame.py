"""The live screen's compositor draws exactly what Textual's own would, for any changed area of the screen."""

import copy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.segment import ControlType
from textual._compositor import Compositor
from textual.geometry import Region

from recorder.core.clock import SystemClock
from recorder.core.session import replay
from recorder.store import Store
from recorder.tui.app import build_app
from recorder.tui.frame import ChangedAreaCompositor
from tests.factory import scenario_lines, started_ago
from tests.tui.helpers import live

SIZE = (120, 40)
EVENTS = 400  # enough for the timeline to scroll and the flags panel to fill


@pytest.fixture
def code_db(tmp_path: Path) -> Path:
    path = tmp_path / "code.db"
    store = Store(path)
    store.conn.execute("PRAGMA synchronous=OFF")  # setting up only
    try:
        replay(store, SystemClock(), scenario_lines(EVENTS, at=started_ago(EVENTS)))
    finally:
        store.close()
    return path


def cells(update, console) -> dict[tuple[int, int], tuple[str, object]]:
    """What an update writes on the terminal: each cell it sets, with its character and style (a cursor
    move that writes nothing sets no cell: Textual's own sends one at a changed area's right edge)."""
    written: dict[tuple[int, int], tuple[str, object]] = {}
    x = y = 0
    for segment in update.__rich_console__(console, console.options):
        if segment.control:
            for control in segment.control:
                if control[0] == ControlType.CURSOR_MOVE_TO:
                    x, y = control[1], control[2]
            continue
        if segment.text == "\n":
            continue  # every piece of a line is placed by a cursor move
        for char in segment.text:
            written[(x, y)] = (char, segment.style)
            x += cell_len(char)
    return written


def frames(screen, changed: set[Region]) -> tuple[dict, dict]:
    """The frame for `changed` drawn by the screen's compositor and by Textual's own, as the cells written."""
    ours = screen._compositor
    assert isinstance(ours, ChangedAreaCompositor)
    theirs = copy.copy(ours)  # the same layout and widgets, drawn Textual's way
    theirs.__class__ = Compositor
    console = screen.app.console
    drawn = []
    for compositor in (ours, theirs):
        compositor._dirty_regions = set(changed)
        update = compositor.render_update()
        drawn.append(cells(update, console) if update is not None else {})
    return drawn[0], drawn[1]


regions = st.builds(
    Region,
    st.integers(0, SIZE[0] - 1),
    st.integers(0, SIZE[1] - 1),
    st.integers(1, SIZE[0]),
    st.integers(1, SIZE[1]),
).map(lambda r: r.intersection(Region(0, 0, *SIZE)))


# A row or two of a panel, as the second's tick and a line panel's refresh change them: several such areas in a
# frame are drawn each on its own, apart or touching, over one widget or several.
rows = st.builds(
    Region,
    st.integers(0, SIZE[0] - 1),
    st.integers(0, SIZE[1] - 1),
    st.integers(1, SIZE[0]),
    st.integers(1, 2),
).map(lambda r: r.intersection(Region(0, 0, *SIZE)))


@pytest.mark.slow
async def test_any_changed_area_is_drawn_as_textual_draws_it(code_db):
    """Random changed areas (one or several, anywhere), on a code as it comes in and after keys that scroll
    and select: the same cells are written, character for character and style for style."""
    store = Store(code_db)
    try:
        app = build_app(store, SystemClock(), mode="resume")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = live(app)

            @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
            @given(st.lists(st.one_of(regions, rows, rows), min_size=1, max_size=6))
            def same(changed: list[Region]) -> None:
                ours, theirs = frames(screen, {r for r in changed if r})
                assert ours == theirs

            for presses in ((), ("c",), ("c",), ("down", "down"), ("c",), ("tab",), ("home",), ("c",)):
                if presses:
                    await pilot.press(*presses)
                    await pilot.pause()
                same()
                timeline = screen.query_one("#timeline")
                whole = {timeline.region, Region(0, 0, *SIZE)}
                for changed in ({timeline.region}, whole, {screen.query_one("#banner").region}):
                    ours, theirs = frames(screen, changed)
                    assert ours and ours == theirs
                assert len(frames(screen, whole)[0]) == SIZE[0] * SIZE[1]  # the whole screen: every cell
    finally:
        store.close()


async def test_a_new_row_on_a_long_timeline_draws_the_timeline_alone(code_db):
    """A key that adds a row at the top of a scrolled timeline draws the timeline and nothing else: not the
    screen, the box, the scrollbar, the banner or the key bar (Textual's own drew every one of them)."""
    store = Store(code_db)
    try:
        app = build_app(store, SystemClock(), mode="resume")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("c")
            await pilot.pause()
            screen = live(app)
            drawn: list[str] = []
            for widget in screen.query("*"):
                render_lines = widget.render_lines

                def counted(crop, widget=widget, render_lines=render_lines):
                    drawn.append(widget.id or type(widget).__name__)
                    return render_lines(crop)

                widget.render_lines = counted  # type: ignore[method-assign]
            await pilot.press("c")
            await pilot.pause()
            assert drawn and set(drawn) == {"timeline"}, drawn
    finally:
        store.close()


async def test_the_seconds_tick_draws_the_clocks_rows_alone(code_db):
    """The second's tick changes the banner's row and the rows of the lines and timers panels whose clocks moved:
    those are drawn, each on its own, and the same cells are written as by Textual's own compositor, which drew
    the box around them all (the flags panel, the panels' borders, the containers behind)."""
    from datetime import timedelta

    class Later(SystemClock):
        """The machine's clock, a whole second on at each tick of the test."""

        ahead = 0.0

        def wall(self):
            return super().wall() + timedelta(seconds=self.ahead)

        def monotonic(self) -> float:
            return super().monotonic() + self.ahead

    clock = Later()
    store = Store(code_db)
    try:
        app = build_app(store, clock, mode="resume")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = live(app)
            lines, timers = screen.query_one("#lines"), screen.query_one("#timers")
            assert timers.lines and lines.lines, (timers.lines, lines.lines)  # a clock in each
            drawn: list[tuple[str, int]] = []
            for widget in screen.query("*"):
                render_lines = widget.render_lines

                def counted(crop, widget=widget, render_lines=render_lines):
                    drawn.append((widget.id or type(widget).__name__, crop.height))
                    return render_lines(crop)

                widget.render_lines = counted  # type: ignore[method-assign]
            ours = screen._compositor
            for _ in range(3):
                clock.ahead += 1
                before = {name: panel.render().plain for name, panel in (("lines", lines), ("timers", timers))}
                screen.tick()
                ours.update_widgets(set(screen.query("*")))  # the areas the tick changed, as the next frame takes them
                changed = set(ours._dirty_regions)
                assert changed
                drawn.clear()
                assert ours.render_update() is not None
                # Drawn: the banner, and in each panel the rows whose clock moved (a row a clock).
                moved = {
                    name: sum(a != b for a, b in zip(was.split("\n"), panel.render().plain.split("\n"), strict=True))
                    for (name, was), panel in zip(before.items(), (lines, timers), strict=True)
                }
                assert moved["timers"] >= 1 and moved["lines"] >= 1, moved
                assert {name for name, _ in drawn} == {"banner", "lines", "timers"}, drawn
                assert sum(h for name, h in drawn if name == "lines") == moved["lines"], (drawn, moved)
                assert sum(h for name, h in drawn if name == "timers") == moved["timers"], (drawn, moved)
                mine, theirs = frames(screen, changed)
                assert mine and mine == theirs
                await pilot.pause()
    finally:
        store.close()
