"""The live screen's panels: they draw what recorder.tui.board computes and hold no clinical logic."""

from collections.abc import Sequence
from math import ceil

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.css.scalar import Unit
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.visual import VisualType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from recorder.tui.board import LineRow, Timer, flag_to_acknowledge
from recorder.tui.line_panel import LinePanel
from recorder.tui.literal import visible
from recorder.tui.timeline import SEVERITY_MARK, SEVERITY_STYLE, Row, TimelineRows, row_text
from schemas.formatting import mmss
from schemas.formatting import t_plus as code_time
from schemas.records import Flag

__all__ = ["SEVERITY_MARK", "SEVERITY_STYLE", "Row"]  # the row and its marks, for the screens that import them here

STATUS_STYLE = {
    "attempting": "bold yellow",
    "in": "bold cyan",
    "confirmed": "bold green",
    "failed": "bold red",
    "removed": "dim",
    "unknown": "dim",
}
WIDE = 64  # timeline cells from which the clock time is shown beside T+
LEVEL_STYLE = {"ok": "green", "due": "bold yellow", "over": "bold white on red"}
SELECTED, SELECTED_UNFOCUSED = Style(reverse=True), Style(underline=True)


class Panel(Static):
    """A panel the live screen redraws after every entry and every second: only what changed is drawn.

    The same text again is not redrawn, and a text with as many rows as before needs a repaint, not a
    relayout of the whole screen (the panels are as high as their text).
    """

    _shown: Text | None = None

    def update(self, content: VisualType = "", *, layout: bool | None = None) -> None:
        shown, self._shown = self._shown, content if isinstance(content, Text) else None
        if shown is not None and content == shown:
            return
        if layout is None:
            layout = shown is None or self._shown is None or self._shown.plain.count("\n") != shown.plain.count("\n")
        super().update(content, layout=layout)


class Banner(Panel):
    """One line across the top: clock, wall time, patient, and storage faults in red."""

    auto_links = False  # plain text and fixed styles, never a link: drawn again every second, without looking for one


class LinesPanel(LinePanel):
    """Each access line with its state and time in place: a line is drawn again when it changes (its clock)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._made: dict[tuple, Text] = {}  # each line's text by what it is made of: most keys change none

    def show(self, rows: list[LineRow], current: str | None, now: float) -> None:
        room = self.room()
        if room is not None:
            # Only the rows the panel has room for are written: the clocks shown change every second, and a
            # long code has dozens of lines no one can see (they are cut off below, written or not).
            rows = rows[:room]
        if not rows:
            self.show_lines([Text("No lines yet — i IO · v IV", style="dim")])
            return
        made, kept = self._made, {}
        lines = []
        last = len(rows) - 1
        for y, row in enumerate(rows):
            since = mmss(now - row.since) if row.since is not None and row.status not in ("failed", "removed") else ""
            key = (row, row.id == current, since, y == last)
            line = made.get(key)
            if line is None:
                line = line_text(row, row.id == current, since, y == last)
            kept[key] = line
            lines.append(line)
        self._made = kept
        self.show_lines(lines)

    def room(self) -> int | None:
        """The rows the panel shows at most: its max-height less its border and padding (None: no such limit)."""
        most = self.styles.max_height
        if most is None or most.unit != Unit.CELLS:
            return None
        return max(1, int(most.value) - self.styles.gutter.height)


def line_text(row: LineRow, current: bool, since: str, last: bool) -> Text:
    """One line of the lines panel; the last is cut of its trailing spaces, as the panel's whole text was."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{'▶ ' if current else '  '}{row.id:<5}", style="bold" if current else "")
    text.append(f"{row.status:<10}", style=STATUS_STYLE.get(row.status, ""))
    text.append(f"{since:>6} ", style="bold")
    text.append(f" {visible(row.where):<19} {visible(row.kit)}")
    if last:
        text.rstrip()
    return text


