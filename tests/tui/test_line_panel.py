"""The lines and timers panels drawn line by line look exactly as a Static showing their whole text did."""

from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from recorder.tui.board import LineRow, Timer
from recorder.tui.widgets import LinesPanel, TimersPanel, line_text, timer_text

CSS = """
LinesPanel, #lines-ref { height: auto; max-height: 8; border: round white; text-wrap: nowrap; text-overflow: ellipsis; }
TimersPanel, #timers-ref { height: auto; max-height: 8; border: round red; text-wrap: nowrap; text-overflow: ellipsis; }
"""


class Both(App[None]):
    CSS = CSS

    def compose(self) -> ComposeResult:
        yield LinesPanel(id="lines")
        yield Static(id="lines-ref")
        yield TimersPanel(id="timers")
        yield Static(id="timers-ref")


def whole(lines: list[Text]) -> Text:
    """The panel's text as it was made whole before: each line, a newline, the end's trailing spaces cut."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for line in lines:
        text.append_text(line)
        text.append("\n")
    text.rstrip()
    return text


def cells(widget) -> list[list[tuple[str, object]]]:
    return [[(s.text, s.style) for s in strip] for strip in widget.render_lines(widget.size.region)]


ALPHABET = st.characters(min_codepoint=32, max_codepoint=0x24F)  # Latin, accents, markup brackets
rows = st.lists(
    st.builds(
        LineRow,
        id=st.sampled_from(["io1", "io2", "iv1", "uvc1"]),
        kind=st.just("IO"),
        where=st.text(ALPHABET, max_size=30),
        kit=st.sampled_from(["", "EZ-IO 15 mm"]),
        status=st.sampled_from(["attempting", "in", "confirmed", "failed", "removed"]),
        since=st.one_of(st.none(), st.floats(0, 3000)),
        usable=st.booleans(),
    ),
    max_size=9,
)
timers = st.lists(
    st.builds(
        Timer,
        label=st.text(ALPHABET, min_size=1, max_size=20).map(lambda s: "x" + s),
        seconds=st.floats(0, 5000),
        level=st.sampled_from(["ok", "due", "over"]),
        detail=st.text(ALPHABET, max_size=40),
    ),
    max_size=4,
)


@settings(max_examples=10, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate])
@given(st.lists(st.tuples(rows, timers, st.floats(0, 4000)), min_size=1, max_size=4))
def test_drawn_line_by_line_as_a_static_draws_the_whole_text(steps):
    """Each step shows new rows and timers (some lines change, some do not, the count too): the cells match."""
    import asyncio

    async def run() -> None:
        app = Both()
        async with app.run_test(size=(70, 40)) as pilot:
            lines, ref_lines = app.query_one(LinesPanel), app.query_one("#lines-ref", Static)
            clocks, ref_clocks = app.query_one(TimersPanel), app.query_one("#timers-ref", Static)
            for shown, running, now in steps:
                lines.show(shown, shown[0].id if shown else None, now)
                clocks.show(running)
                await pilot.pause()
                ref_lines.update(whole(lines.lines) if shown else lines.lines[0])
                ref_clocks.update(whole(clocks.lines) if running else clocks.lines[0])
                await pilot.pause()
                assert lines.outer_size == ref_lines.outer_size and clocks.outer_size == ref_clocks.outer_size
                assert cells(lines) == cells(ref_lines)
                assert cells(clocks) == cells(ref_clocks)

    asyncio.run(run())


def test_a_line_is_cut_of_trailing_spaces_only_at_the_end():
    row = LineRow("io1", "IO", "sternum", "", "in", 1.0, True)
    assert line_text(row, False, "0:01", False).plain.endswith(" ")
    assert not line_text(row, False, "0:01", True).plain.endswith(" ")
    timer = Timer("Since adrenaline", 5.0, "ok", "")
    assert not timer_text(timer, True).plain.endswith(" ")


async def test_the_same_timer_twice_is_shown_twice(monkeypatch):
    """Texts are kept by the timer they show (a key between ticks makes none again), never merged: two timers
    alike are two lines."""
    from recorder.tui import widgets

    made = []
    monkeypatch.setattr(widgets, "timer_text", lambda *a: made.append(a) or timer_text(*a))
    app = Both()
    async with app.run_test(size=(70, 40)) as pilot:
        clocks = app.query_one(TimersPanel)
        twice = [Timer("epinephrine in io1", 12.0, "due", "flush any volume by T+01:00")] * 2
        clocks.show(twice)
        await pilot.pause()
        assert [line.plain for line in clocks.lines] == [timer_text(twice[0], y == 1).plain for y in (0, 1)]
        assert len(made) == 2
        clocks.show(twice)  # as a key between ticks: the same timers, nothing made again
        assert len(made) == 2
        clocks.show([twice[0]])  # the one left is the last line now, cut of its trailing spaces
        assert [line.plain for line in clocks.lines] == [timer_text(twice[0], True).plain]
