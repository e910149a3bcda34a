"""The flags and lines panels of a long code. Flags: a flag raised or acknowledged builds its own option, the
others are kept, only the flags on screen are drawn, and what the scribe chose (by keys or a tap) stays on its
flag. Lines: only the rows the panel has room for are written."""

import pytest
from textual.app import App, ComposeResult

from recorder.tui.board import LineRow, flags_by_urgency
from recorder.tui.literal import visible
from recorder.tui.widgets import FlagsPanel, LinesPanel
from schemas.records import Flag

MANY = 400
SEVERITIES = ("warning", "info", "critical", "warning", "info")


def flag(seq: int, severity: str = "warning", **kw) -> Flag:
    fields = {"rule": f"RULE_{seq % 7}", "severity": severity, "seq": seq, "t": seq * 10.0, "message": f"flag {seq}"}
    return Flag.model_validate({**fields, **kw})


def many() -> list[Flag]:
    return [flag(seq, SEVERITIES[seq % len(SEVERITIES)]) for seq in range(1, MANY + 1)]


class Panel(App[None]):
    CSS = "FlagsPanel { width: 48; height: 20; }"

    def compose(self) -> ComposeResult:
        yield FlagsPanel(id="flags")


def drawn(panel: FlagsPanel) -> list[int]:
    """The options drawn since the last call (their index), by Textual's own render of an option."""
    seen: list[int] = []
    render = panel._get_option_render

    def counted(option, style):
        seen.append(panel._option_to_index[option])
        return render(option, style)

    panel._get_option_render = counted  # type: ignore[method-assign]
    return seen


def shown_text(panel: FlagsPanel) -> str:
    return "\n".join(panel.render_line(y).text for y in range(panel.scrollable_content_region.height))


async def test_a_flag_among_hundreds_builds_its_own_option_and_the_choice_stays_on_its_flag():
    app = Panel()
    async with app.run_test() as pilot:
        panel = app.query_one(FlagsPanel)
        flags = many()
        panel.show(flags_by_urgency(flags))
        await pilot.pause()
        assert panel.builds == MANY  # the first show builds every option once (their heights fill the scrollbar)
        first = panel.builds
        options = drawn(panel)
        # The scribe chooses the fourth flag down.
        panel.focus()
        await pilot.press("home", "down", "down", "down")
        await pilot.pause()
        chosen = panel.chosen
        assert chosen is not None and panel.selected_flag_key == chosen
        # A new critical comes in above it: one option built, the choice where it was, only what is on screen drawn.
        options.clear()
        flags.append(flag(MANY + 1, "critical", message="new critical"))
        panel.show(flags_by_urgency(flags))
        await pilot.pause()
        assert panel.builds == first + 1
        assert panel.selected_flag_key == chosen and panel.target is not None
        assert (panel.target[0].rule, panel.target[0].seq) == chosen
        assert options and len(set(options)) <= panel.size.height, options  # a screen's options, not 401
        assert "new critical" in shown_text(panel) or panel.scroll_y > 0
        # One above it withdrawn (a void): nothing built; the choice still on its flag.
        options.clear()
        top = flags_by_urgency(flags)[0]
        flags.remove(top)
        panel.show(flags_by_urgency(flags))
        await pilot.pause()
        assert panel.builds == first + 1
        assert panel.selected_flag_key == chosen
        assert len(set(options)) <= panel.size.height
        # The chosen flag acknowledged: its option is built again, with its reason, and the choice is spent.
        panel.spend(chosen)
        flags = [
            f.model_copy(update={"acknowledged": True, "reason": "only site"}) if (f.rule, f.seq) == chosen else f
            for f in flags
        ]
        panel.show(flags_by_urgency(flags))
        await pilot.pause()
        assert panel.builds == first + 2
        assert panel.chosen is None and panel.selected_flag_key != chosen


async def test_a_click_after_flags_came_in_above_chooses_the_flag_drawn_under_it():
    """Options moved down by new flags are drawn again with their new place: a click (a tap) chooses what it hits."""
    app = Panel()
    async with app.run_test() as pilot:
        panel = app.query_one(FlagsPanel)
        flags = many()
        panel.show(flags_by_urgency(flags))
        await pilot.pause()
        for seq in (MANY + 1, MANY + 2):
            flags.append(flag(seq, "critical", message=f"new {seq}"))
            panel.show(flags_by_urgency(flags))
            await pilot.pause()
        order = flags_by_urgency(flags)
        index = 5
        y = panel._index_to_line[index] - int(panel.scroll_y)
        assert await pilot.click(panel, offset=(panel.gutter.left + 2, panel.gutter.top + y))
        await pilot.pause()
        assert panel.chosen == (order[index].rule, order[index].seq)
        assert panel.target is not None and panel.target[0] == order[index]


@pytest.mark.parametrize("text", ["[bold]x[/bold] TXA [/]", "[@click=app.quit]quit[/]", "\x1b[31mred"])
async def test_a_flag_message_and_reason_are_shown_as_written(text):
    app = Panel()
    async with app.run_test() as pilot:
        panel = app.query_one(FlagsPanel)
        flags = [*many()[:3], flag(999, "critical", message=f"m {text}", acknowledged=True, reason=f"r {text}")]
        panel.show(flags_by_urgency(flags))
        await pilot.pause()
        index = next(i for i, f in enumerate(flags_by_urgency(flags)) if f.seq == 999)
        panel.scroll_to(y=panel._index_to_line[index], animate=False)
        await pilot.pause()
        shown = " ".join(shown_text(panel).split())  # as wrapped to the panel's width, read as one line
        literal = visible(text)  # markup as typed; a terminal sequence's escape shown as \x1b, never acted on
        assert f"m {literal}" in shown and f"✓ acknowledged: r {literal}" in shown, shown


class Lines(App[None]):
    CSS = "LinesPanel { height: auto; max-height: 8; border: round white; }"  # as recorder.tcss sizes it

    def compose(self) -> ComposeResult:
        yield LinesPanel(id="lines")


async def test_the_lines_panel_writes_the_rows_it_has_room_for_as_it_showed_them():
    """A long code has dozens of lines and the panel room for six: only those are written (their clocks change
    every second), and the panel looks as it did with every row written and the rest cut off."""
    rows = [
        LineRow(f"io{i}", "IO", "left proximal tibia", "EZ-IO 15 mm", "in", 10.0 * i, True) for i in range(30, 0, -1)
    ]
    app = Lines()
    async with app.run_test(size=(80, 20)) as pilot:  # room for both panels
        panel = app.query_one(LinesPanel)
        panel.show(rows, "io29", 400.0)
        await pilot.pause()
        written = panel.render().plain.split("\n")
        assert panel.room() == 6 and len(written) == 6 and panel.outer_size.height == 8
        assert [line[2:].split()[0] for line in written] == [f"io{i}" for i in range(30, 24, -1)]
        assert written[1].startswith("▶ io29") and "1:50" in written[1]
        screen = [strip.text for strip in panel.render_lines(panel.size.region)]
        every = LinesPanel()
        every.room = lambda: None  # type: ignore[method-assign]
        await app.mount(every)
        every.show(rows, "io29", 400.0)
        await pilot.pause()
        assert every.outer_size.height == 8
        assert [strip.text for strip in every.render_lines(every.size.region)] == screen