class TimersPanel(LinePanel):
    """The clocks that matter now, counting up, coloured by how late they are: a timer's line is drawn again
    when its clock or level changes."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._made: dict[tuple[Timer, bool], Text] = {}  # each line's text by its timer: keys between ticks move none

    def show(self, timers: list[Timer]) -> None:
        if not timers:
            self.show_lines([Text("No timers running", style="dim")])
            return
        made, kept = self._made, {}
        lines = []
        last = len(timers) - 1
        for y, timer in enumerate(timers):
            key = (timer, y == last)
            line = made.get(key)
            if line is None:
                line = timer_text(timer, y == last)
            kept[key] = line
            lines.append(line)
        self._made = kept
        self.show_lines(lines)


def timer_text(timer: Timer, last: bool) -> Text:
    """One line of the timers panel; the last is cut of its trailing spaces, as the panel's whole text was."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f" {mmss(timer.seconds):>6} ", style=LEVEL_STYLE[timer.level])
    text.append(f" {visible(timer.label)}", style="bold")
    text.append(f"  {visible(timer.detail)}", style="dim")
    if last:
        text.rstrip()
    return text


class FlagsPanel(OptionList):
    """Flags raised, critical first. The flag shown highlighted is the one `k` acknowledges: the one the
    scribe chose here (↑↓, Enter, a click), else the newest unacknowledged critical, warning or info
    (recorder.tui.board.flag_to_acknowledge); with every flag acknowledged and none chosen, none is.

    A long code has hundreds of flags: a flag raised or acknowledged builds that flag's option only. The
    others keep their option (its text, and its height as Textual wrapped it for this width), and only the
    options on screen are drawn (Textual's OptionList draws a line when it is shown)."""

    _shown: list[Flag] | None = None

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        # The (rule, seq) the scribe chose: it stays on that flag across redraws, whatever comes in, until it
        # is acknowledged or withdrawn (then `k` goes back to the newest unacknowledged one).
        self.chosen: tuple[str, int] | None = None
        self.target: tuple[Flag, str] | None = None  # what `k` acknowledges, and why that one
        self._made: dict[tuple, Option] = {}  # each flag shown, by what it shows → its option
        self.builds = 0  # options built so far: what a new flag costs (tests count them)

    def show(self, flags: list[Flag]) -> None:
        if flags == self._shown:
            return  # most entries raise nothing
        self._shown = list(flags)
        made, kept = self._made, {}
        options = []
        for flag in flags:
            key = (flag.rule, flag.seq, flag.severity, flag.t, flag.message, flag.acknowledged, flag.reason)
            option = made.get(key)
            if option is None:
                option = Option(flag_text(flag), id=f"{flag.rule}:{flag.seq}:{flag.severity}")
                self.builds += 1
            kept[key] = option
            options.append(option)
        self._made = kept
        self._replace_options(options)
        self._aim()

    def _replace_options(self, options: list[Option]) -> None:
        """OptionList.set_options, keeping the options that stay: set_options drops every option's text and
        height (a relayout of hundreds of flags, each wrapped again, on every flag raised in a long code).
        What it reads is OptionList's own (Textual 8); drawn lines carry their option's index, so they go."""
        try:
            self._options[:] = options
            self._option_to_index = {option: i for i, option in enumerate(options)}
            self._id_to_option = {option.id: option for option in options if option.id is not None}
            self._line_cache.clear()
            self._option_render_cache.clear()
        except AttributeError:  # another Textual: its own way, every option built again
            self.set_options(options)
            return
        self.highlighted = None
        self.scroll_y = 0
        if self.is_mounted:
            self.refresh(layout=self.styles.auto_dimensions)
            self._update_lines()

    def _aim(self) -> None:
        """Highlight what `k` would acknowledge now, and nothing else."""
        flags = self._shown or []
        if self.chosen is not None and all((f.rule, f.seq) != self.chosen for f in flags):
            self.chosen = None  # withdrawn (a void, an amend): the choice goes with it, onto no other flag
        self.target = flag_to_acknowledge(flags, self.chosen)
        self.highlighted = flags.index(self.target[0]) if self.target else None

    def spend(self, key: tuple[str, int]) -> None:
        """The chosen flag is being acknowledged: the next `k` goes back to the newest unacknowledged one."""
        if self.chosen == key:
            self.chosen = None

    def _choose(self) -> None:
        option = self.highlighted_option
        if option is not None and option.id is not None:
            rule, seq, _ = option.id.split(":")
            self.chosen = (rule, int(seq))
            self._aim()

    # The scribe's own moves choose a flag; highlights the panel sets itself (after a redraw) do not.
    def action_cursor_up(self) -> None:
        super().action_cursor_up()
        self._choose()

    def action_cursor_down(self) -> None:
        super().action_cursor_down()
        self._choose()

    def action_first(self) -> None:
        super().action_first()
        self._choose()

    def action_last(self) -> None:
        super().action_last()
        self._choose()

    def action_page_up(self) -> None:
        super().action_page_up()
        self._choose()

    def action_page_down(self) -> None:
        super().action_page_down()
        self._choose()

    def action_select(self) -> None:  # Enter, or a click
        super().action_select()
        self._choose()

    @property
    def selected_flag_key(self) -> tuple[str, int] | None:
        option = self.highlighted_option
        if option is None or option.id is None:
            return None
        rule, seq, _ = option.id.split(":")
        return rule, int(seq)


def flag_text(flag: Flag) -> Text:
    """A flag as the flags panel shows it: its mark, time, seq and rule, then its message (and reason) as written."""
    text = Text()
    text.append(f" {SEVERITY_MARK[flag.severity]} ", style=SEVERITY_STYLE[flag.severity])
    style = "dim" if flag.acknowledged else "bold"
    text.append(f" {code_time(flag.t)} #{flag.seq} {flag.rule}", style=style)
    text.append(f"\n   {visible(flag.message)}", style="dim" if flag.acknowledged else "")
    if flag.acknowledged:
        text.append(f"\n   ✓ acknowledged: {visible(flag.reason or '')}", style="green")
    return text


def _thumb(bar: ScrollBar, virtual: int) -> tuple[int, int] | None:
    """Where a scrollbar's thumb is drawn, in eighths of a cell, for a virtual size: as Textual's
    ScrollBarRender.render_bar places it."""
    size = bar.size.height if bar.vertical else bar.size.width
    window = bar.window_size if bar.window_size < virtual else 0
    if not (window and size and virtual and size != virtual):
        return None
    thumb = max(1, window / (virtual / size))
    start = int((size - thumb) * (bar.position / (virtual - window)) * 8)
    return start, start + ceil(thumb * 8)


class TimelineView(ScrollView, can_focus=True):
    """The events, newest first. Only the rows on screen are drawn, however long the code.

    The selection is an event, not a row: once the scribe moves to one (↑↓, page keys) it stays on that seq
    whatever is entered, voided or amended around it (rows move, the event does not). Until then, and after
    Home, it is the newest event, following new entries.
    """

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-10)", "Page up", show=False),
        Binding("pagedown", "cursor(10)", "Page down", show=False),
        Binding("home", "first", "Newest", show=False),
    ]
    cursor: reactive[int] = reactive(0)

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.rows: Sequence[Row] = ()  # TimelineRows: a row is built when it is drawn
        self.selected_seq: int | None = None  # None: the newest row, whichever it is
        # Drawn rows by what they show and the width; a row changes only with an amend, a void or a flag.
        self._strips: dict[tuple, Strip] = {}

    def show(self, rows: Sequence[Row], added: int = 0) -> None:
        """Show `rows`; `added`: that many rows came in on top and no other row changed (one newest entry)."""
        self.rows = rows
        # No width: rows are cut to the view, never scrolled sideways (a width counted with the vertical
        # scrollbar's cells gave a long timeline a horizontal scrollbar after its first new entry).
        size = Size(0, len(rows))
        old, height = self.virtual_size, self.scrollable_content_region.height
        quiet = False  # nothing but this view and its scrollbar is redrawn
        if self.show_vertical_scrollbar and size.width == old.width and height < old.height <= size.height:
            quiet = True
            # One more row in a timeline that scrolls already: nothing moves on the screen but this
            # view and its scrollbar, so they are redrawn without a relayout of the whole screen.
            self.set_reactive(TimelineView.virtual_size, size)
            bar = self.vertical_scrollbar
            if _thumb(bar, size.height) == _thumb(bar, bar.window_virtual_size):
                # A long code: one more row does not move the thumb by an eighth of a cell, so the
                # bar is not redrawn (it cost as much as the rows themselves, benchmarks/bench_keys.py).
                bar.set_reactive(ScrollBar.window_virtual_size, size.height)
            else:
                bar.window_virtual_size = size.height
        else:
            self.virtual_size = size
        cursor, placed = self.cursor, self._place()
        if quiet and added and self.scroll_y == 0 and (self.selected_seq is None or placed < height):
            # At the top of a long timeline, with the selection staying on screen: every line drawn moves down.
            self.set_reactive(TimelineView.cursor, placed)  # its own repaint would redraw every line
            self._move_down(added, cursor)
            return
        self.cursor = placed
        if self.selected_seq is not None:
            self._keep_in_view()
        self.refresh()

    def _move_down(self, added: int, cursor: int) -> None:
        """`added` rows came in on top: the lines already drawn, with their styles, move down as they are, and only
        the new ones and the selection's old and new lines are drawn again. Textual has no line shifting of its
        own: drawn again, each line of a newest-first timeline cost a frame most of its time (bench_keys.py)."""
        width, height = self.size
        drawn = getattr(self._styles_cache, "_cache", None)  # Textual's lines by y, as styled for the screen
        if not isinstance(drawn, dict):
            self.refresh()
            return
        moved = {y + added: strip for y, strip in drawn.items() if y + added < height}
        drawn.clear()
        drawn.update(moved)
        again = {*range(added), cursor + added, self.cursor} if self.selected_seq is not None else {*range(added + 1)}
        # Up to the scrollbar, which stands in front of the rows' last cells: it did not change (`show`
        # refreshes it when its thumb moves), and a frame that reached it would draw it again.
        shown = min(width, self.scrollable_content_region.width)
        self.refresh(*(Region(0, y, shown, 1) for y in sorted(again) if 0 <= y < height))
        # The whole view is put on the screen again (its lines moved), from the lines kept above.
        self._repaint_regions.add(Region(0, 0, shown, height).translate(self.content_offset))

    def _place(self) -> int:
        """The row the selected event is on now."""
        rows, seq = self.rows, self.selected_seq
        if seq is None or not rows:
            return 0
        # The usual cases without a scan of a long code: one row came in above it, or none did.
        for i in (self.cursor + 1, self.cursor):
            if i < len(rows) and rows[i].record.seq == seq:
                return i
        if isinstance(rows, TimelineRows):
            index = rows.position(seq)  # found by its time, not by building every row above it
        else:
            index = next((i for i, row in enumerate(rows) if row.record.seq == seq), None)
        if index is None:  # not on the timeline any more (never so today: a voided event stays, struck)
            self.selected_seq = None
            return 0
        return index

    def _keep_in_view(self) -> None:
        if self.cursor < self.scroll_y:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= self.scroll_y + self.size.height:
            self.scroll_to(y=self.cursor - self.size.height + 1, animate=False)

    @property
    def selected(self) -> Row | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def action_cursor(self, step: int) -> None:
        self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))
        self.selected_seq = self.rows[self.cursor].record.seq if self.rows else None
        self._keep_in_view()
        self.refresh()

    def action_first(self) -> None:
        self.selected_seq = None  # the newest again, following new entries
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = y + int(self.scroll_y)
        width = self.size.width
        if index >= len(self.rows):
            return Strip.blank(width)
        row = self.rows[index]
        # A narrow terminal drops the clock-time column: T+ is what the scribe works by.
        with_wall = width >= WIDE
        key = (row.record.seq, row.record.amended_by, row.voided, row.marks, width)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > 4096:
                self._strips.clear()
            wall = row.record.occurred_at.astimezone().strftime("%H:%M:%S") if with_wall else None
            text = row_text(row, wall)
            strip = Strip(list(text.render(self.app.console)), text.cell_len).crop_extend(0, width, None)
            self._strips[key] = strip
        if index == self.cursor:
            # Shown whether or not the timeline has the focus: Del and m act on it from anywhere.
            strip = strip.apply_style(SELECTED if self.has_focus else SELECTED_UNFOCUSED)
        return strip

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
